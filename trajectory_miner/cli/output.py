"""Printing for the CLI: JSON, aligned tables, a progress bar on terminals only, and errors."""

from __future__ import annotations

import errno
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
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


def read_only_message(home: Path) -> str:
    """What to say when the data home cannot be written."""
    return (
        f"the data home {home} is not writable: make it writable, or set TRAJECTORY_MINER_HOME to a writable "
        "folder, then run the command again"
    )


def disk_full_message(home: Path) -> str:
    """What to say when the disk holding the data home is full."""
    return f"the disk is full: nothing more can be written to {home}; free some disk space, then run the command again"


_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_FULL_TEXTS = ("No space left on device", "Disk quota exceeded")


def disk_problem(exc: BaseException, home: Path | None = None) -> str | None:
    """The one-line message for a failure the data home's disk caused (full, or not writable),
    or None. The whole chain of the error is read: a failed write is often reported by what
    failed after it (a rollback with no transaction left)."""
    home = home or resolve_paths().home
    for link in _chain(exc):
        text = str(link)
        code = link.errno if isinstance(link, OSError) else None
        if code in _FULL or any(t in text for t in _FULL_TEXTS):
            return disk_full_message(home)
        if code == errno.EROFS or "Read-only file system" in text:
            return read_only_message(home)
        if isinstance(link, PermissionError) and _within(link.filename, home):
            return read_only_message(home)
        if "Permission denied" in text and str(home) in text:
            return read_only_message(home)
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        link = todo.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        todo.extend(e for e in (link.__cause__, link.__context__) if e is not None)


def _within(name: Any, home: Path) -> bool:
    if not isinstance(name, str | Path):
        return False
    return Path(name) == home or Path(name).is_relative_to(home)


def fail(message: str, code: int) -> int:
    print(f"trajectory-miner: {message}", file=sys.stderr)
    return code


# What a terminal would act on rather than show: OSC strings (window titles, hyperlinks),
# CSI sequences (colours, cursor moves, clear screen), DCS/SOS/PM/APC strings, other escape
# sequences, and every other C0 and C1 control but tab and newline. Each alternative is
# linear: an unterminated string runs to the end of its line, no further.
_CONTROL_SEQUENCE = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c\n]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def terminal_text(text: str) -> str:
    """Text with every control sequence and control character but tab and newline removed,
    so that what a transcript holds is shown, never acted on by the terminal."""
    return _CONTROL_SEQUENCE.sub("", text)


class _TerminalSafe:
    """A text stream that passes on what is written with its control sequences removed."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    @property
    def raw(self) -> Any:
        """The stream underneath, for text already safe to show."""
        return self._stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_text(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def terminal_safe_stdout(enabled: bool = True) -> Iterator[None]:
    """Inside the block, what is printed to stdout is stripped of control sequences: commands
    print transcript text, which can hold any bytes a tool wrote."""
    if not enabled:
        yield
        return
    stream = sys.stdout
    sys.stdout = _TerminalSafe(stream)
    try:
        yield
    finally:
        sys.stdout = stream


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError


# JSON escapes C0 controls; C1 controls (U+007F-U+009F) it may leave raw, and only inside strings.
_C1 = re.compile(r"[\x7f-\x9f]")


def print_json(value: Any) -> None:
    """One JSON document on stdout, with every control character escaped: safe on a terminal
    as it is, so it skips the terminal filter (whose pass over a large document costs seconds)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    print_json_text(orjson.dumps(value, default=_default, option=orjson.OPT_INDENT_2).decode())


def print_json_text(text: str) -> None:
    """A JSON document already written out (a report saved as well as printed), as `print_json` prints it."""
    text = _C1.sub(lambda found: f"\\u{ord(found.group()):04x}", text.rstrip("\n")) + "\n"
    stream = sys.stdout
    (stream.raw if isinstance(stream, _TerminalSafe) else stream).write(text)


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
    """A read-only store context for a command, with store errors turned into messages.

    Events the hooks spooled and no ingester stored yet are caught up first (see `catchup`).
    """
    from trajectory_miner.capture.catchup import catch_up

    catch_up(paths)
    return _guarded(paths, read_only=True)


def writer(paths: paths_module.Paths) -> Any:
    """A writable store context for a command, after the same spool catch-up as `reader`."""
    from trajectory_miner.capture.catchup import catch_up

    paths_module.ensure_home(paths)
    catch_up(paths)
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
