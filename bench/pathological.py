"""Pathological input: ingest time with and without the pathological lines, and the live-hint hook on a 1 MB error.

The transcript is the trust suite's (`tests/trust/pathological.py`): a 1,000-deep tool input,
a 1 MB hex error line, a 50 MB line and a line nested past what the JSON reader takes, with a
normal session beside it. Ingest runs in process into a fresh store, and as the CLI does it
(`trajectory-miner ingest --json`, scoring included), once with the pathological transcript
and once with its ordinary lines alone; the target is at most 5× the time without. The hook
(`python3 -S hooks/live_hint.py`, as `hooks.json` runs it, timeout 5 s) is timed on a failure
whose output is the 1 MB hex line, the first and the second time the session sees it.

    python bench/pathological.py [--runs 3] [--big-mb 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "trust"))

from pathological import HEX_CHARS, NORMAL, PATHOLOGICAL, normal_lines, pathological_lines  # noqa: E402

from trajectory_miner.capture.ingest import ingest_paths  # noqa: E402
from trajectory_miner.config import Config  # noqa: E402
from trajectory_miner.store import open_store  # noqa: E402

TARGET_RATIO = 5.0
HOOK_TIMEOUT_S = 5.0
# Which lines of the pathological session are pathological: the deep input, the hex error,
# the 50 MB prompt and the unreadable line (see `pathological_lines`).
_PATHOLOGICAL_AT = (1, 4, 5, 6)


def write_corpus(folder: Path, with_pathological: bool, big_chars: int) -> None:
    """The normal session and the other one: whole, or with its pathological lines left out."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{NORMAL}.jsonl").write_text("\n".join(normal_lines()) + "\n", encoding="utf-8")
    lines = pathological_lines(big_line_chars=big_chars)
    if not with_pathological:
        lines = [line for i, line in enumerate(lines) if i not in _PATHOLOGICAL_AT]
    (folder / f"{PATHOLOGICAL}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def ingest_in_process(projects: Path, home: Path) -> float:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    started = time.perf_counter()
    with open_store(home / "miner.duckdb") as store:
        ingest_paths(store, [projects], Config())
    return time.perf_counter() - started


def ingest_by_cli(root: Path, home: Path) -> float:
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "TRAJECTORY_MINER_HOME": str(home), "CLAUDE_CONFIG_DIR": str(root / "claude")}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trajectory_miner", "ingest", "--json"], env=env, capture_output=True, check=True
    )
    return time.perf_counter() - started


def hook_times(root: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds of the live-hint hook on the 1 MB hex failure: first and second sighting."""
    rng = random.Random(17)
    error = "Exit code 1\nError: bad blob /tmp/" + "".join(rng.choice("0123456789abcdef") for _ in range(HEX_CHARS))
    python3 = shutil.which("python3") or sys.executable
    first: list[float] = []
    second: list[float] = []
    for run in range(runs):
        home = root / f"hook-home-{run}"
        env = {**os.environ, "TRAJECTORY_MINER_HOME": str(home), "CLAUDE_PLUGIN_ROOT": str(REPO)}
        payload = json.dumps(
            {
                "session_id": f"bench-{run}",
                "hook_event_name": "PostToolUseFailure",
                "tool_name": "Bash",
                "tool_input": {"command": "./verify blob"},
                "error": error,
                "cwd": "/home/dev/blobs",
            }
        ).encode("utf-8")
        for times in (first, second):
            started = time.perf_counter()
            subprocess.run(
                [python3, "-S", str(REPO / "hooks" / "live_hint.py")], input=payload, env=env, capture_output=True
            )
            times.append(time.perf_counter() - started)
    return first, second


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-mb", type=float, default=50.0, help="size of the long line, in millions of characters")
    args = parser.parse_args()
    big_chars = int(args.big_mb * 1_000_000)

    with tempfile.TemporaryDirectory(prefix="pathological-") as scratch:
        root = Path(scratch)
        figures: dict[str, dict[str, float]] = {}
        for label, with_pathological in (("without", False), ("with", True)):
            projects = root / "claude" / "projects"
            shutil.rmtree(projects, ignore_errors=True)
            write_corpus(projects / "-home-dev-blobs", with_pathological, big_chars)
            size = sum(p.stat().st_size for p in projects.rglob("*.jsonl"))
            in_process = [ingest_in_process(projects, root / "home") for _ in range(args.runs)]
            by_cli = [ingest_by_cli(root, root / "home") for _ in range(args.runs)]
            figures[label] = {
                "bytes": size,
                "in_process": statistics.median(in_process),
                "cli": statistics.median(by_cli),
            }
        first, second = hook_times(root, args.runs)

    print(f"medians of {args.runs} runs; load average {os.getloadavg()}")
    print(f"{'ingest':<28} {'MB':>8} {'in process s':>13} {'CLI s':>8}")
    for label, row in figures.items():
        name = f"{label} pathological lines"
        print(f"{name:<28} {row['bytes'] / 1e6:>8.1f} {row['in_process']:>13.2f} {row['cli']:>8.2f}")
    for kind in ("in_process", "cli"):
        ratio = figures["with"][kind] / figures["without"][kind]
        verdict = "ok" if ratio <= TARGET_RATIO else "over"
        print(f"ratio {kind}: {ratio:.1f}x (target <= {TARGET_RATIO:.0f}x: {verdict})")
    for label, times in (("first sighting", first), ("second sighting", second)):
        worst = max(times)
        verdict = "ok" if worst < HOOK_TIMEOUT_S else "over"
        print(
            f"live-hint hook, 1 MB hex error, {label}: median {statistics.median(times) * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms (timeout {HOOK_TIMEOUT_S:.0f} s: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
