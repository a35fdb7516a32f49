"""One session in detail, read from the store on request: a headline, then steps page by page."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.model import Session, Step
from trajectory_miner.retrieval.answers import SessionDetail, StepLine, fit, size
from trajectory_miner.retrieval.listing import BadRequest, short_project
from trajectory_miner.scoring.card import load_scorecards
from trajectory_miner.sessions import ambiguity, load_session, resolve_session_id
from trajectory_miner.store import Store
from trajectory_miner.textcap import one_line

Detail = Literal["brief", "steps", "full"]
DETAILS: tuple[str, ...] = ("brief", "steps", "full")


def session_detail(store: Store, session_id: str, detail: str, from_step: int, budget: int) -> SessionDetail:
    """A session's headline; with `steps` or `full`, its steps from `from_step` while the budget lasts."""
    if detail not in DETAILS:
        raise BadRequest(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
    if from_step < 0:
        raise BadRequest(f"from_step must be 0 or more, not {from_step}")
    wanted = session_id.strip().split("#", 1)[0]
    sid = resolve_session_id(store, wanted) if wanted else None
    session = load_session(store, sid) if sid else None
    if session is None:
        unclear = ambiguity(store, wanted) if wanted else None
        raise BadRequest(f"{unclear or f'no session matches {session_id!r}'}: find ids with search_sessions")
    card = load_scorecards(store, [session.session_id]).get(session.session_id)
    answer = _headline(session)
    if card is not None:
        answer.outcome = card.outcome
        answer.overall_score = round(card.overall, 2)
    if detail == "brief":
        return fit(answer, budget, "error_signatures")
    return _with_steps(answer, session.steps(), detail == "full", from_step, budget)


def _headline(session: Session) -> SessionDetail:
    steps = session.steps()
    prompts = [t.prompt for t in session.turns if t.prompt]
    finals = [t.final_text for t in session.turns if t.final_text]
    families = Counter(signature_family(s.error_signature) for s in steps if s.error_signature)
    files = Counter(f for s in steps for f in s.files)
    return SessionDetail(
        id=session.session_id,
        project=short_project(session.project),
        title=one_line(session.title, 120),
        started_at=session.started_at.isoformat(timespec="seconds") if session.started_at else "",
        ended_at=session.ended_at.isoformat(timespec="seconds") if session.ended_at else "",
        outcome="unknown",
        turns=session.n_turns,
        steps=session.n_steps,
        tool_errors=session.n_tool_errors,
        compactions=session.n_compactions,
        interrupts=session.n_interrupts,
        first_prompt=one_line(prompts[0], 300) if prompts else "",
        final_text=one_line(finals[-1], 300) if finals else "",
        error_signatures=[f"{one_line(f, 120)} ×{n}" for f, n in families.most_common(5)],
        files=[f for f, _ in files.most_common(8)],
    )


def _step_line(step: Step, full: bool) -> StepLine:
    return StepLine(
        step=step.step_index,
        turn=step.turn_index,
        tool=step.tool_name,
        summary=one_line(step.summary, 160),
        error=signature_family(step.error_signature) if step.error_signature else None,
        thought=one_line(step.thought, 240) if full else "",
        result=one_line(step.result_text[-600:], 400) if full and step.result_text else "",
    )


def _with_steps(answer: SessionDetail, steps: list[Step], full: bool, from_step: int, budget: int) -> SessionDetail:
    remaining = [s for s in steps if s.step_index >= from_step]
    for position, step in enumerate(remaining):
        answer.step_lines.append(_step_line(step, full))
        if size(answer) > budget:
            answer.step_lines.pop()
            _stop_at(answer, remaining[position:], budget)
            break
    if not answer.step_lines and remaining:
        answer.step_lines.append(_step_line(remaining[0], False))
        answer.next_step = remaining[1].step_index if len(remaining) > 1 else None
        return fit(answer, budget, "error_signatures")
    return answer


def _stop_at(answer: SessionDetail, left: list[Step], budget: int) -> None:
    """Say where the page ends; the saying costs tokens too, so steps may go back to the next page."""
    answer.truncated = True
    answer.next_step = left[0].step_index
    while True:
        answer.note = f"steps from {answer.next_step} left out to stay within {budget} tokens: ask again with from_step"
        if size(answer) <= budget or not answer.step_lines:
            return
        answer.next_step = answer.step_lines.pop().step
