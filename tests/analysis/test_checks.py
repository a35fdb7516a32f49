import pytest
from scoring.builders import bash

from trajectory_miner.analysis.checks import check_kind, read_result, step_check


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("python -m pytest -q", ("test", "pytest")),
        ("/tmp/venv/bin/python3.12 -m pytest tests/ -x", ("test", "pytest")),
        ("uv run pytest", ("test", "pytest")),
        ("python -m unittest discover", ("test", "unittest")),
        ("npm test", ("test", "npm test")),
        ("npm run test:unit -- --watch=false", ("test", "npm test:unit")),
        ("yarn test", ("test", "yarn test")),
        ("pnpm run build", ("build", "pnpm build")),
        ("npx jest src/", ("test", "jest")),
        ("npx vitest run", ("test", "vitest")),
        ("go test ./...", ("test", "go test")),
        ("cargo test --all", ("test", "cargo test")),
        ("cargo build --release", ("build", "cargo build")),
        ("npx tsc --noEmit", ("typecheck", "tsc")),
        ("npx eslint .", ("lint", "eslint")),
        ("ruff check .", ("lint", "ruff")),
        ("mypy --strict src", ("typecheck", "mypy")),
        ("make", ("build", "make")),
        ("make test", ("test", "make test")),
        ("cd app && npm test 2>&1 | tail -20", ("test", "npm test")),
        ("ruff check . && python -m pytest", ("test", "pytest")),
    ],
)
def test_check_kind_names_the_check_a_command_runs(command: str, expected: tuple[str, str]) -> None:
    assert check_kind(command) == expected


@pytest.mark.parametrize(
    "command", ["ls -la", "git commit -m 'fix tests'", "ruff format .", "make deploy", "python app.py", "cat test_x.py"]
)
def test_commands_that_run_no_check_are_not_checks(command: str) -> None:
    assert check_kind(command) is None


@pytest.mark.parametrize(
    ("output", "passed"),
    [
        ("..F\nFAILED test_a.py::test_x - assert 1 == 2\n1 failed, 2 passed in 0.12s", False),
        ("...\n3 passed in 0.05s", True),
        ("=========== 2 passed, 1 warning in 0.30s ===========", True),
        ("E   ImportError\n=========== 1 error in 0.20s ===========", False),
        ("no tests ran in 0.01s", False),
        ("Ran 4 tests in 0.002s\n\nOK", True),
        ("Ran 4 tests in 0.002s\n\nFAILED (failures=1)", False),
        ("Tests:       1 failed, 3 passed, 4 total", False),
        ("Tests:       4 passed, 4 total", True),
        (" Test Files  1 passed (1)\n      Tests  5 passed (5)", True),
        (" Test Files  1 failed (1)\n      Tests  1 failed | 4 passed (5)", False),
        ("ok  \texample.com/pkg\t0.01s", True),
        ("--- FAIL: TestSum (0.00s)\nFAIL\texample.com/pkg\t0.01s", False),
        ("test result: ok. 12 passed; 0 failed; 0 ignored", True),
        ("test result: FAILED. 11 passed; 1 failed; 0 ignored", False),
        ("src/a.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'.", False),
        ("✖ 3 problems (2 errors, 1 warning)", False),
        ("All checks passed!", True),
        ("a.py:1:1: F401 unused import\nFound 1 error.", False),
        ("Success: no issues found in 12 source files", True),
        ("Found 2 errors in 1 file (checked 3 source files)", False),
        ("make: *** [Makefile:4: build] Error 1", False),
        ("npm ERR! Test failed.  See above for more details.", False),
        ("8 runs, 12 assertions, 0 failures, 0 errors, 0 skips", True),
        ("8 runs, 12 assertions, 1 failures, 0 errors, 0 skips", False),
        ("10 examples, 0 failures", True),
    ],
)
def test_read_result_takes_the_verdict_from_the_tools_summary(output: str, passed: bool) -> None:
    assert read_result(output, is_error=False, exit_code=0)[0] is passed


def test_without_a_summary_the_exit_code_decides() -> None:
    assert read_result("Exit code 2\nsomething broke", is_error=True, exit_code=2) == (False, "exit code 2")
    assert read_result("", is_error=False, exit_code=0) == (True, "exit code 0")
    assert read_result("", is_error=False, exit_code=None)[0] is None


def test_a_piped_test_run_fails_on_its_summary_although_the_pipe_exited_zero() -> None:
    check = step_check(bash("python -m pytest 2>&1 | tail -3", "FAILED test_a.py::test_x\n1 failed, 2 passed in 0.1s"))
    assert check is not None and check.tool == "pytest" and check.passed is False
    assert check.summary == "1 failed, 2 passed"


def test_a_projects_own_test_script_counts_when_its_output_shows_a_runner_summary() -> None:
    check = step_check(bash("./scripts/run_tests.sh", "....\n4 passed in 0.4s"))
    assert check is not None and (check.kind, check.passed) == ("test", True)


def test_printing_an_old_log_with_a_summary_is_not_a_test_run() -> None:
    assert step_check(bash("cat reports/last_run.log", "1 failed, 2 passed in 0.1s")) is None


def test_an_interrupted_check_has_no_verdict() -> None:
    check = step_check(bash("npm test", "Command timed out after 2m 0.0s", code=143))
    assert check is not None and check.passed is None
