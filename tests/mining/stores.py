"""The `mining_*.jsonl` transcripts in a store, with hand-made score cards.

The planted story: three sessions hit `jest: not found` and never get past it (failing), two
hit it and get past it the same way, `npm install` then the tests again (succeeding, every
dimension above 0.85), one session has a failure no other shares, and one is a clean run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.scoring.card import DIMENSIONS, DimensionScore, Scorecard, save_scorecards
from trajectory_miner.store import Store

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
STUCK = ("mining_jest_missing_stuck_a", "mining_jest_missing_stuck_b", "mining_jest_missing_stuck_c")
FIXED = ("mining_jest_missing_fixed_a", "mining_jest_missing_fixed_b")
ONE_OFF = "mining_oneoff_incident"
CLEAN = "mining_clean_feature"
ALL = (*STUCK, *FIXED, ONE_OFF, CLEAN)


def card(session_id: str, outcome: str, score: float) -> Scorecard:
    """A card with the same score on every dimension."""
    return Scorecard(
        session_id=session_id,
        scorer_version="test",
        overall=score,
        outcome=outcome,  # type: ignore[arg-type]
        dimensions={d: DimensionScore(name=d, score=score) for d in DIMENSIONS},
    )


@dataclass
class MiningStore:
    """An open store holding some of the mining fixtures, and their session ids by name."""

    store: Store
    ids: dict[str, str]

    def add(self, names: Sequence[str]) -> None:
        """Ingest more fixtures and give them their planted cards."""
        ingest_paths(self.store, [TRANSCRIPTS / f"{n}.jsonl" for n in names], Config(), redact=lambda t: t)
        for sid, path in self.store.query("SELECT session_id, transcript_path FROM sessions"):
            self.ids[Path(path).stem] = sid
        save_scorecards(self.store, [self.planted_card(n) for n in names])

    def planted_card(self, name: str) -> Scorecard:
        if name in STUCK:
            return card(self.ids[name], "failure", 0.2)
        return card(self.ids[name], "success", 0.95 if name != ONE_OFF else 0.8)

    def name(self, session_id: str) -> str:
        return next(n for n, sid in self.ids.items() if sid == session_id)
