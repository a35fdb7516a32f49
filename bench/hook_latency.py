"""Wall time of the Stop hook process on a session with a 20 MB transcript, beside `python3 -c pass`.

Builds a throwaway Claude config folder holding one 20 MB transcript, then runs, interleaved,
`python3 -c pass`, `python3 -S -c pass` and the Stop hook exactly as hooks.json runs it
(`python3 -S hooks/stop.py`, the payload on stdin). The hook finds this interpreter as the
environment's, so it starts the real background ingester as it would in a session; that work
runs detached and is not part of the hook's time. Prints p50/p95 in milliseconds and the
hook's p95 as a multiple of `python3 -c pass`. Figures only, no verdict.

    python bench/hook_latency.py [--runs N] [--mb M]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SESSION = "77777777-aaaa-4bbb-8ccc-000000000007"


def write_transcript(path: Path, megabytes: float) -> int:
    """A transcript of Bash turns padded with long outputs, up to the given size."""
    sys.path.insert(0, str(REPO / "tests"))
    from hooks.simulate import turn_entries

    path.parent.mkdir(parents=True, exist_ok=True)
    target = int(megabytes * 1024 * 1024)
    padding = "output line\n" * 400
    turn = 0
    with path.open("w", encoding="utf-8") as handle:
        while handle.tell() < target:
            for entry in turn_entries(SESSION, "/work/bench", turn, fail=turn % 5 == 0):
                if entry["type"] == "user" and isinstance(entry["message"]["content"], list):
                    entry["message"]["content"][0]["content"] += padding
                handle.write(json.dumps(entry) + "\n")
            turn += 1
    return turn


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(argv: list[str], stdin: bytes, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, input=stdin, env=env, capture_output=True, check=True)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--mb", type=float, default=20.0)
    args = parser.parse_args()

    python3 = shutil.which("python3") or "python3"
    real = subprocess.run([python3, "-S", "-c", "import sys; print(sys.executable)"], capture_output=True, text=True)
    with tempfile.TemporaryDirectory(prefix="hook-latency-") as scratch:
        root = Path(scratch)
        transcript = root / "claude" / "projects" / "-work-bench" / f"{SESSION}.jsonl"
        turns = write_transcript(transcript, args.mb)
        env = {
            **os.environ,
            "TRAJECTORY_MINER_HOME": str(root / "home"),
            "CLAUDE_CONFIG_DIR": str(root / "claude"),
            "TRAJECTORY_MINER_PYTHON": sys.executable,
        }
        env.pop("CLAUDE_PLUGIN_DATA", None)
        payload = json.dumps(
            {
                "session_id": SESSION,
                "transcript_path": str(transcript),
                "cwd": "/work/bench",
                "hook_event_name": "Stop",
                "stop_hook_active": False,
                "last_assistant_message": "Done.",
            }
        ).encode("utf-8")
        hook = str(REPO / "hooks" / "stop.py")
        interpreter = real.stdout.strip()
        cases = {
            "python3 -c pass": [python3, "-c", "pass"],
            "python3 -S stop.py (as hooks.json runs it)": [python3, "-S", hook],
            "python3 -S -c pass": [python3, "-S", "-c", "pass"],
            "<interpreter> -c pass": [interpreter, "-c", "pass"],
            "<interpreter> -S stop.py": [interpreter, "-S", hook],
            "<interpreter> -S -c pass": [interpreter, "-S", "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for argv in cases.values():  # one warm-up each: page cache and bytecode
            timed(argv, payload, env)
        for _ in range(args.runs):
            for name, argv in cases.items():
                times[name].append(timed(argv, payload, env))
        spool_lines = sum(
            len(p.read_text(encoding="utf-8").splitlines()) for p in (root / "home" / "spool").glob("*.jsonl")
        )

    print(f"transcript: {args.mb:.0f} MB, {turns} turns; {args.runs} runs each, interleaved")
    print(f"python3 on the PATH: {python3}; <interpreter>: {interpreter}; load average {os.getloadavg()}")
    print(f"{'command':<48} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in times.items():
        print(f"{name:<48} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f}")
    for hook_case, base_case in (
        ("python3 -S stop.py (as hooks.json runs it)", "python3 -c pass"),
        ("<interpreter> -S stop.py", "<interpreter> -c pass"),
    ):
        ratio = percentile(times[hook_case], 0.95) / percentile(times[base_case], 0.95)
        print(f"p95 of {hook_case} = {ratio:.2f} x p95 of {base_case}")
    print(f"spool lines left for the ingester: {spool_lines}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
