"""The server's answers while another process writes the store: from memory, with writes queued.

DuckDB keeps every other process out of a file a writer holds, and the ingester, `mine` or a
`forget` may hold it for seconds. No tool call should fail for that:

- reads answer from the in-memory index, with a note of how old it is (`LiveIndex` does that
  once a refresh finds the store busy; `LockAwareSource` makes it find out at once, by probing
  the store-wide writer lock instead of waiting for DuckDB's);
- `get_session` falls back to the headline the index keeps, and says so;
- writes (`record_feedback`, `review_skill`) that find the store busy are queued, answered
  with a receipt that says they are queued, and applied in order once the store is free, by a
  task in the server's task group (`mcp_server.tasks`), a batch at a time in one child process
  (`trajectory_miner.queued_writes`); a later write waits behind them so the order holds. The
  queue lives in memory: writes still queued when the server stops get one last try, and the
  server's log counts any left.

Each call also checks (at most once a second) whether the hooks' spool holds events no
ingester is storing, and starts one (`trajectory_miner.capture.catchup`).
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import BaseModel

from trajectory_miner.capture.catchup import MCP_CHECK_S, Throttle, start_if_behind
from trajectory_miner.feedback.verdicts import canonical_verdict
from trajectory_miner.paths import Paths
from trajectory_miner.queued_writes import apply_in_child
from trajectory_miner.retrieval import FeedbackReceipt, LiveIndex, MemoryIndex
from trajectory_miner.retrieval.answers import SessionDetail
from trajectory_miner.retrieval.listing import BadRequest, short_project
from trajectory_miner.retrieval.reader import Source
from trajectory_miner.retrieval.reviews import DECISIONS, NEXT_STEPS, SkillReview
from trajectory_miner.retrieval.snapshot import Marks, Message
from trajectory_miner.store import StoreBusy, StoreError
from trajectory_miner.store.lock import writer_busy

if TYPE_CHECKING:
    from mcp_server.tasks import ServerTasks

WRITE_WAIT_S = 1.0
"""How long a write waits for the store before it is queued."""
RETRY_S = 0.25
FLUSH_WAIT_S = 5.0
"""How long the background flush waits for the store: nobody waits for it."""
FLUSH_BATCH = 200
"""The most queued writes applied under one hold of the store: a long queue must not keep
`forget` or the ingester waiting for all of it."""
QUEUED = "the store is busy (another process is writing it): this {what} is queued and will be stored when it is free"
_KINDS = {"S": "skill", "R": "replay"}


def log(message: str) -> None:
    """One line on the server's stderr, which Claude Code keeps in its MCP log."""
    print(f"miner: {message}", file=sys.stderr, flush=True)


class LockAwareSource:
    """A source that reports a busy store at once while another process holds the writer lock.

    A first read (no index yet) still waits: with nothing in memory, waiting beats "busy".
    """

    def __init__(self, inner: Source, database: Path) -> None:
        self.inner = inner
        self.database = database

    def changes(self, known: Marks | None, wait_seconds: float) -> Iterator[Message]:
        if known is not None and writer_busy(self.database):
            raise StoreBusy(f"the store {self.database} is being written by another process")
        yield from self.inner.changes(known, wait_seconds)

    def call(self, name: str, kwargs: dict[str, Any], *, writable: bool, wait_seconds: float) -> BaseModel:
        return self.inner.call(name, kwargs, writable=writable, wait_seconds=wait_seconds)

    def stop(self) -> None:
        """Kill the inner source's reads under way, if it reads in child processes."""
        stop = getattr(self.inner, "stop", None)
        if callable(stop):
            stop()


@dataclass(frozen=True)
class _Pending:
    name: str
    kwargs: dict[str, Any]


class PatientIndex(LiveIndex):
    """A `LiveIndex` whose calls never fail because the store is busy."""

    def __init__(self, database: Path, *, paths: Paths | None = None, **options: Any) -> None:
        super().__init__(database, **options)
        self.paths = paths
        self._queue: deque[_Pending] = deque()
        self._queue_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.tasks: ServerTasks | None = None
        """The front's task group, which applies the queue; without one, the queue waits for the end."""
        self._draining = False
        self._catch_up = Throttle(MCP_CHECK_S)
        atexit.register(self._at_exit)

    # -- reads -----------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[tuple[MemoryIndex, str]]:
        self._nudge_ingester()
        with super().reading() as (index, note):
            pending = self.pending()
            if pending:
                queued = f"{pending} write(s) queued until the store is free"
                note = f"{note}; {queued}" if note else queued
            yield index, note

    def call(
        self, name: str, kwargs: dict[str, Any], *, writable: bool = False, wait_seconds: float | None = None
    ) -> BaseModel:
        self._nudge_ingester()
        if writable:
            return self._write(name, kwargs, WRITE_WAIT_S if wait_seconds is None else min(wait_seconds, WRITE_WAIT_S))
        if name == "session_detail" and self._index is not None and writer_busy(self.database):
            return self._headline(kwargs)
        try:
            return super().call(name, kwargs, wait_seconds=wait_seconds)
        except StoreBusy:
            if name != "session_detail" or self._index is None:
                raise
            return self._headline(kwargs)

    def _headline(self, kwargs: dict[str, Any]) -> SessionDetail:
        """A session's headline from the index, for when the store cannot be read."""
        with self._lock:
            index = self._index
            assert index is not None
            wanted = str(kwargs.get("session_id", "")).strip().split("#", 1)[0]
            matches = [sid for sid in index.sessions if sid.startswith(wanted)] if wanted else []
            if len(matches) != 1:
                raise StoreBusy(
                    "the store is busy (another process is writing it) and the index cannot tell which "
                    f"session {wanted!r} is: try again in a moment"
                )
            info = index.sessions[matches[0]]
            age = time.time() - self._read_at
        return SessionDetail(
            id=info.session_id,
            project=short_project(info.project),
            title=info.title,
            started_at=_iso(info.started),
            ended_at=_iso(info.ended),
            outcome=info.outcome,
            turns=0,
            steps=info.steps,
            tool_errors=info.errors,
            compactions=0,
            interrupts=0,
            first_prompt="",
            final_text="",
            note=(
                "the store is busy (another process is writing it): only the headline the index read "
                f"{age:.0f} s ago is shown; ask again in a moment for prompts and steps"
            ),
        )

    # -- writes ----------------------------------------------------------------------------

    def pending(self) -> int:
        """How many writes wait for the store."""
        with self._queue_lock:
            return len(self._queue)

    def _write(self, name: str, kwargs: dict[str, Any], wait: float) -> BaseModel:
        # Behind queued writes, or with a writer at work, waiting would only make the caller wait.
        if not self.pending() and not writer_busy(self.database):
            try:
                return super().call(name, kwargs, writable=True, wait_seconds=wait)
            except StoreBusy:
                pass
        self._validate(name, kwargs)
        with self._queue_lock:
            self._queue.append(_Pending(name, dict(kwargs)))
            tasks, start = self.tasks, not self._draining and self.tasks is not None
            self._draining = self._draining or start
        if tasks is not None and start:
            # Outside the queue lock: the loop takes it to apply the queue.
            self._start_drain(tasks)
        return self._queued_answer(name, kwargs)

    def flush(self, wait: bool = False) -> int:
        """`flush_async`, for callers with no event loop running (tests, the end of the process)."""
        return anyio.run(self.flush_async, wait)

    async def flush_async(self, wait: bool = False) -> int:
        """Apply queued writes in order while the store takes them; returns how many were applied.

        One flush at a time, so no write is applied twice; without `wait`, a flush already
        under way is left to finish the queue.
        """
        while not self._flush_lock.acquire(blocking=False):
            if not wait:
                return 0
            await anyio.sleep(RETRY_S / 10)
        try:
            applied = 0
            # Batch by batch, each in its own hold of the store, so other writers get in between.
            while batch := await self._flush_batch():
                applied += batch
            return applied
        finally:
            self._flush_lock.release()

    async def _flush_batch(self) -> int:
        """Apply the first `FLUSH_BATCH` queued writes in one child; how many went in."""
        with self._queue_lock:
            batch = [(item.name, item.kwargs) for item in islice(self._queue, FLUSH_BATCH)]
        if not batch:
            return 0
        applied = 0
        try:
            # Outcomes come in queue order, and only this flush takes items off the queue's head.
            for outcome in await apply_in_child(self.database, batch, FLUSH_WAIT_S):
                if not outcome.applied:
                    log(f"a queued {batch[outcome.index][0]} could not be stored: {outcome.message}")
                with self._queue_lock:
                    self._queue.popleft()
                applied += 1
        except StoreBusy:
            pass
        except StoreError as exc:
            log(f"queued writes could not be applied yet: {exc}")
        return applied

    async def last_flush(self) -> None:
        """One last try for the queued writes as the front stops, and a word on any left."""
        if not self.pending():
            return
        with suppress(Exception):
            await self.flush_async(wait=True)
        if self.pending():
            log(f"{self.pending()} queued write(s) could not be stored before the server stopped")

    def _at_exit(self) -> None:
        """The last try, for a process that ends with writes queued and no front to try them."""
        if self.pending():
            anyio.run(self.last_flush)

    def _start_drain(self, tasks: ServerTasks) -> None:
        """Start the task that applies the queue in the front's task group."""
        try:
            tasks.soon(self._drain)
        except RuntimeError:  # not in one of the front's worker threads: the queue waits for the end
            with self._queue_lock:
                self._draining = False

    async def _drain(self) -> None:
        try:
            while True:
                await anyio.sleep(RETRY_S)
                # Shielded: a batch under way is read to the end, or its writes would be tried twice.
                with anyio.CancelScope(shield=True):
                    try:
                        await self.flush_async(wait=True)
                    except Exception as exc:  # the task must not end with writes queued
                        log(f"queued writes could not be applied yet: {exc}")
                with self._queue_lock:
                    # Decided under the lock: a write queued from now on starts a new task.
                    if not self._queue:
                        self._draining = False
                        return
        except BaseException:
            with self._queue_lock:
                self._draining = False
            raise

    def _validate(self, name: str, kwargs: dict[str, Any]) -> None:
        """Refuse at once what the store would refuse whatever it holds.

        Unknown ids are not refused here: the index may predate them (the writer holding the
        store may be adding them); the queue logs a write the store refuses later.
        """
        if name == "review_skill" and kwargs.get("decision") not in DECISIONS:
            raise BadRequest(f"decision must be one of {', '.join(DECISIONS)}, not {kwargs.get('decision')!r}")
        if name == "record_feedback":
            try:
                canonical_verdict(str(kwargs.get("verdict")))
            except ValueError as exc:
                raise BadRequest(str(exc)) from None

    def _queued_answer(self, name: str, kwargs: dict[str, Any]) -> BaseModel:
        if name == "record_feedback":
            target = str(kwargs.get("target_id", ""))
            return FeedbackReceipt(
                feedback_id="",
                target_id=target,
                target_kind=_KINDS.get(target[:1], "session") if target[1:2] == "-" else "session",
                verdict=canonical_verdict(str(kwargs.get("verdict", ""))),
                note=QUEUED.format(what="verdict"),
            )
        if name == "review_skill":
            skill_id = str(kwargs.get("skill_id", ""))
            skill = self._index.skills.get(skill_id) if self._index is not None else None
            to_status = DECISIONS[str(kwargs.get("decision"))]
            return SkillReview(
                skill_id=skill_id,
                from_status=skill.status if skill is not None else "",
                to_status=to_status,
                recorded_reason=f'user said: "{kwargs.get("user_said", "")}"',
                next_step=f"{QUEUED.format(what='change')}; then {NEXT_STEPS[to_status]}",
            )
        raise StoreBusy(f"the store is busy: {name} cannot be queued")

    # -- catch-up --------------------------------------------------------------------------

    def _nudge_ingester(self) -> None:
        if self.paths is not None and self._catch_up.ready():
            start_if_behind(self.paths)


def _iso(moment: float | None) -> str:
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat(timespec="seconds") if moment else ""


def patient_index(paths: Paths, source: Source, **options: Any) -> PatientIndex:
    """The server's index over the store in `paths`, reading through `source`."""
    return PatientIndex(paths.database, paths=paths, source=LockAwareSource(source, paths.database), **options)
