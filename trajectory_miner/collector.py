"""Pausing Python's cyclic garbage collector around bulk work.

Scoring and mining build hundreds of thousands of small acyclic objects that all live until a
chunk is done; reference counting frees them, and the collector's repeated passes over them
would only add a quarter to a third to the run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic cyclic collection off inside the block, restored as it was after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
