"""The labelled scenarios recorded with the real `claude` CLI: each gets its label, and its
named weak dimension is the lowest or under 0.7."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from trajectory_miner.scoring.card import Scorecard

SCENARIOS = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
LABELS_FILE = SCENARIOS / "labels.json"
QUALITY = Path(__file__).resolve().parents[2] / "bench" / "score_quality.py"
THRESHOLD = 0.7

LABELS: dict[str, dict[str, str | None]] = (
    json.loads(LABELS_FILE.read_text(encoding="utf-8")) if LABELS_FILE.exists() else {}
)
pytestmark = pytest.mark.skipif(not LABELS, reason="no labelled scenarios recorded yet")


def _quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_quality", QUALITY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quality() -> ModuleType:
    return _quality()


@pytest.fixture(scope="module")
def cards(quality: ModuleType) -> dict[str, Scorecard]:
    scored: dict[str, Scorecard] = quality.score_scenarios(SCENARIOS)
    return scored


@pytest.mark.parametrize("name", sorted(LABELS))
def test_each_scenario_gets_its_labelled_outcome(cards: dict[str, Scorecard], name: str) -> None:
    assert cards[name].outcome == LABELS[name]["outcome"], cards[name].outcome_reason


@pytest.mark.parametrize("name", sorted(n for n, label in LABELS.items() if label["low_dimension"]))
def test_each_scenarios_weak_dimension_is_its_lowest_or_under_the_threshold(
    cards: dict[str, Scorecard], name: str
) -> None:
    low = str(LABELS[name]["low_dimension"])
    card = cards[name]
    assert card.score(low) <= card.min_score() or card.score(low) < THRESHOLD, {
        d: c.score for d, c in card.dimensions.items()
    }


def test_the_overall_score_ranks_successes_above_failures(cards: dict[str, Scorecard], quality: ModuleType) -> None:
    known = [n for n in LABELS if LABELS[n]["outcome"] in ("success", "failure")]
    auc = quality.roc_auc([cards[n].overall for n in known], [LABELS[n]["outcome"] == "success" for n in known])
    assert auc >= 0.9


def test_roc_auc_counts_pairs_ranked_right_and_ties_as_half(quality: ModuleType) -> None:
    assert quality.roc_auc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert quality.roc_auc([0.1, 0.9], [True, False]) == 0.0
    assert quality.roc_auc([0.5, 0.5, 0.7, 0.2], [True, False, True, False]) == 0.875
