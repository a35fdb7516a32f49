"""Schema migrations: an append-only list of named steps.

A migration's name is its identity. Each one runs in a transaction together with the row
that records it, so a failed migration leaves nothing behind and stays pending. Never edit
or rename a released migration; add a new one at the end of `MIGRATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Migration = tuple[str, Callable[[Any], None]]


def m001_capture(con: Any) -> None:
    """Transcripts read so far, sessions, turns, steps, events and API responses."""
    con.execute(
        """
        CREATE TABLE files (
            path VARCHAR PRIMARY KEY,
            offset_bytes BIGINT NOT NULL,
            size_bytes BIGINT NOT NULL,
            head_hash VARCHAR NOT NULL,
            head_len INTEGER NOT NULL,
            state VARCHAR NOT NULL,
            lines BIGINT NOT NULL,
            skipped_lines BIGINT NOT NULL,
            unknown_entry_types VARCHAR NOT NULL,
            ingested_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE sessions (
            session_id VARCHAR PRIMARY KEY,
            project VARCHAR NOT NULL,
            cwd VARCHAR NOT NULL,
            transcript_path VARCHAR NOT NULL,
            parent_session_id VARCHAR,
            agent_id VARCHAR,
            is_sidechain BOOLEAN NOT NULL,
            title VARCHAR NOT NULL,
            started_at TIMESTAMP,
            ended_at TIMESTAMP,
            version VARCHAR NOT NULL,
            git_branch VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE turns (
            session_id VARCHAR NOT NULL,
            uuid VARCHAR NOT NULL,
            turn_index INTEGER NOT NULL,
            kind VARCHAR NOT NULL,
            prompt VARCHAR NOT NULL,
            command_name VARCHAR,
            started_at TIMESTAMP,
            ended_at TIMESTAMP,
            interrupted BOOLEAN NOT NULL,
            final_text VARCHAR NOT NULL,
            PRIMARY KEY (session_id, uuid)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE steps (
            session_id VARCHAR NOT NULL,
            tool_use_id VARCHAR NOT NULL,
            step_index INTEGER NOT NULL,
            turn_index INTEGER NOT NULL,
            tool_name VARCHAR NOT NULL,
            input VARCHAR NOT NULL,
            summary VARCHAR NOT NULL,
            thought VARCHAR NOT NULL,
            started_at TIMESTAMP,
            ended_at TIMESTAMP,
            has_result BOOLEAN NOT NULL,
            result_text VARCHAR NOT NULL,
            result_size BIGINT NOT NULL,
            is_error BOOLEAN NOT NULL,
            error_signature VARCHAR,
            exit_code INTEGER,
            duration_ms BIGINT,
            files VARCHAR[] NOT NULL,
            skill_name VARCHAR,
            subagent_type VARCHAR,
            subagent_id VARCHAR,
            PRIMARY KEY (session_id, tool_use_id)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE events (
            session_id VARCHAR NOT NULL,
            uuid VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            occurred_at TIMESTAMP,
            turn_index INTEGER NOT NULL,
            step_index INTEGER NOT NULL,
            detail VARCHAR NOT NULL,
            PRIMARY KEY (session_id, uuid, kind)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE responses (
            session_id VARCHAR NOT NULL,
            message_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            occurred_at TIMESTAMP,
            input_tokens BIGINT NOT NULL,
            output_tokens BIGINT NOT NULL,
            cache_read_tokens BIGINT NOT NULL,
            cache_creation_tokens BIGINT NOT NULL,
            PRIMARY KEY (session_id, message_id)
        )
        """
    )


def m002_scores(con: Any) -> None:
    """Score cards per session, dimension scores for queries, and explicit feedback."""
    con.execute(
        """
        CREATE TABLE scores (
            session_id VARCHAR PRIMARY KEY,
            scorer_version VARCHAR NOT NULL,
            overall DOUBLE NOT NULL,
            outcome VARCHAR NOT NULL,
            outcome_confidence DOUBLE NOT NULL,
            outcome_source VARCHAR NOT NULL,
            card VARCHAR NOT NULL,
            scored_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE dimension_scores (
            session_id VARCHAR NOT NULL,
            dimension VARCHAR NOT NULL,
            score DOUBLE NOT NULL,
            PRIMARY KEY (session_id, dimension)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE feedback (
            feedback_id VARCHAR PRIMARY KEY,
            target_id VARCHAR NOT NULL,
            target_kind VARCHAR NOT NULL,
            verdict VARCHAR NOT NULL,
            note VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL
        )
        """
    )


def m003_mining(con: Any) -> None:
    """Mined patterns, incidents, skills and replays; skill lifecycle changes; miner state."""
    for table in ("patterns", "incidents", "skills", "replays"):
        con.execute(
            f"""
            CREATE TABLE {table} (
                id VARCHAR PRIMARY KEY,
                cluster_key VARCHAR NOT NULL UNIQUE,
                data VARCHAR NOT NULL,
                updated_at TIMESTAMP NOT NULL
            )
            """
        )
    con.execute(
        """
        CREATE TABLE skill_events (
            skill_id VARCHAR NOT NULL,
            occurred_at TIMESTAMP NOT NULL,
            from_status VARCHAR,
            to_status VARCHAR NOT NULL,
            reason VARCHAR NOT NULL
        )
        """
    )
    con.execute("CREATE TABLE miner_state (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")


def m004_miner_features(con: Any) -> None:
    """The miner's per-session features, cached by a fingerprint of the session's content."""
    con.execute(
        """
        CREATE TABLE miner_features (
            session_id VARCHAR PRIMARY KEY,
            fingerprint VARCHAR NOT NULL,
            data VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )


def m005_skill_usage(con: Any) -> None:
    """Where each skill was exported to, and which later sessions used it."""
    con.execute(
        """
        CREATE TABLE skill_exports (
            skill_id VARCHAR NOT NULL,
            directory VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            exported_at TIMESTAMP NOT NULL,
            PRIMARY KEY (skill_id, directory)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE skill_uses (
            skill_id VARCHAR NOT NULL,
            session_id VARCHAR NOT NULL,
            how VARCHAR NOT NULL,
            success BOOLEAN NOT NULL,
            recorded_at TIMESTAMP NOT NULL,
            PRIMARY KEY (skill_id, session_id)
        )
        """
    )


def m006_forgotten_sessions(con: Any) -> None:
    """Sessions the user asked to forget: ingest never stores them again."""
    con.execute(
        """
        CREATE TABLE forgotten_sessions (
            session_id VARCHAR PRIMARY KEY,
            forgotten_at TIMESTAMP NOT NULL
        )
        """
    )


def m007_retrieval_docs(con: Any) -> None:
    """Each session's retrieval documents (tokens, stuck episodes, signatures), kept across reads."""
    con.execute(
        """
        CREATE TABLE retrieval_docs (
            session_id VARCHAR PRIMARY KEY,
            version VARCHAR NOT NULL,
            session_updated TIMESTAMP NOT NULL,
            title VARCHAR NOT NULL,
            steps INTEGER NOT NULL,
            errors INTEGER NOT NULL,
            episodes VARCHAR NOT NULL,
            terms VARCHAR NOT NULL
        )
        """
    )


# Tables whose rows the writer keeps unique by these columns (deleting a key's old row in the
# transaction that inserts its new one) instead of DuckDB enforcing a primary key: its index
# took an eighth of the file and most of the time of each insert.
WRITER_KEYS: dict[str, tuple[str, ...]] = {
    "turns": ("session_id", "uuid"),
    "steps": ("session_id", "tool_use_id"),
    "events": ("session_id", "uuid", "kind"),
    "responses": ("session_id", "message_id"),
    "dimension_scores": ("session_id", "dimension"),
}


def _rebuild(con: Any, table: str, columns: str) -> None:
    """Recreate `table` with `columns` (same names, same order), keeping its rows."""
    con.execute(f"CREATE TABLE {table}__rebuilt ({columns})")
    con.execute(f"INSERT INTO {table}__rebuilt SELECT * FROM {table}")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE {table}__rebuilt RENAME TO {table}")


def m008_lean_storage(con: Any) -> None:
    """The per-step tables without primary keys (`WRITER_KEYS`), long text compressed with zstd.

    DuckDB picks its lightweight encodings (dictionary, FSST, bit packing, RLE) by itself; long
    free text and JSON (tool results, tool inputs, thoughts, parser state, cached features and
    retrieval documents) compress several times better with zstd, which it uses only when a
    column asks for it.
    """
    _rebuild(
        con,
        "turns",
        """
        session_id VARCHAR NOT NULL,
        uuid VARCHAR NOT NULL,
        turn_index INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        prompt VARCHAR NOT NULL,
        command_name VARCHAR,
        started_at TIMESTAMP,
        ended_at TIMESTAMP,
        interrupted BOOLEAN NOT NULL,
        final_text VARCHAR NOT NULL
        """,
    )
    _rebuild(
        con,
        "steps",
        """
        session_id VARCHAR NOT NULL,
        tool_use_id VARCHAR NOT NULL,
        step_index INTEGER NOT NULL,
        turn_index INTEGER NOT NULL,
        tool_name VARCHAR NOT NULL,
        input VARCHAR NOT NULL USING COMPRESSION zstd,
        summary VARCHAR NOT NULL,
        thought VARCHAR NOT NULL USING COMPRESSION zstd,
        started_at TIMESTAMP,
        ended_at TIMESTAMP,
        has_result BOOLEAN NOT NULL,
        result_text VARCHAR NOT NULL USING COMPRESSION zstd,
        result_size BIGINT NOT NULL,
        is_error BOOLEAN NOT NULL,
        error_signature VARCHAR,
        exit_code INTEGER,
        duration_ms BIGINT,
        files VARCHAR[] NOT NULL,
        skill_name VARCHAR,
        subagent_type VARCHAR,
        subagent_id VARCHAR
        """,
    )
    _rebuild(
        con,
        "events",
        """
        session_id VARCHAR NOT NULL,
        uuid VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        occurred_at TIMESTAMP,
        turn_index INTEGER NOT NULL,
        step_index INTEGER NOT NULL,
        detail VARCHAR NOT NULL
        """,
    )
    _rebuild(
        con,
        "responses",
        """
        session_id VARCHAR NOT NULL,
        message_id VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        occurred_at TIMESTAMP,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_creation_tokens BIGINT NOT NULL
        """,
    )
    _rebuild(con, "dimension_scores", "session_id VARCHAR NOT NULL, dimension VARCHAR NOT NULL, score DOUBLE NOT NULL")
    _rebuild(
        con,
        "files",
        """
        path VARCHAR PRIMARY KEY,
        offset_bytes BIGINT NOT NULL,
        size_bytes BIGINT NOT NULL,
        head_hash VARCHAR NOT NULL,
        head_len INTEGER NOT NULL,
        state VARCHAR NOT NULL USING COMPRESSION zstd,
        lines BIGINT NOT NULL,
        skipped_lines BIGINT NOT NULL,
        unknown_entry_types VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL
        """,
    )
    _rebuild(
        con,
        "miner_features",
        """
        session_id VARCHAR PRIMARY KEY,
        fingerprint VARCHAR NOT NULL,
        data VARCHAR NOT NULL USING COMPRESSION zstd,
        updated_at TIMESTAMP NOT NULL
        """,
    )
    _rebuild(
        con,
        "retrieval_docs",
        """
        session_id VARCHAR PRIMARY KEY,
        version VARCHAR NOT NULL,
        session_updated TIMESTAMP NOT NULL,
        title VARCHAR NOT NULL,
        steps INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        episodes VARCHAR NOT NULL USING COMPRESSION zstd,
        terms VARCHAR NOT NULL USING COMPRESSION zstd
        """,
    )


MIGRATIONS: list[Migration] = [
    ("m001_capture", m001_capture),
    ("m002_scores", m002_scores),
    ("m003_mining", m003_mining),
    ("m004_miner_features", m004_miner_features),
    ("m005_skill_usage", m005_skill_usage),
    ("m006_forgotten_sessions", m006_forgotten_sessions),
    ("m007_retrieval_docs", m007_retrieval_docs),
    ("m008_lean_storage", m008_lean_storage),
]


_applied_steps = [0]


def schema_changes() -> int:
    """How many migration steps this process has applied: cached table shapes older than this are stale."""
    return _applied_steps[0]


def _ensure_table(con: Any) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")


def applied(con: Any) -> list[str]:
    """Names of the migrations this database has, in the order they were applied."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = '_migrations'").fetchone()[
        0
    ]
    if not exists:
        return []
    return [row[0] for row in con.execute("SELECT name FROM _migrations ORDER BY applied_at, name").fetchall()]


def pending(con: Any, migrations: list[Migration] | None = None) -> list[str]:
    """Names of the migrations still to apply (reads only)."""
    done = set(applied(con))
    return [name for name, _ in (migrations or MIGRATIONS) if name not in done]


def migrate(con: Any, migrations: list[Migration] | None = None, stop_before: str | None = None) -> list[str]:
    """Apply every pending migration, each with its record in one transaction.

    Raises:
        ValueError: two migrations share a name, or `stop_before` names an applied one.
    """
    steps = migrations or MIGRATIONS
    names = [name for name, _ in steps]
    if len(names) != len(set(names)):
        raise ValueError("two migrations share a name")
    _ensure_table(con)
    done = set(applied(con))
    if stop_before is not None and stop_before in done:
        raise ValueError(f"migration {stop_before} is already applied")
    ran: list[str] = []
    for name, step in steps:
        if name == stop_before:
            break
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            step(con)
            con.execute("INSERT INTO _migrations VALUES (?, ?)", [name, datetime.now(UTC).replace(tzinfo=None)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            _applied_steps[0] += 1
        ran.append(name)
    return ran


def schema_version(con: Any) -> str:
    """The name of the last applied migration, or an empty string for a blank database."""
    done = applied(con)
    return done[-1] if done else ""
