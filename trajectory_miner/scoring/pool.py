"""Scoring many sessions in worker processes, the cards stored by the calling process in order.

The store has one writer, so this process reads each chunk of sessions and stores each chunk's
cards, while the workers build the sessions from the rows read and score them: reading the next
chunks overlaps with scoring the last ones. Each chunk is sent pickled, as rows of plain values,
so that this process holds the chunks in flight as bytes rather than as objects. A worker that
dies (killed, out of memory) stops the pool; the chunks not yet stored are handed back, to be
scored in this process.
"""

from __future__ import annotations

import pickle
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from trajectory_miner.collector import collector_paused
from trajectory_miner.scoring.card import CardRows
from trajectory_miner.scoring.scorer import Chunk, ScoringJob, StoreCards, load_chunk, score_chunk
from trajectory_miner.store import Store


def score_in_pool(
    store: Store, chunks: list[list[str]], job: ScoringJob, workers: int, store_cards: StoreCards
) -> list[list[str]]:
    """Score `chunks` in `workers` processes, passing each chunk's card rows to `store_cards` in
    the chunks' order; returns the chunks whose cards were not stored."""
    pending: deque[tuple[list[str], Future[CardRows]]] = deque()
    stored = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for part in chunks:
                with collector_paused():
                    sent = pickle.dumps(load_chunk(store, part), pickle.HIGHEST_PROTOCOL)
                pending.append((part, pool.submit(_score_sent, sent, job)))
                # One chunk more than there are workers: each finds the next one ready.
                while len(pending) > workers:
                    done_part, future = pending.popleft()
                    store_cards(done_part, future.result())
                    stored += 1
            while pending:
                done_part, future = pending.popleft()
                store_cards(done_part, future.result())
                stored += 1
    except BrokenProcessPool:
        pass
    return chunks[stored:]


def _score_sent(sent: bytes, job: ScoringJob) -> CardRows:
    with collector_paused():
        chunk: Chunk = pickle.loads(sent)
        return score_chunk(chunk, job)
