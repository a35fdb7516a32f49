"""Record the server's answers to `initialize` and `tools/list`, for the launcher to give at once.

`hooks/launch_server.py` answers a client's first messages from `mcp_server/handshake.json`
while the real server imports its libraries (or while its environment is still being set
up). This module asks a fresh server, over stdio as a client would, for each protocol
version the handshake supports, and writes what it answered:
`python -m mcp_server.handshake [--check]` (`--check` exits 1 when the file differs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

HANDSHAKE_FILE = Path(__file__).with_name("handshake.json")
_CLIENT = {"name": "trajectory-miner-handshake", "version": "1"}
# What a client asks right after the handshake; the launcher answers each from the record.
LISTS = ("tools/list", "prompts/list", "resources/list", "resources/templates/list")


def _ask(version: str, home: str) -> dict[str, Any]:
    """A fresh server's answers to initialize and tools/list, for one protocol version."""
    lines = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": _CLIENT},
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        *({"jsonrpc": "2.0", "id": 2 + number, "method": method} for number, method in enumerate(LISTS)),
    ]
    env = {**os.environ, "TRAJECTORY_MINER_HOME": home}
    server = subprocess.Popen(
        [sys.executable, "-I", "-m", "mcp_server.server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert server.stdin is not None and server.stdout is not None
    answers: dict[int, Any] = {}
    try:
        server.stdin.write("".join(json.dumps(line) + "\n" for line in lines))
        server.stdin.flush()
        while len(answers) < 1 + len(LISTS):
            line = server.stdout.readline()
            if not line:
                raise RuntimeError(f"the server ended before answering (protocol {version})")
            message = json.loads(line)
            if isinstance(message.get("id"), int):
                if "error" in message:
                    raise RuntimeError(f"the server refused protocol {version}: {message['error']}")
                answers[message["id"]] = message["result"]
    finally:
        server.communicate(timeout=30)
    lists = {method: answers[2 + number] for number, method in enumerate(LISTS)}
    return {"initialize": answers[1], "tools": lists.pop("tools/list")["tools"], "lists": lists}


def record() -> dict[str, Any]:
    """The answers for every handshake protocol version, in the launcher's format."""
    with tempfile.TemporaryDirectory(prefix="miner-handshake-") as home, ThreadPoolExecutor(2) as pool:
        answers = pool.map(lambda version: _ask(version, home), HANDSHAKE_PROTOCOL_VERSIONS)
        found = dict(zip(HANDSHAKE_PROTOCOL_VERSIONS, answers, strict=True))
    return {"fallback": LATEST_HANDSHAKE_VERSION, "versions": found}


def render(recorded: dict[str, Any]) -> str:
    """The file's text: stable key order, one trailing newline."""
    return json.dumps(recorded, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write `handshake.json`, or with `--check` say whether it is current."""
    text = render(record())
    if "--check" in argv:
        current = HANDSHAKE_FILE.read_text(encoding="utf-8") if HANDSHAKE_FILE.exists() else ""
        if current != text:
            print(f"{HANDSHAKE_FILE} is out of date: run python -m mcp_server.handshake", file=sys.stderr)
            return 1
        return 0
    HANDSHAKE_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {HANDSHAKE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
