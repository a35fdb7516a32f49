"""The store reader's child process loads what reading needs, not the ranking or the answers' calls."""

from __future__ import annotations

import json
import subprocess
import sys

import trajectory_miner.retrieval as retrieval
from trajectory_miner.retrieval import listing

NOT_FOR_READING = (
    "numpy",
    "rapidfuzz",
    "trajectory_miner.retrieval.rank",
    "trajectory_miner.retrieval.index",
    "trajectory_miner.retrieval.details",
    "trajectory_miner.retrieval.reviews",
)


def test_the_reader_module_loads_neither_ranking_nor_the_calls() -> None:
    probe = "import json, sys\nimport trajectory_miner.retrieval.reader\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert [name for name in NOT_FOR_READING if name in loaded] == []


def test_the_package_still_names_everything_it_did() -> None:
    missing = [name for name in retrieval.__all__ if getattr(retrieval, name, None) is None]
    assert missing == []
    assert retrieval.BadRequest is listing.BadRequest
