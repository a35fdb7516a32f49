"""A small corpus for the report tests: four sessions whose every figure is known.

Sessions are written as Claude Code 2.1.330 writes transcripts and then ingested; score cards,
patterns, skills and skill uses are stored as given, so each figure of the report follows
from the lists below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.mining.items import Pattern, Skill
from trajectory_miner.model import Outcome
from trajectory_miner.scoring.card import DimensionScore, Scorecard, save_scorecards
from trajectory_miner.store import Store, open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCENARIOS = FIXTURES / "scenarios"
USAGE = {"input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 50}
HOSTILE_PROMPT = '<script>alert("prompt")</script> fix the parser & "quote"'
HOSTILE_PROJECT = "/work/<img src=x onerror=alert(1)>"


@dataclass
class Spec:
    """One scripted session: where, when, what was asked, and its tool calls (name, failed)."""

    session_id: str
    cwd: str
    start: datetime
    prompt: str
    calls: list[tuple[str, bool]] = field(default_factory=list)


SMALL: list[Spec] = [
    Spec(
        "aaaaaaaa-0000-4000-8000-000000000001",
        "/work/alpha",
        datetime(2026, 10, 5, 9, tzinfo=UTC),
        HOSTILE_PROMPT,
        [("Bash", False), ("Bash", True), ("Read", False)],
    ),
    Spec(
        "aaaaaaaa-0000-4000-8000-000000000002",
        "/work/alpha",
        datetime(2026, 10, 7, 9, tzinfo=UTC),
        "second",
        [("Bash", True), ("Edit", False)],
    ),
    Spec(
        "bbbbbbbb-0000-4000-8000-000000000003",
        HOSTILE_PROJECT,
        datetime(2026, 10, 14, 9, tzinfo=UTC),
        "third",
        [("Read", False)],
    ),
    Spec("bbbbbbbb-0000-4000-8000-000000000004", HOSTILE_PROJECT, datetime(2026, 10, 15, 9, tzinfo=UTC), "fourth"),
]
A, B, C, D = (s.session_id for s in SMALL)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _assistant(spec: Spec, n: int, when: datetime, content: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    return {
        "type": "assistant",
        "uuid": f"{spec.session_id}-a{n}",
        "timestamp": _stamp(when),
        "requestId": f"req-{spec.session_id}-{n}",
        "message": {
            "model": "claude-opus-4-5",
            "id": f"msg-{spec.session_id}-{n}",
            "type": "message",
            "role": "assistant",
            "content": content,
            "stop_reason": stop,
            "usage": USAGE,
        },
    }


def transcript(spec: Spec) -> list[dict[str, Any]]:
    """The entries Claude Code writes for a one-prompt session of these calls."""
    clock = iter(spec.start + timedelta(seconds=i) for i in range(1000))
    base = {"isSidechain": False, "userType": "external", "cwd": spec.cwd, "sessionId": spec.session_id}
    base |= {"version": "2.1.330", "gitBranch": "main"}
    entries: list[dict[str, Any]] = [
        {
            "type": "user",
            "uuid": f"{spec.session_id}-p",
            "timestamp": _stamp(next(clock)),
            "message": {"role": "user", "content": spec.prompt},
        }
    ]
    for n, (tool, failed) in enumerate(spec.calls):
        tool_id = f"toolu_{n:02d}_{spec.session_id[-4:]}"
        tool_input = {"command": "make test"} if tool == "Bash" else {"file_path": "/work/x.py"}
        use = {"type": "tool_use", "id": tool_id, "name": tool, "input": tool_input}
        entries.append(_assistant(spec, n, next(clock), [use], "tool_use"))
        text = "Exit code 1\nboom" if failed else "ok"
        result = {"type": "tool_result", "tool_use_id": tool_id, "content": text, "is_error": failed}
        entries.append(
            {
                "type": "user",
                "uuid": f"{spec.session_id}-r{n}",
                "timestamp": _stamp(next(clock)),
                "message": {"role": "user", "content": [result]},
            }
        )
    entries.append(_assistant(spec, len(spec.calls), next(clock), [{"type": "text", "text": "Done."}], "end_turn"))
    return [base | e for e in entries]


def write_transcripts(projects: Path, specs: list[Spec]) -> list[Path]:
    written = []
    for spec in specs:
        folder = projects / "".join(c if c.isalnum() else "-" for c in spec.cwd)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{spec.session_id}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in transcript(spec)), encoding="utf-8")
        written.append(path)
    return written


def card(session_id: str, outcome: Outcome, overall: float, task: float) -> Scorecard:
    """A card with a known task score; skill adherence scored 0 but not applicable."""
    dimensions = {
        "task_completion": DimensionScore(name="task_completion", score=task),
        "skill_adherence": DimensionScore(name="skill_adherence", score=0.0, applicable=False),
    }
    return Scorecard(
        session_id=session_id, scorer_version="test", overall=overall, outcome=outcome, dimensions=dimensions
    )


def pattern(pid: str, frequency: int, lift: float | None, sessions: list[str]) -> Pattern:
    return Pattern(
        id=pid,
        cluster_key=f"sig:{pid}",
        frequency=frequency,
        lift=lift,
        sessions=sessions,
        example_sessions=sessions[:3],
        root_cause_cluster=f"cause of {pid} <b>bold</b>",
        signature=f"Bash|exit1|{pid}",
        severity="high",
    )


def store_items(store: Store, table: str, items: list[BaseModel]) -> None:
    """Mined items stored as the miner stores them: one row per item, keyed by id and cluster key."""
    for item in items:
        store.execute(
            f"INSERT INTO {table} VALUES (?, ?, ?, now())",
            [getattr(item, "id"), getattr(item, "cluster_key"), item.model_dump_json()],  # noqa: B009
        )


def build_small_store(database: Path, projects: Path) -> Path:
    """Four sessions over two weeks and two projects, three scored, two patterns, one used skill."""
    paths = write_transcripts(projects, SMALL)
    with open_store(database) as store:
        ingest_paths(store, paths, Config(), redact=lambda text: text)
        save_scorecards(
            store,
            [card(A, "success", 0.9, 1.0), card(B, "failure", 0.3, 0.2), card(C, "partial", 0.6, 0.5)],
        )
        store_items(store, "patterns", [pattern("P-001", 2, 3.5, [A, B]), pattern("P-002", 5, None, [C, "gone"])])
        skill = Skill(id="S-001", cluster_key="fix:x", name="run-tests", description="d", trigger="t")
        skill.source_sessions, skill.support, skill.success_rate = [A], 1, 1.0
        store_items(store, "skills", [skill])
        store.execute(
            "INSERT INTO skill_uses VALUES ('S-001', ?, 'loaded', true, now()), ('S-001', ?, 'loaded', false, now())",
            [C, D],
        )
    return database
