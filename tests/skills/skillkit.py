"""Skills stored as the miner leaves them, and tiny transcripts of sessions that use them."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.mining.items import Skill
from trajectory_miner.scoring.card import Scorecard, save_scorecards
from trajectory_miner.store import Store

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def put_skills(store: Store, *skills: Skill) -> None:
    """Store skills as the miner leaves them (replacing rows with the same id)."""
    for skill in skills:
        store.execute("DELETE FROM skills WHERE id = ?", [skill.id])
        store.execute(
            "INSERT INTO skills VALUES (?, ?, ?, ?)",
            [skill.id, skill.cluster_key, skill.model_dump_json(), datetime(2026, 1, 1)],
        )


def make_skill(skill_id: str = "S-001", **fields: Any) -> Skill:
    """A skill with plain defaults; fields override them."""
    base: dict[str, Any] = {
        "id": skill_id,
        "cluster_key": f"flow:{skill_id}",
        "description": "To release: update the changelog, then run the tests.",
        "trigger": "A request to release a new version",
        "steps": ["Edit `CHANGELOG.md`", "Run `python -m pytest -q`"],
        "tools_used": ["Edit", "Bash"],
        "source_sessions": ["source-session-1", "source-session-2"],
        "support": 2,
        "success_rate": 1.0,
    }
    return Skill.model_validate({**base, **fields})


def transcript_lines(
    session_id: str, prompt: str, calls: list[tuple[str, dict[str, Any], str, bool]], start: datetime = START
) -> list[str]:
    """A one-prompt session as Claude Code 2.1.330 writes it: (tool, input, output, failed) per call."""
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": "/work/shop",
        "sessionId": session_id,
        "version": "2.1.330",
        "gitBranch": "main",
    }
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    clock = (start + timedelta(seconds=i) for i in range(10_000))

    def at() -> str:
        return next(clock).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    entries: list[dict[str, Any]] = [
        {
            **base,
            "type": "user",
            "message": {"role": "user", "content": prompt},
            "uuid": f"{session_id}-p",
            "timestamp": at(),
        }
    ]
    for n, (tool, tool_input, output, failed) in enumerate(calls):
        tid = f"toolu_{session_id}_{n}"
        entries.append(
            {
                **base,
                "type": "assistant",
                "uuid": f"{session_id}-c{n}",
                "timestamp": at(),
                "message": {
                    "model": "claude-opus-4-5",
                    "id": f"msg_{session_id}_{n}",
                    "type": "message",
                    "role": "assistant",
                    "stop_reason": "tool_use",
                    "usage": usage,
                    "content": [{"type": "tool_use", "id": tid, "name": tool, "input": tool_input}],
                },
            }
        )
        entries.append(
            {
                **base,
                "type": "user",
                "uuid": f"{session_id}-r{n}",
                "timestamp": at(),
                "message": {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": tid, "content": output, "is_error": failed}],
                },
            }
        )
    entries.append(
        {
            **base,
            "type": "assistant",
            "uuid": f"{session_id}-end",
            "timestamp": at(),
            "message": {
                "model": "claude-opus-4-5",
                "id": f"msg_{session_id}_end",
                "type": "message",
                "role": "assistant",
                "stop_reason": "end_turn",
                "usage": usage,
                "content": [{"type": "text", "text": "Done."}],
            },
        }
    )
    return [json.dumps(e) for e in entries]


def ingest_session(store: Store, folder: Path, session_id: str, lines: list[str]) -> None:
    """Write a transcript under `folder` and ingest it."""
    project = folder / "-work-shop"
    project.mkdir(parents=True, exist_ok=True)
    (project / f"{session_id}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest_paths(store, [project / f"{session_id}.jsonl"], Config())


def score(store: Store, session_id: str, outcome: str) -> None:
    """Store a score card that says only the session's outcome."""
    card = Scorecard.model_validate(
        {"session_id": session_id, "scorer_version": "test", "overall": 0.5, "outcome": outcome}
    )
    save_scorecards(store, [card])


def validate_plugin(plugin: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`claude plugin validate PLUGIN --strict` with a scratch HOME, as `scripts/check` runs it."""
    env = {**os.environ, "HOME": str(home), "DISABLE_TELEMETRY": "1"}
    env.pop("CLAUDE_CONFIG_DIR", None)
    return subprocess.run(
        ["claude", "plugin", "validate", str(plugin), "--strict"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
