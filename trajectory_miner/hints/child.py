"""The live-hint table worked out in a child process while `mine` runs.

After mining, the `mine` command rewrites the live-hint table from the saved index caught up
with the store (`hints.hints_from_store`). On a large store, loading that index costs more
than catching it up, and neither needs what the run mines: of the mined items, the table
reads the skills only. So the command starts this module as a child process before it
mines; the child loads the saved index meanwhile. When the run is done, the command reads
for the child what changed in the store since the index was saved, leaving the mined items
out, and sends it with the skills now stored; the child applies the changes, sets the
skills, and writes the table. The child never opens the store: while the command holds it
for writing, DuckDB lets no other process open it.

Where the saved index cannot simply be caught up (none usable, too many sessions changed,
sessions deleted, too many documents replaced), the child says so and the command works the
table out itself, as `hints_from_store` does, saving the index it builds. Either way the
table is the same.

The two processes exchange pickles over the child's standard input and output:

    child → command:  the saved index's `Marks`, or None when there is no usable saved index
    command → child:  (messages for `MemoryIndex.apply`, skills, hint file), or None: stop
    child → command:  True once the table is written; False when the command must work it out
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from trajectory_miner.store import Store

# A saved index smaller than this loads in a few milliseconds: not worth a second process.
CHILD_FROM_BYTES = 8 << 20


def index_path(database: Path) -> Path:
    """Where the index of the store at `database` is saved, as `retrieval.saved.saved_path` says,
    without loading the index's modules (numpy among them) in the mining process."""
    return database.with_suffix(".index")


class HintChild:
    """A running child process that writes the hint table once it is sent the changes."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @classmethod
    def start(cls, database: Path) -> HintChild | None:
        """Start loading the saved index of the store at `database` in a child process; None
        when the saved index is too small to be worth it, or the child cannot start."""
        try:
            if index_path(database).stat().st_size < CHILD_FROM_BYTES:
                return None
        except OSError:
            return None
        package_root = str(Path(__file__).resolve().parents[1])
        search = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "trajectory_miner.hints.child", str(database)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": search},
            )
        except OSError:
            return None
        return cls(process)

    def send(self, store: Store, hints_file: Path) -> bool:
        """Send the child what changed in the store since its index was saved and the skills
        stored now; False when it cannot be caught up so (the child is stopped, and the caller
        works the table out itself)."""
        try:
            marks = self._receive()
            job = None if marks is None else _job(store, marks, hints_file)
            self._send(job)
        except (OSError, EOFError, pickle.UnpicklingError):
            job = None
        if job is None:
            self.stop()
        return job is not None

    def wait(self) -> bool:
        """Wait for the child to write the table; False when it could not."""
        try:
            return self._receive() is True
        except (OSError, EOFError, pickle.UnpicklingError):
            return False
        finally:
            self.stop()

    def stop(self) -> None:
        """End the child, whatever it is doing."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def _send(self, value: Any) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        pickle.dump(value, stdin, protocol=pickle.HIGHEST_PROTOCOL)
        stdin.flush()

    def _receive(self) -> Any:
        stdout = self.process.stdout
        assert stdout is not None
        return pickle.load(stdout)


def _job(store: Store, marks: Any, hints_file: Path) -> tuple[Any, ...]:
    """What the child needs to catch its index up and write the table."""
    from trajectory_miner.mining.items import load_skills
    from trajectory_miner.retrieval.snapshot import read_changes, read_marks

    now = read_marks(store)
    # The mined items as they stand now: the table reads only the skills, sent on their own.
    known = dataclasses.replace(marks, skills=now.skills, replays=now.replays, patterns=now.patterns)
    return list(read_changes(store, known)), load_skills(store), str(hints_file)


def serve(database: Path, reader: IO[bytes], writer: IO[bytes]) -> None:
    """The child's side: load the saved index, then write the table when sent the changes."""
    from trajectory_miner.hints.table import build_hints, write_hints
    from trajectory_miner.retrieval.index import NeedsRebuild
    from trajectory_miner.retrieval.saved import RESAVE_AFTER, load

    def send(value: Any) -> None:
        pickle.dump(value, writer, protocol=pickle.HIGHEST_PROTOCOL)
        writer.flush()

    loaded = load(database)
    send(None if loaded is None else loaded[0].marks)
    if loaded is None:
        return
    job = pickle.load(reader)
    if job is None:
        return
    index = loaded[0]
    messages, skills, hints_file = job
    # So many sessions to catch up on that the index is worth saving again: the command does that.
    if sum(len(body[0]) for kind, body in messages if kind == "changed") > RESAVE_AFTER:
        send(False)
        return
    try:
        index.apply(messages)
    except NeedsRebuild:
        send(False)
        return
    if index.needs_rebuild:
        send(False)
        return
    index.skills = {skill.id: skill for skill in skills}
    write_hints(Path(hints_file), build_hints(index))
    send(True)


if __name__ == "__main__":
    import gc

    # Everything this process builds lives until it exits: the collector would only walk it.
    gc.disable()
    serve(Path(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer)
