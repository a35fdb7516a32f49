"""Printing for the CLI: JSON, aligned tables, a progress bar on terminals only, and errors."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel

from trajectory_miner import paths as paths_module
from trajectory_miner.config import Config, ConfigError, load_config
from trajectory_miner.store import Store, StoreError, open_store


class CommandError(Exception):
    """A failure to report as one line on stderr with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int) -> int:
    print(f"trajectory-miner: {message}", file=sys.stderr)
    return code


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError


def print_json(value: Any) -> None:
    """One JSON document on stdout."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    sys.stdout.write(orjson.dumps(value, default=_default, option=orjson.OPT_INDENT_2).decode() + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Rows aligned under their headers."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def progress_bar(label: str, enabled: bool) -> Callable[[int, int, str], None] | None:
    """A progress callback drawing on stderr when it is a terminal; None otherwise."""
    if not enabled or not sys.stderr.isatty():
        return None
    last = [0.0]

    def draw(done: int, total: int, item: str) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.1:
            return
        last[0] = now
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {item[:30]:<30}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return draw


def resolve_paths() -> paths_module.Paths:
    return paths_module.resolve()


def load_user_config(paths: paths_module.Paths) -> Config:
    try:
        return load_config(paths.config_file)
    except ConfigError as exc:
        raise CommandError(f"bad config: {exc}", 2) from exc


def reader(paths: paths_module.Paths) -> Any:
    """A read-only store context for a command, with store errors turned into messages."""
    return _guarded(paths, read_only=True)


def writer(paths: paths_module.Paths) -> Any:
    """A writable store context for a command."""
    paths_module.ensure_home(paths)
    return _guarded(paths, read_only=False)


class _guarded:
    def __init__(self, paths: paths_module.Paths, read_only: bool) -> None:
        self.paths = paths
        self.read_only = read_only
        self._ctx: Any = None

    def __enter__(self) -> Store:
        self._ctx = open_store(self.paths.database, read_only=self.read_only)
        try:
            store: Store = self._ctx.__enter__()
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
        return store

    def __exit__(self, *exc: Any) -> None:
        try:
            self._ctx.__exit__(*exc)
        except StoreError as err:
            raise CommandError(str(err)) from err
        if isinstance(exc[1], StoreError):  # raised by the command's own work on the store
            raise CommandError(str(exc[1])) from exc[1]
