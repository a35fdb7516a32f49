"""What got past a failure, and what changed on the way (`analysis.recoveries`)."""

from __future__ import annotations

from trajectory_miner.analysis.recoveries import Action, Change, path_class, trace

KEY_ERROR = (
    'Exit code 1\nTraceback (most recent call last):\n  File "/tmp/x/app.py", line 3, in <module>\n'
    "    url = os.environ['DATABASE_URL']\nKeyError: 'DATABASE_URL'"
)


def bash(index: int, command: str, output: str = "", error: bool = False, thought: str = "") -> Action:
    return Action(index=index, turn=0, tool="Bash", command=command, output=output, is_error=error, thought=thought)


def edit(index: int, path: str, before: str, after: str, thought: str = "") -> Action:
    return Action(index=index, turn=0, tool="Edit", files=(path,), before=before, after=after, thought=thought)


def recovered_by(actions: list[Action]) -> int | None:
    found = trace(actions)
    first = found.failures()[0]
    recovery = found.recoveries.get(first)
    return recovery.by if recovery else None


def test_a_fix_that_wraps_the_program_in_an_export_is_a_recovery() -> None:
    actions = [
        bash(0, "python app.py", KEY_ERROR, error=True),
        bash(1, "export DATABASE_URL=sqlite:///dev.db && python app.py", "ok", thought="Set the variable first."),
    ]
    found = trace(actions)
    recovery = found.recoveries[0]
    assert recovery.by == 1
    assert Change("environment", "DATABASE_URL=sqlite:///dev.db") in recovery.changes
    assert recovery.reason == "Set the variable first."


def test_a_leading_assignment_is_a_recovery_and_records_the_environment_change() -> None:
    actions = [bash(0, "python app.py", KEY_ERROR, error=True), bash(1, "DATABASE_URL=x python app.py", "ok")]
    found = trace(actions)
    assert found.recoveries[0].by == 1
    assert [c.kind for c in found.recoveries[0].changes] == ["environment"]


def test_another_program_running_cleanly_is_not_a_recovery() -> None:
    actions = [bash(0, "python app.py", KEY_ERROR, error=True), bash(1, "ls -la", "app.py")]
    assert recovered_by(actions) is None


def test_the_same_program_on_another_script_is_not_a_recovery() -> None:
    actions = [bash(0, "python app.py", KEY_ERROR, error=True), bash(1, "python other.py", "fine")]
    assert recovered_by(actions) is None


def test_another_subcommand_of_the_same_script_is_other_work() -> None:
    actions = [
        bash(0, "python manage.py check_orders", "Exit code 1\nOperationalError: no such table", error=True),
        bash(1, "python manage.py migrate", "Applying orders.0001_initial... OK"),
        bash(2, "python manage.py check_orders", "200 OK"),
    ]
    assert recovered_by(actions) == 2


def test_a_flag_added_to_the_failed_command_is_recorded_as_the_change() -> None:
    actions = [
        bash(0, "python tool.py", "Exit code 2\nerror: the following arguments are required: --input", error=True),
        bash(1, "python tool.py --input data/in.csv", "wrote 3 rows"),
    ]
    found = trace(actions)
    assert found.recoveries[0].by == 1
    assert found.recoveries[0].changes == (Change("command", "--input data/in.csv"),)


def test_a_failing_test_run_is_got_past_by_a_clean_run_of_the_same_check_after_an_edit() -> None:
    failing = "Exit code 1\nF.\nFAILED tests/test_calc.py::test_mean - assert 2.0 == 1.5\n1 failed, 1 passed in 0.02s"
    actions = [
        bash(0, "python -m pytest -q", failing, error=True),
        edit(1, "/r/calc.py", "len(values) - 1", "len(values)", thought="Divide by the count."),
        bash(2, "python -m pytest -q", "..\n2 passed in 0.01s"),
    ]
    found = trace(actions)
    recovery = found.recoveries[0]
    assert recovery.by == 2
    assert recovery.changes[0].path_class == "source"
    assert recovery.changes[0].detail == "len(values) - 1 → len(values)"


def test_a_clean_run_of_other_tests_does_not_get_past_a_failing_test_file() -> None:
    failing = "Exit code 1\nE       fixture 'db' not found\n1 error in 0.02s"
    actions = [
        bash(0, "python -m pytest tests/test_sync.py", failing, error=True),
        bash(1, "python -m pytest -q tests/test_search.py", "3 passed in 0.01s"),
    ]
    assert recovered_by(actions) is None


def test_a_recovery_after_a_different_failure_in_between_is_found() -> None:
    actions = [
        bash(0, "python app.py", KEY_ERROR, error=True),
        bash(1, "cat .env.example", "Exit code 1\ncat: .env.example: No such file or directory", error=True),
        bash(2, "DATABASE_URL=sqlite:///dev.db python app.py", "ok"),
    ]
    found = trace(actions)
    assert found.recoveries[0].by == 2
    assert 1 not in found.recoveries


def test_a_search_for_the_failure_is_stopped_by_the_same_failure_again() -> None:
    actions = [
        bash(0, "python app.py", KEY_ERROR, error=True),
        bash(1, "python app.py", KEY_ERROR, error=True),
        bash(2, "DATABASE_URL=x python app.py", "ok"),
    ]
    found = trace(actions)
    assert 0 not in found.recoveries
    assert found.repeats[0] == 1
    assert found.recoveries[1].by == 2


def test_an_edit_that_failed_is_got_past_by_an_edit_of_the_same_file() -> None:
    failed = Action(
        index=0, turn=0, tool="Edit", files=("/r/a.py",), is_error=True, output="String to replace not found in file."
    )
    other = Action(index=1, turn=0, tool="Edit", files=("/r/b.py",))
    same = Action(index=2, turn=0, tool="Edit", files=("/r/a.py",))
    assert recovered_by([failed, other, same]) == 2


def test_files_are_classed_by_their_role() -> None:
    assert path_class("tests/test_calc.py") == "tests"
    assert path_class("src/pkg/test_helpers.py") == "tests"
    assert path_class("web/app.spec.ts") == "tests"
    assert path_class("src/pkg/calc.py") == "source"
    assert path_class("settings.toml") == "config"
    assert path_class(".env") == "config"
    assert path_class("requirements-dev.txt") == "dependencies"
    assert path_class("package.json") == "dependencies"
    assert path_class("docs/usage.md") == "docs"


PYTEST_FAILED = (
    "Exit code 1\nF.\n=== FAILURES ===\nE   assert 1 == 2\n"
    "FAILED tests/test_tiers.py::test_bulk - assert 1 == 2\n1 failed, 1 passed in 0.01s"
)
PYTEST_PASSED = "1 passed in 0.01s"


def test_a_narrower_test_run_recovers_a_full_run_only_when_it_runs_the_failing_file() -> None:
    fix = edit(1, "src/tiers.py", "a > b", "a >= b")
    other_file = [
        bash(0, "pytest -q", PYTEST_FAILED, error=True),
        fix,
        bash(2, "pytest -q tests/test_other.py", PYTEST_PASSED),
    ]
    failing_file = [
        bash(0, "pytest -q", PYTEST_FAILED, error=True),
        fix,
        bash(2, "pytest -q tests/test_tiers.py", PYTEST_PASSED),
    ]
    everything = [bash(0, "pytest -q", PYTEST_FAILED, error=True), fix, bash(2, "pytest", PYTEST_PASSED)]
    assert recovered_by(other_file) is None
    assert recovered_by(failing_file) == 2
    assert recovered_by(everything) == 2


def test_a_selected_subset_does_not_recover_a_run_whose_failing_files_are_unknown() -> None:
    collection = "Exit code 2\nImportError while loading conftest\nKeyError: 'DATABASE_URL'"
    actions = [bash(0, "pytest -q", collection, error=True), bash(1, "pytest -q -k totals", PYTEST_PASSED)]
    assert recovered_by(actions) is None
