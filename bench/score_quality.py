"""How well the scorer judges the labelled scenario set recorded with the real `claude` CLI.

Prints, over `tests/fixtures/scenarios/` (labels in `labels.json`): the accuracy of the outcome
label, the ROC AUC of the overall score against the known outcome (success = 1, failure = 0;
partial sessions left out), and per-dimension agreement — for each scenario naming a weak
dimension, whether that dimension is the lowest or below the threshold, and for each naming
none, whether every dimension stays at or above it.

    python bench/score_quality.py [--scenarios DIR] [--threshold 0.7] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trajectory_miner.capture.ingest import ingest_paths  # noqa: E402
from trajectory_miner.config import Config  # noqa: E402
from trajectory_miner.scoring import score_session  # noqa: E402
from trajectory_miner.scoring.card import Scorecard  # noqa: E402
from trajectory_miner.sessions import load_sessions  # noqa: E402
from trajectory_miner.store import open_store  # noqa: E402

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "scenarios"
THRESHOLD = 0.7


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float:
    """The area under the ROC curve: the chance a random positive outscores a random negative
    (ties count half). NaN when either class is empty."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(positives, dtype=bool)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def score_scenarios(folder: Path) -> dict[str, Scorecard]:
    """Every scenario transcript ingested into a scratch store and scored, by file name."""
    with tempfile.TemporaryDirectory() as scratch, open_store(Path(scratch) / "m.duckdb") as store:
        ingest_paths(store, sorted(folder.glob("*.jsonl")), Config(), redact=lambda text: text)
        ids = [r[0] for r in store.query("SELECT session_id FROM sessions WHERE NOT is_sidechain")]
        sessions = load_sessions(store, ids)
    return {Path(s.transcript_path).name: score_session(s) for s in sessions}


def weak_dimension_agrees(card: Scorecard, low: str | None, threshold: float) -> bool:
    """The named weak dimension is the lowest or under the threshold; with none named, no
    dimension is under it."""
    if low is None:
        return all(d.score >= threshold for d in card.dimensions.values())
    return card.score(low) <= card.min_score() or card.score(low) < threshold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--verbose", action="store_true", help="print every scenario's card summary")
    args = parser.parse_args(argv)
    labels_file = args.scenarios / "labels.json"
    if not labels_file.exists():
        print(f"no labelled scenarios at {args.scenarios}")
        return 1
    labels: dict[str, dict[str, str | None]] = json.loads(labels_file.read_text(encoding="utf-8"))
    cards = score_scenarios(args.scenarios)
    missing = sorted(set(labels) - set(cards))
    names = sorted(set(labels) & set(cards))
    right = [n for n in names if cards[n].outcome == labels[n]["outcome"]]
    confusion = Counter((labels[n]["outcome"], cards[n].outcome) for n in names)
    known = [n for n in names if labels[n]["outcome"] in ("success", "failure")]
    auc = roc_auc([cards[n].overall for n in known], [labels[n]["outcome"] == "success" for n in known])
    print(f"scenarios: {len(names)} scored" + (f", {len(missing)} labelled but missing: {missing}" if missing else ""))
    print(f"outcome accuracy: {len(right)}/{len(names)} = {len(right) / max(1, len(names)):.3f}")
    print("outcome (label -> scored): " + ", ".join(f"{a}->{b}: {c}" for (a, b), c in sorted(confusion.items())))
    print(f"ROC AUC of overall vs outcome (success=1, failure=0, n={len(known)}): {auc:.3f}")
    print(f"per-dimension agreement (weak dimension lowest or < {args.threshold}; none named: all >= it):")
    by_dimension: dict[str, list[bool]] = {}
    for name in names:
        low = labels[name]["low_dimension"]
        by_dimension.setdefault(low or "(none)", []).append(weak_dimension_agrees(cards[name], low, args.threshold))
    for dimension, agreed in sorted(by_dimension.items()):
        print(f"  {dimension:<18} {sum(agreed)}/{len(agreed)}")
    total = sum(sum(a) for a in by_dimension.values())
    print(f"  {'all':<18} {total}/{len(names)}")
    if args.verbose:
        for name in names:
            card, label = cards[name], labels[name]
            dims = " ".join(f"{d[:4]}={c.score:.2f}" for d, c in card.dimensions.items())
            print(f"{name:<44} {card.overall:.2f} {card.outcome:<8} ({label['outcome']}) {dims}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
