"""Seconds from a Stop hook firing until the session it names can be read from the store.

Copies a store (never writing to the one given), writes new sessions' transcripts with the
corpus generator, and for each one runs the Stop hook exactly as hooks.json runs it
(`python3 -S hooks/stop.py`, the payload on stdin). The hook spools the event and starts the
real background ingester, detached, as it does in a session. The clock runs from the hook's
start until a read-only DuckDB connection opened by this script sees the session's row; the
ingester is then left to finish (scoring included) before the next run, so runs never overlap.

The store is probed only while no process holds its writer lock, once the ingester has taken
and released it: a read-only connection opened while the ingester opens its own would make it
wait, and that wait would be counted.

With `--against REV` (a git revision, or a folder holding another version's `trajectory_miner`),
the same runs are made with that code too, on a second copy of the store, interleaved
(A, B, A, B) and with the same transcripts, so the two columns compare like with like on a
busy machine. That code must be able to open the store (know all of its migrations).
Figures only, no verdict.

    python bench/stop_queryable.py --store HOME/miner.duckdb [--runs N] [--against REV]
    python bench/stop_queryable.py --sessions 500 [--runs N]   # builds a store first
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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from corpus_gen import generate  # noqa: E402

from trajectory_miner.store.lock import held_elsewhere  # noqa: E402

NEW_SESSIONS_SEED = 190_019
"""Far from the seeds stores are built with, so every session written here is new to the store."""
PROBE_S = 0.002
FALLBACK_PROBE_S = 0.05
UNSEEN_WRITER_S = 3.0
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Arm:
    """One version of the code under test: its name, data home and interpreter wrapper."""

    name: str
    home: Path
    python: Path


@dataclass(frozen=True)
class Transcript:
    session_id: str
    path: Path
    cwd: str
    size: int


def session_visible(database: Path, session_id: str) -> bool | None:
    """Whether a read-only connection sees the session (None when the store is locked)."""
    import duckdb

    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT count(*) FROM sessions WHERE session_id = ?", [session_id]).fetchone()
        return bool(row and row[0])
    finally:
        con.close()


def wait_queryable(arm: Arm, transcript: Transcript, started: float) -> float:
    """Seconds from `started` until the session is visible to a reader."""
    database = arm.home / "miner.duckdb"
    writer = arm.home / "writer.lock"
    seen_writer = False
    while True:
        now = time.perf_counter()
        if now - started > TIMEOUT_S:
            raise TimeoutError(f"{arm.name}: session {transcript.session_id} not visible after {TIMEOUT_S:.0f} s")
        if held_elsewhere(writer):
            seen_writer = True
            time.sleep(PROBE_S)
            continue
        if not seen_writer and now - started < UNSEEN_WRITER_S:
            time.sleep(PROBE_S)
            continue
        if session_visible(database, transcript.session_id):
            return time.perf_counter() - started
        time.sleep(PROBE_S if seen_writer else FALLBACK_PROBE_S)


def wait_idle(arm: Arm) -> None:
    """Until the ingester has exited: its lock free and unclaimed, the spool taken."""
    lock = arm.home / "ingest.lock"
    live = arm.home / "spool" / "events.jsonl"
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        claimed = lock.exists() and lock.stat().st_size > 0
        pending = live.exists() and live.stat().st_size > 0
        if not (claimed or pending or held_elsewhere(lock) or held_elsewhere(arm.home / "writer.lock")):
            return
        time.sleep(0.02)
    raise TimeoutError(f"{arm.name}: the ingester did not finish")


def stop_hook(arm: Arm, transcript: Transcript) -> float:
    """Run the Stop hook as Claude Code does; returns the seconds until the session is visible."""
    payload = json.dumps(
        {
            "session_id": transcript.session_id,
            "transcript_path": str(transcript.path),
            "cwd": transcript.cwd,
            "hook_event_name": "Stop",
            "stop_hook_active": False,
            "last_assistant_message": "Done.",
        }
    ).encode("utf-8")
    env = {**os.environ, "TRAJECTORY_MINER_HOME": str(arm.home), "TRAJECTORY_MINER_PYTHON": str(arm.python)}
    env.pop("CLAUDE_PLUGIN_DATA", None)
    python3 = shutil.which("python3") or sys.executable
    started = time.perf_counter()
    subprocess.run([python3, "-S", str(REPO / "hooks" / "stop.py")], input=payload, env=env, check=True)
    seconds = wait_queryable(arm, transcript, started)
    wait_idle(arm)
    return seconds


def wrapper(path: Path, code: Path) -> Path:
    """An interpreter that imports trajectory_miner from `code`, for both arms alike.

    The hook passes -I, which would ignore PYTHONPATH: the wrapper puts -s -P in its place
    (no user site, and no current folder ahead of PYTHONPATH, which names only `code`).
    """
    path.write_text(
        f'#!/bin/sh\nif [ "$1" = "-I" ]; then shift; fi\nPYTHONPATH={code} exec {sys.executable} -s -P "$@"\n',
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


def export_revision(revision: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "trajectory_miner"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def build_store(home: Path, corpus: Path, sessions: int) -> Path:
    generate(corpus, sessions, seed=1)
    env = {**os.environ, "TRAJECTORY_MINER_HOME": str(home), "CLAUDE_CONFIG_DIR": str(corpus)}
    subprocess.run([sys.executable, "-m", "trajectory_miner", "ingest", "--quiet"], env=env, check=True)
    return home / "miner.duckdb"


def new_transcripts(root: Path, count: int) -> list[Transcript]:
    generate(root, count, seed=NEW_SESSIONS_SEED)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    sessions = {s["session_id"]: s for s in manifest["sessions"]}
    found = []
    for record in manifest["files"]:
        if record["kind"] != "main":
            continue
        sid = record["session_id"]
        path = root / record["path"]
        found.append(Transcript(sid, path, "/" + sessions[sid]["project"].strip("-"), path.stat().st_size))
    return found[:count]


def session_count(database: Path) -> int:
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM sessions WHERE NOT is_sidechain").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store to copy (e.g. a corpus-built miner.duckdb)")
    parser.add_argument("--sessions", type=int, default=500, help="without --store: build one of this many")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--against", metavar="REV", help="also run this git revision's code (or a folder's), interleaved"
    )
    parser.add_argument("--scratch", type=Path, help="work folder (default: a temporary one, removed after)")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="stop-queryable-", dir=args.scratch))
    try:
        return run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, scratch: Path) -> int:
    source = args.store or build_store(scratch / "built", scratch / "corpus", args.sessions)
    codes = {"this tree": REPO}
    if args.against and Path(args.against, "trajectory_miner").is_dir():
        codes[args.against] = Path(args.against).resolve()
    elif args.against:
        codes[args.against] = export_revision(args.against, scratch / "against")
    arms = []
    for index, (name, code) in enumerate(codes.items()):
        # Installed code has its bytecode written; an environment that never writes it
        # (PYTHONDONTWRITEBYTECODE) would otherwise compile every module on every run.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "trajectory_miner")], check=True)
        home = scratch / f"home{index}"
        home.mkdir(mode=0o700)
        shutil.copyfile(source, home / "miner.duckdb")
        arms.append(Arm(name, home, wrapper(scratch / f"python{index}", code)))
    transcripts = new_transcripts(scratch / "new", args.runs + 1)
    sessions = session_count(arms[0].home / "miner.duckdb")
    times: dict[str, list[float]] = {arm.name: [] for arm in arms}
    for arm in arms:  # warm-up: page cache, bytecode, the store's first write after the copy
        stop_hook(arm, transcripts[0])
    for run_index, transcript in enumerate(transcripts[1:]):
        order = arms if run_index % 2 == 0 else arms[::-1]
        for arm in order:
            times[arm.name].append(stop_hook(arm, transcript))

    sizes = sorted(t.size for t in transcripts[1:])
    print(f"store: {source} ({source.stat().st_size / 1e6:.0f} MB, {sessions} main sessions)")
    print(
        f"{len(sizes)} new sessions, transcripts {sizes[0] / 1e3:.0f}-{sizes[-1] / 1e3:.0f} KB "
        f"(median {statistics.median(sizes) / 1e3:.0f} KB); load average {os.getloadavg()}"
    )
    print(f"{'code':<24} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in times.items():
        print(f"{name:<24} {statistics.median(values):>9.3f} {min(values):>7.3f} {max(values):>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
