"""The outcome label of a session — success, partial, failure or unknown — with its source.

Sources in order of trust: the user's explicit feedback; the last test or build run read
from tool output; heuristics over the end of the session. When the signs are mixed the
label leans to failure or partial rather than to a success nobody showed.
"""

from __future__ import annotations

from dataclasses import dataclass

from trajectory_miner.model import Outcome
from trajectory_miner.scoring.card import OutcomeSource
from trajectory_miner.scoring.completion import EndState

SKILL_IGNORED_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class Label:
    """An outcome with how sure the scorer is, where it came from, and why."""

    outcome: Outcome
    confidence: float
    source: OutcomeSource
    reason: str


def _troubles(state: EndState) -> list[str]:
    found: list[str] = []
    if state.interrupts:
        found.append("the user interrupted the work")
    if state.corrections:
        found.append("the user had to correct it")
    return found


def _from_checks(state: EndState, adherence: float) -> Label | None:
    check = state.last_check
    if check is None:
        return None
    run = f"last {check.tool} run"
    if not check.passed:
        return Label("failure", 0.85, "tests", f"{run} failed: {check.summary}")
    if state.tests_edited_to_pass:
        names = ", ".join(p.rsplit("/", 1)[-1] for p in state.tests_edited_to_pass[:3])
        return Label("failure", 0.6, "tests", f"{run} passed only after its tests were edited ({names}), not the code")
    if state.open_failure is not None or state.gave_up:
        return Label("partial", 0.6, "tests", f"{run} passed, but the session ended on a failure")
    troubles = _troubles(state)
    if troubles:
        return Label("partial", 0.7, "tests", f"{run} passed, but {' and '.join(troubles)}")
    if adherence < SKILL_IGNORED_BELOW:
        return Label("partial", 0.55, "tests", f"{run} passed, but the loaded skill's steps were not followed")
    if state.changed_after_check:
        return Label("partial", 0.5, "tests", f"{run} passed, but files changed after it were not checked again")
    return Label("success", 0.85, "tests", f"{run} passed: {check.summary}")


def _heuristic(state: EndState, adherence: float, has_steps: bool) -> Label:
    if state.open_failure is not None:
        return Label(
            "failure",
            0.65,
            "heuristic",
            f"ended on a failure nobody got past: {state.open_failure.family[:80]}",
        )
    if state.gave_up:
        return Label("failure", 0.6, "heuristic", f"the model said it did not succeed: {state.gave_up[:80]}")
    if state.last_ok is None and state.interrupts:
        return Label("failure", 0.5, "heuristic", "the user interrupted the work before anything succeeded")
    troubles = _troubles(state)
    if troubles:
        return Label("partial", 0.5, "heuristic", f"no test run; {' and '.join(troubles)}")
    if adherence < SKILL_IGNORED_BELOW:
        return Label("partial", 0.5, "heuristic", "no test run, and the loaded skill's steps were not followed")
    if not has_steps:
        return Label("unknown", 0.2, "heuristic", "no tool calls and no feedback: nothing to judge by")
    recovery = state.last_recovery
    if recovery is not None and recovery.by is not None and not state.changed_after_recovery:
        ran = recovery.by.command or recovery.by.step.tool_name
        return Label("success", 0.65, "heuristic", f"no test run; `{ran[:60]}` failed, then ran clean after the fix")
    if not state.changed and state.already_done is not None:
        what = state.already_done.command or state.already_done.step.tool_name
        return Label("success", 0.5, "heuristic", f"no test run; `{what[:60]}` found its work already done")
    if not state.changed:
        return Label("unknown", 0.3, "heuristic", "nothing was changed or checked")
    return Label("success", 0.55, "heuristic", "no test run; every failure was got past and the session ended cleanly")


def label_outcome(
    state: EndState, adherence: float, has_steps: bool, verdict: str | None = None, note: str = ""
) -> Label:
    """The outcome of a session from its end state, its skill adherence and any feedback."""
    if verdict in ("good", "bad"):
        outcome: Outcome = "success" if verdict == "good" else "failure"
        return Label(outcome, 0.95, "feedback", f"the user marked it {verdict}{': ' + note if note else ''}")
    return _from_checks(state, adherence) or _heuristic(state, adherence, has_steps)
