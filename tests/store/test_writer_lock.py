"""The store-wide writer lock: one writer at a time across processes, reentrant within one, private files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from trajectory_miner.admin.doctor import check_permissions
from trajectory_miner.admin.forget import rewrite_store
from trajectory_miner.store import StoreBusy, open_store
from trajectory_miner.store import copy as store_module
from trajectory_miner.store.lock import writer_busy, writer_lock, writer_lock_path

HOLD = """
import sys, time
from pathlib import Path
from trajectory_miner.store.lock import writer_lock
with writer_lock(Path(sys.argv[1]), 5.0) as held:
    print("held" if held else "refused", flush=True)
    sys.stdin.readline()
"""


@contextmanager
def held_elsewhere(database: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the writer lock until the block ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(database)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        assert child.stdout.readline().strip() == "held"
        yield child
    finally:
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_writable_open_waits_for_the_writer_lock_and_says_busy_when_it_stays_taken(tmp_path: Path) -> None:
    database = tmp_path / "miner.duckdb"
    with open_store(database) as store:
        store.execute("CREATE TABLE t (x INTEGER)")
    with held_elsewhere(database):
        assert writer_busy(database)
        with pytest.raises(StoreBusy, match="being written"), open_store(database, wait_seconds=0.2):
            pass
        with open_store(database, read_only=True) as store:  # readers do not take the writer lock
            assert store.scalar("SELECT count(*) FROM t") == 0
    assert not writer_busy(database)
    with open_store(database, wait_seconds=0.2) as store:
        store.execute("INSERT INTO t VALUES (1)")


def test_the_lock_is_reentrant_in_a_process_and_excludes_its_other_threads(tmp_path: Path) -> None:
    database = tmp_path / "miner.duckdb"
    seen: list[bool] = []
    with writer_lock(database, 0.0) as outer:
        with writer_lock(database, 0.0) as inner, open_store(database, wait_seconds=0.0) as store:
            store.execute("CREATE TABLE t (x INTEGER)")
            seen.append(inner)
        other = threading.Thread(target=lambda: seen.append(_try(database)))
        other.start()
        other.join()
        probe = subprocess.run(
            [sys.executable, "-c", f"from trajectory_miner.store.lock import writer_busy as b; "
             f"from pathlib import Path; print(b(Path({str(database)!r})))"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert probe.stdout.strip() == "True"
        assert outer
    assert seen == [True, False]
    assert _try(database)


def _try(database: Path) -> bool:
    with writer_lock(database, 0.05) as held:
        return held


def test_every_file_a_write_creates_is_private_under_a_permissive_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    database = home / "miner.duckdb"
    previous = os.umask(0o022)
    try:
        with open_store(database) as store:
            store.execute("CREATE TABLE t (x VARCHAR)")
            store.execute("INSERT INTO t SELECT 'row ' || i FROM range(1000) r(i)")
            wal = database.with_name(database.name + ".wal")
            assert wal.exists() and mode(wal) == 0o600
            assert mode(database) == 0o600
            assert check_permissions(home, database).level == "ok"
        assert os.umask(0o022) == 0o022  # the process umask is given back after the write
        assert mode(writer_lock_path(database)) == 0o600

        fresh = database.with_name(database.name + ".rewrite")
        modes: list[int] = []
        check = store_module.check_copy

        def spy(con: Any, name: str) -> None:
            modes.append(mode(fresh))  # the copy is written, not yet made private by the replace
            check(con, name)

        monkeypatch.setattr(store_module, "check_copy", spy)
        rewrite_store(database)
        assert modes == [0o600]
        assert mode(database) == 0o600
        assert check_permissions(home, database).level == "ok"
    finally:
        os.umask(previous)


def test_the_data_home_names_the_files_the_store_keeps_beside_it() -> None:
    from trajectory_miner.capture.forgotten import forgotten_file
    from trajectory_miner.paths import resolve

    paths = resolve()
    assert writer_lock_path(paths.database) == paths.writer_lock
    assert forgotten_file(paths.database) == paths.forgotten_file
