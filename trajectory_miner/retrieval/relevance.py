"""The relevance floor: whether a document holds enough of what a query says to be an answer.

BM25 scores only order documents; their size depends on the query and the store, so a score
judged against the best hit calls the best of a bad lot a perfect match. The floor judges each
document against the store's own statistics instead: the *coverage* of a query by a document is
the share of the query's information that the document holds, every distinct query word
weighed by its BM25 inverse document frequency in the store:

    coverage(d) = Σ idf(w) over query words w that d holds / (Σ idf(w) over query words + prior)

A word no stored document holds weighs the most (the idf of a document frequency of 0): it
says what the query is about, and the store has never seen it. Words most documents hold
(`error`, `exit`, `code`) weigh next to nothing, on either side. So a Rust borrow error asked of
a Python history covers a few per cent of its query at best (only `error` and `cannot` are
known), while a failure the store has seen covers a third or more. The `prior` is information
a query is assumed to leave unsaid: with it, a document that holds both common words of a
short question ("bash failed") covers about half of it, not all of it, while one that holds the
rare word of a one-word question still covers more than half.

Only the `MAX_TERMS` heaviest words are weighed (BM25 scores no more either); the words left
are the most common ones and would weigh little.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trajectory_miner.retrieval.bm25 import BM25

MAX_TERMS = 48
# The least coverage that answers a question on words alone. Measured on generated stores: a
# failure the store has seen covers a third or more of a question that quotes its error, and a
# quarter or more of most descriptions in other words; one it has never seen, a fifth or less.
FLOOR = 0.25


@dataclass(frozen=True)
class Coverage:
    """How much of one query each document of an index holds."""

    words: tuple[str, ...]
    """The query words weighed, heaviest (rarest in the store) first."""
    unseen: tuple[str, ...]
    """The query words no stored document holds."""
    total: float
    held: npt.NDArray[np.float32]

    def of(self, doc: int) -> float:
        """The share of the query's information document `doc` holds, from 0 to 1."""
        if self.total <= 0 or not 0 <= doc < len(self.held):
            return 0.0
        return min(1.0, float(self.held[doc]) / self.total)

    def at_least(self, floor: float) -> list[int]:
        """The documents that hold at least `floor` of the query, best first."""
        if self.total <= 0:
            return []
        shares = self.held / self.total
        found = np.flatnonzero(shares >= floor)
        ranked: list[int] = found[np.argsort(-shares[found], kind="stable")].tolist()
        return ranked


def unseen_weight(bm25: BM25) -> float:
    """BM25's inverse document frequency of a word no document holds."""
    return math.log(1.0 + (len(bm25) + 0.5) / 0.5)


def coverage(bm25: BM25, terms: Sequence[str], prior: float = 0.0) -> Coverage:
    """The coverage of a query (its tokens) by every document of `bm25`.

    `prior` is the information the query is assumed to leave unsaid, in words never seen.
    """
    unseen = unseen_weight(bm25)
    weighed: list[tuple[float, str, bool]] = []
    for term in dict.fromkeys(terms):
        # upper_bound of a lone word is its idf times (k1 + 1); 0 when no document holds it.
        known = bm25.upper_bound([term]) / (bm25.k1 + 1.0)
        weighed.append((known or unseen, term, known > 0))
    weighed.sort(key=lambda p: -p[0])
    weighed = weighed[:MAX_TERMS]
    held = np.zeros(bm25.size, dtype=np.float32)
    for weight, term, seen in weighed:
        if seen:
            held[bm25.holders(term)] += np.float32(weight)
    total = sum(w for w, _, _ in weighed) + prior * unseen if weighed else 0.0
    return Coverage(
        words=tuple(t for _, t, _ in weighed),
        unseen=tuple(t for _, t, seen in weighed if not seen),
        total=total,
        held=held,
    )


def shown_words(words: Sequence[str], n: int = 6) -> str:
    """A few query words for a note, with an ellipsis when there are more."""
    shown = ", ".join(words[:n])
    return shown + (", …" if len(words) > n else "")
