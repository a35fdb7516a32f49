"""Which candidates can still reach the shortlist, told in bulk before any is scored one by one.

A candidate's first score is its signature match and its text coverage (`signals`); a fix
scores as its best candidate, and only the `n` best fixes are weighed on the other signals. A
broad question (a `command not found`) matches thousands of stuck episodes, of which a few
dozen fixes count: here their first scores are computed all at once from what the index keeps
per document, and the fixes that cannot reach the shortlist are dropped with every candidate
they hold, before any item is unpacked.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from trajectory_miner.retrieval.index import MemoryIndex
from trajectory_miner.retrieval.relevance import Coverage
from trajectory_miner.retrieval.signals import W_SIGNATURE, W_TEXT, W_TF

# Far above the rounding of two sums of the same few terms, far below any step of the score.
_SLACK = 1e-6


def first_scores(
    docs: list[int],
    strengths: list[float],
    covered: Coverage,
    bm25: npt.NDArray[np.float32] | None,
    bound: float,
) -> npt.NDArray[np.float64]:
    """The score of each candidate on its signature match and its text, as `signals` counts them."""
    at = np.array(docs, dtype=np.int64)
    scores = W_SIGNATURE * np.array(strengths, dtype=np.float64)
    if covered.total > 0 and len(at):
        share = np.minimum(1.0, covered.held[at].astype(np.float64) / covered.total)
        weight = bm25[at].astype(np.float64) / bound if bm25 is not None and bound else np.zeros(len(at))
        scores += np.where(share > 0, W_TEXT * share + W_TF * weight, 0.0)
    return scores


def within_reach(index: MemoryIndex, docs: list[int], scores: npt.NDArray[np.float64], n: int) -> list[int]:
    """The candidates of the fixes whose best first score could place them among the `n` best
    fixes (those tied with the last one too), in the order given."""
    if len(docs) <= n:
        return docs
    labels, which = np.unique(index.fix_group(docs), return_inverse=True)
    if len(labels) <= n:
        return docs
    best = np.full(len(labels), -np.inf)
    np.maximum.at(best, which, scores)
    floor = float(np.partition(best, len(labels) - n)[len(labels) - n])
    kept = (best >= floor - _SLACK)[which]
    return [docs[i] for i in np.flatnonzero(kept).tolist()]
