"""A planted-secrets corpus: Claude Code transcripts in the real JSONL shape with known secrets.

`write_corpus(directory)` writes one session per secret kind and location (the prompt, a tool
input, a tool output, the content of a file read with Read, an error message) and returns the
planted secrets. Tests of ingest, mining, export and reports run the product over the corpus
and then scan every file it produced with `scan_files` or `leaks_in`: no planted value may
survive. The values are generated from a seed, so the same seed writes the same bytes, and no
realistic-looking key is written into the repository.

`python tests/secrets_corpus.py OUT_DIR` writes the corpus for manual trials.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

LOCATIONS = ("prompt", "tool_input", "tool_output", "file_content", "error_message")
PROJECT_CWD = "/tmp/planted-secrets"
# Claude Code keeps a project's sessions in a folder named after the cwd with / and . as -.
PROJECT_FOLDER = PROJECT_CWD.replace("/", "-").replace(".", "-")
DEFAULT_SEED = 20260121

_ALNUM = string.ascii_letters + string.digits
_B64 = _ALNUM + "+/"
_URLSAFE = _ALNUM + "-_"
_UPPER_DIGITS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Secret:
    """A generated secret: the value that must disappear and a line of text that carries it."""

    kind: str
    value: str
    snippet: str


@dataclass(frozen=True)
class PlantedSecret:
    """A secret written into one transcript of the corpus."""

    kind: str
    location: str
    value: str
    session_id: str
    path: Path


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, alphabet: str, n: int) -> str:
    """Random text that holds an upper-case letter, a lower-case letter and a digit."""
    body = _rand(rng, alphabet, n - 3)
    return rng.choice(string.ascii_uppercase) + body + rng.choice(string.digits) + rng.choice(string.ascii_lowercase)


def _pem(rng: random.Random) -> Secret:
    lines = [_rand(rng, _B64, 64) for _ in range(6)] + [_rand(rng, _B64, 20) + "=="]
    block = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *lines, "-----END RSA PRIVATE KEY-----"])
    return Secret("private_key", lines[0], block)


def _jwt(rng: random.Random) -> Secret:
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    claims = json.dumps({"sub": _rand(rng, string.digits, 10), "name": "Dev User", "iat": 1768972778})
    payload = base64.urlsafe_b64encode(claims.encode("utf-8")).decode("ascii").rstrip("=")
    value = f"{header}.{payload}.{_mixed(rng, _URLSAFE, 43)}"
    return Secret("jwt", value, f"session restored with {value}")


def _password(rng: random.Random) -> str:
    return _rand(rng, string.ascii_letters, 6) + _rand(rng, string.digits, 3) + rng.choice("!%*.+-") + "Qx"


_MAKERS: dict[str, Callable[[random.Random], Secret]] = {
    "anthropic_key": lambda r: _plain("anthropic_key", "sk-ant-api03-" + _mixed(r, _URLSAFE, 93) + "AA"),
    "openai_key": lambda r: _plain("openai_key", "sk-proj-" + _mixed(r, _URLSAFE, 64)),
    "aws_access_key_id": lambda r: _plain("aws_access_key_id", "AKIA" + _rand(r, _UPPER_DIGITS, 16)),
    "aws_secret_key": lambda r: _keyed("aws_secret_key", "aws_secret_access_key = ", _mixed(r, _B64, 40)),
    "github_token": lambda r: _plain("github_token", "ghp_" + _mixed(r, _ALNUM, 36)),
    "gitlab_token": lambda r: _plain("gitlab_token", "glpat-" + _mixed(r, _URLSAFE, 20)),
    "slack_token": lambda r: _plain("slack_token", f"xoxb-{_rand(r, string.digits, 12)}-{_mixed(r, _ALNUM, 24)}"),
    "slack_webhook": lambda r: _keyed(
        "slack_webhook",
        "https://hooks.slack.com/services/",
        f"T{_rand(r, _UPPER_DIGITS, 8)}/B{_rand(r, _UPPER_DIGITS, 10)}/{_mixed(r, _ALNUM, 24)}",
    ),
    "stripe_key": lambda r: _plain("stripe_key", "sk_live_" + _mixed(r, _ALNUM, 24)),
    "google_api_key": lambda r: _plain("google_api_key", "AIza" + _mixed(r, _URLSAFE, 35)),
    "google_oauth_secret": lambda r: _plain("google_oauth_secret", "GOCSPX-" + _mixed(r, _URLSAFE, 28)),
    "npm_token": lambda r: _plain("npm_token", "npm_" + _mixed(r, _ALNUM, 36)),
    "huggingface_token": lambda r: _plain("huggingface_token", "hf_" + _mixed(r, _ALNUM, 34)),
    "private_key": _pem,
    "jwt": _jwt,
    "url_password": lambda r: _url_password(_password(r)),
    "auth_header": lambda r: _keyed("auth_header", "Authorization: Bearer ", _mixed(r, _URLSAFE, 40)),
    "env_secret": lambda r: _keyed("env_secret", "DB_PASSWORD=", _password(r)),
    "high_entropy": lambda r: _keyed("high_entropy", "session cookie ", _mixed(r, _ALNUM, 40)),
    "private": lambda r: _private("home address " + _rand(r, string.digits, 6) + " Elm Street"),
}
SECRET_KINDS = tuple(_MAKERS)


def _plain(kind: str, value: str) -> Secret:
    return Secret(kind, value, f"using {value} for the request")


def _keyed(kind: str, prefix: str, value: str) -> Secret:
    return Secret(kind, value, prefix + value)


def _url_password(password: str) -> Secret:
    return Secret("url_password", password, f"postgres://app:{password}@db.internal:5432/app")


def _private(text: str) -> Secret:
    return Secret("private", text, f"<private>{text}</private>")


def make_secret(kind: str, rng: random.Random) -> Secret:
    """A fresh secret of the kind, drawn from rng."""
    return _MAKERS[kind](rng)


class _Session:
    """Writes the entries of one session with linked uuids and rising timestamps."""

    def __init__(self, rng: random.Random, started: datetime) -> None:
        self.rng = rng
        self.session_id = self.uuid()
        self.clock = started
        self.parent: str | None = None
        self.entries: list[dict[str, object]] = []

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _entry(self, kind: str, message: dict[str, object], **extra: object) -> str:
        self.clock += timedelta(seconds=self.rng.randint(1, 9), milliseconds=self.rng.randint(0, 999))
        own = self.uuid()
        entry: dict[str, object] = {
            "parentUuid": self.parent,
            "isSidechain": False,
            "userType": "external",
            "cwd": PROJECT_CWD,
            "sessionId": self.session_id,
            "version": "2.1.14",
            "gitBranch": "main",
            "type": kind,
            "message": message,
            "uuid": own,
            "timestamp": self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            **extra,
        }
        self.entries.append(entry)
        self.parent = own
        return own

    def prompt(self, text: str) -> None:
        self._entry("user", {"role": "user", "content": text})

    def assistant(self, block: dict[str, object]) -> str:
        message: dict[str, object] = {
            "model": "claude-opus-4-5-20251101",
            "id": "msg_01" + _rand(self.rng, _ALNUM, 22),
            "type": "message",
            "role": "assistant",
            "content": [block],
            "stop_reason": "tool_use" if block["type"] == "tool_use" else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": self.rng.randint(5, 400)},
        }
        return self._entry("assistant", message, requestId="req_011C" + _rand(self.rng, _ALNUM, 20))

    def tool(self, name: str, tool_input: dict[str, object], result: str, tool_use_result: object, error: bool) -> None:
        tool_id = "toolu_01" + _rand(self.rng, _ALNUM, 22)
        source = self.assistant({"type": "tool_use", "id": tool_id, "name": name, "input": tool_input})
        block: dict[str, object] = {"tool_use_id": tool_id, "type": "tool_result", "content": result}
        if error:
            block["is_error"] = True
        self._entry(
            "user",
            {"role": "user", "content": [block]},
            toolUseResult=tool_use_result,
            sourceToolAssistantUUID=source,
        )

    def text(self, text: str) -> None:
        self.assistant({"type": "text", "text": text})


def _bash_result(stdout: str) -> dict[str, object]:
    return {"stdout": stdout, "stderr": "", "interrupted": False, "isImage": False}


def _numbered(content: str) -> str:
    lines = content.split("\n")
    return "\n".join(f"{i:>6}\u2192{line}" for i, line in enumerate(lines, start=1))


def _session_with(secret: Secret, location: str, rng: random.Random, started: datetime) -> _Session:
    session = _Session(rng, started)
    snippet = secret.snippet
    if location == "prompt":
        session.prompt(f"The deploy fails. Here is what I have:\n{snippet}\nCan you check the config?")
    else:
        session.prompt("The deploy fails, can you check the config?")
    session.text("I'll look at the configuration first.")
    if location == "tool_input":
        command = f"cat >> .env.local <<'EOF'\n{snippet}\nEOF"
        session.tool("Bash", {"command": command, "description": "Append the setting"}, "", _bash_result(""), False)
    elif location == "tool_output":
        output = f"loading settings from .env\n{snippet}\nsettings loaded"
        session.tool("Bash", {"command": "./scripts/show-config.sh"}, output, _bash_result(output), False)
    elif location == "file_content":
        path = f"{PROJECT_CWD}/config/settings.env"
        content = f"# deployment settings\nREGION=eu-west-1\n{snippet}\nDEBUG=false\n"
        shown = _numbered(content)
        file = {"filePath": path, "content": content, "numLines": content.count("\n") + 1, "startLine": 1}
        session.tool("Read", {"file_path": path}, shown, {"type": "text", "file": {**file, "totalLines": 5}}, False)
    elif location == "error_message":
        error = (
            "Exit code 1\nTraceback (most recent call last):\n"
            f'  File "{PROJECT_CWD}/deploy.py", line 12, in <module>\n    connect(settings)\n'
            f"RuntimeError: could not connect with {snippet}"
        )
        session.tool("Bash", {"command": "python deploy.py"}, error, f"Error: {error}", True)
    session.text("The settings look wrong; I have fixed the deploy script.")
    return session


def write_corpus(directory: Path, seed: int = DEFAULT_SEED) -> list[PlantedSecret]:
    """Write one transcript per secret kind and location under directory; return what was planted.

    The transcripts go to `directory / PROJECT_FOLDER / <session id>.jsonl`, the layout of
    Claude Code's projects folder.
    """
    rng = random.Random(seed)
    folder = directory / PROJECT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    started = datetime(2026, 1, 21, 6, 0, tzinfo=UTC)
    planted: list[PlantedSecret] = []
    for kind in SECRET_KINDS:
        for location in LOCATIONS:
            secret = make_secret(kind, rng)
            session = _session_with(secret, location, rng, started)
            started += timedelta(minutes=7)
            path = folder / f"{session.session_id}.jsonl"
            lines = (json.dumps(entry, ensure_ascii=False) for entry in session.entries)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            planted.append(PlantedSecret(kind, location, secret.value, session.session_id, path))
    return planted


def leaks_in(text: str, planted: Iterable[PlantedSecret]) -> list[PlantedSecret]:
    """The planted secrets whose value occurs in text."""
    return [p for p in planted if p.value in text]


def scan_files(paths: Iterable[Path], planted: Iterable[PlantedSecret]) -> dict[Path, list[PlantedSecret]]:
    """For each file that holds a planted value (as UTF-8 bytes), the secrets found in it.

    A database file may keep strings compressed; query its text columns and use `leaks_in`
    as well as scanning its bytes.
    """
    secrets = list(planted)
    found: dict[Path, list[PlantedSecret]] = {}
    for path in paths:
        data = path.read_bytes()
        hits = [p for p in secrets if p.value.encode("utf-8") in data]
        if hits:
            found[path] = hits
    return found


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "planted-secrets")
    written = write_corpus(out)
    print(f"wrote {len(written)} sessions under {out / PROJECT_FOLDER}")
