"""Preference pairs: at the same stuck point, what did not get past it and what did.

A stuck point is a failed step, known by the family of its error signature. In a session
scored `success` at the dataset's threshold, the step after the last failure of a family got
past it: that step is `chosen`. In any session, the step after a failure that the session met
again later (or, in a session scored `failure`, after the last one) did not: that step is
`rejected`. Each rejected step is paired with a chosen step of the same family, from the same
session when it has one, else from the best-scoring session that has one. The prompt is the
state of the rejected step's session at its failure, in the chat shape of the examples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.export.render import SYSTEM_PROMPT, action_text, state_text
from trajectory_miner.export.selection import Selected
from trajectory_miner.sessions import load_sessions
from trajectory_miner.store import Store

CHUNK = 200


@dataclass(frozen=True, slots=True)
class _Point:
    """A failed step and the step the session took next."""

    session_id: str
    family: str
    fail_step: int


@dataclass(frozen=True, slots=True)
class _Rendered:
    state: str
    turn_index: int
    fail_tool_use_id: str
    next_step: int
    next_tool_use_id: str
    next_tool: str
    next_failed: bool
    action: str
    cut: bool


def _failures(store: Store) -> dict[str, list[tuple[int, str]]]:
    """Per main session, its failed steps in order as (step index, signature family)."""
    rows = store.query(
        """
        SELECT st.session_id, st.step_index, st.error_signature FROM steps st JOIN sessions s USING (session_id)
        WHERE st.error_signature IS NOT NULL AND NOT s.is_sidechain
        ORDER BY st.session_id, st.step_index
        """
    )
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for session_id, step_index, signature in rows:
        found[session_id].append((step_index, signature_family(signature)))
    return found


def _points(
    failures: dict[str, list[tuple[int, str]]], good: set[str], failed_outcome: set[str]
) -> tuple[list[_Point], list[_Point]]:
    """(chosen, rejected) candidate points; only families with a chosen point can pair."""
    chosen: list[_Point] = []
    rejected: list[_Point] = []
    for session_id, steps in failures.items():
        last = {family: index for index, family in steps}
        for index, family in steps:
            if index != last[family]:
                rejected.append(_Point(session_id, family, index))
            elif session_id in good:
                chosen.append(_Point(session_id, family, index))
            elif session_id in failed_outcome:
                rejected.append(_Point(session_id, family, index))
    families = {p.family for p in chosen}
    return chosen, [p for p in rejected if p.family in families]


def _render(store: Store, points: Sequence[_Point]) -> dict[_Point, _Rendered]:
    """The state at each point and the step taken next (points with no next step are left out)."""
    wanted: dict[str, list[_Point]] = defaultdict(list)
    for point in points:
        wanted[point.session_id].append(point)
    ids = sorted(wanted)
    rendered: dict[_Point, _Rendered] = {}
    for start in range(0, len(ids), CHUNK):
        for session in load_sessions(store, ids[start : start + CHUNK]):
            ordered = [(turn, step) for turn in session.turns for step in turn.steps]
            position = {step.step_index: i for i, (_, step) in enumerate(ordered)}
            for point in wanted[session.session_id]:
                at = position.get(point.fail_step)
                if at is None or at + 1 >= len(ordered):
                    continue
                turn, failed = ordered[at]
                _, following = ordered[at + 1]
                action, cut = action_text(following)
                rendered[point] = _Rendered(
                    state=state_text(session, turn, failed.step_index + 1),
                    turn_index=turn.turn_index,
                    fail_tool_use_id=failed.tool_use_id,
                    next_step=following.step_index,
                    next_tool_use_id=following.tool_use_id,
                    next_tool=following.tool_name,
                    next_failed=following.is_error,
                    action=action,
                    cut=cut,
                )
    return rendered


def _side(point: _Point, rendered: _Rendered) -> dict[str, Any]:
    return {
        "session_id": point.session_id,
        "step_index": rendered.next_step,
        "tool_use_id": rendered.next_tool_use_id,
        "tool_name": rendered.next_tool,
    }


def preference_pairs(
    store: Store, selected: Sequence[Selected], used: set[str], schema_version: str
) -> Iterator[dict[str, Any]]:
    """Preference pairs in prompt order; the sessions they draw on are added to `used`."""
    overall = {s.session_id: s.overall for s in selected}
    failed_outcome = {r[0] for r in store.query("SELECT session_id FROM scores WHERE outcome = 'failure'")}
    chosen, rejected = _points(_failures(store), set(overall), failed_outcome)
    rendered = _render(store, [*chosen, *rejected])
    winners: dict[str, list[_Point]] = defaultdict(list)
    for point in chosen:
        if point in rendered and not rendered[point].next_failed:
            winners[point.family].append(point)
    for points in winners.values():
        points.sort(key=lambda p: (-overall[p.session_id], p.session_id, p.fail_step))
    seen: set[tuple[str, str, str]] = set()
    for point in sorted(rejected, key=lambda p: (p.family, p.session_id, p.fail_step)):
        loser = rendered.get(point)
        candidates = winners.get(point.family)
        if loser is None or not candidates:
            continue
        winner = next((c for c in candidates if c.session_id == point.session_id), candidates[0])
        won = rendered[winner]
        key = (loser.state, won.action, loser.action)
        if won.action == loser.action or key in seen:
            continue
        seen.add(key)
        used.update((point.session_id, winner.session_id))
        yield {
            "prompt": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": loser.state},
            ],
            "chosen": [{"role": "assistant", "content": won.action}],
            "rejected": [{"role": "assistant", "content": loser.action}],
            "metadata": {
                "schema_version": schema_version,
                "kind": "preference_pair",
                "signature": point.family,
                "session_id": point.session_id,
                "turn_index": loser.turn_index,
                "step_index": point.fail_step,
                "tool_use_id": loser.fail_tool_use_id,
                "chosen": {**_side(winner, won), "overall": overall[winner.session_id]},
                "rejected": _side(point, loser),
                "same_session": winner.session_id == point.session_id,
                "truncated": won.cut or loser.cut,
            },
        }
