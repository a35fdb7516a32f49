"""Task completion: did the work end with the request satisfied?

The end state decides most of it — the last test or build run, a failure nobody got past,
the model saying it could not do it — and the user's reactions the rest: interrupting,
rejecting a call, or coming back with a correction ("still failing", "that's wrong",
"revert", "no, …"). Explicit feedback overrides what the transcript suggests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trajectory_miner.analysis.checks import CheckRun
from trajectory_miner.analysis.recoveries import EDIT_TOOLS, path_class
from trajectory_miner.model import Turn
from trajectory_miner.scoring.card import DimensionScore
from trajectory_miner.scoring.facts import FailureResolution, ScoringFacts, StepFacts
from trajectory_miner.scoring.measure import ScoreFact, additive, clamp

COMPLETION_RULE = (
    "Starts at 0.75; the last test or build run passing, or a failed command running clean after a fix "
    "with no check after it, adds 0.25 (0.1 when files changed after it; a check that passes only after "
    "its tests alone were edited takes 0.5 instead) "
    "and failing takes 0.5; ending on a failure nobody got past, or the model saying it could not do "
    "it, takes 0.3 each; each interrupt or user correction takes 0.3 and each rejected call 0.1; "
    "explicit feedback sets it to at least 0.95 (good) or at most 0.05 (bad)."
)

BASE = 0.75
_CAP_CORRECTIONS = 0.6
_CAP_REJECTIONS = 0.3

CORRECTION = re.compile(
    r"^\s*(?:no|nope|wrong)\b\s*[,.!:;]|"
    r"\bstill (?:fail|failing|fails|broken|not work|doesn'?t work|does not work|wrong|errors?|erroring|crash|"
    r"the same|there|happening|see)|"
    r"\b(?:that|this|it)(?:'s| is| was) (?:wrong|not right|incorrect|not what|broken|worse)|"
    r"\b(?:doesn'?t|does not|didn'?t|did not|isn'?t|is not) work(?:ing)?\b|"
    r"\b(?:revert|undo|roll ?back)\b|"
    r"\byou (?:broke|didn'?t|did not|forgot|missed|ignored)\b|"
    r"\bnot what i (?:asked|wanted|meant)\b|\bi (?:said|told you|asked)\b|\bwhy did you\b",
    re.IGNORECASE,
)
SELF_REPORTED_FAILURE = re.compile(
    r"\b(?:could not|couldn'?t|was not able to|wasn'?t able to|unable to|failed to)\b|"
    r"\b(?:still|keeps?) (?:fail|failing|fails|raising|raises|erroring|broken)\b|"
    r"\bcannot (?:import|run|find|get|build|fix|be|reproduce|complete|start)\b|"
    r"\b(?:did not|didn'?t|does not|doesn'?t) (?:pass|work|succeed)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class EndState:
    """What the end of a session shows, and the user's reactions along the way."""

    last_check: CheckRun | None = None
    changed_after_check: list[str] = field(default_factory=list)
    # The last failure a later step got past, when no check ran after that step: the failed
    # command running clean is the session's proof.
    last_recovery: FailureResolution | None = None
    changed_after_recovery: list[str] = field(default_factory=list)
    # Test files edited to turn the last check from failing to passing, with no code changed.
    tests_edited_to_pass: list[str] = field(default_factory=list)
    # The last step that found its work already done (`nothing to commit`, `Already up to date`).
    already_done: StepFacts | None = None
    open_failure: StepFacts | None = None
    gave_up: str = ""
    interrupts: list[tuple[int, int]] = field(default_factory=list)
    corrections: list[tuple[int, str]] = field(default_factory=list)
    rejections: list[StepFacts] = field(default_factory=list)
    changed: bool = False
    last_ok: StepFacts | None = None


# Words one of which every match of the patterns above contains: a cheap test that spares
# most texts the slow patterns.
_CORRECTION_WORDS = (
    "still",
    "wrong",
    "not right",
    "incorrect",
    "not what",
    "broken",
    "worse",
    "work",
    "revert",
    "undo",
    "roll",
    "you",
    "i said",
    "i told",
    "i asked",
)
_FAILURE_WORDS = ("could", "unable", "able to", "failed", "fail", "rais", "erroring", "broken", "cannot", "did", "does")


def _maybe(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in words)


def reports_failure(text: str) -> re.Match[str] | None:
    """Where the model says it did not succeed, if it does."""
    return SELF_REPORTED_FAILURE.search(text) if _maybe(text, _FAILURE_WORDS) else None


def is_correction(turn: Turn) -> bool:
    """True when a prompt reads as the user correcting the work before it."""
    head = turn.prompt[:300]
    if turn.kind != "prompt":
        return False
    opening = head.lstrip()[:5].lower()
    if not (opening.startswith(("no", "wrong")) or _maybe(head, _CORRECTION_WORDS)):
        return False
    return bool(CORRECTION.search(head))


def corrections(facts: ScoringFacts) -> list[tuple[int, str]]:
    """(the turn corrected, the correcting prompt) for each prompt after the first that corrects."""
    found: list[tuple[int, str]] = []
    previous: Turn | None = None
    for turn in facts.session.turns:
        if turn.kind != "prompt":
            continue
        if previous is not None and is_correction(turn):
            found.append((previous.turn_index, turn.prompt[:120].replace("\n", " ")))
        previous = turn
    return found


_PROSE = (".md", ".txt", ".rst", ".adoc", ".gitignore", "LICENSE", ".csv", ".log", ".png", ".jpg", ".svg")


def _is_code(path: str) -> bool:
    """True for files a change to which can break what a check showed working (not prose)."""
    return not path.endswith(_PROSE)


def _last_verdict(checks: list[CheckRun]) -> CheckRun | None:
    return next((c for c in reversed(checks) if c.passed is not None), None)


def end_state(facts: ScoringFacts, resolutions: list[FailureResolution]) -> EndState:
    """The end state of the whole session."""
    state = EndState(corrections=corrections(facts))
    state.last_check = _last_verdict(facts.checks)
    if state.last_check is not None:
        after = [i for i in facts.steps if i.index > state.last_check.step_index and i.writes]
        state.changed_after_check = sorted({p for i in after for p in i.writes if _is_code(p)})
    state.changed = any(i.changed for i in facts.steps)
    _last_recovery(state, facts, resolutions)
    state.tests_edited_to_pass = _tests_edited_to_pass(facts, resolutions, state.last_check)
    state.already_done = next((i for i in reversed(facts.steps) if i.reading.verdict.kind == "nothing_to_do"), None)
    working = [t for t in facts.session.turns if t.steps]
    if working:
        last_turn = working[-1].turn_index
        # A failure left behind counts at the end only when no check passed after it.
        passed_after = max((c.step_index for c in facts.checks if c.passed), default=-1)
        state.open_failure = next(
            (
                r.failure
                for r in reversed(resolutions)
                if r.status == "unresolved" and r.failure.turn == last_turn and r.failure.index > passed_after
            ),
            None,
        )
    state.gave_up = _gave_up(facts.session.turns)
    state.interrupts = _interrupts(facts)
    # A call rejected by pressing Ctrl-C is the interrupt itself, not a second reaction.
    interrupted = {turn for turn, _ in state.interrupts}
    state.rejections = [i for i in facts.steps if i.failure == "rejected" and i.turn not in interrupted]
    state.last_ok = next((i for i in reversed(facts.steps) if i.failure is None), None)
    return state


def _last_recovery(state: EndState, facts: ScoringFacts, resolutions: list[FailureResolution]) -> None:
    recovered = [r for r in resolutions if r.by is not None and r.status in ("resolved", "slow")]
    if not recovered:
        return
    last = max(recovered, key=lambda r: r.by.index if r.by is not None else -1)
    assert last.by is not None
    check = state.last_check
    if check is not None and check.step_index >= last.by.index:
        return
    state.last_recovery = last
    after = [i for i in facts.steps if i.index > last.by.index and i.writes]
    state.changed_after_recovery = sorted({p for i in after for p in i.writes if _is_code(p)})


def _tests_edited_to_pass(
    facts: ScoringFacts, resolutions: list[FailureResolution], check: CheckRun | None
) -> list[str]:
    """The test files edited between the last failing run of the final check and its passing run,
    when nothing but tests was edited: the check passes because it checks less."""
    if check is None or not check.passed:
        return []
    fixed = [r for r in resolutions if r.by is not None and r.by.index == check.step_index and r.failure.check]
    if not fixed:
        return []
    start = fixed[0].failure.index
    edited = [
        p
        for i in facts.steps
        if start < i.index < check.step_index and i.step.tool_name in EDIT_TOOLS
        for p in i.step.files
    ]
    if edited and all(path_class(p) == "tests" for p in edited):
        return sorted(set(edited))
    return []


def _gave_up(turns: list[Turn]) -> str:
    last = next((t for t in reversed(turns) if t.final_text.strip()), None)
    if last is None:
        return ""
    text = last.final_text[-600:]
    match = reports_failure(text)
    if match is None:
        return ""
    start = max(text.rfind(mark, 0, match.start()) for mark in (". ", "\n", "! ", "? ")) + 1
    ends = [i for i in (text.find(mark, match.end()) for mark in (". ", "\n", "! ", "? ")) if i >= 0]
    return text[start : min(ends, default=len(text)) + 1].strip()


def _interrupts(facts: ScoringFacts) -> list[tuple[int, int]]:
    seen: set[int] = set()
    found: list[tuple[int, int]] = []
    for event in facts.session.events:
        if event.kind == "interrupt" and event.turn_index not in seen:
            seen.add(event.turn_index)
            found.append((event.turn_index, event.step_index))
    for turn in facts.session.turns:
        if turn.interrupted and turn.turn_index not in seen:
            seen.add(turn.turn_index)
            found.append((turn.turn_index, -1))
    return found


def _findings(state: EndState) -> list[ScoreFact]:
    findings: list[ScoreFact] = []
    check = state.last_check
    if check is not None:
        where = (check.turn_index, check.step_index)
        if check.passed and state.tests_edited_to_pass:
            names = ", ".join(p.rsplit("/", 1)[-1] for p in state.tests_edited_to_pass[:3])
            findings.append(
                ScoreFact(
                    f"last {check.tool} run passed only after editing the tests ({names}), not the code", -0.5, *where
                )
            )
        elif check.passed:
            if state.changed_after_check:
                names = ", ".join(p.rsplit("/", 1)[-1] for p in state.changed_after_check[:3])
                findings.append(
                    ScoreFact(
                        f"last {check.tool} run passed ({check.summary}), but {names} changed after",
                        0.1,
                        *where,
                    )
                )
            else:
                findings.append(ScoreFact(f"last {check.tool} run passed ({check.summary})", 0.25, *where))
        else:
            findings.append(ScoreFact(f"last {check.tool} run failed ({check.summary})", -0.5, *where))
    recovery = state.last_recovery
    if recovery is not None and recovery.by is not None and (check is None or check.passed):
        ran = recovery.by.command or recovery.by.step.tool_name
        units = 0.1 if state.changed_after_recovery else 0.25
        if check is not None and check.passed:
            units = 0.0
        findings.append(
            ScoreFact(f"`{ran[:80]}` failed, then ran clean after the fix", units, recovery.by.turn, recovery.by.index)
        )
    if state.open_failure is not None:
        item = state.open_failure
        findings.append(
            ScoreFact(f"ended on a failure nobody got past: {item.family[:90]}", -0.3, item.turn, item.index)
        )
    if state.gave_up:
        findings.append(ScoreFact(f"the model said it did not succeed: “{state.gave_up[:120]}”", -0.3))
    penalties = [
        ScoreFact("the user interrupted the work", -0.3, t, s if s >= 0 else None) for t, s in state.interrupts
    ]
    penalties += [ScoreFact(f"the user corrected the work: “{text}”", -0.3, t) for t, text in state.corrections]
    findings.extend(_capped(penalties, _CAP_CORRECTIONS))
    rejected = [ScoreFact("the user rejected a tool call", -0.1, i.turn, i.index) for i in state.rejections]
    findings.extend(_capped(rejected, _CAP_REJECTIONS))
    return findings


def _capped(findings: list[ScoreFact], cap: float) -> list[ScoreFact]:
    """The findings, with those past the cap kept as evidence that no longer moves the score."""
    kept: list[ScoreFact] = []
    total = 0.0
    for finding in findings:
        room = max(0.0, cap - total)
        units = -min(room, -finding.units)
        total += -units
        kept.append(ScoreFact(finding.fact, units, finding.turn_index, finding.step_index))
    return kept


def _feedback_finding(score: float, verdict: str | None, note: str) -> ScoreFact | None:
    if verdict == "good" and score < 0.95:
        return ScoreFact(f"the user marked the session good{': ' + note if note else ''}", 0.95 - score)
    if verdict == "bad" and score > 0.05:
        return ScoreFact(f"the user marked the session bad{': ' + note if note else ''}", 0.05 - score)
    return None


def task_completion(
    facts: ScoringFacts, state: EndState, verdict: str | None = None, note: str = ""
) -> tuple[DimensionScore, dict[int, float]]:
    findings = _findings(state)
    if not facts.steps and not findings:
        findings.append(ScoreFact("no tool calls: nothing to check the answer against", 0.0))
    # Unclamped, so that the feedback's effect brings the sum exactly to its mark.
    score = BASE + sum(f.units for f in findings)
    feedback = _feedback_finding(score, verdict, note)
    if feedback is not None:
        findings.append(feedback)
    card = additive("task_completion", COMPLETION_RULE, BASE, findings)
    return card, _turn_scores(facts, state)


def _turn_scores(facts: ScoringFacts, state: EndState) -> dict[int, float]:
    """Each turn judged on its own end: its last check, an open failure, interrupt, correction."""
    by_turn: dict[int, list[StepFacts]] = {}
    for item in facts.steps:
        by_turn.setdefault(item.turn, []).append(item)
    corrected = {t for t, _ in state.corrections}
    interrupted = {t for t, _ in state.interrupts}
    scores: dict[int, float] = {}
    for turn in facts.session.turns:
        steps = by_turn.get(turn.turn_index, [])
        score = BASE if steps else 1.0
        check = _last_verdict([i.check for i in steps if i.check is not None])
        if check is not None:
            score += 0.25 if check.passed else -0.5
        if steps and steps[-1].is_failure:
            score -= 0.3
        if reports_failure(turn.final_text[-600:]):
            score -= 0.3
        score -= 0.3 * ((turn.turn_index in interrupted) + (turn.turn_index in corrected))
        scores[turn.turn_index] = round(clamp(score), 4)
    return scores
