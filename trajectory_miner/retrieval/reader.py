"""Where a live index gets its data: the store opened here, or in a short-lived child process.

A long-lived server that opened DuckDB itself would carry the database's memory (tens of MB
for the connection and its query buffers) for as long as it runs. `ChildSource` runs each
read in a child process instead, `python -m trajectory_miner.retrieval.reader`, started with
`anyio.open_process` in the server's event loop (or in one of its own for a caller with none),
which reads one pickled request from stdin and streams pickled messages to stdout:

    ("changes", marks or None)    → the messages of `snapshot.read_changes`, then ("end", None)
    ("call", name, kwargs, write) → ("result", answer), for `session_detail` and `record_feedback`

Failures come back as ("busy" | "missing" | "bad" | "error", message) and are raised again in
the parent as `StoreBusy`, `StoreMissing`, `BadRequest` or `StoreError`. `LocalSource` does the
same work in-process, for the CLI and tests.
"""

from __future__ import annotations

import importlib
import io
import pickle
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Protocol

import anyio
import anyio.abc
import anyio.from_thread
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
"""How long the child may keep the parent waiting for its next message."""
_EXIT_WAIT_S = 10.0
_CHUNK = 1 << 16


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


Run = Callable[..., Any]
"""Runs an async function to its end from a thread outside the event loop, and returns its result."""


@contextmanager
def event_loop() -> Iterator[Run]:
    """The way to the event loop: the server's, from one of its worker threads, else one of our own."""
    try:
        anyio.from_thread.run_sync(_nothing)
    except RuntimeError:  # no loop runs this thread's work (the CLI, tests): start one beside it
        with anyio.from_thread.start_blocking_portal() as portal:
            yield portal.call
        return
    yield anyio.from_thread.run


def _nothing() -> None:
    pass


class _ChildOutput(io.RawIOBase):
    """The child's stdout as a blocking file, each chunk received in the event loop.

    The messages are unpickled in the caller's thread as they come, so at most one chunk and
    the message being read are held at a time, however much the child sends.
    """

    def __init__(self, run: Run, stream: anyio.abc.ByteReceiveStream) -> None:
        super().__init__()
        self.run = run
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk: bytes = self.run(self._receive, len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    async def _receive(self, most: int) -> bytes:
        try:
            with anyio.fail_after(CHILD_TIMEOUT_S):
                return await self.stream.receive(most)
        except anyio.EndOfStream:
            return b""
        except TimeoutError:
            raise StoreError(f"the store reader sent nothing for {CHILD_TIMEOUT_S:.0f} s") from None


class ChildSource:
    """Reads in a child process, so this one never opens the database.

    The child runs under anyio (`anyio.open_process`), in the server's event loop when called
    from one of its worker threads; its messages are read there and handed over one at a time.
    """

    def __init__(self, database: Path, python: str = sys.executable) -> None:
        self.database = database
        self.python = python
        self._running: set[anyio.abc.Process] = set()

    def stop(self) -> None:
        """Kill the children reading now (from the event loop's thread): their reads end in `StoreError`."""
        for process in list(self._running):
            with suppress(ProcessLookupError):
                process.kill()

    def _messages(self, wait_seconds: float, request: tuple[Any, ...]) -> Iterator[Message]:
        # An isolated parent (the plugin runs `python -I`) gets an isolated child.
        flags = ["-I"] if sys.flags.isolated else []
        argv = [self.python, *flags, "-m", "trajectory_miner.retrieval.reader", str(self.database), str(wait_seconds)]
        with event_loop() as run:
            process: anyio.abc.Process = run(_start, argv, pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            self._running.add(process)
            try:
                assert process.stdout is not None
                yield from _read(run, process, io.BufferedReader(_ChildOutput(run, process.stdout), _CHUNK))
            finally:
                # Closing the pipes first stops a child still writing for a reader that gave up.
                self._running.discard(process)
                run(_stop, process)

    def changes(self, known: Marks | None, wait_seconds: float) -> Iterator[Message]:
        yield from self._messages(wait_seconds, ("changes", known))

    def call(self, name: str, kwargs: dict[str, Any], *, writable: bool, wait_seconds: float) -> BaseModel:
        for kind, body in self._messages(wait_seconds, ("call", name, kwargs, writable)):
            if kind == "result" and isinstance(body, BaseModel):
                return body
        raise StoreError(f"the store reader gave no answer to {name}")


async def _start(argv: list[str], request: bytes) -> anyio.abc.Process:
    process = await anyio.open_process(argv)
    assert process.stdin is not None
    try:
        async with process.stdin:
            await process.stdin.send(request)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass  # the child is gone already: its output, read next, says why
    return process


async def _stop(process: anyio.abc.Process) -> None:
    # `aclose` closes the pipes and waits; cancelled by the timeout, it kills the child.
    with anyio.move_on_after(_EXIT_WAIT_S):
        await process.aclose()


async def _error_tail(process: anyio.abc.Process) -> str:
    assert process.stderr is not None
    with anyio.move_on_after(_EXIT_WAIT_S):
        await process.wait()
    text = b""
    with anyio.move_on_after(_EXIT_WAIT_S):
        async for chunk in process.stderr:
            text += chunk
    return " ".join(text.decode("utf-8", "replace").strip().splitlines()[-3:])


def _read(run: Run, process: anyio.abc.Process, out: IO[bytes]) -> Iterator[Message]:
    while True:
        try:
            kind, body = pickle.load(out)
        except (EOFError, pickle.UnpicklingError):
            tail = run(_error_tail, process)
            raise StoreError(f"the store reader stopped early: {tail or 'no output'}") from None
        if kind in _ERRORS:
            raise _ERRORS[kind](body)
        if kind == "end":
            return
        yield kind, body


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
