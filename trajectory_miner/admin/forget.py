"""Forgetting sessions: every row they left in the store, the items mined from them, and their text.

`forget_sessions` removes, in one transaction, a session's rows (sessions, turns, steps,
events, responses, score cards, feedback, skill usage, the miner's cached features) together
with those of its subagent sidechains. Mined items that only forgotten sessions supported go;
items that other sessions support too stay, with the forgotten ids taken out of their lists and
their counts adjusted. The session ids go into `forgotten_sessions` and into the list kept
beside the store (which a rebuilt store reads too), and the transcripts keep their `files` rows
(read to where they were), so ingest never brings the sessions back: `trajectory_miner.capture.forgotten`
holds the filter ingest applies to what it reads.

Deleted rows stay in the database file's free blocks until DuckDB happens to reuse them, even
after a CHECKPOINT, so `rewrite_store` copies the store into a fresh file and puts it in place:
only then is the forgotten text gone from the disk.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from trajectory_miner.capture.forgotten import remember_forgotten, scrub_state
from trajectory_miner.mining.items import (
    Pattern,
    Skill,
    StepRef,
    delete_items,
    load_incidents,
    load_patterns,
    load_replays,
    load_skills,
    save_items,
)
from trajectory_miner.mining.outcomes import load_scores
from trajectory_miner.mining.stats import fisher_greater, lift
from trajectory_miner.sessions import ambiguity, resolve_session_id, session_ids
from trajectory_miner.skills.usage import recount
from trajectory_miner.store import Store, rewrite_file
from trajectory_miner.store.state import set_state, state_value
from trajectory_miner.utc import stored

# Tables whose rows belong to one session, by the column that names it.
SESSION_TABLES: tuple[tuple[str, str], ...] = (
    ("turns", "session_id"),
    ("steps", "session_id"),
    ("events", "session_id"),
    ("responses", "session_id"),
    ("scores", "session_id"),
    ("dimension_scores", "session_id"),
    ("miner_features", "session_id"),
    ("skill_uses", "session_id"),
    ("retrieval_docs", "session_id"),
    ("sessions", "session_id"),
)
_IN_FORGET = "IN (SELECT id FROM _forget)"
REWRITE_PENDING = "forget:rewrite_pending"
"""The `miner_state` key set by a forget until `rewrite_store` has taken the text off the disk."""


class ForgetError(LookupError):
    """The sessions to forget cannot be chosen (unknown id, nothing matches)."""


@dataclass(frozen=True)
class ForgetScope:
    """What forgetting some sessions would remove, for the question asked before it."""

    sessions: int
    sidechains: int
    first: datetime | None
    last: datetime | None
    projects: int
    turns: int


def forget_scope(store: Store, ids: list[str]) -> ForgetScope:
    """How many sessions, sidechains, projects and turns the ids hold, and the time they span."""
    sessions, sidechains, first, last, projects = store.query(
        "SELECT count(*) FILTER (WHERE NOT is_sidechain), count(*) FILTER (WHERE is_sidechain), "
        "min(started_at), max(coalesce(ended_at, started_at)), count(DISTINCT project) "
        "FROM sessions WHERE session_id IN (SELECT unnest($1::VARCHAR[]))",
        [ids],
    )[0]
    turns = store.scalar("SELECT count(*) FROM turns WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [ids])
    return ForgetScope(sessions, sidechains, first, last, projects, turns)


class ForgetReport(BaseModel):
    """What one forget removed and changed."""

    sessions: list[str] = Field(default_factory=list, description="Forgotten ids, sidechains included.")
    rows: dict[str, int] = Field(default_factory=dict, description="Rows removed per table.")
    removed_items: dict[str, list[str]] = Field(default_factory=dict, description="Mined items removed.")
    updated_items: dict[str, list[str]] = Field(
        default_factory=dict, description="Mined items kept with the forgotten sessions taken out."
    )
    exported_skills: list[str] = Field(
        default_factory=list, description="SKILL.md folders of removed skills, left on disk for the user."
    )
    transcripts: int = Field(default=0, description="Transcripts kept marked as read so ingest skips them.")


def select_sessions(
    store: Store,
    *,
    session: str | None = None,
    project: str | None = None,
    before: datetime | None = None,
) -> list[str]:
    """The sessions one forget covers: those named, with their subagent sidechains.

    `session` is an id or unambiguous prefix; `project` a project path or folder name;
    `before` takes the sessions whose last activity was before that moment.

    Raises:
        ForgetError: no session or several match `session`, or nothing matches at all.
    """
    chosen = [session is not None, project is not None, before is not None]
    if sum(chosen) != 1:
        raise ForgetError("name exactly one of a session, a project or a date")
    if session is not None:
        sid = resolve_session_id(store, session)
        if sid is None:
            raise ForgetError(ambiguity(store, session) or f"no session matches {session!r}")
        main = [sid]
    elif project is not None:
        main = session_ids(store, project=project)
        if not main:
            raise ForgetError(f"no sessions of project {project!r}")
    else:
        assert before is not None
        main = _before(store, before)
        if not main:
            raise ForgetError(f"no sessions before {before:%Y-%m-%d %H:%M}")
    return with_sidechains(store, main)


def _before(store: Store, moment: datetime) -> list[str]:
    naive = stored(moment)
    rows = store.query(
        "SELECT session_id FROM sessions WHERE NOT is_sidechain AND coalesce(ended_at, started_at) < ? "
        "ORDER BY started_at NULLS FIRST, session_id",
        [naive],
    )
    return [r[0] for r in rows]


def with_sidechains(store: Store, ids: Iterable[str]) -> list[str]:
    """The ids and every stored sidechain of them, each once, in a stable order."""
    wanted = list(dict.fromkeys(ids))
    rows = store.query(
        "SELECT session_id FROM sessions WHERE parent_session_id IN (SELECT unnest($1::VARCHAR[])) "
        "OR split_part(session_id, '/', 1) IN (SELECT unnest($1::VARCHAR[])) ORDER BY session_id",
        [wanted],
    )
    return list(dict.fromkeys([*wanted, *(r[0] for r in rows)]))


def rewrite_pending(store: Store) -> str | None:
    """When a forget's text may still be in the file (its rewrite has not completed), else None."""
    value = state_value(store, REWRITE_PENDING)
    return str(value) if value is not None else None


def forget_sessions(store: Store, ids: Iterable[str], now: datetime | None = None) -> ForgetReport:
    """Remove every trace of the sessions (and their sidechains) from the store, in one transaction."""
    wanted = with_sidechains(store, ids)
    report = ForgetReport(sessions=wanted)
    if not wanted:
        return report
    groups = {sid: score.group for sid, score in load_scores(store, wanted).items()}
    at = stored(now)
    # The file first: should the transaction fail, a session ingest skips costs less than one back.
    remember_forgotten(store.path, wanted)
    # The saved retrieval index holds their text too; a reader builds it again from the store.
    from trajectory_miner.retrieval.saved import saved_path

    saved_path(store.path).unlink(missing_ok=True)
    try:
        with store.transaction():
            store.execute("CREATE OR REPLACE TEMP TABLE _forget AS SELECT unnest($1::VARCHAR[]) AS id", [wanted])
            store.execute(
                "INSERT INTO forgotten_sessions SELECT id, ? FROM _forget ON CONFLICT (session_id) DO NOTHING", [at]
            )
            set_state(store, REWRITE_PENDING, at.isoformat())
            report.transcripts = _scrub_files(store, frozenset(wanted))
            report.rows = _delete_rows(store)
            _prune_items(store, frozenset(wanted), groups, report)
    finally:
        store.execute("DROP TABLE IF EXISTS _forget")
    return report


def _deleted(store: Store, sql: str, params: list[Any] | None = None) -> int:
    """Run a DELETE; how many rows it removed."""
    return int(store.scalar(sql, params) or 0)


def _delete_rows(store: Store) -> dict[str, int]:
    rows: dict[str, int] = {}
    for table, column in SESSION_TABLES:
        rows[table] = _deleted(store, f"DELETE FROM {table} WHERE {column} {_IN_FORGET}")
    rows["feedback"] = _deleted(store, f"DELETE FROM feedback WHERE target_kind = 'session' AND target_id {_IN_FORGET}")
    return rows


def _scrub_files(store: Store, forgotten: frozenset[str]) -> int:
    """Keep the transcripts' rows (so they are not read again) without the forgotten sessions' open turns."""
    touched = 0
    paths = {r[0] for r in store.query(f"SELECT transcript_path FROM sessions WHERE session_id {_IN_FORGET}")}
    for path, state in store.query("SELECT path, state FROM files"):
        scrubbed = scrub_state(state, forgotten)
        if scrubbed != state:
            store.execute("UPDATE files SET state = ? WHERE path = ?", [scrubbed, path])
        touched += scrubbed != state or path in paths
    return touched


def _prune_items(store: Store, forgotten: frozenset[str], groups: dict[str, str], report: ForgetReport) -> None:
    removed: dict[str, list[str]] = {}
    updated: dict[str, list[str]] = {}
    removed["patterns"], updated["patterns"] = _prune_patterns(store, forgotten, groups)
    removed["incidents"] = [i.id for i in load_incidents(store) if i.session_id in forgotten]
    delete_items(store, "incidents", removed["incidents"])
    removed["replays"] = [
        r.id for r in load_replays(store) if {r.stuck_session, r.successful_session, r.stuck_at.session_id} & forgotten
    ]
    delete_items(store, "replays", removed["replays"])
    removed["skills"], updated["skills"], report.exported_skills = _prune_skills(store, forgotten)
    gone = [item for ids in removed.values() for item in ids]
    if gone:
        deleted = _deleted(
            store,
            "DELETE FROM feedback WHERE target_kind <> 'session' AND target_id IN (SELECT unnest($1::VARCHAR[]))",
            [gone],
        )
        report.rows["feedback"] = report.rows.get("feedback", 0) + deleted
    report.removed_items = {k: v for k, v in removed.items() if v}
    report.updated_items = {k: v for k, v in updated.items() if v}


def _refs(refs: list[StepRef], forgotten: frozenset[str]) -> list[StepRef]:
    return [r for r in refs if r.session_id not in forgotten]


def _population(store: Store) -> tuple[int, int]:
    """Failing and succeeding sessions among those still stored, as the miner counts them."""
    ids = session_ids(store)
    scores = load_scores(store, ids)
    groups = [s.group for s in scores.values()]
    return groups.count("failing"), groups.count("succeeding")


def _prune_patterns(store: Store, forgotten: frozenset[str], groups: dict[str, str]) -> tuple[list[str], list[str]]:
    removed: list[str] = []
    kept: list[Pattern] = []
    population: tuple[int, int] | None = None
    for pattern in load_patterns(store):
        mentioned = set(pattern.sessions) | set(pattern.example_sessions) | {r.session_id for r in pattern.evidence}
        gone = mentioned & forgotten
        if not gone:
            continue
        remaining = [s for s in pattern.sessions if s not in forgotten]
        if not remaining:
            removed.append(pattern.id)
            continue
        lost = [groups.get(s, "") for s in pattern.sessions if s in forgotten]
        failing = max(0, pattern.failing_sessions - lost.count("failing"))
        succeeding = max(0, pattern.succeeding_sessions - lost.count("succeeding"))
        population = population or _population(store)
        p_value = fisher_greater(failing, population[0], succeeding, population[1])
        for question in pattern.self_questions:
            question.evidence = _refs(question.evidence, forgotten)
        kept.append(
            pattern.model_copy(
                update={
                    "sessions": remaining,
                    "frequency": len(remaining),
                    "example_sessions": [s for s in pattern.example_sessions if s not in forgotten],
                    "evidence": _refs(pattern.evidence, forgotten),
                    "failing_sessions": failing,
                    "succeeding_sessions": succeeding,
                    "lift": lift(failing, population[0], succeeding, population[1]),
                    "p_value": None if p_value is None else round(p_value, 6),
                }
            )
        )
    delete_items(store, "patterns", removed)
    save_items(store, "patterns", kept)
    return removed, [p.id for p in kept]


def _prune_skills(store: Store, forgotten: frozenset[str]) -> tuple[list[str], list[str], list[str]]:
    removed: list[str] = []
    kept: list[Skill] = []
    for skill in load_skills(store):
        gone = set(skill.source_sessions) & forgotten
        if not gone:
            continue
        remaining = [s for s in skill.source_sessions if s not in forgotten]
        support = max(0, skill.support - len(gone))
        if not remaining and not support:
            removed.append(skill.id)
        else:
            kept.append(skill.model_copy(update={"source_sessions": remaining, "support": support}))
    exported: list[str] = []
    if removed:
        rows = store.query(
            "SELECT directory, name FROM skill_exports WHERE skill_id IN (SELECT unnest($1::VARCHAR[])) "
            "ORDER BY directory, name",
            [removed],
        )
        exported = [str(Path(directory) / name) for directory, name in rows]
        for table in ("skill_exports", "skill_events", "skill_uses"):
            store.execute(f"DELETE FROM {table} WHERE skill_id IN (SELECT unnest($1::VARCHAR[]))", [removed])
        delete_items(store, "skills", removed)
    save_items(store, "skills", kept)
    # Uses recorded in forgotten sessions are gone: every surviving skill's counters follow.
    recount(store, load_skills(store))
    return removed, [s.id for s in kept], exported


SHORT_ID = 13
"""How much of a session id reports show: enough to name it without doubt."""


def files_mentioning(folder: Path, ids: Collection[str]) -> list[Path]:
    """Files directly in `folder` whose bytes name any of the sessions, in full or shortened."""
    if not folder.is_dir() or not ids:
        return []
    needles = sorted({i[:SHORT_ID].encode("utf-8") if len(i) > SHORT_ID else i.encode("utf-8") for i in ids})
    found: list[Path] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if any(needle in data for needle in needles):
            found.append(path)
    return found


def rewrite_store(path: Path, wait_seconds: float = 5.0) -> None:
    """Copy the store into a fresh file and put it in place, so deleted text leaves the disk.

    Every table is copied and its row count checked before the old file is replaced; on any
    mismatch the old file stays as it was. The writer lock is held from the copy to the
    replace, so no write lands in the old file after it was copied.

    Raises:
        StoreError: the store cannot be opened or the copy does not match it.
    """
    rewrite_file(path, wait_seconds, ".rewrite", _clear_pending)


def _clear_pending(copy: Store) -> None:
    copy.execute("DELETE FROM fresh_copy.miner_state WHERE key = ?", [REWRITE_PENDING])
