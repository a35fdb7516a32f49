"""The doctor's look at the data home itself: who may read it, the disk it is on, and its settings."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

from trajectory_miner.admin.doctor.findings import Check, shell_quote
from trajectory_miner.capture import quarantine
from trajectory_miner.config import ConfigError, load_config

MIN_FREE_BYTES = 100 * 1024 * 1024
_PRIVATE_NAMES = (
    "spool",
    "reports",
    "hook-errors.log",
    "hook-errors.log.1",
    "config.toml",
    "hints.json",
    "forgotten-sessions.txt",
    "writer.lock",
    "miner.index",
    quarantine.LOG_NAME,
)


def _private_files(home: Path, database: Path) -> Iterable[Path]:
    """The data home and its own files (the environment in venv/ aside)."""
    yield home
    yield from (database, database.with_name(database.name + ".wal"))
    for name in _PRIVATE_NAMES:
        path = home / name
        yield path
        if path.is_dir():
            yield from sorted(path.iterdir())


def check_permissions(home: Path, database: Path) -> Check:
    """The data home and its files readable by the user alone, and owned by them."""
    open_to_others: list[str] = []
    foreign: list[str] = []
    uid = os.getuid()
    for path in _private_files(home, database):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if info.st_uid != uid:
            foreign.append(str(path))
        if stat.S_IMODE(info.st_mode) & 0o077:
            open_to_others.append(str(path))
    if foreign:
        return Check(
            name="permissions",
            level="problem",
            summary=f"{len(foreign)} file(s) in the data home belong to another user, e.g. {foreign[0]}",
            fix=f"give them back to yourself: sudo chown -R $(id -u) {shell_quote(home)}",
            details={"foreign": foreign, "open_to_others": open_to_others},
        )
    if open_to_others:
        return Check(
            name="permissions",
            level="problem",
            summary=f"{len(open_to_others)} path(s) in the data home are open to other users, e.g. {open_to_others[0]}",
            fix=f"chmod -R go-rwx {shell_quote(home)}",
            details={"open_to_others": open_to_others},
        )
    return Check(name="permissions", level="ok", summary=f"{home} (0700) and its files (0600) are yours alone")


def _size_of(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def check_disk(home: Path) -> Check:
    """The data home's size and the free space beside it."""
    if not home.exists():
        return Check(name="disk", level="ok", summary="nothing stored yet")
    used = _size_of(home)
    free = shutil.disk_usage(home).free
    details = {"used_bytes": used, "free_bytes": free}
    summary = f"{used / 1e6:,.1f} MB in {home}; {free / 1e9:,.1f} GB free"
    if free < MIN_FREE_BYTES:
        return Check(
            name="disk",
            level="problem",
            summary=summary,
            fix="free some disk space: the store cannot grow (forget old sessions with `trajectory-miner forget`)",
            details=details,
        )
    return Check(name="disk", level="ok", summary=summary, details=details)


def check_config(path: Path) -> Check:
    """The settings file: a broken one stops every command and the ingester until it is fixed."""
    try:
        load_config(path)
    except ConfigError as exc:
        return Check(
            name="config",
            level="problem",
            summary=f"the settings cannot be used: {str(exc).splitlines()[0]}",
            fix=f"fix or remove {shell_quote(path)}; the hooks keep spooling, and ingest catches up once it reads",
            details={"error": str(exc)},
        )
    summary = f"settings read from {path}" if path.exists() else "no config.toml: the defaults apply"
    return Check(name="config", level="ok", summary=summary)
