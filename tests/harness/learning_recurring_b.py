"""Recurring failures of the learning set, second batch: imports, flags, a helper, a loop.

Four failures recur across sessions of several scratch projects (`learning_repos_b.py`):
tests that cannot import a package kept under `src/`, a script run without the `--input`
its argparse requires, a shared `format_total` that adds CSV text to an int, and the
behaviour of re-running a failing command unchanged. Failing sessions circle the error
in different ways and end with it still there (or claim success anyway); fixing sessions
hit the same error and fix it, each in its own form with the same content. The loop's
contrast sessions read the first error and change something. The helper and loop
sessions are in `learning_helper_loop_b.py`; `ENTRIES` gathers the whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping

from .fake_api import Reply
from .learning import Entry, Recurring, Truth
from .learning_helper_loop_b import HELPER_TYPE_ERROR, LOOPS, helper_entries, loop_entries
from .learning_repos_b import FLEETLOG, NOTEKEEPER, SALESDASH, SHIPCALC
from .scenarios import PYTEST, Scenario, bash, edit, read, say, text, turn

SRC_LAYOUT = "src-layout-not-importable"
NEEDS_FLAG = "script-needs-flag"

RECURRING: tuple[Recurring, ...] = (
    Recurring(
        SRC_LAYOUT,
        "error",
        "the package sits under src/, so pytest stops at collection with ModuleNotFoundError for it; "
        "fixed by putting src on PYTHONPATH (or `pythonpath` in the pytest config)",
    ),
    Recurring(
        NEEDS_FLAG,
        "error",
        "a command-line script exits with argparse's 'the following arguments are required: --input'; "
        "fixed by passing --input with the data file",
    ),
    Recurring(
        HELPER_TYPE_ERROR,
        "error",
        "a shared format_total adds string amounts to an int (TypeError: unsupported operand type(s) "
        "for +: 'int' and 'str'); fixed by converting the values inside the helper",
    ),
    Recurring(
        LOOPS,
        "behaviour",
        "the same failing command is re-run three or more times with nothing changed in between, "
        "whatever its error; contrast sessions read the first error and change something",
    ),
)


def _session(name: str, prompt: str, files: Mapping[str, str], *replies: Reply) -> Scenario:
    return Scenario(name, (prompt,), replies, files)


# --- src layout ---------------------------------------------------------------------------


def _src_layout() -> list[Entry]:
    return [
        Entry(
            _session(
                "rb_srclayout_stuck_flags",
                "Run the shipcalc tests and check that the EU parcel rates come out right.",
                SHIPCALC,
                turn(text("Running the test suite first."), bash(PYTEST, "Run the test suite")),
                turn(
                    text("Both test modules fail during collection. Stopping at the first error to see it whole."),
                    bash(PYTEST + " -x", "Run the tests, stop at the first failure"),
                ),
                turn(
                    text("Let me narrow it down to the EU rate test only."),
                    bash(PYTEST + " -k eu tests/test_rates.py", "Run only the EU rate tests"),
                ),
                turn(text("Still a collection error. Looking at the test's import."), read("tests/test_rates.py")),
                say(
                    "I couldn't get the tests to run: every test module stops at collection with "
                    "`ModuleNotFoundError: No module named 'shipcalc'`, even when selecting only the EU "
                    "test. The import in the tests looks right, so the EU rates are unverified."
                ),
            ),
            Truth("failure", "failing", "shipcalc", SRC_LAYOUT, note="pytest retried with -x and -k; never imports"),
        ),
        Entry(
            _session(
                "rb_srclayout_fixed_inline_env",
                "The test run for shipcalc is broken, can you get it green?",
                SHIPCALC,
                turn(bash(PYTEST, "Run the test suite")),
                turn(
                    text(
                        "The tests do `from shipcalc.rates import ...`, but the package lives in "
                        "src/shipcalc, and src/ is not on sys.path. Let me confirm the layout."
                    ),
                    bash("ls src src/shipcalc", "List the source tree"),
                ),
                turn(
                    text("Putting src on PYTHONPATH for the run so `shipcalc` resolves."),
                    bash("PYTHONPATH=src " + PYTEST, "Run the tests with src on the path"),
                ),
                say(
                    "All 5 tests pass. The package is under src/, which Python doesn't search by default; "
                    "run the suite as `PYTHONPATH=src python -m pytest -q`."
                ),
            ),
            Truth("success", "fixing", "shipcalc", SRC_LAYOUT, "env_var", ("PYTHONPATH=src",), "inline variable"),
        ),
        Entry(
            _session(
                "rb_srclayout_fixed_pytest_config",
                "Make `python -m pytest` work out of the box for shipcalc; right now it errors before running.",
                SHIPCALC,
                turn(bash(PYTEST, "Run the test suite")),
                turn(
                    text(
                        "Collection fails with No module named 'shipcalc': the code is in src/shipcalc "
                        "and nothing adds src/ to the import path. Checking the pytest configuration."
                    ),
                    read("pyproject.toml"),
                ),
                turn(
                    text("pytest can add src/ to sys.path itself with the `pythonpath` setting."),
                    edit(
                        "pyproject.toml",
                        'testpaths = ["tests"]\n',
                        'testpaths = ["tests"]\npythonpath = ["src"]\n',
                    ),
                ),
                turn(bash(PYTEST, "Run the test suite")),
                say(
                    'Added `pythonpath = ["src"]` under `[tool.pytest.ini_options]` in pyproject.toml; '
                    "plain `python -m pytest -q` now finds the package and all 5 tests pass."
                ),
            ),
            Truth(
                "success", "fixing", "shipcalc", SRC_LAYOUT, "config_edit", ('pythonpath = ["src"]',), "pytest config"
            ),
        ),
        Entry(
            _session(
                "rb_srclayout_stuck_edit_imports",
                "test_store.py won't run. Please sort it out.",
                NOTEKEEPER,
                turn(bash("{python} -m pytest -q tests/test_store.py", "Run the store tests")),
                turn(text("No module named 'notekeeper'. Looking at the test's imports."), read("tests/test_store.py")),
                turn(
                    text("The package is at src/notekeeper, so I'll import it through src in the test."),
                    edit(
                        "tests/test_store.py",
                        "from notekeeper.store import NoteStore",
                        "from src.notekeeper.store import NoteStore",
                    ),
                ),
                turn(bash("{python} -m pytest -q tests/test_store.py", "Run the store tests")),
                turn(
                    text("Now store.py itself fails on `from notekeeper.tags import ...`."),
                    read("src/notekeeper/store.py"),
                ),
                say(
                    "test_store.py still fails with `ModuleNotFoundError: No module named 'notekeeper'`. "
                    "Changing the test's import to `src.notekeeper` got one step further, but the package "
                    "imports itself by name, so every module would need rewriting. I've stopped here."
                ),
            ),
            Truth("failure", "failing", "notekeeper", SRC_LAYOUT, note="edits the test import; package still unfound"),
        ),
        Entry(
            _session(
                "rb_srclayout_stuck_import_mode",
                "Run the notekeeper unit tests and tell me if tagging works.",
                NOTEKEEPER,
                turn(bash(PYTEST, "Run the unit tests")),
                turn(
                    text("Collection errors. pytest's importlib import mode sometimes helps with layouts."),
                    bash(PYTEST + " --import-mode=importlib", "Run the tests in importlib mode"),
                ),
                turn(
                    text("Same error. Trying the tag tests on their own."),
                    bash("{python} -m pytest -q tests/test_tags.py -p no:cacheprovider", "Run the tag tests"),
                ),
                say(
                    "The tests can't run here: pytest reports `No module named 'notekeeper'` for every "
                    "module, in both import modes. It looks like an environment problem rather than a "
                    "bug in tagging, so I can't say whether tagging works."
                ),
            ),
            Truth("failure", "failing", "notekeeper", SRC_LAYOUT, note="import-mode and single-file retries"),
        ),
        Entry(
            _session(
                "rb_srclayout_fixed_export",
                "Check that the notekeeper tests pass before I tag a release.",
                NOTEKEEPER,
                turn(bash(PYTEST, "Run the test suite")),
                turn(
                    text("The tests can't import notekeeper. setup.cfg maps packages to src/; let me check."),
                    read("setup.cfg"),
                ),
                turn(
                    text(
                        "Yes, `package_dir = = src`: the package is only importable when installed or when "
                        "src/ is on the path. Exporting PYTHONPATH=src for the test run."
                    ),
                    bash("export PYTHONPATH=src && " + PYTEST, "Run the tests with PYTHONPATH=src"),
                ),
                say(
                    "With `export PYTHONPATH=src` the suite collects and all 3 tests pass; the earlier "
                    "failure was only the src/ layout, not the code. Good to tag."
                ),
            ),
            Truth("success", "fixing", "notekeeper", SRC_LAYOUT, "env_var", ("PYTHONPATH=src",), "exported variable"),
        ),
    ]


# --- a script that requires --input --------------------------------------------------------


def _needs_flag() -> list[Entry]:
    return [
        Entry(
            _session(
                "rb_flag_stuck_positional",
                "Print the regional sales summary (scripts/summarize.py).",
                SALESDASH,
                turn(bash("{python} scripts/summarize.py", "Print the sales summary")),
                turn(
                    text("It wants the input file. The export is data/in.csv; passing it along."),
                    bash("{python} scripts/summarize.py data/in.csv", "Summarize data/in.csv"),
                ),
                turn(
                    text("Maybe it reads the file name from the environment."),
                    bash("INPUT=data/in.csv {python} scripts/summarize.py", "Summarize with INPUT set"),
                ),
                turn(
                    text("Or from standard input."),
                    bash("{python} scripts/summarize.py < data/in.csv", "Pipe the CSV into the script"),
                ),
                say(
                    "The script exits every time with `error: the following arguments are required: "
                    "--input`, whether the CSV is passed as an argument, an environment variable or on "
                    "stdin. I couldn't produce the summary."
                ),
            ),
            Truth("failure", "failing", "salesdash", NEEDS_FLAG, note="positional, env and stdin; never the flag"),
        ),
        Entry(
            _session(
                "rb_flag_claims_done",
                "Run the sales summary script from the README for me.",
                SALESDASH,
                turn(read("README.md")),
                turn(
                    text("The README says to run `python scripts/summarize.py`."),
                    bash("{python} scripts/summarize.py 2>&1 | head -20", "Run the summary"),
                ),
                say(
                    "Done: I ran `python scripts/summarize.py` as the README describes and the command "
                    "completed successfully."
                ),
            ),
            Truth("failure", "failing", "salesdash", NEEDS_FLAG, note="hides the usage error and claims success"),
        ),
        Entry(
            _session(
                "rb_flag_fixed_input",
                "Show me the top sales regions from the latest export.",
                SALESDASH,
                turn(bash("{python} scripts/summarize.py", "Run the sales summary")),
                turn(
                    text("argparse says --input is required. The export in the repo is data/in.csv."),
                    bash("{python} scripts/summarize.py --input data/in.csv", "Summarize data/in.csv"),
                ),
                say(
                    "Top regions: east 1530.25, north 1510.50, south 1200.00. The script needs "
                    "`--input data/in.csv`; the README's command omits it."
                ),
            ),
            Truth("success", "fixing", "salesdash", NEEDS_FLAG, "command_flag", ("--input",), "passes --input"),
        ),
        Entry(
            _session(
                "rb_flag_stuck_vehicle",
                "How many km did van-2 drive? Use bin/mileage.py.",
                FLEETLOG,
                turn(bash("{python} bin/mileage.py", "Total the mileage")),
                turn(
                    text("Filtering on the vehicle should be enough."),
                    bash("{python} bin/mileage.py --vehicle van-2", "Mileage of van-2"),
                ),
                turn(
                    text("Let me feed it the trip log on stdin."),
                    bash("cat data/trips.csv | {python} bin/mileage.py --vehicle van-2", "Pipe the trip log"),
                ),
                turn(bash("{python} bin/mileage.py -i data/trips.csv", "Try a short option for the log")),
                say(
                    "bin/mileage.py refuses to run: `error: the following arguments are required: --input`. "
                    "I couldn't get the distance for van-2."
                ),
            ),
            Truth("failure", "failing", "fleetlog", NEEDS_FLAG, note="--vehicle, stdin and -i; never --input"),
        ),
        Entry(
            _session(
                "rb_flag_fixed_after_help",
                "Total the kilometres per van from the trip log.",
                FLEETLOG,
                turn(bash("{python} bin/mileage.py", "Total the mileage")),
                turn(
                    text("It needs an --input argument. Checking the options before guessing."),
                    bash("{python} bin/mileage.py --help", "Show the script's options"),
                ),
                turn(
                    text("--input takes the CSV trip log, which is data/trips.csv."),
                    bash("{python} bin/mileage.py --input=data/trips.csv", "Total the trip log"),
                ),
                say("van-1: 142.1 km, van-2: 229.6 km, van-3: 212.4 km (run with `--input=data/trips.csv`)."),
            ),
            Truth("success", "fixing", "fleetlog", NEEDS_FLAG, "command_flag", ("--input",), "reads --help first"),
        ),
        Entry(
            _session(
                "rb_flag_fixed_with_filter",
                "What's van-2's distance this week according to the trip log?",
                FLEETLOG,
                turn(bash("{python} bin/mileage.py --vehicle van-2", "Mileage of van-2")),
                turn(
                    text("The filter alone isn't enough: the trip log must be given with --input."),
                    bash(
                        "{python} bin/mileage.py --input data/trips.csv --vehicle van-2",
                        "Mileage of van-2 from data/trips.csv",
                    ),
                ),
                say("van-2 drove 229.6 km (131.0 on the 3rd and 98.6 on the 5th)."),
            ),
            Truth(
                "success", "fixing", "fleetlog", NEEDS_FLAG, "command_flag", ("--input",), "adds --input to a filter"
            ),
        ),
    ]


ENTRIES: tuple[Entry, ...] = (*_src_layout(), *_needs_flag(), *helper_entries(), *loop_entries())
