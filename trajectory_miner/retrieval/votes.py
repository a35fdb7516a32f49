"""Recording a live session's verdict on a session, a skill or a replay it was given."""

from __future__ import annotations

import re

from trajectory_miner.feedback import verdicts as feedback
from trajectory_miner.retrieval.answers import FeedbackReceipt
from trajectory_miner.retrieval.listing import BadRequest
from trajectory_miner.sessions import resolve_session_id
from trajectory_miner.store import Store
from trajectory_miner.textcap import one_line

_MINED = re.compile(r"^(S|R|P)-\d+$")
_KINDS = {"S": ("skills", "skill"), "R": ("replays", "replay")}
MAX_NOTE = 2000


def resolve_target(store: Store, target_id: str) -> tuple[str, str, str]:
    """The stored id, its kind and any step a target names (`<session>#<step>` names a step)."""
    target = target_id.strip()
    mined = _MINED.match(target)
    if mined:
        prefix = mined.group(1)
        if prefix not in _KINDS:
            raise BadRequest("feedback applies to sessions, skills (S-…) and replays (R-…), not patterns")
        table, kind = _KINDS[prefix]
        if not store.scalar(f"SELECT count(*) FROM {table} WHERE id = ?", [target]):
            raise BadRequest(f"no {kind} {target!r}")
        return target, kind, ""
    session_part, _, step = target.partition("#")
    sid = resolve_session_id(store, session_part) if session_part else None
    if sid is None:
        raise BadRequest(f"no session, skill or replay matches {target_id!r}")
    return sid, "session", step


def record_vote(store: Store, target_id: str, verdict: str, note: str | None) -> FeedbackReceipt:
    """Store one verdict through `trajectory_miner.feedback` (the scorer and the miner read it there).

    The verdict is good or bad; helpful and harmful are taken for them.
    """
    try:
        word = feedback.canonical_verdict(verdict)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if note is not None and len(note) > MAX_NOTE:
        raise BadRequest(f"note is {len(note):,} characters; the limit is {MAX_NOTE:,}")
    target, kind, step = resolve_target(store, target_id)
    text = one_line(note or "", MAX_NOTE)
    if step:
        text = f"step {step}: {text}" if text else f"step {step}"
    stored = feedback.record_feedback(store, target, word, text, kind)
    return FeedbackReceipt(feedback_id=stored.feedback_id, target_id=target, target_kind=kind, verdict=stored.verdict)
