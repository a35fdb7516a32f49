from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from trajectory_miner.analysis.signatures import error_signature
from trajectory_miner.mining.features import SessionFeatures, extract
from trajectory_miner.mining.kinds import canonical_family
from trajectory_miner.mining.loader import EventRow, SessionRows, StepRow, TurnRow

CWD = "/home/dev/shop"
MODULE_ERROR = "Exit code 1\nTraceback (most recent call last):\nModuleNotFoundError: No module named 'helpers'"
PYTEST_FAILED = (
    "============ test session starts ============\ncollected 3 items\n\ntest_cart.py ..F\n\n"
    "FAILED test_cart.py::test_total - AssertionError: assert 7 == 6\n1 failed, 2 passed in 0.03s"
)


class Rows:
    """A session written step by step, as the miner reads it from the store."""

    def __init__(self, prompt: str = "Run the report.") -> None:
        self.rows = SessionRows("s1", CWD, CWD, datetime(2026, 3, 1, tzinfo=UTC), None, ["claude-sonnet-4-5"])
        self.rows.turns[0] = TurnRow("prompt", prompt, False)

    def step(self, tool: str, summary: str, result: str = "", error: bool = False, files: Sequence[str] = ()) -> int:
        index = len(self.rows.steps)
        signature = error_signature(tool, result) if error else ""
        self.rows.steps.append(
            StepRow(0, index, f"t{index}", tool, summary, error, signature, list(files), result, len(result))
        )
        return index

    def bash(self, command: str, result: str = "ok", error: bool = False) -> int:
        return self.step("Bash", command, result, error)

    def read(self, path: str) -> int:
        return self.step("Read", f"{CWD}/{path}", "1\tcode", files=[f"{CWD}/{path}"])

    def edit(self, path: str) -> int:
        return self.step("Edit", f"{CWD}/{path}", "updated", files=[f"{CWD}/{path}"])

    def event(self, kind: str, after_step: int) -> None:
        self.rows.events.append(EventRow(kind, 0, after_step))

    def features(self) -> SessionFeatures:
        return extract(self.rows)


def test_a_failing_test_run_not_flagged_as_an_error_is_still_a_failure() -> None:
    s = Rows()
    s.bash("python -m pytest -q", PYTEST_FAILED, error=False)
    s.bash("python -m pytest -q", "3 passed in 0.02s")
    features = s.features()
    assert [(f.step, f.flagged) for f in features.failures] == [(0, False)]
    assert "test_failure" in features.failures[0].kinds
    assert features.failures[0].resolved


def test_the_steps_between_a_failure_and_the_same_action_passing_are_its_fix() -> None:
    s = Rows()
    s.bash("/opt/venv/bin/python scripts/report_sales.py", MODULE_ERROR, error=True)
    s.read("scripts/report_sales.py")
    s.edit("helpers/__init__.py")
    s.bash("/opt/venv/bin/python -m scripts.report_sales", "Total: $530.49")
    (fix,) = s.features().fixes
    assert fix.family == "ModuleNotFoundError: No module named 'helpers'"
    assert (fix.fail_step, fix.pass_step) == (0, 3)
    assert fix.steps == ["Read <file>.py", "Edit __init__.py", "Run `python -m <module>`"]
    assert fix.fail_action == "python <file>.py" and fix.fail_head == "python"
    assert fix.files == ["__init__.py", "scripts/*.py"]


def test_a_different_command_succeeding_does_not_get_past_a_failure() -> None:
    s = Rows()
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    s.bash("ls helpers scripts", "helpers\nscripts")
    s.bash("python manage.py migrate", "OK")
    features = s.features()
    assert features.fixes == []
    assert not features.failures[0].resolved


def test_rerunning_a_failure_without_an_edit_is_marked_and_an_edit_in_between_clears_it() -> None:
    s = Rows()
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    s.edit("scripts/report.py")
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    assert [f.retry_unchanged for f in s.features().failures] == [False, True, False]


def test_the_same_failure_twice_is_a_stuck_point_unless_the_session_got_past_it() -> None:
    stuck = Rows()
    stuck.bash("python scripts/report.py", MODULE_ERROR, error=True)
    stuck.read("scripts/report.py")
    stuck.bash("cd scripts && python report.py", MODULE_ERROR, error=True)
    (point,) = stuck.features().stuck
    assert (point.step, point.reason, point.repeats, point.resolved) == (2, "repeated_error", 2, False)

    recovered = Rows()
    recovered.bash("python scripts/report.py", MODULE_ERROR, error=True)
    recovered.bash("python scripts/report.py", MODULE_ERROR, error=True)
    recovered.bash("python -m scripts.report", "Total: 1")
    assert [p.resolved for p in recovered.features().stuck] == [True]


def test_an_interrupt_after_a_failure_is_a_stuck_point_at_the_last_failure() -> None:
    s = Rows()
    s.bash("npm test", "Exit code 127\nsh: 1: jest: not found", error=True)
    s.read("package.json")
    s.event("interrupt", after_step=1)
    points = s.features().stuck
    assert [(p.step, p.reason) for p in points] == [(0, "interrupt_after_failure")]


def test_whether_the_files_a_failure_names_were_read_first_is_recorded() -> None:
    s = Rows()
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    s.read("scripts/report.py")
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    s.bash("npm test", "Exit code 127\nsh: 1: jest: not found", error=True)
    assert [f.read_before for f in s.features().failures] == [False, True, None]


def test_a_compaction_just_before_a_failure_is_noted_as_context() -> None:
    s = Rows()
    s.read("a.py")
    s.event("compaction", after_step=0)
    s.bash("python a.py", MODULE_ERROR, error=True)
    for _ in range(8):
        s.read("b.py")
    s.bash("python b.py", MODULE_ERROR, error=True)
    assert [f.context_event for f in s.features().failures] == ["compaction", ""]


def test_a_turn_without_failures_yields_a_procedure_for_its_kind_of_request() -> None:
    s = Rows(prompt="The mean() in calc.py gives wrong answers. Fix it.")
    s.read("calc.py")
    s.edit("calc.py")
    s.bash("python -m pytest -q", "2 passed in 0.01s")
    (procedure,) = s.features().procedures
    assert procedure.kind == "fix a bug"
    assert procedure.classes == ["read", "edit", "test"]
    assert procedure.steps == ["Read <file>.py", "Edit <file>.py", "Run `python -m pytest -q`"]


def test_generic_key_lines_are_told_apart_by_the_command_that_failed() -> None:
    assert canonical_family(error_signature("Bash", "Exit code 1\nFAIL", "DEBUG=1 go test ./...")) == "FAIL @ go"
    assert canonical_family("Bash|exit1|FAIL") == "FAIL @ Bash"
    module = "Exit code 2\nE   ModuleNotFoundError: No module named 'helpers'"
    assert canonical_family(error_signature("Bash", module, "python -m pytest")) == (
        "ModuleNotFoundError: No module named 'helpers'"
    )
    missing = "Exit code 127\n/bin/bash: line 1: poetry: command not found"
    assert canonical_family(error_signature("Bash", missing, "poetry install")) == "poetry: command not found"
    named = error_signature(
        "Bash", "Exit code 1\nFAILED tests/test_a.py::test_b - AssertionError: assert 1 == 2", "pytest"
    )
    assert canonical_family(named) == "AssertionError in test_b"
    bare = error_signature("Bash", "Exit code 1\ntests/test_a.py:9: AssertionError", "git stash && python -m pytest")
    assert canonical_family(bare) == "AssertionError @ pytest"


def test_features_survive_a_round_trip_through_json() -> None:
    s = Rows(prompt="Run the report and fix it.")
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    s.bash("python scripts/report.py", MODULE_ERROR, error=True)
    s.bash("python -m scripts.report", "ok")
    features = s.features()
    assert features.failures and features.fixes and features.stuck
    assert SessionFeatures.from_row(orjson.loads(orjson.dumps(features.to_row()))) == features
