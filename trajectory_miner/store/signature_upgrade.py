"""Stored error signatures kept in step with the rules that make them.

A step's signature is made once, at ingest, by `analysis.signatures`. When its rules change
(`SIGNATURE_VERSION`), the first writable open of the store makes the signatures of the
stored steps again from their stored result text and command, and lets what was read from
the old ones go stale: the score cards of the sessions whose signatures changed are marked
as from another scorer version (so `rescore --stale`, `mine` and upkeep score them again),
and the miner's cached features of those sessions are dropped. The version the store's
signatures were made by is kept in `miner_state`.
"""

from __future__ import annotations

from typing import Any

from trajectory_miner.analysis.signatures import SIGNATURE_VERSION, error_signature

VERSION_KEY = "signature_version"
STALE_MARK = "+signatures"
_CHUNK = 2_000


def stored_version(con: Any) -> str | None:
    """The signature version the store's signatures were made by (None: made before versions)."""
    row = con.execute("SELECT value FROM miner_state WHERE key = ?", [VERSION_KEY]).fetchone()
    return str(row[0]) if row else None


def refresh_signatures(con: Any) -> int:
    """Make the stored signatures again when they are from another version; returns how many
    changed. Runs in one transaction: a failure leaves the store as it was, still to refresh."""
    if stored_version(con) == str(SIGNATURE_VERSION):
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        changed = _recompute(con)
        _set_version(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return changed


def _recompute(con: Any) -> int:
    keys = con.execute(
        "SELECT session_id, tool_use_id FROM steps WHERE error_signature IS NOT NULL ORDER BY session_id, tool_use_id"
    ).fetchall()
    changed = 0
    sessions: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = con.execute(
            """
            SELECT s.session_id, s.tool_use_id, s.tool_name, s.result_text, s.error_signature,
                CASE WHEN s.tool_name IN ('Bash', 'PowerShell')
                    THEN coalesce(json_extract_string(s.input, '$.command'), '') ELSE '' END
            FROM steps s
                JOIN (SELECT unnest($1::VARCHAR[]) AS sid, unnest($2::VARCHAR[]) AS tid) k
                ON s.session_id = k.sid AND s.tool_use_id = k.tid
            """,
            [[k[0] for k in chunk], [k[1] for k in chunk]],
        ).fetchall()
        updates: list[tuple[str, str, str]] = []
        for session_id, tool_use_id, tool, text, old, command in rows:
            new = error_signature(tool, text or "", command or "")
            if new != old:
                updates.append((session_id, tool_use_id, new))
                sessions.add(session_id)
        if updates:
            con.execute(
                """
                UPDATE steps SET error_signature = u.sig
                FROM (SELECT unnest($1::VARCHAR[]) AS sid, unnest($2::VARCHAR[]) AS tid,
                    unnest($3::VARCHAR[]) AS sig) u
                WHERE steps.session_id = u.sid AND steps.tool_use_id = u.tid
                """,
                [[u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates]],
            )
            changed += len(updates)
    if sessions:
        _stale(con, sorted(sessions))
    return changed


def _stale(con: Any, session_ids: list[str]) -> None:
    """Score cards and cached features of these sessions were read from the old signatures."""
    con.execute(
        "UPDATE scores SET scorer_version = scorer_version || $1 "
        "WHERE session_id IN (SELECT unnest($2::VARCHAR[])) AND NOT ends_with(scorer_version, $1)",
        [STALE_MARK, session_ids],
    )
    con.execute("DELETE FROM miner_features WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [session_ids])


def _set_version(con: Any) -> None:
    con.execute(
        "INSERT INTO miner_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [VERSION_KEY, str(SIGNATURE_VERSION)],
    )
