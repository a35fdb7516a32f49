"""Seconds and peak memory to mine generated sessions (target: 10,000 in under 30 s, under 1 GB).

For each size, generates (or reuses) a corpus with `corpus_gen.py`, ingests and scores it into a
store (or reuses one), then mines it three times, each in a child process so its peak RSS is its
own: cold (the feature cache emptied first), warm (every session cached), and after one new
session (the cache holds all but one). Prints wall and CPU seconds (CPU time is the fairer
figure on a busy machine), peak RSS and what was found.

Then it times the `mine` command as users run it (`python -m trajectory_miner mine`, with live
hints on, as the default configuration has them): the first run with no retrieval documents
kept and no index saved, which keeps those of every session and saves the index, and a run
after one new session (one session's stamp moved on and its cached features dropped, as an
ingest of new lines does). Target:
under 2 s at 10,000. On a large store the command loads the saved index for the hint table in a
second process while it mines (`trajectory_miner.hint_child`): its CPU figure counts both
processes, and its wall time needs a second free core to show the gain.

    python bench/mine.py [--sizes 1000 10000] [--seed 1] [--work DIR] [--command-only [RUNS]]

`--work DIR` keeps corpora and stores in `DIR/n<size>/` for the next run; without it they live
in a temporary folder. `--command-only` times only the command after one new session, RUNS
times (3 by default), over the store as it is, and prints the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus_gen  # noqa: E402

from trajectory_miner.capture.ingest import ingest_paths  # noqa: E402
from trajectory_miner.config import Config  # noqa: E402
from trajectory_miner.retrieval.saved import saved_path  # noqa: E402
from trajectory_miner.store import open_store  # noqa: E402

TARGET_SECONDS = 30.0
TARGET_RSS_MB = 1024
TARGET_COMMAND_SECONDS = 2.0


def prepare(root: Path, sessions: int, seed: int) -> Path:
    """A store holding the corpus, ingested and scored; built when it is not there yet."""
    store_path = root / "miner.duckdb"
    if not (root / corpus_gen.MANIFEST).exists():
        started = time.perf_counter()
        stats = corpus_gen.generate(root, sessions, seed)
        took = time.perf_counter() - started
        print(f"  generated {stats.sessions} sessions, {stats.bytes / 1e6:.0f} MB in {took:.0f} s")
    with open_store(store_path) as store:
        if not store.scalar("SELECT count(*) FROM sessions"):
            started = time.perf_counter()
            report = ingest_paths(store, [root / "projects"], Config())
            print(f"  ingested {report.sessions} sessions in {time.perf_counter() - started:.0f} s")
        try:
            from trajectory_miner.scoring import rescore_sessions, stale_session_ids
        except ImportError:
            print("  no scorer installed: mining without score cards")
        else:
            stale = stale_session_ids(store)
            if stale:
                started = time.perf_counter()
                rescore_sessions(store, stale)
                print(f"  scored {len(stale)} sessions in {time.perf_counter() - started:.0f} s")
    return store_path


def _peak_rss_bytes(resource: Any) -> int:
    """This process's peak RSS since it started this program.

    Linux keeps `ru_maxrss` across exec, so a child forked from a parent that had just ingested
    a large corpus would report the parent's size; VmHWM belongs to the new address space.
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
    except OSError:
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024))
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def child(store_path: Path, mode: str) -> None:
    """Mine once in this process and print the figures as JSON (run as a child)."""
    import resource

    from trajectory_miner.mining import mine

    with open_store(store_path) as store:
        if mode == "cold":
            store.execute("DELETE FROM miner_features")
        elif mode == "one-new":
            store.execute(
                "DELETE FROM miner_features WHERE session_id = "
                "(SELECT max(session_id) FROM sessions WHERE NOT is_sidechain)"
            )
        started, cpu_started = time.perf_counter(), time.process_time()
        report = mine(store)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_bytes = _peak_rss_bytes(resource)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_mb": peak_bytes / 2**20,
                "sessions": report.sessions,
                "processed": report.sessions_processed,
                "patterns": len(report.patterns),
                "incidents": len(report.incidents),
                "skills": len(report.skills),
                "replays": len(report.replays),
            }
        )
    )


def measure(store_path: Path, mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(store_path), mode],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    data: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def touch_one(store_path: Path) -> None:
    """Make the newest main session look freshly ingested to every cache."""
    with open_store(store_path) as store:
        sid = store.scalar("SELECT max(session_id) FROM sessions WHERE NOT is_sidechain")
        store.execute("UPDATE sessions SET updated_at = now()::TIMESTAMP WHERE session_id = ?", [sid])
        store.execute("DELETE FROM miner_features WHERE session_id = ?", [sid])


def command(store_path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `trajectory-miner mine --json` over the store's folder."""
    home = store_path.parent
    (home / "config.toml").write_text("live_hints = true\n", encoding="utf-8")
    env = {**os.environ, "TRAJECTORY_MINER_HOME": str(home), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    before = os.times()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trajectory_miner", "mine", "--json", "--out", str(home / "reports" / "bench.json")],
        capture_output=True,
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],  # `-m` reads the folder it runs in first: the code beside this file
    )
    after = os.times()
    return time.perf_counter() - started, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def report_commands(store_path: Path, runs: int) -> None:
    """The median wall and CPU seconds of the command after one new session, over `runs` runs."""
    # Installed code has its bytecode written; an environment that never writes it
    # (PYTHONDONTWRITEBYTECODE) would otherwise compile every module on every run.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parents[1] / "trajectory_miner")],
        check=True,
    )
    timings: list[tuple[float, float]] = []
    for _ in range(runs):
        touch_one(store_path)
        timings.append(command(store_path))
    wall = statistics.median(t[0] for t in timings)
    cpu = statistics.median(t[1] for t in timings)
    print(f"  `trajectory-miner mine`, hints on, one new session, median of {runs}: {wall:.2f} s wall, {cpu:.2f} s CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="folder to keep corpora and stores in")
    parser.add_argument("--command-only", type=int, nargs="?", const=3, metavar="RUNS", help="time the command only")
    parser.add_argument("--child", nargs=2, metavar=("STORE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return 0
    with tempfile.TemporaryDirectory(prefix="mine-bench-") as scratch:
        work = args.work or Path(scratch)
        print(f"{'sessions':>9} {'run':>8} {'seconds':>8} {'CPU s':>7} {'peak RSS MB':>12} {'read':>6}  found")
        for size in args.sizes:
            print(f"n = {size}:")
            store_path = prepare(work / f"n{size}", size, args.seed)
            if args.command_only:
                report_commands(store_path, args.command_only)
                continue
            for mode in ("cold", "warm", "one-new"):
                r = measure(store_path, mode)
                found = ", ".join(f"{int(r[k])} {k}" for k in ("patterns", "incidents", "skills", "replays"))
                print(
                    f"{int(r['sessions']):>9} {mode:>8} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
                    f"{r['peak_rss_mb']:>12.0f} {int(r['processed']):>6}  {found}"
                )
            with open_store(store_path) as store:  # as after an upgrade: no session's documents kept yet
                store.execute("DELETE FROM retrieval_docs")
            saved_path(store_path).unlink(missing_ok=True)
            first = command(store_path)
            touch_one(store_path)
            again = command(store_path)
            for label, (wall, cpu) in (("command, first run", first), ("command, one new session", again)):
                print(f"  `trajectory-miner mine`, hints on, {label}: {wall:.2f} s wall, {cpu:.2f} s CPU")
        print(f"target: {TARGET_SECONDS:.0f} s and {TARGET_RSS_MB} MB for 10,000 sessions (cold run, two cores)")
        print(f"target: the `mine` command after one new session under {TARGET_COMMAND_SECONDS:.0f} s at 10,000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
