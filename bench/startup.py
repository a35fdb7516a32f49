"""Wall time of a `claude -p` start with and without the plugin, and the miner server's time to initialize.

Runs the real `claude` CLI offline against the tests' scripted Messages API, in a throwaway
HOME, `--runs` times each way, interleaved (without, with, without, …) so load on the
machine weighs on both alike: one prompt answered with one line of text. The plugin's runs
use this Python's environment (`TRAJECTORY_MINER_PYTHON`), as an installed plugin would use
its own. Then it times, `--runs` times each, how long after spawn the `miner` server answers
`initialize`: through `hooks/launch_server.py` (what Claude Code starts), and the
environment's server started directly (`python -I -m mcp_server`), which is what the
launcher stands in front of. Prints p50/p95 and the means' difference. Figures only.

    python bench/startup.py [--runs 10]
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
sys.path.insert(0, str(REPO / "tests"))

from harness.fake_api import FakeMessagesAPI  # noqa: E402  (found through the line above)
from harness.scenarios import say  # noqa: E402

HELLO = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}


def claude_once(home: Path, workdir: Path, with_plugin: bool, runs_left: int) -> float:
    """Seconds for one `claude -p` with a one-line answer."""
    with FakeMessagesAPI([say("ok")] * 4, lifetime_s=120) as api:
        env = {name: os.environ[name] for name in ("PATH", "LANG", "TMPDIR", "PYENV_ROOT") if name in os.environ}
        env.update(
            HOME=str(home),
            ANTHROPIC_BASE_URL=api.url,
            ANTHROPIC_API_KEY="sk-ant-bench-0000",
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
            DISABLE_TELEMETRY="1",
            DISABLE_AUTOUPDATER="1",
            TRAJECTORY_MINER_PYTHON=sys.executable,
            TRAJECTORY_MINER_HOME=str(home / "miner-home"),
        )
        args = ["claude", "-p", f"say ok ({runs_left})", "--output-format", "json"]
        if with_plugin:
            args += ["--plugin-dir", str(REPO)]
        started = time.perf_counter()
        subprocess.run(args, cwd=workdir, env=env, capture_output=True, timeout=300, check=True)
        return time.perf_counter() - started


def initialize_once(argv: list[str], home: Path) -> float:
    """Seconds from spawn to the server's answer to `initialize`."""
    env = {**os.environ, "TRAJECTORY_MINER_PYTHON": sys.executable, "TRAJECTORY_MINER_HOME": str(home)}
    started = time.perf_counter()
    server = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(json.dumps(HELLO) + "\n")
    server.stdin.flush()
    server.stdout.readline()
    took = time.perf_counter() - started
    server.communicate(timeout=60)
    return took


def summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:<34} p50 {statistics.median(ordered):6.3f} s  p95 {p95:6.3f} s  mean {statistics.mean(ordered):6.3f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("claude") is None:
        print("claude is not on the PATH", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        root = Path(scratch)
        (root / "work").mkdir()
        timings: dict[str, list[float]] = {"without": [], "with": []}
        for run in range(args.runs):
            for label in ("without", "with"):
                home = root / f"home-{label}-{run}"
                home.mkdir()
                timings[label].append(claude_once(home, root / "work", label == "with", args.runs - run))
        launcher = [shutil.which("python3") or "python3", "-S", str(REPO / "hooks" / "launch_server.py")]
        direct = [sys.executable, "-I", "-m", "mcp_server"]
        served: dict[str, list[float]] = {"launcher": [], "direct": []}
        for _ in range(args.runs):
            served["launcher"].append(initialize_once(launcher, root / "miner-home"))
            served["direct"].append(initialize_once(direct, root / "miner-home"))
    print(f"claude -p, {args.runs} interleaved runs each")
    print(summary("  without the plugin", timings["without"]))
    print(summary("  with the plugin", timings["with"]))
    difference = statistics.mean(timings["with"]) - statistics.mean(timings["without"])
    print(f"  with minus without (means): {difference:+.3f} s")
    print("miner server, spawn to the answer to initialize")
    print(summary("  through hooks/launch_server.py", served["launcher"]))
    print(summary("  python -m mcp_server directly", served["direct"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
