"""Shared pieces of the trust tests: secret-laden mining sessions, file-tree snapshots, CLI runs.

`plant_in_mining_sessions` copies the `mining_*` fixtures (whose story the miner turns into a
pattern, a skill and replays) under new session ids, with a planted secret in each prompt,
each command that fixes the failure, each tool output and each closing text: so the secrets
reach every kind of mined item and the exported SKILL.md unless redaction stops them.
`plant_every_kind` writes one session a secret kind, with a secret of that kind in the prompt,
a command, a key of a tool input, a tool output, an error, a Skill call's name and the branch.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable, Iterator
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


# --- every kind of secret in every place a transcript can carry one ------------------------------

KINDS_FOLDER = "-home-dev-work-every-kind"
_LOWER = string.ascii_lowercase
_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _pw(rng: random.Random) -> str:
    return _rand(rng, string.ascii_letters, 8) + _rand(rng, string.digits, 3) + "Qx"


def _wrapped(rng: random.Random) -> tuple[tuple[str, ...], str]:
    token = "ghp_" + _rand(rng, _ALNUM, 36)
    return (token[:20], token[20:]), f"{token[:20]}\n{token[20:]}"


def _url_with_at(rng: random.Random) -> tuple[tuple[str, ...], str]:
    before, after = _rand(rng, string.ascii_letters, 9), _rand(rng, _ALNUM, 9) + "!Qx"
    return (before, after), f"postgres://app:{before}@{after}@db.internal:5432/app"


def _encoded(rng: random.Random) -> tuple[tuple[str, ...], str]:
    value = base64.b64encode(f"db_password={_pw(rng)}\n".encode()).decode("ascii")
    return (value,), f"echo {value} | base64 -d >> .env"


def _one(snippet: Callable[[str], str], value: Callable[[random.Random], str]) -> Callable[[random.Random], Any]:
    def make(rng: random.Random) -> tuple[tuple[str, ...], str]:
        v = value(rng)
        return (v,), snippet(v)

    return make


# Each kind that redaction once let through: a maker of (values that must vanish, a text holding them).
EXTRA_KINDS: dict[str, Callable[[random.Random], tuple[tuple[str, ...], str]]] = {
    "yaml_word_password": _one(lambda v: f"password: {v}", lambda r: _rand(r, _LOWER, 22)),
    "env_word_password": _one(lambda v: f"DB_PASSWORD={v}", lambda r: _rand(r, _LOWER, 14)),
    "netrc_password": _one(lambda v: f"machine api.example.com login dev password {v}", _pw),
    "mysql_password": _one(lambda v: f"mysql -u root -p{v} app", _pw),
    "docker_login_p": _one(lambda v: f"docker login -u dev -p {v} registry.example.com", _pw),
    "docker_login_password": _one(lambda v: f"docker login --username dev --password {v} registry.example.com", _pw),
    "sshpass_password": _one(lambda v: f"sshpass -p {v} ssh dev@build.example.com", _pw),
    "base64_db_password": _encoded,
    "wrapped_token": _wrapped,
    "url_password_with_at": _url_with_at,
    "twilio_account": _one(lambda v: f"using {v} for sms", lambda r: "AC" + _rand(r, _HEX, 32)),
    "twilio_key": _one(lambda v: f"using {v} for sms", lambda r: "SK" + _rand(r, _HEX, 32)),
    "mailgun_key": _one(lambda v: f"using {v} for mail", lambda r: "key-" + _rand(r, _HEX, 32)),
    "shopify_token": _one(lambda v: f"using {v} for the shop", lambda r: "shpat_" + _rand(r, _HEX, 32)),
    "shopify_secret": _one(lambda v: f"using {v} for the shop", lambda r: "shpss_" + _rand(r, _HEX, 32)),
    "databricks_token": _one(lambda v: f"using {v} for jobs", lambda r: "dapi" + _rand(r, _HEX, 32)),
    "digitalocean_token": _one(lambda v: f"using {v} for droplets", lambda r: "dop_v1_" + _rand(r, _HEX, 64)),
    "digitalocean_oauth": _one(lambda v: f"using {v} for droplets", lambda r: "doo_v1_" + _rand(r, _HEX, 64)),
}
# Kinds whose value is a token on its own, so it can name a branch; the others need the words
# around them to be told from a word.
_BRANCHABLE = frozenset(
    "anthropic_key openai_key aws_access_key_id github_token gitlab_token slack_token stripe_key"  # noqa: SIM905
    " google_api_key google_oauth_secret npm_token huggingface_token high_entropy twilio_account twilio_key"
    " mailgun_key shopify_token shopify_secret databricks_token digitalocean_token digitalocean_oauth".split()
)
PLACES = ("prompt", "tool_input", "tool_input_key", "tool_output", "error_message", "skill_name", "branch")


def _any_kind(kind: str, rng: random.Random) -> tuple[tuple[str, ...], str]:
    if kind in EXTRA_KINDS:
        return EXTRA_KINDS[kind](rng)
    secret = make_secret(kind, rng)
    return (secret.value,), secret.snippet


def _kind_session(sid: str, branch: str, texts: dict[str, str], rng: random.Random) -> list[dict[str, Any]]:
    """One session with a secret in each place: prompt, command, input key, output, error, skill."""
    entries: list[dict[str, Any]] = []

    def add(kind: str, message: dict[str, Any], **extra: Any) -> None:
        entries.append(
            {
                "parentUuid": entries[-1]["uuid"] if entries else None,
                "isSidechain": False,
                "userType": "external",
                "cwd": "/home/dev/work/every-kind",
                "sessionId": sid,
                "version": "2.1.14",
                "gitBranch": branch,
                "type": kind,
                "message": message,
                "uuid": _session_id(rng),
                "timestamp": f"2026-01-22T08:{len(entries):02d}:00.000Z",
                **extra,
            }
        )

    def tool(name: str, tool_input: dict[str, Any], result: str, error: bool) -> None:
        tool_id = "toolu_01" + _rand(rng, _ALNUM, 22)
        use = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
        add("assistant", {"role": "assistant", "type": "message", "content": [use], "stop_reason": "tool_use"})
        block: dict[str, Any] = {"tool_use_id": tool_id, "type": "tool_result", "content": result}
        if error:
            block["is_error"] = True
        outcome: Any = f"Error: {result}" if error else {"stdout": result, "stderr": "", "interrupted": False}
        add("user", {"role": "user", "content": [block]}, toolUseResult=outcome)

    add("user", {"role": "user", "content": f"The deploy fails. I have:\n{texts['prompt']}\nCan you check?"})
    command = f"cat >> .env.local <<'EOF'\n{texts['tool_input']}\nEOF"
    tool("Bash", {"command": command, "description": "Append the setting", texts["tool_input_key"]: "1"}, "", False)
    tool("Bash", {"command": "./scripts/show-config.sh"}, f"loading settings\n{texts['tool_output']}\nloaded", False)
    error = (
        f"Exit code 1\nTraceback (most recent call last):\nRuntimeError: cannot connect with {texts['error_message']}"
    )
    tool("Bash", {"command": "python deploy.py"}, error, True)
    tool("Skill", {"skill": texts["skill_name"]}, "Launching skill", False)
    add("assistant", {"role": "assistant", "type": "message", "content": [{"type": "text", "text": "Fixed."}]})
    return entries


def plant_every_kind(projects: Path, kinds: tuple[str, ...], seed: int = 11) -> list[PlantedSecret]:
    """One session a kind, with a fresh secret of that kind in each of `PLACES` (the branch only
    for kinds that are tokens on their own); returns what was planted."""
    rng = random.Random(seed)
    folder = projects / KINDS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    planted: list[PlantedSecret] = []
    for kind in kinds:
        sid = _session_id(rng)
        path = folder / f"{sid}.jsonl"
        texts: dict[str, str] = {}
        for place in PLACES:
            values, snippet = _any_kind(kind, rng)
            if place == "branch":
                if kind not in _BRANCHABLE:
                    continue
                snippet = f"feature/{values[0]}"
            texts[place] = snippet
            planted.extend(PlantedSecret(kind, place, value, sid, path) for value in values)
        entries = _kind_session(sid, texts.get("branch", "main"), texts, rng)
        path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in entries) + "\n", encoding="utf-8")
    return planted
