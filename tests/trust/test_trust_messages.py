"""A data home that cannot be written, a full disk and an ambiguous id each get one clear line.

The disk is simulated: a home whose writes fail as a read-only file system or a home owned by
someone else fails them, and a store whose every write fails with "No space left on device"
(DuckDB then fails the rollback too, which is what used to be reported).
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pathological import NORMAL, normal_lines
from trustkit import run_cli

from trajectory_miner import paths as paths_module
from trajectory_miner.cli.output import CommandError, disk_full_message, disk_problem, read_only_message
from trajectory_miner.paths import resolve
from trajectory_miner.store import StoreError

COMMANDS = [["ingest"], ["mine"], ["report"], ["feedback", NORMAL[:8], "good"]]
_REAL_CONNECT = duckdb.connect
_WRITES = ("INSERT", "UPDATE", "DELETE", "COMMIT", "CREATE TABLE", "ALTER", "DROP", "CHECKPOINT")


def _session(folder: Path, sid: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = normal_lines(sid)
    (folder / f"{sid}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def stored(capsys: pytest.CaptureFixture[str]) -> Path:
    """A data home with one session stored and mined; returns the home."""
    paths = resolve()
    _session(paths.projects / "-home-dev-shop", NORMAL)
    assert run_cli(["ingest", "--quiet"], capsys)[0] == 0
    return paths.home


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _read_only_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Every write into the home fails as on a read-only file system."""

    def ensure_home(_paths: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(home))

    def connect(database: str = ":memory:", read_only: bool = False, **kwargs: Any) -> Any:
        if not read_only:
            raise duckdb.IOException(f'IO Error: Cannot open file "{database}": Read-only file system')
        return _REAL_CONNECT(database, read_only=read_only, **kwargs)

    monkeypatch.setattr(paths_module, "ensure_home", ensure_home)
    monkeypatch.setattr(duckdb, "connect", connect)


def _foreign_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The home is there, but its store cannot be opened for writing (owned by someone else)."""

    def connect(database: str = ":memory:", read_only: bool = False, **kwargs: Any) -> Any:
        if not read_only:
            raise duckdb.IOException(f'IO Error: Cannot open file "{database}": Permission denied')
        return _REAL_CONNECT(database, read_only=read_only, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connect)
    _fail_writes_in(monkeypatch, home, errno.EACCES)


class _FullDisk:
    """A connection on a full disk: a write outside a transaction fails, a transaction fails
    at its commit, and the rollback that follows finds no transaction left."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self._ended = False
        self._in_transaction = False

    def execute(self, sql: str, *args: Any) -> Any:
        statement = sql.lstrip().upper()
        if statement.startswith("BEGIN"):
            self._in_transaction = True
        elif statement.startswith("ROLLBACK") and self._ended:
            raise duckdb.TransactionException("TransactionContext Error: cannot rollback - no transaction is active")
        elif statement.startswith("COMMIT") or (statement.startswith(_WRITES) and not self._in_transaction):
            if self._in_transaction:
                self._con.execute("ROLLBACK")
                self._in_transaction, self._ended = False, True
            raise duckdb.IOException('IO Error: Could not write file "miner.duckdb.wal": No space left on device')
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _fail_writes_in(monkeypatch: pytest.MonkeyPatch, home: Path, code: int) -> None:
    """Files written in the home (rows on their way in, reports, hints) fail with `code`."""
    real_os_open, real_open = os.open, io.open

    def inside(path: Any) -> bool:
        return isinstance(path, str | Path) and Path(path).is_relative_to(home)

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR) and inside(path):
            raise OSError(code, os.strerror(code), str(path))
        return real_os_open(path, flags, *args, **kwargs)

    def open_file(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if set(mode) & set("wax+") and inside(path):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", open_file)
    monkeypatch.setattr(builtins, "open", open_file)


def _full_store(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The store's writes fail for want of space (files beside it still fit)."""

    def connect(database: str = ":memory:", read_only: bool = False, **kwargs: Any) -> Any:
        con = _REAL_CONNECT(database, read_only=read_only, **kwargs)
        return con if read_only else _FullDisk(con)

    monkeypatch.setattr(duckdb, "connect", connect)


def _full_disk(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Nothing more fits: neither the store's writes nor any file."""
    _full_store(monkeypatch, home)
    _fail_writes_in(monkeypatch, home, errno.ENOSPC)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: argv[0])
@pytest.mark.parametrize("simulate", [_read_only_home, _foreign_home], ids=["read-only", "foreign"])
def test_a_home_that_cannot_be_written_is_said_in_one_line(
    argv: list[str], simulate: Any, stored: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    simulate(monkeypatch, stored)
    code, _, err = run_cli(argv, capsys)
    assert code == 1
    assert _one_line(err) == f"trajectory-miner: {read_only_message(stored)}"
    assert read_only_message(stored) == (
        f"the data home {stored} is not writable: make it writable, or set TRAJECTORY_MINER_HOME to a writable "
        "folder, then run the command again"
    )


@pytest.mark.parametrize(
    ("argv", "simulate"),
    [(argv, _full_disk) for argv in COMMANDS] + [(argv, _full_store) for argv in COMMANDS if argv != ["report"]],
    ids=lambda value: value[0] if isinstance(value, list) else value.__name__,
)
def test_a_full_disk_is_said_in_one_line_not_as_the_failed_rollback(
    argv: list[str], simulate: Any, stored: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _session(resolve().projects / "-home-dev-shop", "55555555-5555-4555-8555-555555555555")
    simulate(monkeypatch, stored)
    code, _, err = run_cli(argv, capsys)
    assert code == 1
    assert "rollback" not in err
    assert _one_line(err) == f"trajectory-miner: {disk_full_message(stored)}"
    assert disk_full_message(stored) == (
        f"the disk is full: nothing more can be written to {stored}; free some disk space, then run the command again"
    )


def test_an_ambiguous_id_prefix_is_said_with_its_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    ids = [f"66666666-6666-4666-8666-00000000000{i}" for i in range(7)]
    for sid in ids:
        _session(resolve().projects / "-home-dev-shop", sid)
    assert run_cli(["ingest", "--quiet"], capsys)[0] == 0
    listed = ", ".join(ids[:5]) + ", …"
    expected = (
        f"trajectory-miner: the id prefix '6666' is ambiguous: it matches 7 sessions ({listed}); give more of the id:"
        " see `trajectory-miner sessions`"
    )
    for argv in (["show", "6666"], ["score", "6666"], ["feedback", "6666", "good"], ["forget", "6666", "--yes"]):
        code, out, err = run_cli(argv, capsys)
        assert (code, out) == (2, "")
        assert _one_line(err) == expected


def test_a_prefix_of_one_session_still_names_it_and_an_unknown_one_matches_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sid in (NORMAL, "66666666-6666-4666-8666-000000000000"):
        _session(resolve().projects / "-home-dev-shop", sid)
    assert run_cli(["ingest", "--quiet"], capsys)[0] == 0
    code, out, _ = run_cli(["show", "6666", "--json"], capsys)
    assert code == 0 and json.loads(out)["session_id"].startswith("6666")
    code, _, err = run_cli(["show", "7777"], capsys)
    assert (
        code == 2 and _one_line(err) == "trajectory-miner: no session matches '7777': see `trajectory-miner sessions`"
    )


def test_a_failed_rollback_is_read_through_to_the_full_disk_behind_it(tmp_path: Path) -> None:
    def commit_then_rollback() -> None:
        try:
            raise duckdb.IOException('IO Error: Could not write file "miner.duckdb.wal": No space left on device')
        except duckdb.IOException:
            raise duckdb.TransactionException(
                "TransactionContext Error: cannot rollback - no transaction is active"
            ) from None

    with pytest.raises(CommandError) as caught:
        try:
            try:
                commit_then_rollback()
            except duckdb.Error as exc:
                raise StoreError(f"the store failed: {exc}") from exc
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
    assert "cannot rollback" in str(caught.value)
    assert disk_problem(caught.value, tmp_path) == disk_full_message(tmp_path)
