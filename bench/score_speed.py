"""Seconds to score every session of a generated corpus (target: 10,000 sessions in under 60 s).

Generates (or reuses) a corpus with `corpus_gen.py`, ingests it into a store (or reuses one),
then times `rescore_sessions` over all of its sessions, subagent sidechains included. As a
check that fast is not careless, it also prints how the scores agree with the outcome the
generator planted in each main session (ROC AUC of the overall score, label accuracy).

    python bench/score_speed.py [--sessions 10000] [--seed 1] [--corpus DIR] [--store FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus_gen  # noqa: E402
from score_quality import roc_auc  # noqa: E402

from trajectory_miner.capture.ingest import ingest_paths  # noqa: E402
from trajectory_miner.config import Config  # noqa: E402
from trajectory_miner.scoring import SCORER_VERSION, rescore_sessions  # noqa: E402
from trajectory_miner.scoring.card import load_scorecards  # noqa: E402
from trajectory_miner.store import Store, open_store  # noqa: E402


def _corpus(root: Path, sessions: int, seed: int) -> dict[str, str]:
    """The planted outcome of each main session, generating the corpus when it is not there."""
    manifest = root / corpus_gen.MANIFEST
    if not manifest.exists():
        started = time.perf_counter()
        stats = corpus_gen.generate(root, sessions, seed)
        print(
            f"generated {stats.sessions} sessions, {stats.bytes / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s"
        )
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return {s["session_id"]: s["outcome"] for s in data["sessions"]}


def _ingest(store: Store, root: Path) -> None:
    if store.scalar("SELECT count(*) FROM sessions"):
        return
    started = time.perf_counter()
    report = ingest_paths(store, [root / "projects"], Config())
    print(f"ingested {report.sessions} sessions, {report.steps} steps in {time.perf_counter() - started:.0f} s")


def _agreement(store: Store, planted: dict[str, str]) -> None:
    cards = load_scorecards(store, list(planted))
    known = [sid for sid in planted if sid in cards]
    auc = roc_auc([cards[s].overall for s in known], [planted[s] == "success" for s in known])
    labels = Counter((planted[s], cards[s].outcome) for s in known)
    right = sum(n for (want, got), n in labels.items() if want == got)
    print(f"overall vs planted outcome: ROC AUC {auc:.3f} over {len(known)} main sessions")
    print(f"outcome label equal to the planted one: {right}/{len(known)} = {right / max(1, len(known)):.3f}")
    print("planted -> scored: " + ", ".join(f"{a}->{b}: {n}" for (a, b), n in sorted(labels.items())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, help="corpus root to reuse (or to generate into and keep)")
    parser.add_argument("--store", type=Path, help="store to reuse (or to ingest into and keep)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.corpus or Path(scratch) / "corpus"
        planted = _corpus(root, args.sessions, args.seed)
        with open_store(args.store or Path(scratch) / "m.duckdb") as store:
            _ingest(store, root)
            steps = store.scalar("SELECT count(*) FROM steps")
            started, cpu = time.perf_counter(), time.process_time()
            count = rescore_sessions(store)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"scored {count} sessions ({steps} steps) with scorer {SCORER_VERSION} in {seconds:.1f} s "
                f"({cpu:.1f} s of CPU, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores): "
                f"{count / seconds:.0f} sessions/s (target: 10,000 sessions in < 60 s)"
            )
            _agreement(store, planted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
