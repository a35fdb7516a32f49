"""Reading what the index needs from the store, as a stream of messages.

`read_changes` compares the store with the watermarks of the last read and yields only what
changed: the sessions the ingester touched since (their kept documents, see `kept`, or else
their steps, a slice of sessions at a time, so neither DuckDB nor the reader ever holds every
step at once), and the small tables (scores, mined items, feedback) when they changed. The
index applies the messages in order; the same stream can cross a process boundary (see
`reader`), so the long-lived process that answers questions never has to open DuckDB itself.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trajectory_miner.feedback.verdicts import ALIASES
from trajectory_miner.mining.items import load_patterns, load_replays, load_skills
from trajectory_miner.retrieval import kept
from trajectory_miner.retrieval.episodes import RetrievalStep
from trajectory_miner.store import Store

SESSIONS_PER_READ = 500
_FETCH_ROWS = 20_000
_PROMPTS_PER_SESSION = 3

_STEPS_SQL = """
    SELECT session_id, step_index, turn_index, tool_name, summary, left(thought, 300), is_error,
        error_signature,
        CASE WHEN is_error OR (tool_name = 'Bash' AND (summary LIKE '%|%' OR summary LIKE '%;%'))
            THEN right(result_text, 600) ELSE '' END, files,
        CASE WHEN tool_name IN ('Edit', 'MultiEdit')
            THEN coalesce(left(json_extract_string(input, '$.new_string'), 100), '') ELSE '' END
    FROM steps WHERE session_id IN (SELECT id FROM _chunk)
    ORDER BY session_id, step_index
"""
_SESSIONS_SQL = """
    SELECT session_id, project, title, epoch(started_at), epoch(ended_at)
    FROM sessions WHERE session_id IN (SELECT id FROM _chunk)
"""
_PROMPTS_SQL = f"""
    SELECT session_id, left(prompt, 300) FROM turns
    WHERE kind IN ('prompt', 'command') AND session_id IN (SELECT id FROM _chunk)
    QUALIFY row_number() OVER (PARTITION BY session_id ORDER BY turn_index) <= {_PROMPTS_PER_SESSION}
    ORDER BY session_id, turn_index
"""
_MARKS_SQL = """
    SELECT
        (SELECT count(*) FROM sessions), (SELECT max(updated_at) FROM sessions),
        (SELECT count(*) || '/' || coalesce(max(scored_at)::VARCHAR, '') FROM scores),
        (SELECT count(*) || '/' || coalesce(max(updated_at)::VARCHAR, '') FROM skills),
        (SELECT count(*) || '/' || coalesce(max(updated_at)::VARCHAR, '') FROM replays),
        (SELECT count(*) || '/' || coalesce(max(updated_at)::VARCHAR, '') FROM patterns),
        (SELECT count(*) || '/' || coalesce(max(created_at)::VARCHAR, '') FROM feedback)
"""


@dataclass(frozen=True)
class Marks:
    """Watermarks of the store's tables, to tell what changed since the last read."""

    sessions: int
    sessions_updated: datetime | None
    scores: str
    skills: str
    replays: str
    patterns: str
    feedback: str


@dataclass(frozen=True)
class SessionRow:
    """A session as the index keeps it, with its first prompts and its steps in order."""

    session_id: str
    project: str
    title: str
    started: float | None
    ended: float | None
    prompts: tuple[str, ...]
    steps: tuple[RetrievalStep, ...]


# ("marks", Marks) · ("full", None) · ("changed", (ids, total sessions))
# · ("sessions", [SessionRow, or a kept row of `kept.stored_sql`])
# · ("outcomes", {id: outcome}) · ("mined", (replays, skills, patterns)) · ("feedback", {id: (good, bad)})
Message = tuple[str, Any]


def read_marks(store: Store) -> Marks:
    """The current watermarks of the store."""
    return Marks(*store.query(_MARKS_SQL)[0])


def read_changes(store: Store, known: Marks | None, with_terms: bool = True) -> Iterator[Message]:
    """What changed since `known` (everything when it is None), as messages for the index.

    Without terms, kept sessions come without their tokens: enough for the hint table, which
    reads episodes and sessions only, and no ranking.
    """
    marks = read_marks(store)
    yield "marks", marks
    if known is None:
        yield "full", None
        everything = store.query("SELECT session_id FROM sessions ORDER BY session_id")
        yield from _sessions(store, [r[0] for r in everything], with_terms)
    elif (marks.sessions, marks.sessions_updated) != (known.sessions, known.sessions_updated):
        # The ingester stamps every session of one transaction alike, and a reader sees whole
        # transactions, so the sessions stamped at the old watermark were all read last time.
        since = known.sessions_updated
        rows = (
            store.query("SELECT session_id FROM sessions WHERE updated_at > ?", [since])
            if since is not None
            else store.query("SELECT session_id FROM sessions")
        )
        changed = [r[0] for r in rows]
        yield "changed", (changed, marks.sessions)
        yield from _sessions(store, changed, with_terms)
    if known is None or marks.scores != known.scores:
        yield "outcomes", dict(store.query("SELECT session_id, outcome FROM scores"))
    if known is None or (marks.skills, marks.replays, marks.patterns) != (known.skills, known.replays, known.patterns):
        yield "mined", (load_replays(store), load_skills(store), load_patterns(store))
    if known is None or marks.feedback != known.feedback:
        yield "feedback", _feedback(store)


def _sessions(store: Store, ids: list[str], with_terms: bool = True) -> Iterator[Message]:
    """The sessions, a slice at a time in the given order: as their kept documents where the
    store holds valid ones, else as rows for the index to work out."""
    for start in range(0, len(ids), SESSIONS_PER_READ):
        chunk = ids[start : start + SESSIONS_PER_READ]
        _choose(store, chunk)
        # Kept rows travel as the stored tuples (cheap to pickle to a parent process) and are
        # decoded by the index.
        found: dict[str, SessionRow | tuple[Any, ...]] = {
            r[0]: r for r in store.query(kept.stored_sql(with_terms), [kept.VERSION])
        }
        missing = [sid for sid in chunk if sid not in found]
        for rows in session_rows(store, missing):
            found.update((row.session_id, row) for row in rows)
        yield "sessions", [found[sid] for sid in chunk if sid in found]


def _choose(store: Store, ids: list[str]) -> None:
    store.execute("CREATE OR REPLACE TEMP TABLE _chunk AS SELECT unnest($1::VARCHAR[]) AS id", [ids])


def session_rows(store: Store, ids: list[str]) -> Iterator[list[SessionRow]]:
    """The sessions with their first prompts and their steps, a slice at a time."""
    for start in range(0, len(ids), SESSIONS_PER_READ):
        chunk = ids[start : start + SESSIONS_PER_READ]
        _choose(store, chunk)
        prompts: dict[str, list[str]] = {}
        for sid, prompt in store.query(_PROMPTS_SQL):
            prompts.setdefault(sid, []).append(prompt)
        steps = dict(_steps_by_session(store))
        yield [
            SessionRow(sid, project, title, started, ended, tuple(prompts.get(sid, ())), tuple(steps.get(sid, ())))
            for sid, project, title, started, ended in store.query(_SESSIONS_SQL)
        ]


def _feedback(store: Store) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for target, verdict, n in store.query("SELECT target_id, verdict, count(*) FROM feedback GROUP BY ALL"):
        good, bad = counts.get(target, (0, 0))
        word = ALIASES.get(verdict, verdict)
        if word == "good":
            good += n
        elif word == "bad":
            bad += n
        counts[target] = (good, bad)
    return counts


def _steps_by_session(store: Store) -> Iterator[tuple[str, list[RetrievalStep]]]:
    current: str | None = None
    steps: list[RetrievalStep] = []
    for rows in store.batches(_STEPS_SQL, size=_FETCH_ROWS):
        for r in rows:
            if r[0] != current:
                if current is not None:
                    yield current, steps
                current, steps = r[0], []
            steps.append(
                RetrievalStep(
                    step_index=r[1],
                    turn_index=r[2],
                    tool=sys.intern(r[3]),
                    summary=r[4],
                    thought=r[5],
                    is_error=r[6],
                    signature=r[7],
                    excerpt=r[8],
                    files=tuple(r[9] or ()),
                    change=r[10],
                )
            )
    if current is not None:
        yield current, steps
