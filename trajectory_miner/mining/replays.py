"""Replay candidates: where a session got stuck, and what got past the same failure elsewhere.

Stuck points come from rules (the same failure twice or more, a failing command run three
times with no edit between, an interrupt after failures, the turn where the score collapsed).
Each one the session never got past is linked to a fix skill for the same failure cluster or,
when there is none, to the fragment of another session that got past it, with the steps
that worked. One replay per session and failure cluster, at the first point it was stuck.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from trajectory_miner.mining.features import Fix, SessionFeatures, Stuck
from trajectory_miner.mining.items import Replay, Skill, StepRef
from trajectory_miner.mining.patterns import Population

_REASONS = {
    "repeated_error": "hit the same failure {n} times",
    "command_loop": "ran the same failing command three times with no edit in between",
    "interrupt_after_failure": "was interrupted by the user after failing",
    "score_collapse": "saw its score collapse in this turn",
}


@dataclass(frozen=True)
class _Fragment:
    """Where another session got past a failure."""

    session_id: str
    fix: Fix
    succeeded: bool

    @property
    def fragment_id(self) -> str:
        return f"{self.session_id}#t{self.fix.turn}:s{self.fix.fail_step}-{self.fix.pass_step}"


def _stuck_points(sf: SessionFeatures, collapsed_turn: int | None) -> list[Stuck]:
    """Points the session never got past: the rules' first, then the turn where the score collapsed."""
    points = sorted((s for s in sf.stuck if not s.resolved and s.family), key=lambda s: s.step)
    if collapsed_turn is not None:
        failing = [f for f in sf.failures if f.turn == collapsed_turn and not f.resolved]
        if failing:
            f = failing[0]
            points.append(Stuck(f.turn, f.step, f.tool_use_id, "score_collapse", f.family, False))
    return points


@dataclass
class _Ways:
    """The fragments that got past one failure, best first, and which sessions they came from."""

    fragments: list[_Fragment] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    succeeded: set[str] = field(default_factory=set)

    def add(self, fragment: _Fragment) -> None:
        self.fragments.append(fragment)
        self.sessions.add(fragment.session_id)
        if fragment.succeeded:
            self.succeeded.add(fragment.session_id)

    def rank(self) -> None:
        """The most common way past first, from a succeeding session if there is one."""
        common = Counter(tuple(f.fix.steps) for f in self.fragments)
        self.fragments.sort(key=lambda f: (not f.succeeded, -common[tuple(f.fix.steps)], f.session_id, f.fix.turn))

    def besides(self, session_id: str) -> tuple[_Fragment, int, float] | None:
        """The best fragment from another session, how many other sessions got past, and their success rate."""
        best = next((f for f in self.fragments if f.session_id != session_id), None)
        if best is None:
            return None
        support = len(self.sessions - {session_id})
        return best, support, len(self.succeeded - {session_id}) / support


class _Index:
    """Every way past every failure cluster: skills first, then fragments of other sessions."""

    def __init__(
        self, features: list[SessionFeatures], population: Population, family_key: dict[str, str], skills: list[Skill]
    ) -> None:
        self.exact: dict[tuple[str, str], _Ways] = {}
        self.any: dict[str, _Ways] = {}
        for sf in features:
            group = population.group(sf.session_id)
            if group == "failing":
                continue
            for fix in sf.fixes:
                key = family_key.get(fix.family, "sig:" + fix.family)
                fragment = _Fragment(sf.session_id, fix, group == "succeeding")
                self.exact.setdefault((key, fix.fail_head), _Ways()).add(fragment)
                self.any.setdefault(key, _Ways()).add(fragment)
        for ways in [*self.exact.values(), *self.any.values()]:
            ways.rank()
        usable = sorted(
            (s for s in skills if s.status not in ("rejected", "retired") and s.cluster_key.startswith("fix:")),
            key=lambda s: (-s.support, -s.success_rate, s.id),
        )
        self.skill_by_family: dict[str, Skill] = {}
        for skill in usable:
            if skill.signatures:
                self.skill_by_family.setdefault(skill.signatures[0], skill)

    def way_past(self, key: str, head: str, session_id: str) -> tuple[Skill | _Fragment, int, float, float] | None:
        """What got past this failure (a skill for it first, then a fragment of another session that
        met it with the same action, then any), its support, success rate and how closely it matches."""
        skill = self.skill_by_family.get(key.removeprefix("sig:"))
        if skill is not None:
            return skill, skill.support, skill.success_rate, 1.0
        found = self.exact[(key, head)].besides(session_id) if (key, head) in self.exact else None
        if found is not None:
            return found[0], found[1], found[2], 1.0
        found = self.any[key].besides(session_id) if key in self.any else None
        return (found[0], found[1], found[2], 0.7) if found is not None else None


def build(
    features: list[SessionFeatures],
    population: Population,
    family_key: dict[str, str],
    skills: list[Skill],
    collapsed: dict[str, int],
    ids: Callable[[str, str], str],
) -> list[Replay]:
    """Replays for the sessions that did not succeed and the stuck points they never got past."""
    index = _Index(features, population, family_key, skills)
    replays: list[Replay] = []
    for sf in features:
        if population.group(sf.session_id) == "succeeding":
            continue
        heads = {f.step: f.head for f in sf.failures}
        actions = {f.step: f.action for f in sf.failures}
        done: set[str] = set()
        for point in _stuck_points(sf, collapsed.get(sf.session_id)):
            key = family_key.get(point.family, "sig:" + point.family)
            if key in done:
                continue
            found = index.way_past(key, heads.get(point.step, ""), sf.session_id)
            if found is not None:
                done.add(key)
                replays.append(_replay(sf, point, key, found, ids, actions.get(point.step, "")))
    return sorted(replays, key=lambda r: r.id)


def _replay(
    sf: SessionFeatures,
    point: Stuck,
    key: str,
    found: tuple[Skill | _Fragment, int, float, float],
    ids: Callable[[str, str], str],
    action: str,
) -> Replay:
    way, support, rate, match = found
    if isinstance(way, Skill):
        pattern, session, steps, base = way.id, (way.source_sessions or [""])[0], way.steps, 0.5
    else:
        pattern, session, steps, base = way.fragment_id, way.session_id, way.fix.steps, 0.35
    confidence = (base + 0.1 * min(support - 1, 3)) * max(rate, 0.3) * match
    cluster_key = f"replay:{sf.session_id}:{key}"
    how = _REASONS[point.reason].format(n=point.repeats)
    family = key.removeprefix("sig:")
    return Replay(
        id=ids("replays", cluster_key),
        cluster_key=cluster_key,
        stuck_session=sf.session_id,
        stuck_at=StepRef(
            session_id=sf.session_id, turn_index=point.turn, step_index=point.step, tool_use_id=point.tool_use_id
        ),
        stuck_step=_stuck_words(point, action, family),
        stuck_reason=point.reason,
        signature=point.family,
        successful_pattern=pattern,
        successful_session=session,
        next_steps=list(steps),
        expected_improvement=(
            f"{support} other session(s) got past `{family}` this way ({rate:.0%} of them succeeded); "
            f"this session {how} and never got past it."
        ),
        confidence=round(min(0.95, max(0.05, confidence)), 2),
    )


def _stuck_words(point: Stuck, action: str, family: str) -> str:
    """The stuck step in words: where, what ran, how it failed and how often."""
    what = f"`{action}`" if action else "a step"
    times = f" ({point.repeats} times)" if point.repeats > 1 else ""
    return f"turn {point.turn}, step {point.step}: {what} failed with `{family}`{times}"
