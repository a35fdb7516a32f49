"""Failure clusters across sessions: patterns (two sessions or more) and incidents (one).

Failures cluster by their specific signature (`analysis.recoveries` keys it); near-identical
ones (same failure type, similar wording, the same names quoted) join the most frequent one,
which names the cluster and keys it. Behaviours with no single error text cluster on their
own (`mining.behaviours`), reported with the sessions that did otherwise as the contrast, as
does the user interrupting after failures. Each pattern carries lift and a one-sided Fisher
p-value, so a reader can tell a failure of failing sessions from one that happens anyway, and
a root cause stated as the recoveries show it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process

from trajectory_miner.analysis import signatures
from trajectory_miner.mining import behaviours, lessons
from trajectory_miner.mining.features import Failure, Fix, SessionFeatures
from trajectory_miner.mining.items import FixType, Incident, Pattern, Severity, StepRef
from trajectory_miner.mining.kinds import primary_kind
from trajectory_miner.mining.outcomes import SessionScore
from trajectory_miner.mining.stats import fisher_greater, lift
from trajectory_miner.scoring.card import DIMENSIONS
from trajectory_miner.utc import aware

_MERGE_SCORE = 90
_MAX_EVIDENCE = 20
_MAX_EXAMPLES = 5
_MAX_TARGETS = 8
_HURT_MARGIN = 0.1
_SIGNIFICANT = 0.05

INTERRUPT_KEY = "seq:interrupt_after_failure"
_INTERRUPTS = "the user interrupted after failures the session did not get past"
_QUOTED = re.compile(r"'[^']{1,80}'|\"[^\"]{1,80}\"")
# Dimensions a failure type hurts, used only when no session in the cluster has a card.
_KIND_DIMENSIONS = {
    "retry_loop": ["error_recovery", "tool_efficiency"],
    "command_loop": ["error_recovery", "tool_efficiency"],
    "edits_tests": ["task_completion"],
    "claims_success": ["task_completion"],
    "ignored_correction": ["task_completion"],
    "bash_file_work": ["routing_accuracy"],
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
    contrast: list[str] = field(default_factory=list)

    def sessions(self) -> list[str]:
        return list(dict.fromkeys([sf.session_id for sf, _ in self.occurrences]))


@dataclass
class Population:
    """The sessions mined, their scores, and how many fall in each group."""

    features: dict[str, SessionFeatures]
    scores: dict[str, SessionScore]
    failing: int = 0
    succeeding: int = 0
    # Per dimension, the sum and count of its scores over every scored session mined.
    totals: dict[str, tuple[float, int]] = field(default_factory=dict)
    # How many sessions record a model at all, and how many record each model.
    with_models: int = 0
    per_model: Counter[str] = field(default_factory=Counter)
    # Each scored session's group, worked out once: mining asks for it per session per pattern.
    groups: dict[str, str] = field(default_factory=dict[str, str], init=False, repr=False)

    def __post_init__(self) -> None:
        self.groups = {sid: score.group for sid, score in self.scores.items()}
        groups = Counter(self.group(sid) for sid in self.features)
        self.failing, self.succeeding = groups["failing"], groups["succeeding"]
        recorded = [set(sf.models) for sf in self.features.values() if sf.models]
        self.with_models = len(recorded)
        self.per_model = Counter(model for models in recorded for model in models)
        mined = [s for sid, s in self.scores.items() if sid in self.features]
        for dimension in DIMENSIONS:
            values = [s.dimensions[dimension] for s in mined if dimension in s.dimensions]
            self.totals[dimension] = (sum(values), len(values))

    def group(self, session_id: str) -> str:
        return self.groups.get(session_id, "")


def cluster_failures(features: Iterable[SessionFeatures]) -> tuple[list[Cluster], dict[str, str]]:
    """Signature clusters and behaviour clusters, and the cluster key of every family."""
    features = list(features)
    by_family: dict[str, list[tuple[SessionFeatures, Failure]]] = {}
    interrupts = Cluster(INTERRUPT_KEY, _INTERRUPTS, behaviour="interrupted")
    for sf in features:
        at_interrupt = {s.step for s in sf.stuck if s.reason == "interrupt_after_failure"}
        for failure in sf.failures:
            by_family.setdefault(failure.family, []).append((sf, failure))
            if failure.step in at_interrupt:
                interrupts.occurrences.append((sf, failure))
    family_key = _join_by_lesson(features, _merge_families(by_family))
    clusters: dict[str, Cluster] = {}
    for family, occurrences in by_family.items():
        key = family_key[family]
        cluster = clusters.setdefault(key, Cluster(key, key.removeprefix("sig:")))
        cluster.occurrences.extend(occurrences)
    ordered = sorted(clusters.values(), key=lambda c: c.key)
    return ordered + _behaviour_clusters(features) + ([interrupts] if interrupts.occurrences else []), family_key


def _join_by_lesson(features: list[SessionFeatures], family_key: dict[str, str]) -> dict[str, str]:
    """Clusters of one family whose fixes teach the same lesson become one cluster: the same
    cause met with other names (two packages under `src/`, both got past with `PYTHONPATH=src`).
    Different names fixed in different ways stay apart, as do failures no session got past."""
    spread: dict[str, set[str]] = {}
    for sf in features:
        for failure in sf.failures:
            spread.setdefault(family_key[failure.family], set()).add(sf.session_id)
    owner: dict[tuple[str, str], str] = {}
    joined: dict[str, str] = {}
    ordered = sorted(spread, key=lambda k: (-len(spread[k]), k))
    rank = {key: place for place, key in enumerate(ordered)}
    lessons_of: dict[str, set[str]] = {}
    for sf in features:
        for fix in sf.fixes:
            lesson = lessons.lesson_key(fix)
            if lesson:
                lessons_of.setdefault(family_key.get(fix.family, "sig:" + fix.family), set()).add(lesson)
    for key in ordered:
        taught = lessons_of.get(key)
        if not taught:  # nothing to join by, nor to lead by
            joined[key] = key
            continue
        kind = signatures.family(key.removeprefix("sig:"))
        leaders = {owner[(kind, lesson)] for lesson in taught if (kind, lesson) in owner}
        leader = min(leaders, key=rank.__getitem__) if leaders else key
        joined[key] = leader
        for lesson in taught:
            owner.setdefault((kind, lesson), leader)
    members: dict[str, list[str]] = {}
    for key, leader in joined.items():
        members.setdefault(leader, []).append(key)
    named = {leader: _joined_name(leader, keys) for leader, keys in members.items()}
    return {family: named[joined[key]] if key in joined else key for family, key in family_key.items()}


def _joined_name(leader: str, keys: list[str]) -> str:
    """The key of clusters joined by a lesson: the leader's, with the names the failures
    differ in (`'notekeeper'`, `'shipcalc'`) shown as `'<name>'`."""
    if len(keys) < 2:
        return leader
    quoted = [set(_QUOTED.findall(k)) for k in keys]
    shared = set.intersection(*quoted)
    return _QUOTED.sub(lambda m: m.group(0) if m.group(0) in shared else "'<name>'", leader)


def _behaviour_clusters(features: list[SessionFeatures]) -> list[Cluster]:
    """One cluster per behaviour some session showed, with the sessions that did otherwise."""
    clusters: dict[str, Cluster] = {}
    contrast: dict[str, list[str]] = {}
    for sf in features:
        for behaviour in sf.behaviours:
            key = f"seq:{behaviour.name}"
            if not behaviour.did:
                contrast.setdefault(key, []).append(sf.session_id)
                continue
            name = behaviours.NAMES[behaviour.name]
            cluster = clusters.setdefault(key, Cluster(key, name, behaviour=behaviour.name))
            failure = Failure(
                turn=behaviour.turn,
                step=behaviour.step,
                tool_use_id=behaviour.tool_use_id,
                tool="",
                signature="",
                family=behaviour.name,
                kinds=[behaviour.name],
                action=behaviour.detail,
                head="",
                targets=[],
                flagged=False,
            )
            cluster.occurrences.append((sf, failure))
    for key, cluster in clusters.items():
        showing = set(cluster.sessions())
        cluster.contrast = [s for s in dict.fromkeys(contrast.get(key, [])) if s not in showing]
    return [clusters[k] for k in sorted(clusters)]


def _merge_families(by_family: dict[str, list[tuple[SessionFeatures, Failure]]]) -> dict[str, str]:
    """Each family's cluster key: the most widespread near-identical family of the same type
    that quotes the same names (two missing modules are two failures, however alike)."""
    spread = {family: len({sf.session_id for sf, _ in occ}) for family, occ in by_family.items()}
    leaders: dict[tuple[str, frozenset[str]], list[str]] = {}
    keys: dict[str, str] = {}
    for family in sorted(spread, key=lambda f: (-spread[f], f)):
        block = leaders.setdefault((primary_kind(family), frozenset(_QUOTED.findall(family))), [])
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
    fixes: dict[str, list[tuple[str, Fix]]],
    ids: Callable[[str, str], str],
) -> tuple[list[Pattern], list[Incident]]:
    """Patterns for clusters seen in two sessions or more, incidents for the rest.

    `fixes` holds, per cluster key, the fixes that got past the failure with their sessions.
    """
    patterns: list[Pattern] = []
    incidents: list[Incident] = []
    for cluster in clusters:
        sessions = cluster.sessions()
        if len(sessions) >= 2:
            patterns.append(_pattern(cluster, sessions, population, fixes.get(cluster.key, []), ids))
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


@dataclass
class _Tally:
    """What a cluster's occurrences add up to, counted in one pass over them.

    Counts keep the order values were first met in, so the most common value on a tie is the
    first met, as `Counter.most_common` tells it.
    """

    kinds: dict[str, int] = field(default_factory=dict[str, int])
    signatures: dict[str, int] = field(default_factory=dict[str, int])
    actions: dict[str, int] = field(default_factory=dict[str, int])
    heads: dict[str, int] = field(default_factory=dict[str, int])
    files: dict[str, int] = field(default_factory=dict[str, int])
    tools: dict[str, int] = field(default_factory=dict[str, int])
    unresolved: set[str] = field(default_factory=set[str])
    projects: set[str] = field(default_factory=set[str])
    latest: dict[str, str] = field(default_factory=dict[str, str])
    first: str = ""
    last: str = ""


def _tally(cluster: Cluster) -> _Tally:
    t = _Tally()
    kinds, signatures, actions, heads, files, tools = t.kinds, t.signatures, t.actions, t.heads, t.files, t.tools
    for sf, f in cluster.occurrences:
        for kind in f.kinds:
            kinds[kind] = kinds.get(kind, 0) + 1
        signatures[f.signature] = signatures.get(f.signature, 0) + 1
        if f.action:
            actions[f.action] = actions.get(f.action, 0) + 1
        if f.tool == "Bash":
            if f.head:
                heads[f.head] = heads.get(f.head, 0) + 1
        elif f.tool:
            tools[f.tool] = tools.get(f.tool, 0) + 1
        for target in f.targets:
            files[target] = files.get(target, 0) + 1
        if not f.resolved:
            t.unresolved.add(sf.session_id)
        if sf.session_id not in t.latest:  # a session's occurrences share its features
            _session_seen(t, sf)
    return t


def _session_seen(t: _Tally, sf: SessionFeatures) -> None:
    if sf.project:
        t.projects.add(sf.project)
    moment = sf.ended or sf.started
    t.latest[sf.session_id] = moment
    if sf.started and (not t.first or sf.started < t.first):
        t.first = sf.started
    if moment and moment > t.last:
        t.last = moment


def _most_common(counts: dict[str, int]) -> str:
    return max(counts, key=counts.__getitem__) if counts else ""


def _by_count(counts: dict[str, int]) -> list[str]:
    """The values, the most frequent first, ties by value."""
    return [value for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _kinds(cluster: Cluster, tally: _Tally) -> list[str]:
    return ([cluster.behaviour] if cluster.behaviour else []) + _by_count(tally.kinds)


def _incident(cluster: Cluster, item_id: str) -> Incident:
    sf = cluster.occurrences[0][0]
    tally = _tally(cluster)
    return Incident(
        id=item_id,
        cluster_key=cluster.key,
        session_id=sf.session_id,
        signature=_most_common(tally.signatures),
        failure_types=_kinds(cluster, tally),
        evidence=[step_ref(f, s.session_id) for s, f in cluster.occurrences[:_MAX_EVIDENCE]],
    )


def _pattern(
    cluster: Cluster,
    sessions: list[str],
    population: Population,
    fixes: list[tuple[str, Fix]],
    ids: Callable[[str, str], str],
) -> Pattern:
    fixed = len({sid for sid, _ in fixes})
    groups = Counter(population.group(sid) for sid in sessions)
    a, b = groups["failing"], groups["succeeding"]
    n_f, n_s = population.failing, population.succeeding
    p_value = fisher_greater(a, n_f, b, n_s)
    pattern_lift = lift(a, n_f, b, n_s)
    tally = _tally(cluster)
    kinds = _kinds(cluster, tally)
    return Pattern(
        id=ids("patterns", cluster.key),
        cluster_key=cluster.key,
        frequency=len(sessions),
        dimensions=_dimensions(sessions, population, kinds),
        failure_types=kinds,
        root_cause_cluster=_root_cause(cluster, tally, fixes),
        affected_targets=_targets(tally),
        contrast_sessions=cluster.contrast[:_MAX_EXAMPLES],
        example_sessions=_examples(tally, population),
        severity=_severity(p_value, pattern_lift, len(tally.unresolved), len(sessions)),
        suggested_fix_type=_fix_type(kinds, fixed),
        lift=pattern_lift,
        p_value=None if p_value is None else round(p_value, 6),
        sessions=sessions,
        failing_sessions=a,
        succeeding_sessions=b,
        projects=sorted(tally.projects)[:10],
        signature=_most_common(tally.signatures),
        evidence=[step_ref(f, sf.session_id) for sf, f in cluster.occurrences[:_MAX_EVIDENCE]],
        first_seen=_moment(tally.first) if tally.first else None,
        last_seen=_moment(tally.last) if tally.last else None,
    )


def _root_cause(cluster: Cluster, tally: _Tally, fixes: list[tuple[str, Fix]]) -> str:
    """The cause as the recoveries show it: what failed, and what got sessions past it."""
    if cluster.behaviour:
        contrast = f"; {len(cluster.contrast)} session(s) did otherwise" if cluster.contrast else ""
        return f"{cluster.name}{contrast}"
    action = _most_common(tally.actions)
    what = f"`{cluster.name}`" + (f" when running `{action}`" if action else "")
    if not fixes:
        return f"{what}; no session got past it"
    by_kind: dict[str, list[Fix]] = {}
    for _, fix in fixes:
        by_kind.setdefault(lessons.fix_kind(fix), []).append(fix)
    # Changing the tests gets a check to pass without fixing anything: any other fix tells the cause better.
    kind = max(by_kind, key=lambda k: (k != "test_edit", len(by_kind[k]), k))
    sessions = len({sid for sid, _ in fixes})
    how = lessons.cause(by_kind[kind], kind).split(" In the session's words", 1)[0].rstrip(".")
    return f"{what}; {how[0].lower() + how[1:]} ({sessions} session(s) got past it)"


def _moment(stamp: str) -> datetime:
    value = datetime.fromisoformat(stamp)
    return aware(value)


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


def _targets(tally: _Tally) -> list[str]:
    """The programs, files and tools the failure hit, deduplicated, most frequent first: variants
    of one command count as one program."""
    out: list[str] = []
    for counts in (tally.heads, tally.files, tally.tools):
        out.extend(k for k in _by_count(counts) if k not in out)
    return out[:_MAX_TARGETS]


def _examples(tally: _Tally, population: Population) -> list[str]:
    """A few sessions to look at: failing ones first, then the most recent."""
    latest = tally.latest
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
    if primary in behaviours.NAMES:
        return "prompt_edit" if primary in ("claims_success", "ignored_correction", "edits_tests") else "skill_update"
    if primary in ("retry_loop", "interrupted", "edit_mismatch") or fixed:
        return "skill_update" if primary != "interrupted" else "prompt_edit"
    if primary in ("tool_unavailable", "command_not_found", "permission", "import_error"):
        return "config"
    if primary in ("test_failure", "type_check", "build_error", "runtime_error", "syntax_error"):
        return "code_fix"
    if primary == "network":
        return "architecture"
    return "skill_update"
