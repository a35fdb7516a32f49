"""The server's work besides answering, in one anyio task group each front owns while it serves.

Building the index ahead of the first question, saving it after an answer that read the store,
and applying writes queued while the store was busy run in the group, never in the call that
asked for them. Tool calls run in worker threads (`anyio.to_thread`); they hand work to the
group through `anyio.from_thread`. When the front stops, queued writes get one last try, the
reads of the store under way are ended (their child processes killed), and the group is
cancelled: a save under way in its worker thread finishes first, a wait between retries does not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial

import anyio
import anyio.abc
import anyio.from_thread
import anyio.to_thread

from mcp_server.busy import PatientIndex, log
from trajectory_miner.retrieval import LiveIndex
from trajectory_miner.retrieval.live import at_once


class ServerTasks:
    """Starts work in the front's task group, from the worker threads that answer calls."""

    def __init__(self, group: anyio.abc.TaskGroup) -> None:
        self.group = group

    def later(self, job: Callable[[], object]) -> None:
        """Run a blocking job in a worker thread of the group, after the caller's answer.

        Outside the loop's worker threads, or once the group has stopped, there is nowhere to
        hand it: it runs at once.
        """
        try:
            anyio.from_thread.run_sync(self.group.start_soon, self.guarded, partial(anyio.to_thread.run_sync, job))
        except RuntimeError:
            job()

    def soon(self, work: Callable[[], Awaitable[object]]) -> None:
        """Start async work in the group (from a worker thread; RuntimeError from anywhere else)."""
        anyio.from_thread.run_sync(self.group.start_soon, self.guarded, work)

    async def guarded(self, work: Callable[[], Awaitable[object]]) -> None:
        """Run the work, logging a failure: it must not cancel the group, and the server's calls with it."""
        try:
            await work()
        except Exception as exc:
            log(f"background work failed ({type(exc).__name__}): {exc}")


@asynccontextmanager
async def serving(live: LiveIndex, *, warm: bool = False) -> AsyncIterator[ServerTasks]:
    """The task group for as long as a front serves `live`; `warm` builds the index at once."""
    async with anyio.create_task_group() as group:
        tasks = ServerTasks(group)
        live.later = tasks.later
        if isinstance(live, PatientIndex):
            live.tasks = tasks
        try:
            if warm:
                group.start_soon(tasks.guarded, partial(anyio.to_thread.run_sync, live.warm))
            yield tasks
            if isinstance(live, PatientIndex):
                with anyio.CancelScope(shield=True):
                    await live.last_flush()
        finally:
            # A build of the index under way would hold the exit for as long as the store takes to read.
            live.stop_reading()
            live.later = at_once
            if isinstance(live, PatientIndex):
                live.tasks = None
            group.cancel_scope.cancel()
