"""Lean reads of the store for the miner: only the columns it needs, as plain tuples.

Mining reads every step of every session in scope. Building the full trajectory model for
ten thousand sessions costs more than mining them, so the miner reads narrow rows here
(result text only where a failure may hide in it) and keeps the model for everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from trajectory_miner.store import Store

# Result text is read for failures and shell commands only, and only this much of it.
_RESULT_CHARS = 3000
_PROMPT_CHARS = 600
_THOUGHT_CHARS = 300
_FINAL_CHARS = 600
_EDIT_CHARS = 400


@dataclass(slots=True)
class StepRow:
    """One tool call, narrowed to what mining uses."""

    turn: int
    step: int
    tool_use_id: str
    tool: str
    summary: str
    is_error: bool
    signature: str
    files: list[str]
    result: str
    result_size: int
    exit_code: int | None = None
    thought: str = ""
    before: str = ""
    after: str = ""


@dataclass(slots=True)
class TurnRow:
    kind: str
    prompt: str
    interrupted: bool
    final: str = ""


@dataclass(slots=True)
class EventRow:
    kind: str
    turn: int
    step: int


@dataclass(slots=True)
class SessionRows:
    """A session as the miner reads it."""

    session_id: str
    project: str
    cwd: str
    started: datetime | None
    ended: datetime | None
    models: list[str] = field(default_factory=list)
    turns: dict[int, TurnRow] = field(default_factory=dict)
    steps: list[StepRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)


def _wanted(store: Store, ids: Sequence[str]) -> None:
    store.execute("CREATE OR REPLACE TEMP TABLE _mine_ids AS SELECT unnest($1::VARCHAR[]) AS id", [list(ids)])


def fingerprints(store: Store, ids: Sequence[str]) -> dict[str, str]:
    """A string per session that changes whenever its stored content does.

    Leaves the ids in the `_mine_ids` table, which the loads that follow read (empty or not).
    """
    _wanted(store, ids)
    if not ids:
        return {}
    rows = store.query(
        """
        WITH st AS (
            SELECT session_id, count(*) AS n, count(*) FILTER (WHERE has_result) AS r,
                count(*) FILTER (WHERE is_error) AS e, max(step_index) AS m
            FROM steps WHERE session_id IN (SELECT id FROM _mine_ids) GROUP BY session_id),
        tu AS (
            SELECT session_id, count(*) AS n, count(*) FILTER (WHERE interrupted) AS i
            FROM turns WHERE session_id IN (SELECT id FROM _mine_ids) GROUP BY session_id),
        ev AS (
            SELECT session_id, count(*) AS n FROM events
            WHERE session_id IN (SELECT id FROM _mine_ids) GROUP BY session_id)
        SELECT s.session_id, coalesce(st.n, 0), coalesce(st.r, 0), coalesce(st.e, 0), coalesce(st.m, -1),
            coalesce(tu.n, 0), coalesce(tu.i, 0), coalesce(ev.n, 0), s.ended_at
        FROM sessions s
            LEFT JOIN st USING (session_id) LEFT JOIN tu USING (session_id) LEFT JOIN ev USING (session_id)
        WHERE s.session_id IN (SELECT id FROM _mine_ids)
        """
    )
    return {r[0]: ":".join(map(str, r[1:])) for r in rows}


def load_rows(store: Store, ids: Sequence[str]) -> list[SessionRows]:
    """The narrow rows of the given sessions, in the given order."""
    if not ids:
        return []
    _wanted(store, ids)
    sessions: dict[str, SessionRows] = {
        r[0]: SessionRows(session_id=r[0], project=r[1], cwd=r[2], started=r[3], ended=r[4])
        for r in store.query(
            "SELECT session_id, project, cwd, started_at, ended_at FROM sessions "
            "WHERE session_id IN (SELECT id FROM _mine_ids)"
        )
    }
    for sid, models in store.query(
        "SELECT session_id, list(DISTINCT model ORDER BY model) FROM responses "
        "WHERE session_id IN (SELECT id FROM _mine_ids) AND model <> '' GROUP BY session_id"
    ):
        if sid in sessions:
            sessions[sid].models = list(models)
    for sid, index, kind, prompt, interrupted, final in store.query(
        f"SELECT session_id, turn_index, kind, left(prompt, {_PROMPT_CHARS}), interrupted, "
        f"right(final_text, {_FINAL_CHARS}) FROM turns WHERE session_id IN (SELECT id FROM _mine_ids)"
    ):
        if sid in sessions:
            sessions[sid].turns[index] = TurnRow(kind, prompt, interrupted, final)
    for row in store.query(
        f"""
        SELECT session_id, turn_index, step_index, tool_use_id, tool_name, summary, is_error,
            coalesce(error_signature, ''), coalesce(files, []::VARCHAR[]),
            CASE WHEN is_error OR tool_name = 'Bash' THEN right(result_text, {_RESULT_CHARS}) ELSE '' END,
            result_size, exit_code, left(thought, {_THOUGHT_CHARS}),
            CASE WHEN tool_name IN ('Edit', 'MultiEdit')
                THEN coalesce(left(json_extract_string(input, '$.old_string'), {_EDIT_CHARS}), '') ELSE '' END,
            CASE WHEN tool_name IN ('Edit', 'MultiEdit')
                THEN coalesce(left(json_extract_string(input, '$.new_string'), {_EDIT_CHARS}), '')
                WHEN tool_name = 'Write'
                THEN coalesce(left(json_extract_string(input, '$.content'), {_EDIT_CHARS}), '') ELSE '' END
        FROM steps WHERE session_id IN (SELECT id FROM _mine_ids) ORDER BY session_id, step_index
        """
    ):
        found = sessions.get(row[0])
        if found is not None:
            found.steps.append(StepRow(*row[1:]))
    for sid, kind, turn, step in store.query(
        "SELECT session_id, kind, turn_index, step_index FROM events "
        "WHERE session_id IN (SELECT id FROM _mine_ids) ORDER BY session_id, turn_index, step_index"
    ):
        if sid in sessions:
            sessions[sid].events.append(EventRow(kind, turn, step))
    return [sessions[sid] for sid in ids if sid in sessions]
