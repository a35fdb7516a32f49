"""Where a live index gets its data: the store opened here, or in a short-lived child process.

A long-lived server that opened DuckDB itself would carry the database's memory (tens of MB
for the connection and its query buffers) for as long as it runs. `ChildSource` runs each
read in a child process instead, `python -m trajectory_miner.retrieval.reader`, which reads
one pickled request from stdin and streams pickled messages to stdout:

    ("changes", marks or None)    → the messages of `snapshot.read_changes`, then ("end", None)
    ("call", name, kwargs, write) → ("result", answer), for `session_detail` and `record_feedback`

Failures come back as ("busy" | "missing" | "bad" | "error", message) and are raised again in
the parent as `StoreBusy`, `StoreMissing`, `BadRequest` or `StoreError`. `LocalSource` does the
same work in-process, for the CLI and tests.
"""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from pydantic import BaseModel

from trajectory_miner.retrieval.answers import BadRequest
from trajectory_miner.retrieval.snapshot import Marks, Message, read_changes
from trajectory_miner.store import Store, StoreBusy, StoreError, StoreMissing, open_store

# name → (module, function): imported on the first call, so a child that only reads changes
# starts without them.
CALLS: dict[str, tuple[str, str]] = {
    "session_detail": ("trajectory_miner.retrieval.details", "session_detail"),
    "record_feedback": ("trajectory_miner.retrieval.votes", "record_vote"),
    "review_skill": ("trajectory_miner.retrieval.reviews", "review_skill"),
}
_ERRORS: dict[str, type[Exception]] = {
    "busy": StoreBusy,
    "missing": StoreMissing,
    "bad": BadRequest,
    "error": StoreError,
}


def store_call(name: str) -> Callable[..., BaseModel]:
    """The store call of that name in `CALLS`, imported now."""
    module, function = CALLS[name]
    found: Callable[..., BaseModel] = getattr(importlib.import_module(module), function)
    return found


CHILD_TIMEOUT_S = 600.0
_EXIT_WAIT_S = 10.0


class Source(Protocol):
    """Reads for a live index."""

    def changes(self, known: Marks | None, wait_seconds: float) -> Iterator[Message]: ...

    def call(self, name: str, kwargs: dict[str, Any], *, writable: bool, wait_seconds: float) -> BaseModel: ...


class LocalSource:
    """Reads in this process (the store is open while the messages are consumed)."""

    def __init__(self, database: Path) -> None:
        self.database = database

    def changes(self, known: Marks | None, wait_seconds: float) -> Iterator[Message]:
        with open_store(self.database, read_only=True, wait_seconds=wait_seconds) as store:
            yield from read_changes(store, known)

    def call(self, name: str, kwargs: dict[str, Any], *, writable: bool, wait_seconds: float) -> BaseModel:
        with open_store(self.database, read_only=not writable, wait_seconds=wait_seconds) as store:
            return store_call(name)(store, **kwargs)


class ChildSource:
    """Reads in a child process, so this one never opens the database."""

    def __init__(self, database: Path, python: str = sys.executable) -> None:
        self.database = database
        self.python = python

    def _spawn(self, wait_seconds: float, request: tuple[Any, ...]) -> subprocess.Popen[bytes]:
        # An isolated parent (the plugin runs `python -I`) gets an isolated child.
        flags = ["-I"] if sys.flags.isolated else []
        argv = [self.python, *flags, "-m", "trajectory_miner.retrieval.reader", str(self.database), str(wait_seconds)]
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdin is not None
        with process.stdin:
            pickle.dump(request, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        return process

    def _messages(self, process: subprocess.Popen[bytes]) -> Iterator[Message]:
        assert process.stdout is not None and process.stderr is not None
        try:
            while True:
                try:
                    kind, body = pickle.load(process.stdout)
                except EOFError:
                    process.wait(timeout=CHILD_TIMEOUT_S)
                    tail = process.stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                    raise StoreError(f"the store reader stopped early: {' '.join(tail) or 'no output'}") from None
                if kind in _ERRORS:
                    raise _ERRORS[kind](body)
                if kind == "end":
                    return
                yield kind, body
        finally:
            # Closing the pipe first stops a child still writing for a reader that gave up.
            process.stdout.close()
            process.stderr.close()
            try:
                process.wait(timeout=_EXIT_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_EXIT_WAIT_S)

    def changes(self, known: Marks | None, wait_seconds: float) -> Iterator[Message]:
        yield from self._messages(self._spawn(wait_seconds, ("changes", known)))

    def call(self, name: str, kwargs: dict[str, Any], *, writable: bool, wait_seconds: float) -> BaseModel:
        for kind, body in self._messages(self._spawn(wait_seconds, ("call", name, kwargs, writable))):
            if kind == "result" and isinstance(body, BaseModel):
                return body
        raise StoreError(f"the store reader gave no answer to {name}")


def _send(out: IO[bytes], kind: str, body: Any) -> None:
    pickle.dump((kind, body), out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def _serve(database: Path, wait_seconds: float, request: tuple[Any, ...], out: IO[bytes]) -> None:
    if request[0] == "changes":
        with open_store(database, read_only=True, wait_seconds=wait_seconds) as store:
            for message in read_changes(store, request[1]):
                _send(out, *message)
    elif request[0] == "call" and request[1] in CALLS:
        _, name, kwargs, writable = request
        with open_store(database, read_only=not writable, wait_seconds=wait_seconds) as store:
            _send(out, "result", _run(store, name, kwargs))
    else:
        raise StoreError(f"unknown request {request[0]!r}")
    _send(out, "end", None)


def _run(store: Store, name: str, kwargs: dict[str, Any]) -> BaseModel:
    return store_call(name)(store, **kwargs)


def main(argv: list[str]) -> int:
    """The child's whole life: one request in, messages out."""
    out = sys.stdout.buffer
    try:
        database, wait_seconds = Path(argv[0]), float(argv[1])
        _serve(database, wait_seconds, pickle.load(sys.stdin.buffer), out)
    except StoreBusy as exc:
        _send(out, "busy", str(exc))
    except StoreMissing as exc:
        _send(out, "missing", str(exc))
    except BadRequest as exc:
        _send(out, "bad", str(exc))
    except Exception as exc:  # reported to the parent, which stays up
        _send(out, "error", f"{type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
