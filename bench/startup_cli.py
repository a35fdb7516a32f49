"""Start-up time of the command-line program: `trajectory-miner --help` and each command's help.

Runs each command line in a fresh interpreter, interleaved with `python -c pass` so that both
meet the same machine, and prints the median and best wall time of each (target: `--help`
under 60 ms). A command's `--help` imports that command's module and what it needs at once.

    python bench/startup_cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trajectory_miner.cli import COMMANDS  # noqa: E402

TARGET_MS = 60.0


def wall_ms(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    python = sys.executable
    lines: dict[str, list[str]] = {
        "python -c pass": [python, "-c", "pass"],
        "trajectory-miner --help": [python, "-m", "trajectory_miner", "--help"],
    }
    for name, _module, _help in COMMANDS:
        lines[f"trajectory-miner {name} --help"] = [python, "-m", "trajectory_miner", name, "--help"]
    os.environ.setdefault("TRAJECTORY_MINER_HOME", str(Path.home() / ".trajectory-miner-bench-unused"))
    samples: dict[str, list[float]] = {label: [] for label in lines}
    for _ in range(args.runs):
        for label, command in lines.items():
            samples[label].append(wall_ms(command))
    width = max(len(label) for label in lines)
    for label, found in samples.items():
        print(f"{label:<{width}}  median {statistics.median(found):6.1f} ms  best {min(found):6.1f} ms")
    helped = statistics.median(samples["trajectory-miner --help"])
    print(f"target: `trajectory-miner --help` under {TARGET_MS:.0f} ms (median {helped:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
