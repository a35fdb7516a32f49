"""Shared pieces of the trust tests: secret-laden mining sessions, file-tree snapshots, CLI runs.

`plant_in_mining_sessions` copies the `mining_*` fixtures (whose story the miner turns into a
pattern, a skill and replays) under new session ids, with a planted secret in each prompt,
each command that fixes the failure, each tool output and each closing text: so the secrets
reach every kind of mined item and the exported SKILL.md unless redaction stops them.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from secrets_corpus import PlantedSecret, make_secret

TESTS = Path(__file__).resolve().parents[1]

MINING = sorted((TESTS / "fixtures" / "transcripts").glob("mining_*.jsonl"))
MINING_FOLDER = "-home-dev-work-planted"
_LOCATIONS = {
    "prompt": "anthropic_key",
    "command": "npm_token",
    "tool_output": "aws_secret_key",
    "final_text": "github_token",
    "description": "slack_token",
}


def _session_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _plant_entry(entry: dict[str, Any], secrets: dict[str, Any]) -> set[str]:
    """Plant secrets in one transcript entry; returns the locations used."""
    message = entry.get("message")
    if not isinstance(message, dict):
        return set()
    content = message.get("content")
    if entry.get("type") == "user" and isinstance(content, str):
        message["content"] = f"{content}\n{secrets['prompt'].snippet}"
        return {"prompt"}
    if not isinstance(content, list):
        return set()
    used: set[str] = set()
    for block in content:
        if block.get("type") == "tool_use" and isinstance(block.get("input"), dict):
            tool_input = block["input"]
            if tool_input.get("command") == "npm install":
                tool_input["command"] = f"NPM_TOKEN={secrets['command'].value} npm install"
                used.add("command")
            tool_input["description"] = f"{tool_input.get('description', '')} ({secrets['description'].snippet})"
            used.add("description")
        elif block.get("type") == "tool_result" and isinstance(block.get("content"), str):
            block["content"] = f"{secrets['tool_output'].snippet}\n{block['content']}"
            used.add("tool_output")
        elif block.get("type") == "text":
            block["text"] = f"{block['text']} {secrets['final_text'].snippet}"
            used.add("final_text")
    result = entry.get("toolUseResult")
    if isinstance(result, dict) and isinstance(result.get("stdout"), str):
        result["stdout"] = f"{secrets['tool_output'].snippet}\n{result['stdout']}"
    return used


def plant_in_mining_sessions(projects: Path, seed: int = 7) -> list[PlantedSecret]:
    """Write secret-laden copies of the mining fixtures under `projects`; return what was planted."""
    rng = random.Random(seed)
    folder = projects / MINING_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    planted: list[PlantedSecret] = []
    for fixture in MINING:
        sid = _session_id(rng)
        secrets = {location: make_secret(kind, rng) for location, kind in _LOCATIONS.items()}
        lines = []
        used: set[str] = set()
        for raw in fixture.read_text(encoding="utf-8").splitlines():
            entry = json.loads(raw)
            if "sessionId" in entry:
                entry["sessionId"] = sid
            used |= _plant_entry(entry, secrets)
            lines.append(json.dumps(entry, ensure_ascii=False))
        path = folder / f"{sid}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        planted.extend(
            PlantedSecret(secret.kind, location, secret.value, sid, path)
            for location, secret in secrets.items()
            if location in used
        )
    return planted


def files_under(root: Path, skip: tuple[str, ...] = ("venv",)) -> list[Path]:
    """Every regular file below root, folders named in `skip` left out."""
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not set(p.relative_to(root).parts) & set(skip))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Each file below root with its size and modification time (folders by presence alone)."""
    found: dict[str, tuple[int, int]] = {}
    for path in root.rglob("*"):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        found[str(path)] = (0, 0) if path.is_dir() else (info.st_size, info.st_mtime_ns)
    return found


def written_astray(before: dict[str, tuple[int, int]], root: Path, allowed: list[Path]) -> list[str]:
    """Paths below root created or changed since `before`, outside the allowed folders and files."""
    return sorted(
        path
        for path, seen in snapshot(root).items()
        if before.get(path) != seen and not any(Path(path).is_relative_to(a) for a in allowed)
    )


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command in this process; an exception escaping `main` fails the test as it should."""
    from trajectory_miner.cli import main

    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse reports bad arguments this way
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def lines_of(text: str) -> Iterator[str]:
    return (line for line in text.splitlines() if line.strip())
