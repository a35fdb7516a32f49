"""A pattern's counts, taken in one pass over its occurrences, say what counting each on its own says."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from trajectory_miner.mining import patterns, questions
from trajectory_miner.mining.features import Failure, SessionFeatures
from trajectory_miner.mining.outcomes import SessionScore

WORDS = st.sampled_from(["", "a", "b", "c", "Bash", "Read"])
STAMPS = st.sampled_from(["", "2026-01-01T10:00:00", "2026-01-02T09:00:00", "2026-01-03T08:00:00"])


@st.composite
def clusters(draw: st.DrawFn) -> patterns.Cluster:
    sessions = [
        SessionFeatures(f"s{n}", draw(WORDS), [], draw(STAMPS), draw(STAMPS), 3) for n in range(draw(st.integers(1, 4)))
    ]
    cluster = patterns.Cluster("sig:x", "x", behaviour=draw(st.sampled_from(["", "retry_loop"])))
    for _ in range(draw(st.integers(1, 12))):
        sf = draw(st.sampled_from(sessions))
        failure = Failure(
            turn=draw(st.integers(0, 2)),
            step=draw(st.integers(0, 3)),
            tool_use_id="t",
            tool=draw(WORDS),
            signature=draw(WORDS),
            family="x",
            kinds=draw(st.lists(WORDS, max_size=2)),
            action=draw(WORDS),
            head=draw(WORDS),
            targets=draw(st.lists(WORDS, max_size=2)),
            flagged=False,
            preceded_by=draw(st.one_of(st.none(), st.lists(st.integers(0, 3), min_size=2, max_size=2))),
            resolved=draw(st.booleans()),
        )
        sf.failures.append(failure)
        cluster.occurrences.append((sf, failure))
    return cluster


def _plain_targets(cluster: patterns.Cluster) -> list[str]:
    actions = Counter(f.head for _, f in cluster.occurrences if f.tool == "Bash" and f.head)
    files = Counter(t for _, f in cluster.occurrences for t in f.targets)
    tools = Counter(f.tool for _, f in cluster.occurrences if f.tool and f.tool != "Bash")
    out: list[str] = []
    for counts in (actions, files, tools):
        out.extend(k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if k not in out)
    return out[:8]


def _plain_examples(cluster: patterns.Cluster, population: patterns.Population) -> list[str]:
    latest: dict[str, str] = {}
    for sf, _ in cluster.occurrences:
        latest[sf.session_id] = sf.ended or sf.started
    order = sorted(sorted(latest), key=lambda s: latest[s], reverse=True)
    order.sort(key=lambda s: population.group(s) != "failing")
    return order[:5]


@settings(max_examples=300, deadline=None)
@given(clusters(), st.data())
def test_one_pass_counts_equal_separate_counts(cluster: patterns.Cluster, data: st.DataObject) -> None:
    occurrences = cluster.occurrences
    features = {sf.session_id: sf for sf, _ in occurrences}
    scores = {sid: SessionScore(data.draw(st.sampled_from(["failure", "success"])), 0.5) for sid in features}
    population = patterns.Population(features, scores)
    tally = patterns._tally(cluster)
    kinds = Counter(kind for _, f in occurrences for kind in f.kinds)
    plain_kinds = [k for k, _ in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
    assert patterns._kinds(cluster, tally) == ([cluster.behaviour] if cluster.behaviour else []) + plain_kinds
    assert patterns._most_common(tally.signatures) == Counter(f.signature for _, f in occurrences).most_common(1)[0][0]
    actions = Counter(f.action for _, f in occurrences if f.action)
    assert patterns._most_common(tally.actions) == (actions.most_common(1)[0][0] if actions else "")
    assert patterns._targets(tally) == _plain_targets(cluster)
    assert patterns._examples(tally, population) == _plain_examples(cluster, population)
    assert tally.unresolved == {sf.session_id for sf, f in occurrences if not f.resolved}
    assert sorted(tally.projects) == sorted({sf.project for sf, _ in occurrences if sf.project})
    started = [sf.started for sf, _ in occurrences if sf.started]
    ended = [sf.ended or sf.started for sf, _ in occurrences if sf.ended or sf.started]
    assert tally.first == (min(started) if started else "")
    assert tally.last == (max(ended) if ended else "")


@settings(max_examples=300, deadline=None)
@given(clusters())
def test_the_failure_before_is_the_first_at_its_turn_and_step(cluster: patterns.Cluster) -> None:
    places: questions.Places = {}
    for sf, _ in cluster.occurrences:
        for turn in range(3):
            for step in range(4):
                plain = next((f for f in sf.failures if f.turn == turn and f.step == step), None)
                assert questions.failure_at(sf, turn, step, places) is plain
    assert questions.symptom(cluster) == questions.symptom(cluster, places)
