"""BM25 over documents added and removed one at a time."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from trajectory_miner.retrieval.bm25 import BM25, K1, B


def reference_scores(docs: list[list[str] | None], query: list[str]) -> list[float]:
    """Textbook BM25 over the live documents (None marks a removed one)."""
    live = [d for d in docs if d is not None]
    n = len(live)
    avgdl = max(sum(len(d) for d in live) / n, 1.0) if n else 1.0
    scores = []
    for doc in docs:
        if doc is None:
            scores.append(0.0)
            continue
        counts = Counter(doc)
        total = 0.0
        for term in dict.fromkeys(query):
            df = sum(1 for d in live if term in d)
            tf = counts.get(term, 0)
            if not tf:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(doc) / avgdl))
        scores.append(total)
    return scores


words = st.sampled_from(["alpha", "beta", "gamma", "delta", "error", "module", "port"])


@settings(max_examples=60, deadline=None)
@given(
    docs=st.lists(st.lists(words, min_size=1, max_size=12), min_size=1, max_size=12),
    removed=st.sets(st.integers(min_value=0, max_value=11), max_size=4),
    query=st.lists(words, min_size=1, max_size=4),
)
def test_scores_match_textbook_bm25_after_additions_and_removals(
    docs: list[list[str]], removed: set[int], query: list[str]
) -> None:
    index = BM25()
    ids = [index.add(doc) for doc in docs]
    kept: list[list[str] | None] = list(docs)
    for position in sorted(removed):
        if position < len(ids):
            index.remove(ids[position])
            kept[position] = None
    expected = reference_scores(kept, query)
    # With under 20 documents no term is common enough to be skipped, so every term counts.
    got = index.scores(query)
    assert len(got) == len(expected)
    assert all(math.isclose(float(g), e, rel_tol=1e-5, abs_tol=1e-6) for g, e in zip(got, expected, strict=True))


def test_a_rare_term_outweighs_a_common_one() -> None:
    index = BM25()
    common = [index.add(["error", "build", "failed"]) for _ in range(5)]
    rare = index.add(["error", "eaddrinuse", "port"])
    ranked = index.top(["error", "eaddrinuse"], 3)
    assert ranked[0][0] == rare
    assert all(doc in common for doc, _ in ranked[1:])


def test_a_removed_document_is_never_returned_and_stops_counting() -> None:
    index = BM25()
    first = index.add(["module", "helpers"])
    second = index.add(["module", "scripts"])
    index.remove(first)
    assert [doc for doc, _ in index.top(["helpers", "module"], 5)] == [second]
    assert len(index) == 1
    assert index.dead_share == 0.5


def test_matched_terms_names_the_query_words_a_document_holds_rarest_first() -> None:
    index = BM25()
    doc = index.add(["module", "helpers", "scripts"])
    index.add(["module", "other"])
    assert index.matched_terms(["module", "helpers", "absent"], doc) == ["helpers", "module"]


def test_a_query_of_unknown_words_finds_nothing() -> None:
    index = BM25()
    index.add(["module", "helpers"])
    assert index.top(["nothing", "here"], 5) == []
    assert BM25().top(["module"], 5) == []
