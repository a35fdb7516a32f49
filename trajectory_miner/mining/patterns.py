"""Failure clusters across sessions: patterns (two sessions or more) and incidents (one).

Failures cluster by their canonical signature family; near-identical families (same failure
type, similar wording) join the most frequent one, which names the cluster and keys it.
Two behaviours cluster on their own: re-running a failing action with no edit in between,
and the user interrupting after failures. Each pattern carries lift and a one-sided Fisher
p-value, so a reader can tell a failure of failing sessions from one that happens anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz import fuzz, process

from trajectory_miner.mined import FixType, Incident, Pattern, Severity, StepRef
from trajectory_miner.mining.features import Failure, SessionFeatures
from trajectory_miner.mining.kinds import primary_kind
from trajectory_miner.mining.outcomes import SessionScore
from trajectory_miner.mining.stats import fisher_greater, lift
from trajectory_miner.scorecard import DIMENSIONS

_MERGE_SCORE = 90
_MAX_EVIDENCE = 20
_MAX_EXAMPLES = 5
_MAX_TARGETS = 8
_HURT_MARGIN = 0.1
_SIGNIFICANT = 0.05

RETRY_KEY = "seq:retry_unchanged"
INTERRUPT_KEY = "seq:interrupt_after_failure"
_BEHAVIOURS = {
    RETRY_KEY: "the same failing action re-run with no edit in between",
    INTERRUPT_KEY: "the user interrupted after failures the session did not get past",
}
# Dimensions a failure type hurts, used only when no session in the cluster has a card.
_KIND_DIMENSIONS = {
    "retry_loop": ["error_recovery", "tool_efficiency"],
    "tool_unavailable": ["routing_accuracy"],
    "test_failure": ["task_completion"],
    "interrupted": ["task_completion"],
}


@dataclass
class Cluster:
    """Failures that are one failure, with the sessions they came from."""

    key: str
    name: str
    occurrences: list[tuple[SessionFeatures, Failure]] = field(default_factory=list)
    behaviour: str = ""

    def sessions(self) -> list[str]:
        return list(dict.fromkeys(sf.session_id for sf, _ in self.occurrences))


@dataclass
class Population:
    """The sessions mined, their scores, and how many fall in each group."""

    features: dict[str, SessionFeatures]
    scores: dict[str, SessionScore]
    failing: int = 0
    succeeding: int = 0
    # Per dimension, the sum and count of its scores over every scored session mined.
    totals: dict[str, tuple[float, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        groups = Counter(self.group(sid) for sid in self.features)
        self.failing, self.succeeding = groups["failing"], groups["succeeding"]
        for dimension in DIMENSIONS:
            values = [
                s.dimensions[dimension]
                for sid, s in self.scores.items()
                if sid in self.features and dimension in s.dimensions
            ]
            self.totals[dimension] = (sum(values), len(values))

    def group(self, session_id: str) -> str:
        score = self.scores.get(session_id)
        return score.group if score is not None else ""


def cluster_failures(features: Iterable[SessionFeatures]) -> tuple[list[Cluster], dict[str, str]]:
    """Signature clusters and behaviour clusters, and the cluster key of every family."""
    by_family: dict[str, list[tuple[SessionFeatures, Failure]]] = {}
    retries = Cluster(RETRY_KEY, _BEHAVIOURS[RETRY_KEY], behaviour="retry_loop")
    interrupts = Cluster(INTERRUPT_KEY, _BEHAVIOURS[INTERRUPT_KEY], behaviour="interrupted")
    for sf in features:
        at_interrupt = {s.step for s in sf.stuck if s.reason == "interrupt_after_failure"}
        for failure in sf.failures:
            by_family.setdefault(failure.family, []).append((sf, failure))
            if failure.retry_unchanged:
                retries.occurrences.append((sf, failure))
            if failure.step in at_interrupt:
                interrupts.occurrences.append((sf, failure))
    family_key = _merge_families(by_family)
    clusters: dict[str, Cluster] = {}
    for family, occurrences in by_family.items():
        key = family_key[family]
        cluster = clusters.setdefault(key, Cluster(key, key.removeprefix("sig:")))
        cluster.occurrences.extend(occurrences)
    ordered = sorted(clusters.values(), key=lambda c: c.key)
    return ordered + [c for c in (retries, interrupts) if c.occurrences], family_key


def _merge_families(by_family: dict[str, list[tuple[SessionFeatures, Failure]]]) -> dict[str, str]:
    """Each family's cluster key: the most widespread near-identical family of the same type."""
    spread = {family: len({sf.session_id for sf, _ in occ}) for family, occ in by_family.items()}
    leaders: dict[str, list[str]] = {}
    keys: dict[str, str] = {}
    for family in sorted(spread, key=lambda f: (-spread[f], f)):
        block = leaders.setdefault(primary_kind(family), [])
        match = None
        if block:
            match = process.extractOne(family, block, scorer=fuzz.ratio, score_cutoff=_MERGE_SCORE)
        if match is None:
            block.append(family)
            keys[family] = "sig:" + family
        else:
            keys[family] = "sig:" + match[0]
    return keys


def build(
    clusters: list[Cluster],
    population: Population,
    fixed: dict[str, int],
    ids: Callable[[str, str], str],
) -> tuple[list[Pattern], list[Incident]]:
    """Patterns for clusters seen in two sessions or more, incidents for the rest.

    `fixed` counts, per cluster key, the sessions that got past the failure.
    """
    patterns: list[Pattern] = []
    incidents: list[Incident] = []
    for cluster in clusters:
        sessions = cluster.sessions()
        if len(sessions) >= 2:
            patterns.append(_pattern(cluster, sessions, population, fixed.get(cluster.key, 0), ids))
        elif not cluster.behaviour:
            incidents.append(_incident(cluster, ids("incidents", cluster.key)))
    patterns.sort(key=lambda p: p.id)
    incidents.sort(key=lambda i: i.id)
    return patterns, incidents


def step_ref(failure: Failure, session_id: str) -> StepRef:
    return StepRef(
        session_id=session_id,
        turn_index=failure.turn,
        step_index=failure.step,
        tool_use_id=failure.tool_use_id,
    )


def _kinds(cluster: Cluster) -> list[str]:
    counts = Counter(kind for _, f in cluster.occurrences for kind in f.kinds)
    ordered = [kind for kind, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return ([cluster.behaviour] if cluster.behaviour else []) + ordered


def _incident(cluster: Cluster, item_id: str) -> Incident:
    sf = cluster.occurrences[0][0]
    return Incident(
        id=item_id,
        cluster_key=cluster.key,
        session_id=sf.session_id,
        signature=Counter(f.signature for _, f in cluster.occurrences).most_common(1)[0][0],
        failure_types=_kinds(cluster),
        evidence=[step_ref(f, s.session_id) for s, f in cluster.occurrences[:_MAX_EVIDENCE]],
    )


def _pattern(
    cluster: Cluster, sessions: list[str], population: Population, fixed: int, ids: Callable[[str, str], str]
) -> Pattern:
    groups = Counter(population.group(sid) for sid in sessions)
    a, b = groups["failing"], groups["succeeding"]
    n_f, n_s = population.failing, population.succeeding
    p_value = fisher_greater(a, n_f, b, n_s)
    pattern_lift = lift(a, n_f, b, n_s)
    unresolved = len({sf.session_id for sf, f in cluster.occurrences if not f.resolved})
    kinds = _kinds(cluster)
    started = [sf.started for sf, _ in cluster.occurrences if sf.started]
    ended = [sf.ended or sf.started for sf, _ in cluster.occurrences if sf.ended or sf.started]
    return Pattern(
        id=ids("patterns", cluster.key),
        cluster_key=cluster.key,
        frequency=len(sessions),
        dimensions=_dimensions(sessions, population, kinds),
        failure_types=kinds,
        root_cause_cluster=cluster.name,
        affected_targets=_targets(cluster),
        example_sessions=_examples(cluster, population),
        severity=_severity(p_value, pattern_lift, unresolved, len(sessions)),
        suggested_fix_type=_fix_type(kinds, fixed),
        lift=pattern_lift,
        p_value=None if p_value is None else round(p_value, 6),
        sessions=sessions,
        failing_sessions=a,
        succeeding_sessions=b,
        projects=sorted({sf.project for sf, _ in cluster.occurrences if sf.project})[:10],
        signature=Counter(f.signature for _, f in cluster.occurrences).most_common(1)[0][0],
        evidence=[step_ref(f, sf.session_id) for sf, f in cluster.occurrences[:_MAX_EVIDENCE]],
        first_seen=_moment(min(started)) if started else None,
        last_seen=_moment(max(ended)) if ended else None,
    )


def _moment(stamp: str) -> datetime:
    value = datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dimensions(sessions: list[str], population: Population, kinds: list[str]) -> list[str]:
    """The dimensions scoring clearly lower in the pattern's sessions than in the others."""
    inside = [population.scores[s] for s in sessions if s in population.scores]
    if not inside:
        return sorted({d for kind in kinds for d in _KIND_DIMENSIONS.get(kind, [])})
    hurt: list[tuple[float, str]] = []
    for dimension in DIMENSIONS:
        mine = [s.dimensions[dimension] for s in inside if dimension in s.dimensions]
        if not mine:
            continue
        total, count = population.totals[dimension]
        rest_count = count - len(mine)
        gap = ((total - sum(mine)) / rest_count if rest_count else 1.0) - sum(mine) / len(mine)
        if gap >= _HURT_MARGIN:
            hurt.append((gap, dimension))
    return [d for _, d in sorted(hurt, key=lambda x: (-x[0], x[1]))]


def _targets(cluster: Cluster) -> list[str]:
    """The commands, files and tools the failure hit, generalised, most frequent first."""
    actions = Counter(f.action for _, f in cluster.occurrences if f.tool == "Bash")
    files = Counter(t for _, f in cluster.occurrences for t in f.targets)
    tools = Counter(f.tool for _, f in cluster.occurrences)
    out: list[str] = []
    for counts in (actions, files, tools):
        out.extend(k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if k not in out)
    return out[:_MAX_TARGETS]


def _examples(cluster: Cluster, population: Population) -> list[str]:
    """A few sessions to look at: failing ones first, then the most recent."""
    latest: dict[str, str] = {}
    for sf, _ in cluster.occurrences:
        latest[sf.session_id] = sf.ended or sf.started
    # Stable sorts, last key first: id, then newest first, then failing sessions first.
    order = sorted(sorted(latest), key=lambda s: latest[s], reverse=True)
    order.sort(key=lambda s: population.group(s) != "failing")
    return order[:_MAX_EXAMPLES]


def _severity(p_value: float | None, pattern_lift: float | None, unresolved: int, sessions: int) -> Severity:
    significant = p_value is not None and p_value <= _SIGNIFICANT and (pattern_lift or 0) >= 1.5
    if significant and unresolved >= 3:
        return "critical"
    if significant or unresolved >= 3:
        return "high"
    if unresolved >= 1 or sessions >= 5:
        return "medium"
    return "low"


def _fix_type(kinds: list[str], fixed: int) -> FixType:
    primary = kinds[0] if kinds else "other"
    if primary in ("retry_loop", "interrupted", "edit_mismatch") or fixed:
        return "skill_update" if primary != "interrupted" else "prompt_edit"
    if primary in ("tool_unavailable", "command_not_found", "permission", "import_error"):
        return "config"
    if primary in ("test_failure", "type_check", "build_error", "runtime_error", "syntax_error"):
        return "code_fix"
    if primary == "network":
        return "architecture"
    return "skill_update"
