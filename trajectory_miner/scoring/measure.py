"""Turning findings into a dimension's score, per session and per turn.

A finding is one fact with a weight in penalty units and the step where it was seen. Most
dimensions scale units by the amount of work, so one wasted call matters more in a session
of five calls than in one of two hundred: score = 1 - units / (calls * per_call + floor).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from trajectory_miner.scoring.card import DimensionScore, Evidence


@dataclass(frozen=True, slots=True)
class ScoreFact:
    """A fact that moves a score, with its weight in penalty units (negative: a credit)."""

    fact: str
    units: float
    turn_index: int | None = None
    step_index: int | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """How penalty units become a score for a scope of a given size."""

    per_call: float
    floor: float

    def denominator(self, calls: int) -> float:
        return calls * self.per_call + self.floor


def clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def scaled(
    name: str,
    rule: str,
    findings: list[ScoreFact],
    scale: Scale,
    calls: int,
    calls_per_turn: dict[int, int],
    applicable: bool = True,
) -> tuple[DimensionScore, dict[int, float]]:
    """A dimension whose score falls with penalty units relative to the calls made."""
    denominator = scale.denominator(calls)
    total = sum(f.units for f in findings)
    evidence = [_evidence(f, -f.units / denominator) for f in findings]
    card = DimensionScore(
        name=name,
        score=round(clamp(1.0 - total / denominator), 4),
        rule=rule,
        applicable=applicable,
        evidence=evidence,
    )
    units_by_turn: dict[int, float] = defaultdict(float)
    for finding in findings:
        if finding.turn_index is not None:
            units_by_turn[finding.turn_index] += finding.units
    turns = {
        turn: round(clamp(1.0 - units_by_turn.get(turn, 0.0) / scale.denominator(count)), 4)
        for turn, count in calls_per_turn.items()
    }
    return card, turns


def additive(
    name: str, rule: str, base: float, findings: Iterable[ScoreFact], applicable: bool = True
) -> DimensionScore:
    """A dimension that starts at `base` and moves by each finding's units (units are effects)."""
    items = list(findings)
    total = base + sum(f.units for f in items)
    return DimensionScore(
        name=name,
        score=round(clamp(total), 4),
        rule=rule,
        applicable=applicable,
        evidence=[_evidence(f, f.units) for f in items],
    )


def _evidence(finding: ScoreFact, effect: float) -> Evidence:
    return Evidence(
        fact=finding.fact,
        effect=round(effect, 4),
        turn_index=finding.turn_index,
        step_index=finding.step_index,
    )
