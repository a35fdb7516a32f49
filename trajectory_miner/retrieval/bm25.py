"""Okapi BM25 over a growing set of documents, scored with numpy.

Documents are added and removed one at a time (a session re-read by the ingester replaces
its documents), so postings live in append-only typed arrays and removal only clears an
`alive` flag; document frequencies are counted over live documents at query time. When
too many documents are dead the owner rebuilds the index from scratch.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

K1 = 1.2
B = 0.75
# Terms in more than this share of the documents say little and cost the most to score.
_COMMON_SHARE = 0.6
_MAX_QUERY_TERMS = 48


class BM25:
    """An inverted index with BM25 scoring."""

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, tuple[array[int], array[int]]] = {}
        self._lengths: array[int] = array("I")
        self._alive = bytearray()
        self._live_docs = 0
        self._live_length = 0

    def __len__(self) -> int:
        return self._live_docs

    @property
    def size(self) -> int:
        """Documents ever added, dead ones included (document ids run from 0 to size - 1)."""
        return len(self._lengths)

    @property
    def dead_share(self) -> float:
        """The share of added documents that were removed since."""
        return 1.0 - self._live_docs / self.size if self.size else 0.0

    def add(self, terms: Sequence[str]) -> int:
        """Add a document given its tokens; returns its id."""
        return self.add_counts(Counter(terms))

    def add_counts(self, counts: Mapping[str, int]) -> int:
        """Add a document given how often each token occurs in it; returns its id."""
        doc = len(self._lengths)
        length = sum(counts.values())
        # The hot loop of loading an index: names bound once, no call but the appends.
        postings = self._postings
        for term, tf in counts.items():
            posting = postings.get(term)
            if posting is None:
                posting = postings[term] = (array("I"), array("H"))
            posting[0].append(doc)
            posting[1].append(tf if tf < 65_535 else 65_535)
        self._lengths.append(length)
        self._alive.append(1)
        self._live_docs += 1
        self._live_length += length
        return doc

    def remove(self, doc: int) -> None:
        """Remove a document (its postings stay, flagged dead)."""
        if 0 <= doc < len(self._alive) and self._alive[doc]:
            self._alive[doc] = 0
            self._live_docs -= 1
            self._live_length -= self._lengths[doc]

    def is_alive(self, doc: int) -> bool:
        return 0 <= doc < len(self._alive) and bool(self._alive[doc])

    def upper_bound(self, query: Sequence[str]) -> float:
        """The score a document would get by holding every query term often: for normalising."""
        total = 0.0
        for term in set(query):
            df = self._df(term)
            if df:
                total += self._idf(df) * (self.k1 + 1)
        return total

    def _df(self, term: str) -> int:
        posting = self._postings.get(term)
        if posting is None:
            return 0
        if self._live_docs == len(self._lengths):
            return len(posting[0])  # nothing removed: every posting is live
        ids = np.frombuffer(posting[0], dtype=np.uint32)
        alive = np.frombuffer(self._alive, dtype=np.uint8)
        return int(np.count_nonzero(alive[ids]))

    def holders(self, term: str) -> npt.NDArray[np.uint32]:
        """The live documents that hold the term, in id order."""
        posting = self._postings.get(term)
        if posting is None:
            return np.zeros(0, dtype=np.uint32)
        ids = np.frombuffer(posting[0], dtype=np.uint32)
        if self._live_docs == len(self._lengths):
            return ids
        live: npt.NDArray[np.uint32] = ids[np.frombuffer(self._alive, dtype=np.uint8)[ids].astype(bool)]
        return live

    def _idf(self, df: int) -> float:
        n = self._live_docs
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: Sequence[str]) -> npt.NDArray[np.float32]:
        """A score per document id (0 for dead documents and documents without a query term)."""
        acc = np.zeros(self.size, dtype=np.float32)
        if not self._live_docs:
            return acc
        alive = np.frombuffer(self._alive, dtype=np.uint8)
        lengths = np.frombuffer(self._lengths, dtype=np.uint32)
        avgdl = max(self._live_length / self._live_docs, 1.0)
        for term in self._query_terms(query):
            ids_buf, tf_buf = self._postings[term]
            ids = np.frombuffer(ids_buf, dtype=np.uint32)
            live = alive[ids]
            df = int(np.count_nonzero(live))
            if not df:
                continue
            tf = np.frombuffer(tf_buf, dtype=np.uint16).astype(np.float32)
            norm = self.k1 * (1.0 - self.b + self.b * lengths[ids] / avgdl)
            acc[ids] += (self._idf(df) * tf * (self.k1 + 1.0) / (tf + norm) * live).astype(np.float32)
        return acc

    def _query_terms(self, query: Sequence[str]) -> list[str]:
        present = [t for t in dict.fromkeys(query) if t in self._postings]
        limit = max(self._live_docs * _COMMON_SHARE, 20)
        lengths = {t: len(self._postings[t][0]) for t in present}
        kept = [t for t in present if lengths[t] <= limit] or present
        kept.sort(key=lambda t: lengths[t])
        return kept[:_MAX_QUERY_TERMS]

    def top(self, query: Sequence[str], n: int) -> list[tuple[int, float]]:
        """The `n` best documents with a positive score, best first."""
        scores = self.scores(query)
        if not len(scores) or n <= 0:
            return []
        n = min(n, len(scores))
        best = np.argpartition(-scores, n - 1)[:n]
        ranked = sorted(((int(d), float(scores[d])) for d in best if scores[d] > 0), key=lambda p: (-p[1], p[0]))
        return ranked

    def matched_terms(self, query: Sequence[str], doc: int) -> list[str]:
        """The query terms a document holds, rarest first (to say why it matched)."""
        found: list[tuple[int, str]] = []
        for term in dict.fromkeys(query):
            posting = self._postings.get(term)
            if posting is None:
                continue
            ids = np.frombuffer(posting[0], dtype=np.uint32)
            # Document ids are appended in increasing order, so each posting list is sorted.
            at = int(np.searchsorted(ids, doc))
            if at < len(ids) and int(ids[at]) == doc:
                # Counted over live documents: postings keep removed ones too.
                found.append((self._df(term), term))
        return [term for _, term in sorted(found)]
