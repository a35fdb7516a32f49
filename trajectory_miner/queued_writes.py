"""Writes a long-lived reader queued while the store was busy, applied together in one child process.

The MCP server never opens the store itself (see `retrieval.reader`), and a child process per
write costs an interpreter start each. So the writes it queued go to one child,
`python -m trajectory_miner.queued_writes <database> <wait>`, which reads a pickled list of
(name, kwargs) from stdin, opens the store once for writing and applies them in order, each in
its own transaction, streaming a pickled message after each:

    ("applied", i) | ("refused", i, message)   then ("end", None)
    ("busy", message) | ("error", message)      when the store could not be opened or failed

So the parent knows exactly which writes are stored, even when the child dies part way. The
parent runs the child with `anyio.run_process`, under a timeout.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import anyio
from pydantic import BaseModel

from trajectory_miner.retrieval.listing import BadRequest
from trajectory_miner.retrieval.reviews import review_skill
from trajectory_miner.retrieval.votes import record_vote
from trajectory_miner.store import StoreBusy, StoreError, open_store

WRITES: dict[str, Callable[..., BaseModel]] = {"record_feedback": record_vote, "review_skill": review_skill}
"""The writes that may be queued, by the name the server calls them."""

CHILD_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Outcome:
    """What became of one queued write."""

    index: int
    applied: bool
    message: str = ""


async def apply_in_child(
    database: Path, writes: Sequence[tuple[str, dict[str, Any]]], wait_seconds: float, python: str = sys.executable
) -> Iterator[Outcome]:
    """Apply the writes in a child process; then the outcome of each write it stored or refused.

    The child's messages are read once it has exited, so the outcomes of a child that died part
    way are still known. A child still running after `CHILD_TIMEOUT_S` (or whose caller is
    cancelled) is killed.

    Raises (while iterating the outcomes):
        StoreBusy: the store stayed busy for `wait_seconds` (nothing was applied after that).
        StoreError: the child failed.
    """
    flags = ["-I"] if sys.flags.isolated else []
    argv = [python, *flags, "-m", "trajectory_miner.queued_writes", str(database), str(wait_seconds)]
    request = pickle.dumps(list(writes), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        with anyio.fail_after(CHILD_TIMEOUT_S):
            done = await anyio.run_process(argv, input=request, stderr=subprocess.DEVNULL, check=False)
    except TimeoutError:
        raise StoreError(f"the process applying queued writes ran past {CHILD_TIMEOUT_S:.0f} s") from None
    return outcomes(done.stdout)


def outcomes(output: bytes) -> Iterator[Outcome]:
    """The outcomes in the child's output, in the order it stored them."""
    stream = io.BytesIO(output)
    while True:
        try:
            message = pickle.load(stream)
        except (EOFError, pickle.UnpicklingError):  # nothing more, or the last message cut short
            raise StoreError("the process applying queued writes stopped early") from None
        kind = message[0]
        if kind == "end":
            return
        if kind == "busy":
            raise StoreBusy(message[1])
        if kind == "error":
            raise StoreError(message[1])
        yield Outcome(index=message[1], applied=kind == "applied", message=message[2] if kind == "refused" else "")


def _send(out: IO[bytes], *message: Any) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def _apply(database: Path, wait_seconds: float, writes: list[tuple[str, dict[str, Any]]], out: IO[bytes]) -> None:
    with open_store(database, wait_seconds=wait_seconds) as store:
        for index, (name, kwargs) in enumerate(writes):
            if name not in WRITES:
                _send(out, "refused", index, f"unknown write {name!r}")
                continue
            try:
                WRITES[name](store, **kwargs)
            except BadRequest as exc:
                _send(out, "refused", index, str(exc))
                continue
            _send(out, "applied", index)
    _send(out, "end", None)


def main(argv: list[str]) -> int:
    """The child's whole life: the writes in, one message per write out."""
    out = sys.stdout.buffer
    try:
        _apply(Path(argv[0]), float(argv[1]), pickle.load(sys.stdin.buffer), out)
    except StoreBusy as exc:
        _send(out, "busy", str(exc))
    except Exception as exc:  # reported to the parent, which keeps the rest queued
        _send(out, "error", f"{type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
