"""Reading sessions back from the store: summaries for listings, whole trajectories for work."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from trajectory_miner.model import Event, Session, Step, TokenUsage, Turn
from trajectory_miner.store import Store
from trajectory_miner.store.tables import EVENTS, SESSIONS, STEPS, TURNS
from trajectory_miner.utc import aware_or_none, stored


class SessionSummary(BaseModel):
    """One row of the session listing."""

    session_id: str
    project: str
    title: str
    started_at: datetime | None
    ended_at: datetime | None
    model: str
    turns: int
    steps: int
    tool_errors: int
    is_sidechain: bool
    parent_session_id: str | None


def _filters(project: str | None, since: datetime | None, include_sidechains: bool) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if not include_sidechains:
        clauses.append("NOT s.is_sidechain")
    if project:
        clauses.append("(s.project = ? OR s.project LIKE ? OR s.project LIKE ?)")
        params.extend([project, f"%/{project}", f"{project.rstrip('/')}/%"])
    if since is not None:
        clauses.append("coalesce(s.ended_at, s.started_at) >= ?")
        params.append(stored(since))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_sessions(
    store: Store,
    *,
    project: str | None = None,
    since: datetime | None = None,
    include_sidechains: bool = False,
    limit: int | None = None,
) -> list[SessionSummary]:
    """Sessions, newest first, with their counts."""
    where, params = _filters(project, since, include_sidechains)
    sql = f"""
        SELECT s.session_id, s.project, s.title, s.started_at, s.ended_at,
            coalesce((SELECT mode(model) FROM responses r WHERE r.session_id = s.session_id
                AND model <> ''), '') AS model,
            (SELECT count(*) FROM turns t WHERE t.session_id = s.session_id) AS turns,
            (SELECT count(*) FROM steps x WHERE x.session_id = s.session_id) AS steps,
            (SELECT count(*) FROM steps x WHERE x.session_id = s.session_id AND x.is_error) AS errors,
            s.is_sidechain, s.parent_session_id
        FROM sessions s{where}
        ORDER BY s.started_at DESC NULLS LAST, s.session_id
        {"LIMIT " + str(int(limit)) if limit else ""}
    """
    return [
        SessionSummary(
            session_id=r[0],
            project=r[1],
            title=r[2],
            started_at=aware_or_none(r[3]),
            ended_at=aware_or_none(r[4]),
            model=r[5],
            turns=r[6],
            steps=r[7],
            tool_errors=r[8],
            is_sidechain=r[9],
            parent_session_id=r[10],
        )
        for r in store.query(sql, params)
    ]


def session_ids(
    store: Store,
    *,
    project: str | None = None,
    since: datetime | None = None,
    include_sidechains: bool = False,
    with_turns: bool = False,
) -> list[str]:
    """Ids of the sessions that match, oldest first; with `with_turns`, only those with a turn."""
    where, params = _filters(project, since, include_sidechains)
    if with_turns:
        having = "EXISTS (SELECT 1 FROM turns t WHERE t.session_id = s.session_id)"
        where = f"{where} AND {having}" if where else f" WHERE {having}"
    rows = store.query(f"SELECT s.session_id FROM sessions s{where} ORDER BY s.started_at NULLS FIRST", params)
    return [r[0] for r in rows]


def short_id(session_id: str) -> str:
    """The id as listings show it: a main session's first 13 characters; for a sidechain,
    the start of its parent's id and of its own name (`1a2b3c4d/agent-a1b2c3d`)."""
    parent, _, own = session_id.partition("/")
    return f"{parent[:8]}/{own[:13]}" if own else session_id[:13]


def short_ids(ids: Sequence[str]) -> dict[str, str]:
    """The short id of each of `ids`, or the whole id where the short one would not tell two apart."""
    short = {sid: short_id(sid) for sid in ids}
    seen = Counter(short.values())
    return {sid: text if seen[text] == 1 else sid for sid, text in short.items()}


def resolve_session_id(store: Store, prefix: str) -> str | None:
    """The full id of a session named by its id, an unambiguous prefix of it, or its short id.

    A prefix that matches a session and its own subagent sidechains names the session; a
    sidechain is also named by prefixes of its parent's id and of its own name, `/` between.
    """
    ids = _matching(store, prefix)
    if prefix in ids:
        return prefix
    main = [i for i in ids if "/" not in i]
    if len(main) == 1 and all(i.startswith(main[0]) for i in ids):
        return main[0]
    return ids[0] if len(ids) == 1 else None


def _matching(store: Store, prefix: str) -> list[str]:
    """The ids a prefix may name (at most `_MAX_MATCHES`), in id order."""
    rows = store.query(
        f"SELECT session_id FROM sessions WHERE starts_with(session_id, ?) ORDER BY 1 LIMIT {_MAX_MATCHES}", [prefix]
    )
    if not rows and "/" in prefix:
        parent, _, own = prefix.partition("/")
        rows = store.query(
            "SELECT session_id FROM sessions WHERE is_sidechain AND starts_with(split_part(session_id, '/', 1), ?) "
            f"AND starts_with(split_part(session_id, '/', 2), ?) ORDER BY 1 LIMIT {_MAX_MATCHES}",
            [parent, own],
        )
    return [r[0] for r in rows]


_MAX_MATCHES = 50
_SHOWN_CANDIDATES = 5


def ambiguity(store: Store, prefix: str) -> str | None:
    """When `prefix` names several sessions (and so none for `resolve_session_id`), a line
    saying so with the first of them; None when it names one or none."""
    ids = _matching(store, prefix)
    if len(ids) < 2 or resolve_session_id(store, prefix) is not None:
        return None
    count = f"{len(ids)}" if len(ids) < _MAX_MATCHES else f"{_MAX_MATCHES} or more"
    shown = ", ".join(ids[:_SHOWN_CANDIDATES]) + (", …" if len(ids) > _SHOWN_CANDIDATES else "")
    return f"the id prefix {prefix!r} is ambiguous: it matches {count} sessions ({shown}); give more of the id"


Row = tuple[Any, ...]

_step_fields = STEPS.fields_of()


def _step(row: Row) -> Step:
    return Step(**_step_fields(row))


@dataclass(frozen=True, slots=True)
class TrajectoryRows:
    """Sessions as the store holds them: each table's rows for them, as plain values.

    Rows pickle several times faster than the models built from them, so one process can read
    the store and another build the sessions (see `build_sessions`).
    """

    sessions: list[Row]
    turns: list[Row]
    steps: list[Row]
    events: list[Row]
    tokens: list[Row]

    def with_turns(self) -> set[str]:
        """The sessions that have a turn once built (a step with no turn row makes one)."""
        return {r[0] for r in self.turns} | {r[0] for r in self.steps}


def read_session_rows(store: Store, ids: Sequence[str]) -> TrajectoryRows:
    """The rows of the given sessions, for `build_sessions`."""
    if not ids:
        return TrajectoryRows([], [], [], [], [])
    store.execute("CREATE OR REPLACE TEMP TABLE _wanted AS SELECT unnest($1::VARCHAR[]) AS id", [list(ids)])
    return TrajectoryRows(
        sessions=store.query(_SESSIONS_SQL),
        turns=store.query(_TURNS_SQL),
        steps=store.query(_STEPS_SQL),
        events=store.query(_EVENTS_SQL),
        tokens=store.query(_TOKENS_SQL),
    )


def build_sessions(rows: TrajectoryRows, ids: Sequence[str]) -> list[Session]:
    """Whole trajectories from their rows, for those of `ids` the rows hold, in that order."""
    wanted = set(ids)
    sessions = {r[0]: _session(r) for r in rows.sessions if r[0] in wanted}
    turns = _grouped(rows.turns, _turn, sessions)
    steps = _grouped(rows.steps, _step, sessions)
    events = _grouped(rows.events, _event, sessions)
    tokens = {r[0]: r[1:] for r in rows.tokens}
    result: list[Session] = []
    for sid in ids:
        session = sessions.get(sid)
        if session is None:
            continue
        _assemble(session, turns.get(sid, []), steps.get(sid, []), events.get(sid, []), tokens.get(sid))
        result.append(session)
    return result


def load_sessions(store: Store, ids: Sequence[str]) -> list[Session]:
    """Whole trajectories (turns with their steps, events, tokens) for the given ids, in that order."""
    if not ids:
        return []
    return build_sessions(read_session_rows(store, ids), ids)


def load_session(store: Store, session_id: str) -> Session | None:
    """One whole trajectory, or None when the store has no such session."""
    found = load_sessions(store, [session_id])
    return found[0] if found else None


_STEPS_SQL = f"SELECT {STEPS.select()} FROM steps WHERE session_id IN (SELECT id FROM _wanted)"
_TURNS_SQL = f"SELECT {TURNS.select()} FROM turns WHERE session_id IN (SELECT id FROM _wanted)"
_EVENTS_SQL = f"SELECT {EVENTS.select()} FROM events WHERE session_id IN (SELECT id FROM _wanted)"
_TOKENS_SQL = """
    SELECT session_id, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_creation_tokens), list(DISTINCT model) FILTER (WHERE model <> ''),
        mode(model) FILTER (WHERE model <> '')
    FROM responses WHERE session_id IN (SELECT id FROM _wanted) GROUP BY session_id
"""


_SESSIONS_SQL = f"SELECT {SESSIONS.select()} FROM sessions WHERE session_id IN (SELECT id FROM _wanted)"
_session_fields = SESSIONS.fields_of()
_turn_fields = TURNS.fields_of()
_event_fields = EVENTS.fields_of()


def _session(row: Row) -> Session:
    return Session(**_session_fields(row))


def _grouped(rows: Iterable[Row], build: Any, wanted: Container[str]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        if row[0] in wanted:
            grouped[row[0]].append(build(row))
    return grouped


def _turn(row: Row) -> Turn:
    return Turn(**_turn_fields(row))


def _event(row: Row) -> Event:
    return Event(**_event_fields(row))


def _assemble(
    session: Session, turns: list[Turn], steps: list[Step], events: list[Event], tokens: tuple[Any, ...] | None
) -> None:
    turns.sort(key=lambda t: (t.turn_index, t.started_at or datetime.min.replace(tzinfo=UTC)))
    steps.sort(key=lambda s: s.step_index)
    by_index = {t.turn_index: t for t in turns}
    for step in steps:
        turn = by_index.get(step.turn_index)
        if turn is None:
            turn = Turn(session_id=session.session_id, turn_index=step.turn_index, uuid=f"implicit-{step.turn_index}")
            by_index[step.turn_index] = turn
            turns.append(turn)
        turn.steps.append(step)
    turns.sort(key=lambda t: t.turn_index)
    for turn in turns:
        turn.n_steps = len(turn.steps)
        turn.n_errors = sum(1 for s in turn.steps if s.is_error)
    events.sort(key=lambda e: (e.turn_index, e.step_index, e.at or datetime.min.replace(tzinfo=UTC)))
    session.turns = turns
    session.events = events
    session.n_turns = len(turns)
    session.n_steps = len(steps)
    session.n_tool_errors = sum(1 for s in steps if s.is_error)
    session.n_compactions = sum(1 for e in events if e.kind == "compaction")
    session.n_interrupts = sum(1 for e in events if e.kind == "interrupt")
    session.n_api_errors = sum(1 for e in events if e.kind == "api_error")
    if tokens:
        session.tokens = TokenUsage(input=tokens[0], output=tokens[1], cache_read=tokens[2], cache_creation=tokens[3])
        session.models = sorted(tokens[4] or [])
        session.model = tokens[5] or ""
