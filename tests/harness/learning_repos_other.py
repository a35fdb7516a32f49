"""Scratch projects of the learning set's incidents, harmless and clean sessions.

Five small Python projects, each the repo its sessions start from (laid anew for every
session), and the fragments the scripted edits replace or insert. Variants planted for one
session (a data file missing a comma, a station with no readings, a merge conflict left in)
are made by the sessions in `learning_other.py` from these.
"""

from __future__ import annotations

from .scenarios import source

# --- ledger: a household ledger in several currencies ------------------------------------

ENTRIES_JSON = source(
    """
    [
      {"date": "2024-03-01", "amount": -42.5, "currency": "EUR", "memo": "groceries"},
      {"date": "2024-03-02", "amount": 1200, "currency": "EUR", "memo": "salary"},
      {"date": "2024-03-05", "amount": -15, "currency": "USD", "memo": "app subscription"},
      {"date": "2024-03-09", "amount": -60, "currency": "GBP", "memo": "train"}
    ]
    """
)
LEDGER = {
    "ledger.py": source(
        '''
        """Household ledger: load entries and report the balance in euros."""

        import json
        import sys

        from rates import fetch_rates


        def load_entries(path):
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)


        def balance(entries, rates=None):
            rates = rates or fetch_rates()
            return round(sum(e["amount"] * rates[e["currency"]] for e in entries), 2)


        if __name__ == "__main__":
            entries = load_entries(sys.argv[1])
            print(f"{len(entries)} entries, balance {balance(entries):.2f} EUR")
        '''
    ),
    "rates.py": source(
        '''
        """Exchange rates to EUR, from a fixed table until the live feed is wired in."""

        RATES = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}


        def fetch_rates():
            return dict(RATES)
        '''
    ),
    "test_ledger.py": source(
        """
        from ledger import balance
        from rates import fetch_rates


        def test_balance_converts_currencies():
            entries = [{"amount": 10, "currency": "EUR"}, {"amount": 10, "currency": "USD"}]
            assert balance(entries) == 19.2


        def test_rates_include_euro():
            assert fetch_rates()["EUR"] == 1.0
        """
    ),
    "data/entries.json": ENTRIES_JSON,
}
SALARY = '{"date": "2024-03-02", "amount": 1200, "currency": "EUR", "memo": "salary"}'


# --- station-report: mean temperatures per weather station -------------------------------

READINGS = "station,day,temp_c\nharbour,1,11.5\nharbour,2,12.25\nhilltop,1,7.0\nhilltop,2,6.5\nhilltop,3,8.0\n"
REPORT = source(
    '''
    """Monthly station report: mean temperature per station from a CSV of readings."""

    import csv
    import sys


    def load(path):
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


    def average(values):
        return sum(values) / len(values)


    def report(rows, stations):
        lines = []
        for station in stations:
            temps = [float(r["temp_c"]) for r in rows if r["station"] == station]
            lines.append(f"{station}: {average(temps):.1f} C over {len(temps)} readings")
        return "\\n".join(lines)


    if __name__ == "__main__":
        with open("stations.txt", encoding="utf-8") as names:
            stations = names.read().split()
        print(report(load(sys.argv[1]), stations))
    '''
)
STATIONS = {
    "report.py": REPORT,
    "readings.csv": READINGS,
    "stations.txt": "harbour\nhilltop\n",
    "expected_report.txt": "harbour: 11.88 C over 2 readings\nhilltop: 7.17 C over 3 readings\n",
    "test_report.py": source(
        """
        from report import average, load, report


        def test_average():
            assert average([1.0, 2.0, 3.0]) == 2.0


        def test_report_matches_the_golden_file():
            with open("expected_report.txt", encoding="utf-8") as golden:
                expected = golden.read().strip()
            assert report(load("readings.csv"), ["harbour", "hilltop"]) == expected
        """
    ),
}
GUARDED = (
    '        if not temps:\n            lines.append(f"{station}: no readings")\n            continue\n'
    '        lines.append(f"{station}: {average(temps):.1f} C over {len(temps)} readings")'
)
UNGUARDED = '        lines.append(f"{station}: {average(temps):.1f} C over {len(temps)} readings")'
AVERAGE = "    return sum(values) / len(values)\n"
WARMEST = """

def warmest(rows):
    stations = sorted({r["station"] for r in rows})
    return max(stations, key=lambda s: average([float(r["temp_c"]) for r in rows if r["station"] == s]))
"""


# --- site-deploy: a deploy script, a settings check, a version file ----------------------

DEPLOY_SH = source(
    """
    #!/usr/bin/env bash
    # Copy the built site to the target folder and record the release.
    set -euo pipefail

    TARGET=${1:-/srv/www/site}
    VERSION=$(python3 -c 'import version; print(version.__version__)')

    echo "deploying $VERSION to $TARGET"
    mkdir -p $TARGET
    cp -r public/. $TARGET/
    echo "$VERSION $(date -u +%FT%TZ)" >> releases.log
    """
)
SITE = {
    "deploy.sh": DEPLOY_SH,
    "version.py": '__version__ = "1.4.0"\n',
    "CHANGELOG.md": "# Changelog\n\n## 1.4.0\n\n- Dark mode for the docs pages.\n\n## 1.3.2\n\n- Fix the feed date.\n",
    "public/index.html": "<!doctype html>\n<title>Site</title>\n<p>Hello.</p>\n",
    "config.example.ini": "[server]\nhost = 127.0.0.1\nport = 8000\ndebug = false\n",
    ".gitignore": "config.ini\nreleases.log\n",
    "app.py": source(
        '''
        """Settings check: load config.ini and print what the server would use."""

        import configparser
        import sys

        config = configparser.ConfigParser()
        if not config.read("config.ini"):
            sys.exit("config.ini not found: copy config.example.ini to config.ini first")
        server = config["server"]
        print(f"host={server['host']} port={server.getint('port')} debug={server.getboolean('debug')}")
        '''
    ),
}


# --- shelf: a library catalogue -----------------------------------------------------------

CATALOGUE = source(
    '''
    """Library catalogue: books by ISBN and lookups."""

    BOOKS = {
        "9780141439518": "Pride and Prejudice",
        "9780261103573": "The Fellowship of the Ring",
    }


    def normalise(isbn):
        return isbn.replace("-", "").replace(" ", "")


    def title_for(isbn):
        return BOOKS.get(normalise(isbn), "unknown")
    '''
)
CATALOGUE_TESTS = source(
    """
    from catalogue import normalise, title_for


    def test_normalise_strips_dashes_and_spaces():
        assert normalise("978-0-14 143951-8") == "9780141439518"


    def test_title_for_known_book():
        assert title_for("978-0-14-143951-8") == "Pride and Prejudice"
    """
)
SHELF = {"catalogue.py": CATALOGUE, "test_catalogue.py": CATALOGUE_TESTS, ".gitignore": "build/\n__pycache__/\n"}
RESOLVED = '    return isbn.replace("-", "").replace(" ", "")\n'
CONFLICT = '<<<<<<< HEAD\n    return isbn.replace("-", "")\n=======\n' + RESOLVED + ">>>>>>> feature/isbn-spaces\n"
CHECKSUM = """

def is_valid_isbn13(isbn):
    digits = normalise(isbn)
    if len(digits) != 13 or not digits.isdigit():
        return False
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
"""
CHECKSUM_TESTS = """

def test_isbn13_checksum():
    assert is_valid_isbn13("978-0-261-10357-3")
    assert not is_valid_isbn13("9780141439519")
    assert not is_valid_isbn13("978014143951")
"""


# --- survey: answers to a customer survey -------------------------------------------------

SUMMARISE = source(
    '''
    """Summarise survey answers: how many gave each satisfaction rating."""

    import csv
    from collections import Counter

    DATA = "data/responses.csv"


    def summarise(path):
        with open(path, newline="", encoding="utf-8") as handle:
            return Counter(row["satisfaction"] for row in csv.DictReader(handle))


    if __name__ == "__main__":
        for answer, count in summarise(DATA).most_common():
            print(f"{answer:>10} {count}")
    '''
)
SURVEY = {
    "summarise.py": SUMMARISE,
    "data/responses.csv": "id,country,satisfaction\n1,DE,high\n2,FR,medium\n3,DE,high\n4,IT,low\n5,FR,high\n",
    "by_country.py": source(
        '''
        """Responses per country, from the survey database the import job fills."""

        import sqlite3

        with sqlite3.connect("survey.db") as db:
            for country, n in db.execute("SELECT country, COUNT(*) FROM responses GROUP BY country"):
                print(country, n)
        '''
    ),
    ".gitignore": "survey.db\n",
    "test_summarise.py": source(
        """
        from summarise import summarise


        def test_counts_each_rating():
            counts = summarise("data/responses.csv")
            assert counts["high"] == 3 and counts["low"] == 1
        """
    ),
}
SHARE = """

def share(counts, answer):
    total = sum(counts.values())
    return round(100 * counts[answer] / total, 1) if total else 0.0
"""
