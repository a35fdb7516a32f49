"""A live session's change to a skill's status, made only on the user's word in the conversation.

The model may propose; the user decides. So a change carries the user's own words of consent,
which are recorded with it in the skill's history, and an approval without them is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from trajectory_miner.retrieval.listing import BadRequest
from trajectory_miner.skills.lifecycle import SkillNotFound, TransitionError, change_status
from trajectory_miner.store import Store
from trajectory_miner.textcap import one_line

Decision = Literal["approve", "reject", "retire"]
DECISIONS: dict[str, Literal["approved", "rejected", "retired"]] = {
    "approve": "approved",
    "reject": "rejected",
    "retire": "retired",
}
MAX_WORDS = 500
NEXT_STEPS = {
    "approved": "run `trajectory-miner skills export` (or /mine) to write it as a SKILL.md Claude Code loads",
    "rejected": "nothing: it will not be proposed again unless reopened",
    "retired": "run `trajectory-miner skills export --remove-retired` to delete its exported file",
}


class SkillReview(BaseModel):
    """What changed, and what to do next."""

    skill_id: str
    from_status: str
    to_status: str
    recorded_reason: str
    next_step: str


def review_skill(store: Store, skill_id: str, decision: str, user_said: str, reason: str | None) -> SkillReview:
    """Move a skill to the status the user chose, recording their words as the reason.

    Raises:
        BadRequest: unknown decision or skill, no words from the user, or a change the
            lifecycle does not allow (the message says what to do instead).
    """
    to_status = DECISIONS.get(decision)
    if to_status is None:
        raise BadRequest(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    words = one_line(user_said or "", MAX_WORDS)
    if not words:
        raise BadRequest(
            "user_said is empty: ask the user in the conversation first, then pass their answer word for word"
        )
    why = one_line(reason or "", MAX_WORDS)
    recorded = f'user said: "{words}"' + (f"; {why}" if why else "")
    try:
        skill, event = change_status(store, skill_id, to_status, recorded)
    except (SkillNotFound, TransitionError) as exc:
        raise BadRequest(str(exc)) from None
    return SkillReview(
        skill_id=skill.id,
        from_status=event.from_status or "",
        to_status=event.to_status,
        recorded_reason=recorded,
        next_step=NEXT_STEPS[to_status],
    )
