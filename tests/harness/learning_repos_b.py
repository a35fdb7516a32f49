"""Scratch projects of the second batch of recurring failures in the learning set.

Each project is the repo its sessions start from (laid anew for every session), with the
cause of its recurring failure planted: a `src/` layout the tests cannot import, a script
whose argparse wants `--input`, a shared `format_total` that adds CSV strings to an int, and
programs that fail until a prerequisite is met. The sessions are in `learning_recurring_b.py`.
"""

from __future__ import annotations

from .scenarios import source

# --- src layout: the package lives under src/, the tests import it by name -------------

SHIPCALC = {
    "pyproject.toml": source(
        """
        [project]
        name = "shipcalc"
        version = "0.3.0"
        description = "Shipping cost calculator for the web shop"
        requires-python = ">=3.10"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """
    ),
    "README.md": "# shipcalc\n\nShipping costs by parcel weight and destination zone.\n",
    "src/shipcalc/__init__.py": '"""Shipping cost calculator."""\n',
    "src/shipcalc/zones.py": source(
        '''
        """Destination zones and their price multipliers."""

        ZONES = {"domestic": 1.0, "eu": 1.5, "world": 2.25}


        def zone_multiplier(zone):
            try:
                return ZONES[zone]
            except KeyError:
                raise ValueError(f"unknown zone: {zone}") from None
        '''
    ),
    "src/shipcalc/rates.py": source(
        '''
        """Shipping cost of one parcel."""

        from shipcalc.zones import zone_multiplier

        BASE_RATE = 4.50
        PER_KG = 1.20


        def shipping_cost(weight_kg, zone):
            return round((BASE_RATE + PER_KG * weight_kg) * zone_multiplier(zone), 2)
        '''
    ),
    "tests/test_rates.py": source(
        """
        from shipcalc.rates import shipping_cost


        def test_domestic_parcel():
            assert shipping_cost(2, "domestic") == 6.9


        def test_eu_parcel():
            assert shipping_cost(2, "eu") == 10.35


        def test_world_parcel():
            assert shipping_cost(5, "world") == 23.62
        """
    ),
    "tests/test_zones.py": source(
        """
        import pytest

        from shipcalc.zones import zone_multiplier


        def test_eu_multiplier():
            assert zone_multiplier("eu") == 1.5


        def test_unknown_zone():
            with pytest.raises(ValueError):
                zone_multiplier("mars")
        """
    ),
}

NOTEKEEPER = {
    "setup.cfg": source(
        """
        [metadata]
        name = notekeeper
        version = 0.1.0

        [options]
        package_dir =
            = src
        packages = find:

        [options.packages.find]
        where = src
        """
    ),
    "src/notekeeper/__init__.py": '"""Plain-text notes with tags."""\n',
    "src/notekeeper/tags.py": source(
        '''
        """Tag clean-up."""


        def normalize_tags(tags):
            return sorted({tag.strip().lower().lstrip("#") for tag in tags if tag.strip()})
        '''
    ),
    "src/notekeeper/store.py": source(
        '''
        """An in-memory note store."""

        from notekeeper.tags import normalize_tags


        class NoteStore:
            def __init__(self):
                self._notes = {}

            def add(self, title, body, tags=()):
                self._notes[title] = {"body": body, "tags": normalize_tags(tags)}

            def tagged(self, tag):
                return sorted(t for t, note in self._notes.items() if tag in note["tags"])
        '''
    ),
    "tests/test_store.py": source(
        """
        from notekeeper.store import NoteStore


        def test_tagged_notes_are_found():
            store = NoteStore()
            store.add("groceries", "milk, eggs", tags=["#Home", "errands"])
            store.add("standup", "demo the search", tags=["work"])
            assert store.tagged("home") == ["groceries"]


        def test_blank_tags_are_dropped():
            store = NoteStore()
            store.add("empty", "", tags=["  ", "x"])
            assert store.tagged("x") == ["empty"]
        """
    ),
    "tests/test_tags.py": source(
        """
        from notekeeper.tags import normalize_tags


        def test_tags_are_lowercased_and_unique():
            assert normalize_tags(["#Work", "work ", "Home"]) == ["home", "work"]
        """
    ),
}

# --- a command-line script whose argparse requires --input -------------------------------

SALESDASH = {
    "README.md": source(
        """
        # salesdash

        Regional sales figures from the monthly CSV export.

        Print the summary with `python scripts/summarize.py`.
        """
    ),
    "data/in.csv": source(
        """
        region,amount
        north,1200.50
        south,980.00
        east,1530.25
        north,310.00
        west,640.75
        south,220.00
        """
    ),
    "scripts/summarize.py": source(
        '''
        """Summarize sales per region from a CSV export."""

        import argparse
        import csv
        from collections import defaultdict


        def main(argv=None):
            parser = argparse.ArgumentParser(description="Summarize sales per region.")
            parser.add_argument("--input", required=True, help="CSV file with region,amount rows")
            parser.add_argument("--top", type=int, default=3, help="how many regions to show")
            args = parser.parse_args(argv)
            totals = defaultdict(float)
            with open(args.input, newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    totals[row["region"]] += float(row["amount"])
            for region, amount in sorted(totals.items(), key=lambda item: -item[1])[: args.top]:
                print(f"{region:<8} {amount:>10.2f}")


        if __name__ == "__main__":
            main()
        '''
    ),
}

FLEETLOG = {
    "README.md": "# fleetlog\n\nTrip logs of the delivery vans. `bin/mileage.py` totals the distance driven.\n",
    "data/trips.csv": source(
        """
        date,vehicle,km
        2024-06-03,van-1,84.2
        2024-06-03,van-2,131.0
        2024-06-04,van-1,57.9
        2024-06-04,van-3,212.4
        2024-06-05,van-2,98.6
        """
    ),
    "bin/mileage.py": source(
        '''
        """Total kilometres per vehicle from a trip log."""

        import argparse
        import csv
        import sys


        def parse_args(argv):
            parser = argparse.ArgumentParser(prog="mileage.py", description=__doc__)
            parser.add_argument("--input", required=True, metavar="CSV", help="trip log with date,vehicle,km")
            parser.add_argument("--vehicle", help="only this vehicle")
            return parser.parse_args(argv)


        def main(argv):
            args = parse_args(argv)
            totals = {}
            with open(args.input, newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    if args.vehicle in (None, row["vehicle"]):
                        totals[row["vehicle"]] = totals.get(row["vehicle"], 0.0) + float(row["km"])
            for vehicle in sorted(totals):
                print(f"{vehicle}: {totals[vehicle]:.1f} km")


        if __name__ == "__main__":
            main(sys.argv[1:])
        '''
    ),
}

# --- a shared helper that adds the CSV's string amounts to an int ------------------------

INVOICER = {
    "invoicer/__init__.py": '"""Monthly invoices for the consulting practice."""\n',
    "invoicer/helpers.py": source(
        '''
        """Formatting shared by the invoice scripts."""


        def format_total(amounts, currency="EUR"):
            """The sum of amounts in cents, as a money string."""
            total = 0
            for amount in amounts:
                total = total + amount
            return f"{total / 100:,.2f} {currency}"
        '''
    ),
    "invoicer/load.py": source(
        '''
        """Read billable lines from the time-tracking export."""

        import csv


        def read_amounts(path):
            with open(path, newline="", encoding="utf-8") as handle:
                return [row["amount_cents"] for row in csv.DictReader(handle)]
        '''
    ),
    "monthly_invoice.py": source(
        '''
        """Print the total of this month's invoice."""

        from invoicer.helpers import format_total
        from invoicer.load import read_amounts

        if __name__ == "__main__":
            amounts = read_amounts("exports/june.csv")
            print("Invoice total:", format_total(amounts))
        '''
    ),
    "exports/june.csv": source(
        """
        client,task,amount_cents
        acme,audit,125000
        acme,report,39900
        globex,workshop,80000
        """
    ),
    "tests/test_helpers.py": source(
        """
        from invoicer.helpers import format_total


        def test_total_of_cents():
            assert format_total([1250, 399]) == "16.49 EUR"


        def test_amounts_read_from_csv():
            assert format_total(["125000", "39900"], currency="USD") == "1,649.00 USD"
        """
    ),
}

STOCKROOM = {
    "stockroom/__init__.py": '"""Stock keeping for the workshop."""\n',
    "stockroom/helpers.py": source(
        '''
        """Helpers shared by the stock scripts."""


        def format_total(quantities, unit="pcs"):
            """The sum of the quantities, with the unit."""
            total = 0
            for quantity in quantities:
                total = total + quantity
            return f"{total} {unit}"
        '''
    ),
    "restock.py": source(
        '''
        """List what to reorder and how much in total."""

        import json

        from stockroom.helpers import format_total

        if __name__ == "__main__":
            with open("data/reorder.json", encoding="utf-8") as handle:
                lines = json.load(handle)
            for line in lines:
                print(f"{line['sku']:<10} {line['qty']:>4}")
            print("Total to reorder:", format_total(line["qty"] for line in lines))
        '''
    ),
    "data/reorder.json": '[{"sku": "BOLT-M6", "qty": "120"}, {"sku": "NUT-M6", "qty": "80"}, '
    '{"sku": "WASHER-6", "qty": "45"}]\n',
    "tests/test_helpers.py": source(
        """
        from stockroom.helpers import format_total


        def test_counts():
            assert format_total([3, 4]) == "7 pcs"


        def test_quantities_from_json_text():
            assert format_total(["120", "80"], unit="boxes") == "200 boxes"
        """
    ),
}

# --- programs that fail until something changes: a missing cache, a wrong escape, no data dir

WEATHERFEED = {
    "README.md": source(
        """
        # weatherfeed

        `build_cache.py` turns the station files in `stations/` into `cache/latest.json`;
        `report.py` prints the daily report from that cache.
        """
    ),
    "stations/oslo.txt": "temp_c=14.5\nwind_ms=6.1\n",
    "stations/bergen.txt": "temp_c=11.0\nwind_ms=9.4\n",
    "build_cache.py": source(
        '''
        """Collect the station readings into cache/latest.json."""

        import json
        import pathlib

        readings = {}
        for path in sorted(pathlib.Path("stations").glob("*.txt")):
            pairs = (line.split("=") for line in path.read_text(encoding="utf-8").split())
            readings[path.stem] = {key: float(value) for key, value in pairs}
        pathlib.Path("cache").mkdir(exist_ok=True)
        pathlib.Path("cache/latest.json").write_text(json.dumps(readings, indent=2), encoding="utf-8")
        print(f"cached {len(readings)} stations")
        '''
    ),
    "report.py": source(
        '''
        """Print the daily weather report from the cached readings."""

        import json

        with open("cache/latest.json", encoding="utf-8") as handle:
            readings = json.load(handle)
        for station, values in sorted(readings.items()):
            print(f"{station:<8} {values['temp_c']:5.1f} C  wind {values['wind_ms']:4.1f} m/s")
        '''
    ),
}

PAGEBUILDER = {
    "pagebuilder/__init__.py": '"""Static pages for the club website."""\n',
    "pagebuilder/render.py": source(
        '''
        """Render page fragments."""


        def render_title(title):
            return f"<h1>{title}</h1>"
        '''
    ),
    "tests/test_render.py": source(
        """
        from pagebuilder.render import render_title


        def test_plain_title():
            assert render_title("Summer fair") == "<h1>Summer fair</h1>"


        def test_markup_in_title_is_escaped():
            assert render_title("Fish & <b>Chips</b>") == "<h1>Fish &amp; &lt;b&gt;Chips&lt;/b&gt;</h1>"
        """
    ),
}

USERDB = {
    "settings.ini": "[database]\npath = var/users.db\n",
    "seed_users.py": source(
        '''
        """Create the users table and add the demo accounts."""

        import configparser
        import sqlite3

        config = configparser.ConfigParser()
        config.read("settings.ini")
        db = sqlite3.connect(config["database"]["path"])
        db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT)")
        db.executemany(
            "INSERT OR REPLACE INTO users VALUES (?, ?)",
            [("ada", "admin"), ("grace", "editor"), ("linus", "viewer")],
        )
        db.commit()
        print("users:", db.execute("SELECT count(*) FROM users").fetchone()[0])
        '''
    ),
}
