"""Signatures made by older rules are made again on the first writable open, and what was read
from them goes stale."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from trajectory_miner.analysis.signatures import SIGNATURE_VERSION
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.scoring import SCORER_VERSION, stale_session_ids
from trajectory_miner.store import Store, open_store
from trajectory_miner.store.signature_upgrade import STALE_MARK, VERSION_KEY, refresh_signatures, stored_version

FIXTURES = Path(__file__).parent.parent / "fixtures" / "transcripts"
JEST = FIXTURES / "mining_jest_missing_stuck_a.jsonl"
DJANGO = FIXTURES / "mining_oneoff_incident.jsonl"
OLD_JEST = "Bash|exit127|sh: <n>: jest: not found"


def signatures(store: Store) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for sid, signature in store.query(
        "SELECT session_id, error_signature FROM steps WHERE error_signature IS NOT NULL"
    ):
        found.setdefault(sid, set()).add(signature)
    return found


def session_of(store: Store, fixture: Path) -> str:
    sid: str = store.scalar("SELECT session_id FROM sessions WHERE transcript_path LIKE ?", [f"%{fixture.name}"])
    return sid


@pytest.fixture
def old_store(tmp_path: Path) -> tuple[Path, str, str]:
    """A store whose jest session holds a signature from the old rules, with a card and cached
    features for each session, that says its signatures are from version 1."""
    database = tmp_path / "store.duckdb"
    with open_store(database) as store:
        ingest_paths(store, [JEST, DJANGO], Config())
        jest, django = session_of(store, JEST), session_of(store, DJANGO)
        store.execute("UPDATE steps SET error_signature = ? WHERE session_id = ? AND is_error", [OLD_JEST, jest])
        now = datetime.now(UTC).replace(tzinfo=None)
        for sid in (jest, django):
            store.execute(
                "INSERT OR REPLACE INTO scores VALUES (?, ?, 0.5, 'unknown', 0.5, 'rule', '{}', ?)",
                [sid, SCORER_VERSION, now],
            )
            store.execute("INSERT OR REPLACE INTO miner_features VALUES (?, 'v1:x', '[]', ?)", [sid, now])
        store.execute("UPDATE miner_state SET value = '1' WHERE key = ?", [VERSION_KEY])
    return database, jest, django


def test_a_new_store_records_the_current_signature_version(tmp_path: Path) -> None:
    with open_store(tmp_path / "new.duckdb") as store:
        assert stored_version(store._con) == str(SIGNATURE_VERSION)
        assert refresh_signatures(store._con) == 0


def test_a_writable_open_makes_old_signatures_again_and_marks_what_read_them_stale(
    old_store: tuple[Path, str, str],
) -> None:
    database, jest, django = old_store
    with open_store(database, read_only=True) as store:
        assert signatures(store)[jest] == {OLD_JEST}
        before = signatures(store)[django]
    with open_store(database) as store:
        assert stored_version(store._con) == str(SIGNATURE_VERSION)
        assert signatures(store)[jest] == {"Bash|exit127|jest: command not found"}
        assert signatures(store)[django] == before
        versions = dict(store.query("SELECT session_id, scorer_version FROM scores"))
        assert versions == {jest: SCORER_VERSION + STALE_MARK, django: SCORER_VERSION}
        assert jest in stale_session_ids(store) and django not in stale_session_ids(store)
        cached = {r[0] for r in store.query("SELECT session_id FROM miner_features")}
        assert cached == {django}


def test_signatures_are_made_again_once(old_store: tuple[Path, str, str]) -> None:
    database, jest, _ = old_store
    with open_store(database) as store:
        store.execute("UPDATE steps SET error_signature = ? WHERE session_id = ? AND is_error", [OLD_JEST, jest])
    with open_store(database) as store:
        assert signatures(store)[jest] == {OLD_JEST}
        assert refresh_signatures(store._con) == 0


def test_a_failed_refresh_leaves_the_old_signatures_and_stays_due(
    old_store: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database, jest, _ = old_store

    def broken(tool: str, text: str, command: str = "") -> str:
        raise RuntimeError("broken rule")

    monkeypatch.setattr("trajectory_miner.store.signature_upgrade.error_signature", broken)
    with pytest.raises(RuntimeError), open_store(database):
        pass
    monkeypatch.undo()
    with open_store(database, read_only=True) as store:
        assert signatures(store)[jest] == {OLD_JEST}
        assert stored_version(store._con) == "1"
    with open_store(database) as store:
        assert signatures(store)[jest] == {"Bash|exit127|jest: command not found"}
