"""The MCP server under a realistic, bounded load on loopback: failed calls and p95 beside idle.

Builds a throwaway data home over a generated corpus (ingested and mined once), starts one
long-lived MCP client over stdio, and measures its calls first alone (idle), then for
`--seconds` while:

- two sessions append a turn and fire the real Stop hook every 0.15 s each (as `hooks.json`
  runs it; the hooks start the background ingester as in a session);
- `trajectory-miner mine`, `report` and `ingest` run in loops.

Prints, for idle and for load: calls, failed calls, p50/p95/max in ms and the share over 1 s;
the ratio of the p95s; the first failures; and how often each loop ran and failed. Targets:
0 failed MCP calls, load p95 within 3× idle p95. Figures only, no verdict.

    python bench/load.py [--seconds 60] [--idle-seconds 15] [--sessions 150] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from corpus_gen import generate  # noqa: E402
from hooks.simulate import append_turn, payload  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

HOOK_PERIOD_S = 0.15
_AGE = re.compile(r"index read (\d+) s ago")
LOOPED = (("mine", ["mine", "--json"]), ("report", ["report"]), ("ingest", ["ingest", "--quiet"]))
LIVE_SESSIONS = ("10ad0000-aaaa-4bbb-8ccc-000000000001", "10ad0000-aaaa-4bbb-8ccc-000000000002")


@dataclass
class Calls:
    """The MCP calls of one phase."""

    millis: list[float] = field(default_factory=list)
    by_tool: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    stale: int = 0
    oldest_index_s: int = 0
    queued: int = 0
    drain_seconds: float = 0.0
    written: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        if not self.millis:
            return f"{name}: no calls"
        ordered = sorted(self.millis)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        slow = sum(m > 1000 for m in ordered) / len(ordered)
        return (
            f"{name}: {len(ordered)} calls, {len(self.failures)} failed, p50 {statistics.median(ordered):.0f} ms, "
            f"p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms, {slow:.1%} over 1 s, "
            f"{self.stale} answered from a busy store's index (oldest read {self.oldest_index_s} s before), "
            f"{self.queued} of {len(self.written)} writes queued"
        )

    def tools(self) -> str:
        """The slowest call of each tool, in ms."""
        return ", ".join(f"{name} {max(values):.0f}" for name, values in sorted(self.by_tool.items()))

    @property
    def p95(self) -> float:
        ordered = sorted(self.millis)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0


@dataclass
class Loop:
    """One command run over and over while the load lasts."""

    runs: int = 0
    failed: int = 0
    last_error: str = ""


def _env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TRAJECTORY_MINER_HOME": str(root / "home"),
        "CLAUDE_CONFIG_DIR": str(root / "claude"),
        "TRAJECTORY_MINER_PYTHON": sys.executable,
    }


def _cli(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajectory_miner", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def prepare(root: Path, sessions: int, seed: int) -> dict[str, str]:
    """A data home over a generated corpus, ingested and mined once."""
    env = _env(root)
    generate(root / "claude", sessions, seed)
    for argv in (["ingest", "--quiet"], ["mine", "--json"]):
        done = _cli(argv, env)
        if done.returncode:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return env


def _calls(session: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "find_replay_for_stuck_step",
            {
                "stuck_description": "the tests fail again",
                "error_text": "ModuleNotFoundError: No module named 'helpers'",
            },
        ),
        ("search_sessions", {"query": "tests fail"}),
        ("list_skills", {}),
        ("list_patterns", {}),
        ("get_session", {"session_id": session}),
        ("record_feedback", {"target_id": session, "verdict": "helpful"}),
    ]


def _first_session(env: dict[str, str]) -> str:
    done = _cli(["sessions", "--json", "--limit", "1"], env)
    rows = json.loads(done.stdout or "[]")
    return str(rows[0]["session_id"]) if rows else LIVE_SESSIONS[0]


async def measure(client: Client, calls: list[tuple[str, dict[str, Any]]], until: float, into: Calls) -> None:
    """Cycle through the calls until the deadline, one at a time, as a session would."""
    n = 0
    while time.monotonic() < until:
        name, arguments = calls[n % len(calls)]
        n += 1
        if name == "record_feedback":
            arguments = {**arguments, "note": f"load {len(into.millis)}-{time.monotonic_ns()}"}
        started = time.perf_counter()
        try:
            result: Any = await client.call_tool(name, arguments)
        except Exception as exc:  # a broken transport counts as a failed call
            into.failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        into.millis.append((time.perf_counter() - started) * 1000)
        into.by_tool.setdefault(name, []).append(into.millis[-1])
        if result.is_error:
            into.failures.append(f"{name}: {result.content[0].text if result.content else '?'}")
            continue
        note = str((result.structured_content or {}).get("note", ""))
        into.stale += "answered from the index" in note
        age = _AGE.search(note)
        into.oldest_index_s = max(into.oldest_index_s, int(age.group(1)) if age else 0)
        if name == "record_feedback":
            into.written.append(arguments["note"])
            into.queued += "is queued" in note


async def _until_applied(client: Client, limit: float = 120.0) -> float:
    """Seconds until the server says no write is queued any more (or `limit`)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        result: Any = await client.call_tool("list_skills", {})
        if "queued until" not in str((result.structured_content or {}).get("note", "")):
            break
        await anyio.sleep(0.25)
    return time.monotonic() - started


def stored_notes(env: dict[str, str]) -> set[str]:
    """The feedback notes in the store once everything stopped."""
    from trajectory_miner.store import open_store

    database = Path(env["TRAJECTORY_MINER_HOME"]) / "miner.duckdb"
    with open_store(database, read_only=True, wait_seconds=60.0) as store:
        return {r[0] for r in store.query("SELECT note FROM feedback")}


def hooks_loop(root: Path, env: dict[str, str], stop: threading.Event, counter: Loop) -> None:
    """Two sessions, each appending a turn and firing the Stop hook every `HOOK_PERIOD_S`."""
    projects = root / "claude" / "projects" / "-work-load"
    turns = dict.fromkeys(LIVE_SESSIONS, 0)
    hook = [sys.executable, "-S", str(REPO / "hooks" / "stop.py")]
    while not stop.is_set():
        started = time.monotonic()
        for sid in LIVE_SESSIONS:
            transcript = projects / f"{sid}.jsonl"
            append_turn(transcript, sid, "/work/load", turns[sid], fail=turns[sid] % 4 == 0)
            turns[sid] += 1
            body = json.dumps(payload("Stop", sid, transcript, "/work/load")).encode()
            done = subprocess.run(hook, input=body, env=env, capture_output=True, timeout=30, check=False)
            counter.runs += 1
            if done.returncode:
                counter.failed += 1
                counter.last_error = done.stderr.decode(errors="replace").strip()[-200:]
        stop.wait(max(0.0, HOOK_PERIOD_S - (time.monotonic() - started)))


def command_loop(argv: list[str], env: dict[str, str], stop: threading.Event, counter: Loop) -> None:
    while not stop.is_set():
        done = _cli(argv, env)
        counter.runs += 1
        if done.returncode:
            counter.failed += 1
            counter.last_error = (done.stderr.strip().splitlines() or ["?"])[-1][:200]


def run(root: Path, env: dict[str, str], seconds: float, idle_seconds: float) -> tuple[Calls, Calls, dict[str, Loop]]:
    idle, loaded = Calls(), Calls()
    loops = {"hooks": Loop(), **{name: Loop() for name, _ in LOOPED}}
    stop = threading.Event()
    calls = _calls(_first_session(env))

    async def main() -> None:
        parameters = StdioServerParameters(command=sys.executable, args=["-m", "mcp_server"], env=env)
        async with Client(parameters) as client:
            await client.call_tool("list_skills", {})  # the index is built before anything is timed
            await measure(client, calls, time.monotonic() + idle_seconds, idle)
            threads = [threading.Thread(target=hooks_loop, args=(root, env, stop, loops["hooks"]), daemon=True)]
            threads += [
                threading.Thread(target=command_loop, args=(argv, env, stop, loops[name]), daemon=True)
                for name, argv in LOOPED
            ]
            for thread in threads:
                thread.start()
            try:
                await measure(client, calls, time.monotonic() + seconds, loaded)
            finally:
                stop.set()
                for thread in threads:
                    await anyio.to_thread.run_sync(thread.join)
            loaded.drain_seconds = await _until_applied(client)

    anyio.run(main)
    return idle, loaded, loops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load lasts")
    parser.add_argument("--idle-seconds", type=float, default=15.0, help="how long the idle calls last")
    parser.add_argument("--sessions", type=int, default=150, help="sessions in the generated corpus")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="miner-load-") as scratch:
        root = Path(scratch)
        started = time.monotonic()
        env = prepare(root, args.sessions, args.seed)
        print(f"prepared {args.sessions} sessions in {time.monotonic() - started:.1f} s")
        idle, loaded, loops = run(root, env, args.seconds, args.idle_seconds)
        stored = stored_notes(env)
    print(idle.line("idle"))
    print(f"  slowest per tool (ms): {idle.tools()}")
    print(loaded.line(f"load ({args.seconds:.0f} s)"))
    print(f"  slowest per tool (ms): {loaded.tools()}")
    ratio = loaded.p95 / idle.p95 if idle.p95 else float("nan")
    print(f"p95 under load / p95 idle: {ratio:.2f} (target ≤ 3); failed MCP calls under load: {len(loaded.failures)}")
    written = idle.written + loaded.written
    lost = [note for note in written if note not in stored]
    print(
        f"verdicts: {len(written)} reported stored or queued, {len(lost)} missing from the store at the end; "
        f"the queue emptied {loaded.drain_seconds:.1f} s after the load stopped"
    )
    for failure in (idle.failures + loaded.failures)[:5]:
        print(f"  failed: {failure[:200]}")
    for name, loop in loops.items():
        tail = f" (last: {loop.last_error})" if loop.failed else ""
        print(f"loop {name}: {loop.runs} runs, {loop.failed} failed{tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
