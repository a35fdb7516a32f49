"""Sessions of the learning set's second batch that fail inside the code or by repetition.

`type-error-in-helper`: a shared `format_total` adds text read from a CSV or JSON file to an
int; fixing sessions convert the values inside the helper, failing ones patch callers or
look elsewhere. `loops-same-failing-command`: failing sessions re-run one failing command
unchanged, each project with its own error; contrast sessions read the first error and
change something. The batch's other sessions and its `ENTRIES` are in
`learning_recurring_b.py`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .fake_api import Reply
from .learning import Entry, Truth
from .learning_repos_b import INVOICER, PAGEBUILDER, STOCKROOM, USERDB, WEATHERFEED
from .scenarios import PYTEST, Scenario, bash, edit, read, say, text, turn

HELPER_TYPE_ERROR = "type-error-in-helper"
LOOPS = "loops-same-failing-command"


def _session(name: str, prompt: str, files: Mapping[str, str], *replies: Reply) -> Scenario:
    return Scenario(name, (prompt,), replies, files)


# --- a shared helper that adds strings to an int ----------------------------------------------

_INVOICE = "{python} monthly_invoice.py"
_RESTOCK = "{python} restock.py"


def helper_entries() -> list[Entry]:
    return [
        Entry(
            _session(
                "rb_helper_caller_converted",
                "monthly_invoice.py crashes and the helper tests fail. Fix both please.",
                INVOICER,
                turn(bash(_INVOICE, "Run the monthly invoice")),
                turn(
                    text("format_total receives the amounts as strings from the CSV. Reading the script."),
                    read("monthly_invoice.py"),
                ),
                turn(
                    text("I'll convert the amounts to integers in the script before totalling them."),
                    edit(
                        "monthly_invoice.py",
                        'amounts = read_amounts("exports/june.csv")',
                        'amounts = [int(a) for a in read_amounts("exports/june.csv")]',
                    ),
                ),
                turn(bash(_INVOICE, "Run the monthly invoice")),
                turn(bash(PYTEST, "Run the test suite")),
                say(
                    "The invoice script works now (2,449.00 EUR). test_amounts_read_from_csv still fails "
                    "with `TypeError: unsupported operand type(s) for +: 'int' and 'str'` because it "
                    "passes strings to format_total directly; that test needs looking at."
                ),
            ),
            Truth("partial", "failing", "invoicer", HELPER_TYPE_ERROR, note="converts in the caller only"),
        ),
        Entry(
            _session(
                "rb_helper_stuck_cache",
                "Why does the invoice total blow up? I need this month's figure.",
                INVOICER,
                turn(bash(_INVOICE, "Run the monthly invoice")),
                turn(
                    text("The TypeError is raised inside format_total. Let me look at the export data."),
                    bash("head -4 exports/june.csv", "Show the start of the export"),
                ),
                turn(
                    text("The amounts are plain numbers, so the data is fine. Stale bytecode, perhaps."),
                    bash("find . -name __pycache__ -prune -exec rm -rf {} + && " + _INVOICE, "Clear caches, rerun"),
                ),
                turn(bash(PYTEST + " -x", "Run the tests")),
                say(
                    "I couldn't find the cause. The invoice still fails with `TypeError: unsupported "
                    "operand type(s) for +: 'int' and 'str'` in format_total, and so does one helper test, "
                    "although the export's amounts look numeric."
                ),
            ),
            Truth("failure", "failing", "invoicer", HELPER_TYPE_ERROR, note="checks data, clears caches, retries"),
        ),
        Entry(
            _session(
                "rb_helper_fixed_int",
                "The monthly invoice script errors out. Please fix it properly.",
                INVOICER,
                turn(bash(_INVOICE, "Run the monthly invoice")),
                turn(text("The error is in the shared helper; reading it."), read("invoicer/helpers.py")),
                turn(
                    text(
                        "read_amounts returns the CSV's text, and format_total adds it to an int. Every "
                        "caller can pass text, so the helper should convert each amount itself."
                    ),
                    edit("invoicer/helpers.py", "total = total + amount", "total = total + int(amount)"),
                ),
                turn(bash(_INVOICE + " && " + PYTEST, "Run the invoice and the tests")),
                say(
                    "format_total now converts each amount with int(), so text from the CSV works: the "
                    "invoice totals 2,449.00 EUR and both helper tests pass."
                ),
            ),
            Truth("success", "fixing", "invoicer", HELPER_TYPE_ERROR, "source_edit", ("int(",), "int() in the helper"),
        ),
        Entry(
            _session(
                "rb_helper_filter_claims_done",
                "restock.py crashes at the end. Can you make it run?",
                STOCKROOM,
                turn(bash(_RESTOCK, "Run the restock report")),
                turn(text("The total fails. Reading the script."), read("restock.py")),
                turn(
                    text("Some quantities are strings, which format_total can't add. Skipping those."),
                    edit(
                        "restock.py",
                        'format_total(line["qty"] for line in lines)',
                        'format_total(line["qty"] for line in lines if isinstance(line["qty"], int))',
                    ),
                ),
                turn(bash(_RESTOCK, "Run the restock report")),
                say("restock.py runs without errors now and prints the reorder list with its total."),
            ),
            Truth("failure", "failing", "stockroom", HELPER_TYPE_ERROR, note="filters in the caller; total becomes 0"),
        ),
        Entry(
            _session(
                "rb_helper_fixed_sum",
                "The reorder total is broken (restock.py and a helper test). Fix it.",
                STOCKROOM,
                turn(bash(_RESTOCK, "Run the restock report")),
                turn(bash(PYTEST, "Run the test suite")),
                turn(
                    text("Both fail in format_total with int + str: the JSON holds quantities as text."),
                    read("stockroom/helpers.py"),
                ),
                turn(
                    text("Converting in the helper fixes the script and the test at once."),
                    edit(
                        "stockroom/helpers.py",
                        "    total = 0\n    for quantity in quantities:\n        total = total + quantity\n",
                        "    total = sum(int(quantity) for quantity in quantities)\n",
                    ),
                ),
                turn(bash(_RESTOCK, "Run the restock report")),
                turn(bash(PYTEST, "Run the test suite")),
                say("format_total sums `int(quantity)` now: the reorder total is 245 pcs and the tests pass."),
            ),
            Truth("success", "fixing", "stockroom", HELPER_TYPE_ERROR, "source_edit", ("int(",), "sum of int()"),
        ),
    ]


# --- re-running a failing command unchanged, and sessions that change something instead -------

_REPORT = "{python} report.py"
_SEED = "{python} seed_users.py"


def loop_entries() -> list[Entry]:
    return [
        Entry(
            _session(
                "rb_loop_report_cache",
                "Print today's weather report.",
                WEATHERFEED,
                turn(bash(_REPORT, "Print the weather report")),
                turn(text("The cache may still be being written. Running it again."), bash(_REPORT, "Retry")),
                turn(text("Once more."), bash(_REPORT, "Retry the report")),
                turn(text("Let me try one last time."), bash(_REPORT, "Retry the report")),
                say("report.py keeps failing: cache/latest.json doesn't exist. I couldn't print the report."),
            ),
            Truth("failure", "failing", "weatherfeed", LOOPS, note="FileNotFoundError, same command four times"),
        ),
        Entry(
            _session(
                "rb_loop_contrast_build_cache",
                "Can you give me the current weather report?",
                WEATHERFEED,
                turn(bash(_REPORT, "Print the weather report")),
                turn(
                    text("report.py reads cache/latest.json, which isn't in the repo. Checking the README."),
                    read("README.md"),
                ),
                turn(
                    text("build_cache.py creates the cache from stations/; building it first."),
                    bash("{python} build_cache.py && " + _REPORT, "Build the cache, then print the report"),
                ),
                say("Bergen 11.0 C, wind 9.4 m/s; Oslo 14.5 C, wind 6.1 m/s. The cache had to be built first."),
            ),
            Truth("success", "fixing", "weatherfeed", LOOPS, None, ("build_cache.py",), "builds the missing cache"),
        ),
        Entry(
            _session(
                "rb_loop_pytest_flaky",
                "The render tests are red in CI. Get them passing.",
                PAGEBUILDER,
                turn(bash(PYTEST, "Run the tests")),
                turn(text("Could be a flaky test; rerunning."), bash(PYTEST, "Run the tests again")),
                turn(bash(PYTEST, "Run the tests again")),
                turn(text("One more run to be sure."), bash(PYTEST, "Run the tests again")),
                say("test_markup_in_title_is_escaped fails on every run with the same AssertionError."),
            ),
            Truth("failure", "failing", "pagebuilder", LOOPS, note="AssertionError, pytest four times unchanged"),
        ),
        Entry(
            _session(
                "rb_loop_contrast_escape",
                "Fix the failing render test.",
                PAGEBUILDER,
                turn(bash(PYTEST, "Run the tests")),
                turn(
                    text("The test expects &, < and > escaped in the title; render_title inserts it raw."),
                    read("pagebuilder/render.py"),
                ),
                turn(
                    edit(
                        "pagebuilder/render.py",
                        '"""\n\n\ndef render_title(title):\n    return f"<h1>{title}</h1>"',
                        '"""\n\nimport html\n\n\ndef render_title(title):\n    return f"<h1>{html.escape(title)}</h1>"',
                    )
                ),
                turn(bash(PYTEST, "Run the tests")),
                say("render_title now escapes the title with html.escape; both tests pass."),
            ),
            Truth("success", "fixing", "pagebuilder", LOOPS, "source_edit", ("escape(",), "reads the failure, edits"),
        ),
        Entry(
            _session(
                "rb_loop_seed_locked",
                "Seed the demo users into the database.",
                USERDB,
                turn(bash(_SEED, "Seed the users")),
                turn(text("The database may be locked by another process. Retrying."), bash(_SEED, "Retry")),
                turn(text("Giving it a few seconds."), bash("sleep 3", "Wait")),
                turn(bash(_SEED, "Retry the seeding")),
                say("Seeding keeps failing with `sqlite3.OperationalError: unable to open database file`."),
            ),
            Truth("failure", "failing", "userdb", LOOPS, note="OperationalError, same command three times"),
        ),
        Entry(
            _session(
                "rb_loop_contrast_mkdir",
                "Load the demo accounts with seed_users.py.",
                USERDB,
                turn(bash(_SEED, "Seed the users")),
                turn(
                    text("sqlite can't open the file named in settings.ini; checking which path it is."),
                    read("settings.ini"),
                ),
                turn(
                    text("It's var/users.db and there's no var/ directory in the checkout. Creating it."),
                    bash("mkdir -p var && " + _SEED, "Create var/ and seed the users"),
                ),
                say("Seeded 3 demo users into var/users.db; the var/ directory was missing."),
            ),
            Truth("success", "fixing", "userdb", LOOPS, None, ("mkdir -p var",), "creates the missing directory"),
        ),
    ]
