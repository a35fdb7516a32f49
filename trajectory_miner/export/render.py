"""How a trajectory becomes training text: the state before a step, and the step as an action.

The state is compact on purpose: the request, a few earlier requests, and one line per step
already taken in the turn (tool, what it did, whether it worked). The action is the tool call
as JSON, with long string values cut so one example stays a few thousand characters.
"""

from __future__ import annotations

from typing import Any

import orjson

from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.model import Session, Step, Turn
from trajectory_miner.textcap import one_line

SYSTEM_PROMPT = (
    "You are a coding agent working in a software repository through tools. Given the user's request "
    "and what has been done so far, reply with the next tool call as a JSON object with the keys "
    '"tool" and "input".'
)
REQUEST_CHARS = 2000
EARLIER_REQUESTS = 5
EARLIER_CHARS = 200
HISTORY_STEPS = 30
LINE_CHARS = 160
VALUE_CHARS = 4000
_CUT = " …[cut]"


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + _CUT


def step_line(step: Step) -> str:
    """One line saying what a step did and whether it worked."""
    if step.is_error:
        reason = signature_family(step.error_signature) if step.error_signature else "error"
        result = f"failed: {one_line(reason, LINE_CHARS)}"
    else:
        result = "ok" if step.has_result else "no result"
    return f"- {step.tool_name}: {one_line(step.summary, LINE_CHARS) or '(no summary)'} -> {result}"


def state_text(session: Session, turn: Turn, before_step: int) -> str:
    """The user message for the state of a turn just before its step `before_step` is taken."""
    request = _capped(turn.prompt.strip(), REQUEST_CHARS) if turn.prompt.strip() else "(continuing the session)"
    lines = [f"Request: {request}"]
    earlier = [t for t in session.turns if t.turn_index < turn.turn_index and t.prompt.strip()]
    if earlier:
        lines.append("Earlier requests in this session:")
        lines += [f"- {one_line(t.prompt, EARLIER_CHARS)}" for t in earlier[-EARLIER_REQUESTS:]]
    done = [s for s in turn.steps if s.step_index < before_step]
    if not done:
        lines.append("Done so far in this request: nothing yet.")
        return "\n".join(lines)
    lines.append("Done so far in this request:")
    if len(done) > HISTORY_STEPS:
        lines.append(f"- ({len(done) - HISTORY_STEPS} earlier steps left out)")
        done = done[-HISTORY_STEPS:]
    lines += [step_line(s) for s in done]
    return "\n".join(lines)


def _cut_values(value: Any) -> tuple[Any, bool]:
    if isinstance(value, str):
        return (value, False) if len(value) <= VALUE_CHARS else (value[:VALUE_CHARS] + _CUT, True)
    if isinstance(value, dict):
        pairs = {k: _cut_values(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(cut for _, cut in pairs.values())
    if isinstance(value, list):
        items = [_cut_values(v) for v in value]
        return [v for v, _ in items], any(cut for _, cut in items)
    return value, False


def action_text(step: Step) -> tuple[str, bool]:
    """The tool call as JSON text, and whether a long value in it was cut."""
    tool_input, cut = _cut_values(step.input)
    return orjson.dumps({"tool": step.tool_name, "input": tool_input}).decode(), cut
