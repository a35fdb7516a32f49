"""The kept retrieval index: each session's documents worked out once and stored.

Tokenising a session's text and tracing its stuck episodes is most of what building the
index costs, and it depends on the session alone. `session_docs` does that work for one
session; `refresh` stores the result in `retrieval_docs` for every session that has none, or
one from an older version of the session or of this code, and drops those of sessions the
store no longer holds. `snapshot` then hands the index these rows instead of the steps, and
only sessions changed since the last refresh are worked out again on reading.

A row is valid while its `session_updated` equals the session's `updated_at` and its
`version` is `VERSION`: bump `DOCS_VERSION` whenever what `session_docs` computes changes
(tokens, episodes, the session text); the signature version is part of it already.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import orjson

from trajectory_miner.analysis.signatures import SIGNATURE_VERSION, signature_family
from trajectory_miner.retrieval.episodes import Episode, extract
from trajectory_miner.retrieval.text import tokens
from trajectory_miner.store import Store
from trajectory_miner.textcap import one_line

if TYPE_CHECKING:
    from trajectory_miner.retrieval.snapshot import SessionRow

DOCS_VERSION = 1
VERSION = f"{DOCS_VERSION}.{SIGNATURE_VERSION}"
SESSION_TEXT_STEPS = 120
SESSION_TEXT_CHARS = 60_000

Counts = dict[str, int]


@dataclass(frozen=True, slots=True)
class SessionDocs:
    """What the index adds for one session: its summary, its text's tokens, its episodes'."""

    session_id: str
    project: str
    started: float | None
    ended: float | None
    title: str
    steps: int
    errors: int
    terms: Counts
    episodes: tuple[tuple[Episode, Counts], ...]


def session_docs(row: SessionRow, with_terms: bool = True) -> SessionDocs:
    """The documents of one session read from the store."""
    steps = row.steps
    first = row.prompts[0] if row.prompts else ""
    title = one_line(row.title or first, 100)
    episodes: list[tuple[Episode, Counts]] = []
    for episode in extract(row.session_id, steps):
        counts = dict(Counter(tokens(episode.text))) if with_terms else {}
        episode.text = ""
        episodes.append((episode, counts))
    terms: Counts = {}
    if with_terms:
        text = [title, *row.prompts]
        text.extend(s.summary for s in steps[:SESSION_TEXT_STEPS])
        text.extend(signature_family(s.signature) for s in steps if s.signature)
        terms = dict(Counter(tokens("\n".join(text), limit=SESSION_TEXT_CHARS)))
    return SessionDocs(
        session_id=row.session_id,
        project=row.project,
        started=row.started,
        ended=row.ended,
        title=title,
        steps=len(steps),
        errors=sum(1 for s in steps if s.is_error),
        terms=terms,
        episodes=tuple(episodes),
    )


def interned(episode: Episode, intern: Callable[[str], str]) -> Episode:
    """The episode with its repeated strings shared with the index's other items."""
    return replace(
        episode,
        signature=intern(episode.signature),
        family=intern(episode.family),
        tool=intern(episode.tool),
        tried=tuple(intern(t) for t in episode.tried),
        worked_next=tuple(intern(t) for t in episode.worked_next),
        files=frozenset(intern(f) for f in episode.files),
        commands=frozenset(intern(c) for c in episode.commands),
    )


def _encode_episode(e: Episode) -> list[Any]:
    return [
        e.signature,
        e.family,
        e.tool,
        e.first_step,
        e.last_step,
        e.turn_index,
        e.attempts,
        e.resolution,
        list(e.tried),
        list(e.worked_next),
        sorted(e.files),
        sorted(e.commands),
    ]


def _decode_episode(session: str, v: list[Any], intern: Callable[[str], str]) -> Episode:
    return Episode(
        session=session,
        signature=intern(v[0]),
        family=intern(v[1]),
        tool=intern(v[2]),
        first_step=v[3],
        last_step=v[4],
        turn_index=v[5],
        attempts=v[6],
        resolution=v[7],
        tried=tuple(intern(t) for t in v[8]),
        worked_next=tuple(intern(t) for t in v[9]),
        files=frozenset(intern(f) for f in v[10]),
        commands=frozenset(intern(c) for c in v[11]),
    )


def encode(docs: SessionDocs) -> tuple[str, int, int, str, str]:
    """The stored columns: title, steps, errors, episodes and terms (JSON)."""
    episodes = orjson.dumps([_encode_episode(e) for e, _ in docs.episodes]).decode()
    terms = orjson.dumps([docs.terms, [counts for _, counts in docs.episodes]]).decode()
    return docs.title, docs.steps, docs.errors, episodes, terms


def decode(row: Sequence[Any], intern: Callable[[str], str] = str) -> SessionDocs:
    """A row of `stored_sql` as the index adds it (without terms when the row has none), its
    episodes' strings passed through `intern`."""
    sid, project, started, ended, title, steps, errors, episodes_json, terms_json = row
    episodes = [_decode_episode(sid, v, intern) for v in orjson.loads(episodes_json)]
    session_terms, episode_terms = orjson.loads(terms_json) if terms_json else ({}, [{} for _ in episodes])
    return SessionDocs(
        session_id=sid,
        project=project,
        started=started,
        ended=ended,
        title=title,
        steps=steps,
        errors=errors,
        terms=session_terms,
        episodes=tuple(zip(episodes, episode_terms, strict=True)),
    )


def stored_sql(with_terms: bool) -> str:
    """The valid stored rows of the sessions in the temporary table `_chunk` ($1 is `VERSION`)."""
    terms = "k.terms" if with_terms else "NULL"
    return f"""
        SELECT s.session_id, s.project, epoch(s.started_at), epoch(s.ended_at), k.title, k.steps, k.errors,
            k.episodes, {terms}
        FROM sessions s JOIN retrieval_docs k
            ON k.session_id = s.session_id AND k.version = $1 AND k.session_updated = s.updated_at
        WHERE s.session_id IN (SELECT id FROM _chunk)
    """


def stale_ids(store: Store) -> list[str]:
    """Sessions without a valid stored row, in id order."""
    rows = store.query(
        """
        SELECT s.session_id FROM sessions s LEFT JOIN retrieval_docs k
            ON k.session_id = s.session_id AND k.version = $1 AND k.session_updated = s.updated_at
        WHERE k.session_id IS NULL ORDER BY s.session_id
        """,
        [VERSION],
    )
    return [r[0] for r in rows]


def refresh(store: Store) -> int:
    """Store the documents of every session that lacks valid ones; returns how many were stored."""
    # Imported here: `snapshot` reads kept rows through this module.
    from trajectory_miner.retrieval.snapshot import session_rows

    store.execute("DELETE FROM retrieval_docs WHERE session_id NOT IN (SELECT session_id FROM sessions)")
    stale = stale_ids(store)
    done = 0
    for rows in session_rows(store, stale):
        docs = [session_docs(row) for row in rows]
        if not docs:
            continue
        ids = [d.session_id for d in docs]
        columns = [list(column) for column in zip(*(encode(d) for d in docs), strict=True)]
        store.execute("DELETE FROM retrieval_docs WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [ids])
        store.execute(
            """
            INSERT INTO retrieval_docs
            SELECT d.id, $1, s.updated_at, d.title, d.steps, d.errors, d.episodes, d.terms
            FROM (SELECT unnest($2::VARCHAR[]) AS id, unnest($3::VARCHAR[]) AS title, unnest($4::INTEGER[]) AS steps,
                    unnest($5::INTEGER[]) AS errors, unnest($6::VARCHAR[]) AS episodes,
                    unnest($7::VARCHAR[]) AS terms) d
                JOIN sessions s ON s.session_id = d.id
            """,
            [VERSION, ids, *columns],
        )
        done += len(docs)
    return done
