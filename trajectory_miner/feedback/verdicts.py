"""Explicit feedback: a user's own verdict on a session (or another item), kept in the store.

Feedback is the most trusted source of a session's outcome: the scorer reads the latest
verdict of each session and lets it decide the outcome label. Recording keeps every verdict,
so a changed mind is a newer row, not an overwrite.

A verdict is good or bad, in the store and in every answer. The CLI and the MCP tool both
record through `record_feedback`, which also takes helpful and harmful (the words the MCP tool
used first) and stores them as good and bad.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel

from trajectory_miner.store import Store
from trajectory_miner.utc import aware, stored

Verdict = Literal["good", "bad"]
TargetKind = Literal["session", "skill", "replay", "pattern"]

VERDICTS: tuple[str, ...] = get_args(Verdict)
"""The words a verdict is stored and shown in."""
ALIASES: dict[str, Verdict] = {"helpful": "good", "harmful": "bad"}
"""Other words taken for a verdict (the MCP tool's first words): read as the stored ones."""
ACCEPTED: tuple[str, ...] = (*VERDICTS, *ALIASES)
TARGET_KINDS: tuple[str, ...] = get_args(TargetKind)
NOTE_CAP = 2000


class Feedback(BaseModel):
    """One verdict on one item."""

    feedback_id: str
    target_id: str
    target_kind: TargetKind = "session"
    verdict: Verdict
    note: str = ""
    created_at: datetime


def record_feedback(
    store: Store,
    target_id: str,
    verdict: str,
    note: str = "",
    target_kind: str = "session",
    now: datetime | None = None,
) -> Feedback:
    """Store a verdict (good or bad, or its alias helpful or harmful) and return it, as good or bad.

    Raises:
        ValueError: the verdict is not one of `ACCEPTED`, the kind is unknown, or the target is empty.
    """
    verdict = canonical_verdict(verdict)
    if target_kind not in TARGET_KINDS:
        raise ValueError(f"target kind must be one of {', '.join(TARGET_KINDS)}, not {target_kind!r}")
    if not target_id:
        raise ValueError("feedback needs a target id")
    at = stored(now)
    item = Feedback.model_validate(
        {
            "feedback_id": f"F-{uuid.uuid4().hex[:12]}",
            "target_id": target_id,
            "target_kind": target_kind,
            "verdict": verdict,
            "note": note.strip()[:NOTE_CAP],
            "created_at": aware(at),
        }
    )
    store.execute(
        "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
        [item.feedback_id, item.target_id, item.target_kind, item.verdict, item.note, at],
    )
    return item


def canonical_verdict(word: str) -> Verdict:
    """The stored word for a verdict given in either vocabulary: good or bad.

    Raises:
        ValueError: the word is neither a verdict nor an alias of one.
    """
    if word == "good":
        return "good"
    if word == "bad":
        return "bad"
    if word in ALIASES:
        return ALIASES[word]
    raise ValueError(f"verdict must be good or bad (or helpful or harmful), not {word!r}")


def _row(row: tuple[object, ...]) -> Feedback:
    at = row[5]
    if isinstance(at, datetime):
        at = aware(at)
    return Feedback.model_validate(
        {
            "feedback_id": row[0],
            "target_id": row[1],
            "target_kind": row[2],
            "verdict": ALIASES.get(str(row[3]), row[3]),
            "note": row[4],
            "created_at": at,
        }
    )


def list_feedback(store: Store, target_id: str | None = None, target_kind: str | None = None) -> list[Feedback]:
    """Every verdict, oldest first, optionally of one target or one kind of target."""
    clauses: list[str] = []
    params: list[object] = []
    if target_id is not None:
        clauses.append("target_id = ?")
        params.append(target_id)
    if target_kind is not None:
        clauses.append("target_kind = ?")
        params.append(target_kind)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.query(
        "SELECT feedback_id, target_id, target_kind, verdict, note, created_at FROM feedback"
        f"{where} ORDER BY created_at, feedback_id",
        params,
    )
    return [_row(r) for r in rows]


def latest_feedback(
    store: Store, ids: Sequence[str] | None = None, target_kind: str = "session"
) -> dict[str, Feedback]:
    """The newest verdict of each target (of the given ids, or of all targets)."""
    sql = "SELECT feedback_id, target_id, target_kind, verdict, note, created_at FROM feedback WHERE target_kind = ?"
    params: list[object] = [target_kind]
    if ids is not None:
        sql += " AND target_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(ids))
    sql += " QUALIFY row_number() OVER (PARTITION BY target_id ORDER BY created_at DESC, rowid DESC) = 1"
    return {item.target_id: item for item in (_row(r) for r in store.query(sql, params))}
