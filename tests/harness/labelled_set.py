"""The labelled scenario set recorded into `tests/fixtures/scenarios/`.

Short sessions over tiny Python repos whose commands really pass or fail, each labelled
with its outcome and its weakest scoring dimension (None when no dimension is weak).
Five sessions share a planted failure for the miner: running a script by path cannot
import a package at the repo root; three stay stuck, two fix it by running the script as
a module. `incident_bad_config_json` holds the one failure no other session shares.
"""

from __future__ import annotations

from .fake_api import Reply
from .scenarios import (
    CALC,
    CALC_BUG,
    CALC_FIX,
    DEFAULT_TOOLS,
    GREETING,
    INVENTORY,
    PRICES,
    PYTEST,
    SKILL_MD,
    SLUG,
    TEXTSTATS,
    UNITS,
    UNSENT,
    WORDCOUNT,
    Label,
    Scenario,
    bash,
    call,
    edit,
    helpers_repo,
    log_repo,
    read,
    say,
    source,
    text,
    turn,
    write,
)


def _successes() -> list[Scenario]:
    return [
        Scenario(
            "success_read_edit_pass",
            ("The mean() in calc.py gives wrong answers. Fix it.",),
            (
                turn(text("I'll look at calc.py first."), read("calc.py")),
                turn(
                    text("mean divides by len - 1; it should divide by len."),
                    edit("calc.py", CALC_BUG, CALC_FIX),
                ),
                turn(bash(PYTEST, "Run the test suite")),
                say("Fixed: mean() now divides by the number of values, and both tests pass."),
            ),
            CALC,
            label=Label("success", None, "read, one edit, tests pass first time"),
        ),
        Scenario(
            "success_fix_after_one_failure",
            ("Make the slug tests pass.",),
            (
                turn(bash(PYTEST, "Run the test suite")),
                turn(text("test_strips_outer_spaces fails; let me read slugify."), read("slug.py")),
                turn(
                    text("Splitting on whitespace runs leaves empty words at the ends."),
                    edit("slug.py", 'words = re.split(r"\\s+", title.lower())', "words = title.lower().split()"),
                ),
                turn(bash(PYTEST, "Run the test suite")),
                say("slugify now ignores outer and repeated spaces; all tests pass."),
            ),
            SLUG,
            label=Label("success", None, "one failing test run, then diagnosed and fixed (error recovered)"),
        ),
        Scenario(
            "success_write_new_module",
            ("Add a textstats module so test_textstats.py passes.",),
            (
                turn(read("test_textstats.py")),
                turn(write("textstats.py", TEXTSTATS)),
                turn(bash(PYTEST, "Run the test suite")),
                say("Added textstats.py with word_count and longest_word; the tests pass."),
            ),
            {
                "test_textstats.py": source(
                    """
                    from textstats import longest_word, word_count


                    def test_word_count():
                        assert word_count("a bb ccc") == 3


                    def test_longest_word():
                        assert longest_word("a bb ccc") == "ccc"
                        assert longest_word("") == ""
                    """
                )
            },
            label=Label("success", None, "new file written with Write, tests pass"),
        ),
        Scenario(
            "success_redundant_reads",
            ("Fix mean() in calc.py.",),
            (
                turn(read("calc.py")),
                turn(text("Let me look at that again."), read("calc.py")),
                turn(bash("ls", "List files")),
                turn(bash("ls -la", "List files with details")),
                turn(read("test_calc.py")),
                turn(edit("calc.py", CALC_BUG, CALC_FIX)),
                turn(bash(PYTEST, "Run the test suite")),
                turn(text("Running the tests once more to be sure."), bash(PYTEST, "Run the test suite again")),
                turn(read("calc.py")),
                say("mean() is fixed and the tests pass."),
            ),
            CALC,
            label=Label("success", "tool_efficiency", "done, but repeats reads, listings and test runs"),
        ),
        Scenario(
            "success_noisy_context",
            ("count_errors in logscan.py misses errors. Fix it.",),
            (
                turn(read("app.log")),
                turn(bash("{python} -m pytest -vv", "Run the tests verbosely")),
                turn(text("Let me look at the log again."), read("app.log")),
                turn(read("logscan.py")),
                turn(edit("logscan.py", 'if "error" in line', 'if "ERROR" in line')),
                turn(bash("{python} -m pytest -vv", "Run the tests verbosely")),
                say("count_errors now matches the upper-case ERROR level; all tests pass."),
            ),
            log_repo(),
            label=Label("success", "context_health", "done, but reads a whole log twice and runs tests with -vv"),
        ),
    ]


def _failures() -> list[Scenario]:
    return [
        Scenario(
            "failure_tests_never_pass",
            ("test_unknown_item_is_out_of_stock fails. Please fix it.",),
            (
                turn(bash(PYTEST, "Run the test suite")),
                turn(read("inventory.py")),
                turn(text("Perhaps pears should be in stock."), edit("inventory.py", '"pear": 0', '"pear": 1')),
                turn(bash(PYTEST, "Run the test suite")),
                turn(edit("inventory.py", "return STOCK[item] > 0", "return STOCK[item] >= 1")),
                turn(bash(PYTEST, "Run the test suite")),
                say("I could not get test_unknown_item_is_out_of_stock to pass; it still raises KeyError."),
            ),
            INVENTORY,
            label=Label("failure", "task_completion", "two edits that miss the cause; tests never pass"),
        ),
        Scenario(
            "failure_same_error_loop",
            ("Get test_prices.py passing.",),
            (
                turn(bash(PYTEST, "Run the test suite")),
                turn(text("Let me run it again."), bash(PYTEST, "Run the test suite")),
                turn(text("It may be flaky; once more."), bash(PYTEST, "Run the test suite")),
                turn(bash(PYTEST, "Run the test suite")),
                turn(text("Trying one more time."), bash(PYTEST, "Run the test suite")),
                say("The test keeps failing with the same assertion."),
            ),
            PRICES,
            label=Label("failure", "error_recovery", "same failing command five times with no change in between"),
        ),
        Scenario(
            "incident_bad_config_json",
            ("Start the app with `python app.py` and tell me the port.",),
            (
                turn(bash("{python} app.py", "Start the app")),
                turn(text("settings.json does not parse."), read("settings.json")),
                turn(edit("settings.json", '"port": 8080,}', '"port": 8080}')),
                turn(bash("{python} app.py", "Start the app")),
                say("settings.json had a trailing comma; after removing it the app reports port 8080."),
            ),
            {
                "app.py": source(
                    '''
                    """Print the configured port."""

                    import json

                    with open("settings.json", encoding="utf-8") as f:
                        settings = json.load(f)
                    print("port", settings["port"])
                    '''
                ),
                "settings.json": '{"name": "shop", "port": 8080,}\n',
            },
            label=Label("success", None, "one-off JSONDecodeError (an incident, seen in no other session), fixed"),
        ),
    ]


def _routing() -> list[Scenario]:
    return [
        Scenario(
            "success_bash_instead_of_file_tools",
            ("c_to_f in units.py is wrong. Fix it.",),
            (
                turn(bash('find . -name "*.py"', "Find Python files")),
                turn(bash("cat units.py", "Show the units module")),
                turn(bash('grep -n "23" units.py', "Search for the offset")),
                turn(bash("sed -i 's/+ 23/+ 32/' units.py", "Fix the offset")),
                turn(bash("cat units.py && " + PYTEST, "Show the module and run the tests")),
                say("The offset was 23 instead of 32; fixed and the tests pass."),
            ),
            UNITS,
            label=Label("success", "routing_accuracy", "done, but reads, searches and edits through Bash cat/grep/sed"),
        ),
        Scenario(
            "success_unavailable_tool_then_bash",
            ("greet() should end with an exclamation mark. Fix it.",),
            (
                turn(call("Grep", pattern="def greet", path="{repo}")),
                turn(bash('grep -rn "def greet" --include=*.py .', "Find the greet function")),
                turn(read("greeting.py")),
                turn(edit("greeting.py", 'return "Hello, " + name', 'return "Hello, " + name + "!"')),
                turn(bash(PYTEST, "Run the test suite")),
                say("greet() now ends with '!' and the test passes."),
            ),
            GREETING,
            label=Label("success", "routing_accuracy", "first calls a tool this CLI version does not offer (Grep)"),
        ),
        Scenario(
            "partial_skill_ignored",
            ("Prepare release notes for version 1.1.0.",),
            (
                turn(call("Skill", skill="release-notes", args="1.1.0")),
                turn(read("README.md")),
                turn(edit("README.md", "# shop\n", "# shop\n\nVersion 1.1.0: faster checkout.\n")),
                turn(read("version.py")),
                turn(edit("version.py", '"1.0.0"', '"1.1.0"')),
                say("Release notes for 1.1.0 are in README.md and the version is bumped."),
            ),
            {
                ".claude/skills/release-notes/SKILL.md": SKILL_MD,
                "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n\n- First release.\n",
                "README.md": "# shop\n\nA tiny shop backend.\n",
                "version.py": '__version__ = "1.0.0"\n',
            },
            allowed_tools=(*DEFAULT_TOOLS, "Skill"),
            label=Label("partial", "skill_adherence", "loads the skill, then skips its test step and CHANGELOG.md"),
        ),
    ]


def _user_turns() -> list[Scenario]:
    return [
        Scenario(
            "partial_user_correction",
            ("word_count gives wrong answers. Fix it.", "That's wrong, it still fails when I run the tests."),
            (
                turn(read("wordcount.py")),
                turn(
                    edit(
                        "wordcount.py",
                        'return len(text.split(" "))',
                        'return len(text.split(" ")) if text else 0',
                    )
                ),
                say("Fixed: empty text now counts as zero words."),
                turn(text("Sorry, let me run the tests."), bash(PYTEST, "Run the test suite")),
                turn(
                    edit(
                        "wordcount.py",
                        'return len(text.split(" ")) if text else 0',
                        "return len(text.split())",
                    )
                ),
                turn(bash(PYTEST, "Run the test suite")),
                say("Now splitting on any whitespace; both tests pass."),
            ),
            WORDCOUNT,
            label=Label("partial", "task_completion", "claimed done without testing; user corrected it; fixed after"),
        ),
        Scenario(
            "partial_user_interrupt",
            (
                "Run the benchmark in bench.py, then the unit tests.",
                "Skip the benchmark, just run the unit tests.",
            ),
            (
                turn(text("Starting the benchmark."), bash("{python} bench.py", "Run the benchmark")),
                UNSENT,
                turn(bash(PYTEST, "Run the test suite")),
                say("Both unit tests pass. The benchmark was not run."),
            ),
            {
                **CALC,
                "calc.py": CALC["calc.py"].replace(CALC_BUG, CALC_FIX),
                "bench.py": source(
                    '''
                    """Time mean() on a large input."""

                    import pathlib
                    import time

                    pathlib.Path(".bench_started").touch()
                    time.sleep(60)
                    print("bench done")
                    '''
                ),
            },
            interrupt_on=".bench_started",
            label=Label("partial", "task_completion", "user pressed Ctrl-C during the benchmark; only tests ran"),
        ),
    ]


def _stuck(name: str, prompt: str, package: str, script: str, *middle: Reply) -> Scenario:
    run = bash(f"{{python}} {script}", "Run the script")
    return Scenario(
        name,
        (prompt,),
        (
            turn(run),
            *middle,
            turn(run),
            say(f"{script} still fails: No module named '{package}'. I could not run it."),
        ),
        helpers_repo(package, script),
        label=Label("failure", "error_recovery", "planted recurring failure: module not found, never fixed"),
    )


def _fixed(name: str, prompt: str, package: str, script: str) -> Scenario:
    module = script.removesuffix(".py").replace("/", ".")
    return Scenario(
        name,
        (prompt,),
        (
            turn(bash(f"{{python}} {script}", "Run the script")),
            turn(
                text(f"{package} lives at the repo root; run the script as a module from there."),
                bash(f"{{python}} -m {module}", "Run the script as a module"),
            ),
            say(f"Ran it with `python -m {module}` from the repo root; it printed the total."),
        ),
        helpers_repo(package, script),
        label=Label("success", None, "planted recurring failure, fixed by running with -m from the root"),
    )


def _recurring() -> list[Scenario]:
    return [
        _stuck(
            "recurring_module_error_stuck_a",
            "Run scripts/report_sales.py and tell me the total.",
            "helpers",
            "scripts/report_sales.py",
            turn(read("scripts/report_sales.py")),
            turn(bash("cd scripts && {python} report_sales.py", "Run the report from its folder")),
            turn(bash("ls helpers scripts", "List the folders")),
        ),
        _stuck(
            "recurring_module_error_stuck_b",
            "Build the index with tools/build_index.py.",
            "textkit",
            "tools/build_index.py",
            turn(read("tools/build_index.py")),
            turn(edit("tools/build_index.py", '"""A reporting job."""\n', '"""Build the search index."""\n')),
        ),
        _stuck(
            "recurring_module_error_stuck_c",
            "Export the users with jobs/export_users.py.",
            "helpers",
            "jobs/export_users.py",
            turn(bash("{python} jobs/export_users.py --verbose", "Export the users verbosely")),
        ),
        _fixed("recurring_module_error_fixed_a", "Run scripts/sync_stock.py.", "helpers", "scripts/sync_stock.py"),
        _fixed(
            "recurring_module_error_fixed_b",
            "Run the nightly digest in tasks/nightly_digest.py.",
            "common",
            "tasks/nightly_digest.py",
        ),
    ]


LABELLED_SET: tuple[Scenario, ...] = (*_successes(), *_failures(), *_routing(), *_user_turns(), *_recurring())
