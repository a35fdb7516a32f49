"""The learning set's sessions that belong to no recurring failure, and its replay questions.

One-off incidents (a failure no other session shares, fixed or not), harmless sessions (a
non-zero exit or an error-looking result that is not a failure: a search with no match, a
probe answering no, a comparison that finds a difference, nothing to commit, a tool the user
did not allow, a listing of a folder that is not there beside a sibling call) and clean
sessions, over five scratch projects of three sessions each (`learning_repos_other.py`).
`QUERIES` are the replay questions of the whole set, worded as a stuck session would ask;
some have no answer in a Python history.
"""

from __future__ import annotations

from .learning import Entry, FixKind, Query, Role, Truth
from .learning_repos_other import (
    AVERAGE,
    CATALOGUE,
    CHECKSUM,
    CHECKSUM_TESTS,
    CONFLICT,
    ENTRIES_JSON,
    GUARDED,
    LEDGER,
    RESOLVED,
    SALARY,
    SHARE,
    SHELF,
    SITE,
    STATIONS,
    SURVEY,
    UNGUARDED,
    WARMEST,
)
from .scenarios import PYTEST, Outcome, Scenario, bash, edit, read, say, text, turn, write

ENV = "env-missing-variable"
INSTALL = "module-needs-install"
CONFIG = "config-invalid-setting"
TESTS = "edits-tests-not-code"
SRC_LAYOUT = "src-layout-not-importable"
NEEDS_FLAG = "script-needs-flag"
HELPER = "type-error-in-helper"
LOOPS = "loops-same-failing-command"


def _truth(outcome: Outcome, role: Role, project: str, note: str, fix_kind: FixKind | None = None) -> Truth:
    return Truth(outcome, role, project, fix_kind=fix_kind, note=note)


def _ledger() -> list[Entry]:
    run = bash("{python} ledger.py data/entries.json", "Print the balance")
    return [
        Entry(
            Scenario(
                "lx_ledger_incident_bad_json",
                ("What's my balance? `python ledger.py data/entries.json` should print it.",),
                (
                    turn(run),
                    turn(
                        text("The entries file is not valid JSON: a comma is missing before line 4. Let me look."),
                        read("data/entries.json"),
                    ),
                    turn(
                        text("The salary entry on line 3 has no comma after it."),
                        edit("data/entries.json", SALARY + "\n", SALARY + ",\n"),
                    ),
                    turn(run),
                    say("Your balance is 1073.50 EUR over 4 entries. The salary line was missing its comma."),
                ),
                {**LEDGER, "data/entries.json": ENTRIES_JSON.replace(SALARY + ",", SALARY)},
            ),
            _truth("success", "incident", "ledger", "one-off JSONDecodeError in a data file, fixed", "config_edit"),
        ),
        Entry(
            Scenario(
                "lx_ledger_harmless_rename_grep",
                ("Rename fetch_rates to load_rates everywhere; nothing should call the old name afterwards.",),
                (
                    turn(bash('grep -rn "fetch_rates" --include=*.py .', "Find every use of fetch_rates")),
                    turn(
                        text("Five uses in three files. Reading them before editing."),
                        read("rates.py"),
                        read("ledger.py"),
                        read("test_ledger.py"),
                    ),
                    turn(
                        edit("rates.py", "def fetch_rates():", "def load_rates():"),
                        edit("ledger.py", "from rates import fetch_rates", "from rates import load_rates"),
                        edit("ledger.py", "rates or fetch_rates()", "rates or load_rates()"),
                        edit("test_ledger.py", "from rates import fetch_rates", "from rates import load_rates"),
                        edit("test_ledger.py", "assert fetch_rates()", "assert load_rates()"),
                    ),
                    turn(
                        text("Checking that no reference to the old name is left."),
                        bash(
                            'grep -rn "fetch_rates" --include=*.py . && echo "old name still in use"',
                            "Look for the old name",
                        ),
                    ),
                    turn(text("grep found nothing, as intended. Running the tests."), bash(PYTEST, "Run the tests")),
                    say("Renamed fetch_rates to load_rates in rates.py, ledger.py and the tests; both tests pass."),
                ),
                LEDGER,
            ),
            _truth("success", "harmless", "ledger", "grep with no match confirms the rename (exit 1, not a failure)"),
        ),
        Entry(
            Scenario(
                "lx_ledger_clean_empty_test",
                ("Add a test that balance() of no entries is zero.",),
                (
                    turn(read("test_ledger.py")),
                    turn(
                        edit(
                            "test_ledger.py",
                            "def test_rates_include_euro():",
                            "def test_balance_of_nothing_is_zero():\n    assert balance([]) == 0\n\n\n"
                            "def test_rates_include_euro():",
                        )
                    ),
                    turn(bash(PYTEST, "Run the tests")),
                    say("Added test_balance_of_nothing_is_zero; all three tests pass without a code change."),
                ),
                LEDGER,
            ),
            _truth("success", "clean", "ledger", "one test added, suite passes"),
        ),
    ]


def _stations() -> list[Entry]:
    golden = {**STATIONS, "expected_report.txt": "harbour: 11.9 C over 2 readings\nhilltop: 7.2 C over 3 readings\n"}
    return [
        Entry(
            Scenario(
                "lx_stations_incident_zero_division",
                ("Produce this month's station report from readings.csv.",),
                (
                    turn(bash("{python} report.py readings.csv", "Build the report")),
                    turn(
                        text("ZeroDivisionError inside average(): some station has no temperatures. Checking inputs."),
                        read("stations.txt"),
                        read("readings.csv"),
                    ),
                    turn(
                        text(
                            "The airport station is listed but has no readings this month, so average() gets an "
                            "empty list. The report should say so instead of dividing by zero."
                        ),
                        read("report.py"),
                    ),
                    turn(edit("report.py", UNGUARDED, GUARDED)),
                    turn(bash("{python} report.py readings.csv && " + PYTEST, "Build the report and run the tests")),
                    say(
                        "Report: harbour 11.9 C (2 readings), hilltop 7.2 C (3 readings), airport: no readings. "
                        "A station without readings used to crash the report with a division by zero; it is now "
                        "listed as having none."
                    ),
                ),
                {**golden, "stations.txt": "harbour\nhilltop\nairport\n"},
            ),
            _truth(
                "success", "incident", "station-report", "one-off ZeroDivisionError in a report, fixed", "source_edit"
            ),
        ),
        Entry(
            Scenario(
                "lx_stations_harmless_golden_diff",
                (
                    "I switched the report to one decimal place. Refresh expected_report.txt to match and "
                    "show me what changes.",
                ),
                (
                    turn(
                        bash(
                            "{python} report.py readings.csv > report_new.txt"
                            " && cmp expected_report.txt report_new.txt",
                            "Build the report and compare it with the golden file",
                        )
                    ),
                    turn(
                        text("They differ from the first number on, as expected after the format change. The lines:"),
                        bash("diff expected_report.txt report_new.txt", "Show the differences"),
                    ),
                    turn(
                        text(
                            "Both lines go from two decimals to one (11.88 to 11.9, 7.17 to 7.2) and nothing else "
                            "changes. Replacing the golden file."
                        ),
                        bash(
                            "mv report_new.txt expected_report.txt && " + PYTEST, "Replace the golden file, run tests"
                        ),
                    ),
                    say(
                        "expected_report.txt now holds the one-decimal report (harbour 11.9, hilltop 7.2) and "
                        "both tests pass."
                    ),
                ),
                STATIONS,
            ),
            _truth("success", "harmless", "station-report", "diff showing the intended difference (exit 1)"),
        ),
        Entry(
            Scenario(
                "lx_stations_clean_warmest",
                ("Add a warmest(rows) function to report.py that names the station with the highest mean, tested.",),
                (
                    turn(read("report.py"), read("test_report.py")),
                    turn(
                        edit("report.py", AVERAGE, AVERAGE + WARMEST),
                    ),
                    turn(
                        edit(
                            "test_report.py",
                            "from report import average, load, report",
                            "from report import average, load, report, warmest",
                        ),
                        edit(
                            "test_report.py",
                            "def test_report_matches",
                            'def test_warmest():\n    assert warmest(load("readings.csv")) == "harbour"\n\n\n'
                            "def test_report_matches",
                        ),
                    ),
                    turn(bash(PYTEST, "Run the tests")),
                    say("Added warmest(rows) with a test (harbour is warmest in the sample); all tests pass."),
                ),
                golden,
            ),
            _truth("success", "clean", "station-report", "new function and test, suite passes"),
        ),
    ]


def _site() -> list[Entry]:
    syntax = bash('bash -n deploy.sh && echo "syntax ok"', "Check the script's syntax")
    return [
        Entry(
            Scenario(
                "lx_site_harmless_no_shellcheck",
                ("Look over deploy.sh for problems before I run it on the server.",),
                (
                    turn(bash("command -v shellcheck", "Is shellcheck installed?")),
                    turn(
                        text("shellcheck is not installed here, so I'll use bash's own syntax check and read it."),
                        syntax,
                        read("deploy.sh"),
                    ),
                    turn(
                        text(
                            "The syntax is fine. One real problem: $TARGET is unquoted in mkdir and cp, so a target "
                            "path with a space would split into two arguments. Quoting both."
                        ),
                        edit(
                            "deploy.sh",
                            "mkdir -p $TARGET\ncp -r public/. $TARGET/",
                            'mkdir -p "$TARGET"\ncp -r public/. "$TARGET/"',
                        ),
                    ),
                    turn(syntax),
                    say(
                        "deploy.sh parses cleanly. I quoted $TARGET in mkdir and cp so paths with spaces work; "
                        "shellcheck is not installed, so that was checked with `bash -n` and by reading."
                    ),
                ),
                SITE,
            ),
            _truth("success", "harmless", "site-deploy", "command -v probe answering no (exit 1)"),
        ),
        Entry(
            Scenario(
                "lx_site_harmless_config_probe",
                ("Make a local config.ini from the example, unless one exists already, and check app.py takes it.",),
                (
                    turn(
                        bash("test -f config.ini && echo 'config.ini exists'", "Is there a config.ini?"),
                        bash("[ -e .env ] && cat .env", "Is there a .env overriding settings?"),
                    ),
                    turn(
                        text("Neither config.ini nor .env exists, so nothing gets overwritten. Copying the example."),
                        bash("cp config.example.ini config.ini && {python} app.py", "Create config.ini and check it"),
                    ),
                    say("Created config.ini from the example; app.py reads host 127.0.0.1, port 8000, debug off."),
                ),
                SITE,
            ),
            _truth("success", "harmless", "site-deploy", "test -f and [ -e ] probes answering no (exit 1)"),
        ),
        Entry(
            Scenario(
                "lx_site_harmless_nothing_to_commit",
                ("I bumped version.py to 1.4.0, can you commit that with a sensible message?",),
                (
                    turn(bash('git add version.py && git commit -m "Bump version to 1.4.0"', "Commit the bump")),
                    turn(
                        text("Git has nothing to commit. Checking what the last commit holds."),
                        bash("git log --oneline -1 && git show HEAD:version.py", "Show the last commit's version.py"),
                    ),
                    say(
                        "There was nothing left to commit: version.py already says 1.4.0 in the latest commit, "
                        "so the bump is committed."
                    ),
                ),
                SITE,
            ),
            _truth("success", "harmless", "site-deploy", "git commit with nothing to commit (exit 1)"),
        ),
    ]


def _shelf() -> list[Entry]:
    return [
        Entry(
            Scenario(
                "lx_shelf_incident_merge_marker",
                ("The catalogue tests broke right after I merged feature/isbn-spaces. Please sort it out.",),
                (
                    turn(bash(PYTEST, "Run the tests")),
                    turn(
                        text(
                            "Collection stops with an IndentationError at line 10 of catalogue.py, which is a "
                            "`<<<<<<< HEAD` line: a merge conflict was left in the file."
                        ),
                        read("catalogue.py"),
                    ),
                    turn(
                        text(
                            "The conflict is in normalise(). The feature branch strips spaces as well as dashes, "
                            "which is what the branch was for, so I keep its side."
                        ),
                        edit("catalogue.py", CONFLICT, RESOLVED),
                    ),
                    turn(
                        bash(r'grep -rn "^<<<<<<<\|^>>>>>>>" --include=*.py .', "Look for other conflict markers"),
                    ),
                    turn(text("No other markers. Running the tests again."), bash(PYTEST, "Run the tests")),
                    say("A merge conflict marker was left in catalogue.py; I kept the feature side. Tests pass."),
                ),
                {**SHELF, "catalogue.py": CATALOGUE.replace(RESOLVED, CONFLICT)},
            ),
            _truth(
                "success", "incident", "shelf", "one-off SyntaxError from a merge conflict marker, fixed", "source_edit"
            ),
        ),
        Entry(
            Scenario(
                "lx_shelf_harmless_write_declined",
                ("Add an ISBN-13 checksum check, is_valid_isbn13, with tests.",),
                (
                    turn(
                        text("I'll put the validator in its own module."),
                        write(
                            "isbn.py",
                            '"""ISBN helpers."""\n' + CHECKSUM.replace("normalise(isbn)", 'isbn.replace("-", "")'),
                        ),
                    ),
                    turn(
                        text(
                            "Creating new files is not allowed in this session, so I'll add the function to "
                            "catalogue.py instead, where normalise() already lives."
                        ),
                        read("catalogue.py"),
                        read("test_catalogue.py"),
                    ),
                    turn(
                        edit(
                            "catalogue.py",
                            '    return BOOKS.get(normalise(isbn), "unknown")\n',
                            '    return BOOKS.get(normalise(isbn), "unknown")\n' + CHECKSUM,
                        ),
                        edit(
                            "test_catalogue.py",
                            "from catalogue import normalise, title_for",
                            "from catalogue import is_valid_isbn13, normalise, title_for",
                        ),
                    ),
                    turn(
                        edit(
                            "test_catalogue.py",
                            '    assert title_for("978-0-14-143951-8") == "Pride and Prejudice"\n',
                            '    assert title_for("978-0-14-143951-8") == "Pride and Prejudice"\n' + CHECKSUM_TESTS,
                        )
                    ),
                    turn(bash(PYTEST, "Run the tests")),
                    say("is_valid_isbn13 is in catalogue.py (new files were not allowed) with a test; all tests pass."),
                ),
                SHELF,
                allowed_tools=("Bash", "Read", "Edit"),
            ),
            _truth("success", "harmless", "shelf", "Write refused because it is not an allowed tool; done with Edit"),
        ),
        Entry(
            Scenario(
                "lx_shelf_harmless_parallel_listing",
                ("Clear out old build leftovers, then check the tests still pass.",),
                (
                    turn(
                        text("Checking which build folders exist and what git ignores."),
                        bash("ls -d build dist", "List build folders"),
                        bash("git status --short --ignored", "Show ignored files"),
                    ),
                    turn(
                        text("There is a stale build/ (ignored by git) and no dist/. Removing build/."),
                        bash("rm -rf build && " + PYTEST, "Remove build/ and run the tests"),
                    ),
                    say("Removed the stale build/ folder (there was no dist/); both tests pass."),
                ),
                {**SHELF, "build/lib/catalogue.py": CATALOGUE},
            ),
            _truth("success", "harmless", "shelf", "ls of a missing dist/ beside a sibling call; the cleanup goes on"),
        ),
    ]


def _survey() -> list[Entry]:
    return [
        Entry(
            Scenario(
                "lx_survey_incident_typo_path",
                ("Run summarize.py on the survey data and give me the satisfaction breakdown.",),
                (
                    turn(bash("{python} summarize.py", "Summarise the survey")),
                    turn(
                        text("Python cannot open summarize.py. Listing the scripts."), bash("ls *.py", "List scripts")
                    ),
                    turn(
                        text("The script is spelt summarise.py, with an s; running that one."),
                        bash("{python} summarise.py", "Summarise the survey"),
                    ),
                    say("Satisfaction: high 3, medium 1, low 1. (The script is summarise.py, not summarize.py.)"),
                ),
                SURVEY,
            ),
            _truth("success", "incident", "survey", "one-off mis-typed script path (can't open file), fixed"),
        ),
        Entry(
            Scenario(
                "lx_survey_incident_missing_table",
                ("How many responses per country? by_country.py should tell you.",),
                (
                    turn(bash("{python} by_country.py", "Count responses per country")),
                    turn(
                        text("sqlite3 says there is no responses table. Checking what survey.db holds."),
                        bash(
                            'ls -l survey.db && {python} -c "import sqlite3; print(sqlite3.connect('
                            "'survey.db').execute('select name from sqlite_master').fetchall())\"",
                            "Inspect the database",
                        ),
                    ),
                    turn(
                        text("The database is empty: connecting created it. Is the schema anywhere in the repo?"),
                        bash('grep -rn "CREATE TABLE" .', "Look for a schema"),
                    ),
                    turn(
                        text(
                            "Nothing here creates the table, so the import job lives elsewhere. "
                            "Removing the empty file."
                        ),
                        bash("rm survey.db", "Remove the empty database"),
                    ),
                    say(
                        "I couldn't count them: survey.db has no responses table. Running by_country.py only "
                        "created an empty database (now removed), and nothing in this repo creates the schema. "
                        "Could you point me at the import job or a copy of the filled database?"
                    ),
                ),
                SURVEY,
            ),
            _truth("failure", "incident", "survey", "one-off sqlite3 'no such table', not fixed (data missing)"),
        ),
        Entry(
            Scenario(
                "lx_survey_clean_share",
                ("I need the percentage for one rating too: add share(counts, answer) next to summarise(), tested.",),
                (
                    turn(read("summarise.py"), read("test_summarise.py")),
                    turn(
                        edit(
                            "summarise.py",
                            '\n\nif __name__ == "__main__":',
                            SHARE.rstrip("\n") + '\n\n\nif __name__ == "__main__":',
                        ),
                        edit(
                            "test_summarise.py",
                            "from summarise import summarise",
                            "from collections import Counter\n\nfrom summarise import share, summarise",
                        ),
                    ),
                    turn(
                        edit(
                            "test_summarise.py",
                            '    assert counts["high"] == 3 and counts["low"] == 1\n',
                            '    assert counts["high"] == 3 and counts["low"] == 1\n\n\n'
                            "def test_share_is_a_percentage():\n"
                            '    assert share(Counter(high=3, low=1), "high") == 75.0\n'
                            '    assert share(Counter(), "high") == 0.0\n',
                        )
                    ),
                    turn(bash(PYTEST, "Run the tests")),
                    say(
                        "Added share(counts, answer): a percentage rounded to one decimal, 0 when there are no "
                        "answers. Tests pass."
                    ),
                ),
                SURVEY,
            ),
            _truth("success", "clean", "survey", "new helper and test, suite passes"),
        ),
    ]


ENTRIES: tuple[Entry, ...] = (*_ledger(), *_stations(), *_site(), *_shelf(), *_survey())


def _traceback(where: str, line: str, error: str) -> str:
    return f'Traceback (most recent call last):\n  File "{where}", line 7, in <module>\n    {line}\n{error}'


# Replay questions as a stuck session words them, in other words than the sessions use; the
# error text is what it would paste. The last four come from other toolchains: nothing in a
# Python history answers them.
QUERIES: tuple[Query, ...] = (
    Query(
        "The billing job dies on launch: it cannot find the Postgres connection setting it expects from the shell.",
        ENV,
        _traceback("billing/job.py", 'DSN = os.environ["DATABASE_URL"]', "KeyError: 'DATABASE_URL'"),
    ),
    Query(
        "The test run aborts while importing the app settings; the database address variable is undefined.",
        ENV,
        "ImportError while loading conftest '/home/dev/shop/tests/conftest.py'.\n"
        "shop/settings.py:5: in <module>\n    DATABASE = os.environ['DATABASE_URL']\nE   KeyError: 'DATABASE_URL'",
    ),
    Query(
        "A helper library that ships inside the repository's vendor folder cannot be imported by the converter.",
        INSTALL,
        _traceback("convert.py", "from slugkit import slugify", "ModuleNotFoundError: No module named 'slugkit'"),
    ),
    Query(
        "The log forwarder refuses to start: the verbosity in its settings file is not a value it accepts.",
        CONFIG,
        "ValueError: unknown log level 'verbose' (expected one of: debug, info, warning, error)",
    ),
    Query(
        "After someone edited the JSON settings, the sync tool stops at startup over its logging option.",
        CONFIG,
        _traceback(
            "feedsync.py",
            "settings = load_settings()",
            "ValueError: unknown log level 'chatty' (expected one of: debug, info, warning, error)",
        ),
    ),
    Query(
        "A unit test about where the volume discount tier begins is red; is the expectation wrong or the code?",
        TESTS,
        "FAILED tests/test_tiers.py::test_volume_discount_from_fifty - assert 100.0 == 95.0\n1 failed, 4 passed",
    ),
    Query(
        "pytest stops while collecting: it cannot import my own package, whose code sits under a src directory.",
        SRC_LAYOUT,
        "ImportError while importing test module '/work/billing/tests/test_invoice.py'.\n"
        "tests/test_invoice.py:1: in <module>\n    from billing.invoice import total\n"
        "E   ModuleNotFoundError: No module named 'billing'",
    ),
    Query(
        "The export summary script quits straight away, printing its usage line; it wants a mandatory option.",
        NEEDS_FLAG,
        "usage: export_totals.py [-h] --input INPUT [--since SINCE]\n"
        "export_totals.py: error: the following arguments are required: --input",
    ),
    Query(
        "Totalling the amounts read from the CSV blows up inside the shared money-formatting helper.",
        HELPER,
        '  File "reports/money.py", line 6, in format_total\n    total += amount\n'
        "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
    ),
    Query(
        "Every retry of the fixture loader fails the same way: sqlite cannot open the database file.",
        LOOPS,
        _traceback(
            "load_fixtures.py",
            "db = sqlite3.connect(DB_PATH)",
            "sqlite3.OperationalError: unable to open database file",
        ),
    ),
    Query(
        "Rerunning the page rendering tests keeps giving the same failure: HTML in a heading is not escaped.",
        LOOPS,
        "FAILED tests/test_pages.py::test_heading_escapes_markup - AssertionError: "
        "assert '<h2>Salt & <i>Vinegar</i></h2>' == '<h2>Salt &amp; &lt;i&gt;Vinegar&lt;/i&gt;</h2>'",
    ),
    Query(
        "cargo build rejects my loop that pushes onto a vector while iterating over it.",
        None,
        "error[E0502]: cannot borrow `items` as mutable because it is also borrowed as immutable\n --> src/main.rs:7:9",
    ),
    Query(
        "docker compose up fails before any container starts; the engine seems unreachable.",
        None,
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    ),
    Query(
        "The React front end cannot call the local API: the browser console blocks the request.",
        None,
        "Access to fetch at 'http://localhost:8000/api/items' from origin 'http://localhost:3000' has been "
        "blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    ),
    Query(
        "After the deploy the api pod restarts over and over and never becomes ready.",
        None,
        "NAME                  READY   STATUS             RESTARTS      AGE\n"
        "api-7d9f8b6c5-x2kqp   0/1     CrashLoopBackOff   6 (32s ago)   7m\n"
        "Back-off restarting failed container api in pod api-7d9f8b6c5-x2kqp_default",
    ),
)
