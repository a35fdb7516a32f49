"""Ways of working that recur without one error text: behaviours, and the sessions that did otherwise.

Each rule marks where a session showed a behaviour (`did=True`) and where it faced the same
situation and did the opposite (`did=False`, the contrast the pattern is reported with):

- `edits_tests`: a failing check made to pass by editing only the tests (contrast: by
  editing the code);
- `claims_success`: the session ends saying it succeeded while a failure in its last turn
  was never got past (contrast: a success claim the last run backs);
- `command_loop`: the same failing command run three times or more with nothing changed
  (contrast: a failure got past by changing something);
- `ignored_correction`: the user corrected the work and the next turn changed nothing
  (contrast: a correction acted on);
- `bash_file_work`: reading, searching, writing or editing files through Bash (as
  `analysis.filework` reads it) twice or more (contrast: file work done with the file tools).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trajectory_miner.analysis.commands import is_read_only
from trajectory_miner.analysis.filework import file_work
from trajectory_miner.analysis.recoveries import EDIT_TOOLS, Trace
from trajectory_miner.mining.loader import SessionRows, StepRow
from trajectory_miner.scoring.completion import CORRECTION, reports_failure

if TYPE_CHECKING:
    from trajectory_miner.mining.features import SessionFeatures

NAMES = {
    "edits_tests": "failing tests made to pass by editing the tests instead of the code",
    "claims_success": "success claimed while the last run still failed",
    "command_loop": "the same failing command run three times or more with nothing changed",
    "ignored_correction": "a user's correction followed by a turn that changed nothing",
    "bash_file_work": "file reading, searching or editing done through Bash where the file tools exist",
}
_CLAIM = re.compile(
    r"\b(?:all (?:the )?(?:tests|checks) (?:now )?pass|tests? (?:now )?pass(?:es)?|(?:it )?works? now|now works"
    r"|(?:is|are|has been|have been|now) (?:fixed|working|passing|resolved)|fixed it|successfully|done\b)",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Behaviour:
    """A way of working a session showed (`did`), or where it did the opposite (a contrast)."""

    name: str
    turn: int
    step: int
    tool_use_id: str
    did: bool
    detail: str = ""


def find(rows: SessionRows, features: SessionFeatures, traced: Trace) -> list[Behaviour]:
    """Every behaviour and contrast in a session, in the order of the rules."""
    return [
        *_test_edits(rows, features),
        *_claims(rows, features, traced),
        *_loops(features),
        *_corrections(rows),
        *_file_work(rows),
    ]


def _at(row: StepRow, name: str, did: bool, detail: str = "") -> Behaviour:
    return Behaviour(name, row.turn, row.step, row.tool_use_id, did, detail)


def _test_edits(rows: SessionRows, features: SessionFeatures) -> list[Behaviour]:
    failures = {f.step: f for f in features.failures}
    found: list[Behaviour] = []
    for fix in features.fixes:
        failure = failures.get(fix.fail_step)
        if failure is None or "test_failure" not in failure.kinds:
            continue
        classes = {c[3] for c in fix.changes if c[0] == "edit"}
        tests = [c[2] for c in fix.changes if c[0] == "edit" and c[3] == "tests"]
        if tests and "source" not in classes:
            found.append(Behaviour("edits_tests", fix.turn, fix.pass_step, "", True, ", ".join(tests[:2])))
        elif "source" in classes:
            found.append(Behaviour("edits_tests", fix.turn, fix.pass_step, "", False))
    return found


def _claims(rows: SessionRows, features: SessionFeatures, traced: Trace) -> list[Behaviour]:
    working = sorted({r.turn for r in rows.steps})
    if not working:
        return []
    last_turn = working[-1]
    turn = rows.turns.get(last_turn)
    final = turn.final if turn is not None else ""
    if not final or not _CLAIM.search(final) or reports_failure(final):
        return []
    positions = {a.action.index: i for i, a in enumerate(traced.readings)}
    open_failures = [
        f
        for f in features.failures
        if f.turn == last_turn and not f.resolved and positions.get(f.step, -1) not in traced.recoveries
    ]
    last = [r for r in rows.steps if r.turn == last_turn][-1]
    if open_failures:
        left = open_failures[-1]
        return [Behaviour("claims_success", left.turn, left.step, left.tool_use_id, True, left.family[:120])]
    return [_at(last, "claims_success", False)]


def _loops(features: SessionFeatures) -> list[Behaviour]:
    loops = [s for s in features.stuck if s.reason == "command_loop"]
    if loops:
        return [Behaviour("command_loop", s.turn, s.step, s.tool_use_id, True, s.family[:120]) for s in loops]
    if features.fixes:
        fix = features.fixes[0]
        return [Behaviour("command_loop", fix.turn, fix.fail_step, "", False)]
    return []


def _changes_something(row: StepRow) -> bool:
    if row.tool in EDIT_TOOLS:
        return True
    return row.tool == "Bash" and not row.is_error and not is_read_only(row.summary)


def _corrections(rows: SessionRows) -> list[Behaviour]:
    found: list[Behaviour] = []
    prompts = sorted((t, row) for t, row in rows.turns.items() if row.kind == "prompt")
    for position, (turn, row) in enumerate(prompts):
        if position == 0 or not CORRECTION.search(row.prompt[:300]):
            continue
        steps = [r for r in rows.steps if r.turn == turn]
        if not steps:
            continue
        acted = any(_changes_something(r) for r in steps)
        found.append(_at(steps[0], "ignored_correction", not acted, row.prompt[:80]))
    return found


def _file_work(rows: SessionRows) -> list[Behaviour]:
    through_bash = [r for r in rows.steps if r.tool == "Bash" and _is_file_work(r.summary)]
    if len(through_bash) >= 2:
        return [_at(through_bash[0], "bash_file_work", True, through_bash[0].summary[:80])]
    if any(r.tool in ("Read", "Edit", "Grep", "Glob") for r in rows.steps):
        first = next(r for r in rows.steps if r.tool in ("Read", "Edit", "Grep", "Glob"))
        return [_at(first, "bash_file_work", False)]
    return []


def _is_file_work(command: str) -> bool:
    return bool(file_work(command))
