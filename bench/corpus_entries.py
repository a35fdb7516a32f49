"""Transcript entries shaped as Claude Code records them, and the files they are written to.

`Res` is a tool call with the content and `toolUseResult` Claude Code records for it (`bash`,
`read`, `edit`, `write`, tool errors, and one occurrence of an error family). `Session` holds a
session's constants, clock and id source; `Chain` writes one thread of entries linked by
`parentUuid`, splitting each API response into one entry per content block; `JsonlFile` counts
what went into each file for the manifest. Ids, times and versions all come from the session's
random stream, so the same seed gives the same bytes.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpus_text import CODE_POOL, FAMILIES, MODULES, TOOLS, WORDS, Stack, fill, prose

Entry = dict[str, Any]

# --- Tool calls ------------------------------------------------------------------------------------


@dataclass
class Res:
    """A tool call and the result Claude Code recorded for it."""

    name: str
    input: dict[str, Any]
    content: Any
    tur: Any
    is_error: bool = False
    tool_id: str | None = None


def bash(cmd: str, out: str, code: int = 0, desc: str = "Run the tests") -> Res:
    args = {"command": cmd, "description": desc}
    if code:
        text = f"Exit code {code}\n{out}"
        return Res("Bash", args, text, "Error: " + text, True)
    tur = {"stdout": out, "stderr": "", "interrupted": False, "isImage": False, "noOutputExpected": not out}
    return Res("Bash", args, out or "(Bash completed with no output)", tur)


def read(path: str, text: str) -> Res:
    lines = text.split("\n")
    numbered = "\n".join(f"{i}\t{line}" for i, line in enumerate(lines, 1))
    n = len(lines)
    file = {"filePath": path, "content": text, "numLines": n, "startLine": 1, "totalLines": n}
    return Res("Read", {"file_path": path}, numbered, {"type": "text", "file": file})


def edit(path: str, old: str, new: str, original: str) -> Res:
    args: Entry = {"replace_all": False, "file_path": path, "old_string": old, "new_string": new}
    patch = {"oldStart": 1, "oldLines": 1, "newStart": 1, "newLines": 1, "lines": ["-" + old, "+" + new]}
    tur: Entry = {"filePath": path, "oldString": old, "newString": new, "originalFile": original}
    tur |= {"structuredPatch": [patch], "userModified": False, "replaceAll": False}
    return Res("Edit", args, f"The file {path} has been updated successfully.", tur)


def write(path: str, text: str) -> Res:
    tur: Entry = {"type": "create", "filePath": path, "content": text, "structuredPatch": []}
    tur["originalFile"] = None
    return Res("Write", {"file_path": path, "content": text}, f"File created successfully at: {path}", tur)


def tool_error(name: str, args: dict[str, Any], message: str) -> Res:
    return Res(name, args, f"<tool_use_error>{message}</tool_use_error>", "Error: " + message, True)


def family_call(rng: random.Random, family: str, stack: Stack, cwd: str) -> Res:
    """One occurrence of an error family, as the failing tool call it comes from."""
    if family == "edit-string-not-found":
        old = rng.choice(CODE_POOL[stack.lang]) or "pass"
        args = {"file_path": f"{cwd}/{rng.choice(stack.files)}", "old_string": old, "new_string": old + " "}
        return tool_error("Edit", args, f"String to replace not found in file.\nString: {old}")
    if family == "read-missing-file":
        args = {"file_path": f"{cwd}/src/{rng.choice(WORDS)}.{stack.ext}"}
        return tool_error("Read", args, f"File does not exist. Note: your current working directory is {cwd}.")
    command, code, text = FAMILIES[family]
    tool = rng.choice(TOOLS)
    out = fill(rng, text, cwd=cwd, mod=rng.choice(MODULES), tool=tool)
    return bash(command.format(tool=tool), out, code)


# --- Writing ---------------------------------------------------------------------------------------

_B62 = string.ascii_letters + string.digits
_BASE_MS = 1_774_000_000_000  # March 2026, inside ccusage's price table
# (version, key tying an API response's entries together, subagent lines kept in the main file?)
_VERSIONS = (
    ("2.0.69", "requestId", True),
    ("2.1.77", "requestId", False),
    ("2.1.112", "requestId", False),
    ("2.1.126", "requestId", False),
    ("2.1.178", "requestId", False),
    ("2.1.330", "requestRef", False),
)
_MODELS = ("claude-opus-4-7", "claude-sonnet-4-6", "claude-opus-4-6", "claude-sonnet-4-5")
_ENTRYPOINTS = ("cli", "cli", "cli", "claude-vscode", "claude-desktop", "sdk-cli")


class JsonlFile:
    """One JSONL file being written, with counts of what went into it."""

    def __init__(self, path: Path, root: Path, kind: str, session_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self._fh = path, path.open("w", encoding="utf-8", newline="\n")
        self.rec: dict[str, Any] = {"path": path.relative_to(root).as_posix(), "kind": kind}
        self.rec |= {"session_id": session_id}
        self.rec |= dict.fromkeys(("lines", "bytes", "tool_calls", "error_results", "malformed_lines"), 0)

    def write(self, entry: Entry) -> None:
        self.raw(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))

    def raw(self, line: str) -> None:
        self._fh.write(line + "\n")
        self.rec["lines"] += 1

    def close(self) -> dict[str, Any]:
        self._fh.close()
        self.rec["bytes"] = self.path.stat().st_size
        return self.rec


@dataclass
class Session:
    """A session's constants, clock and id source, shared by its main chain and its subagents."""

    rng: random.Random
    root: Path
    cwd: str
    stack: Stack
    branch: str
    force: str | None
    records: list[dict[str, Any]] = field(default_factory=list)
    features: set[str] = field(default_factory=set)
    subagent_runs: int = 0

    def __post_init__(self) -> None:
        rng = self.rng
        self.id = self.uuid()
        self.version, self.req_key, self.inline_sidechains = rng.choice(_VERSIONS)
        if self.force in ("inline_sidechain", "subagent"):
            pick = _VERSIONS[0] if self.force == "inline_sidechain" else _VERSIONS[-1]
            self.version, self.req_key, self.inline_sidechains = pick
        self.model, self.entrypoint = rng.choice(_MODELS), rng.choice(_ENTRYPOINTS)
        self.clock = _BASE_MS + rng.randrange(0, 60 * 86_400_000)
        self.dir = self.root / "projects" / re.sub(r"[^a-zA-Z0-9]", "-", self.cwd)
        self.files = [f"{self.cwd}/{p}" for p in self.stack.files]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def token(self, prefix: str, n: int) -> str:
        return prefix + "".join(self.rng.choices(_B62, k=n))

    def stamp(self) -> str:
        self.clock += self.rng.randint(20, 4000)
        moment = datetime.fromtimestamp(self.clock // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{moment}.{self.clock % 1000:03d}Z"

    def wants(self, feature: str, chance: float) -> bool:
        """Whether this session shows `feature` here: forced on its showcase session, else by chance."""
        # A showcase session shows its own shape only, so each shape can be checked on its own.
        hit = self.force == feature if self.force else self.rng.random() < chance
        if hit:
            self.features.add(feature)
        return hit


class Chain:
    """One thread of entries (the main conversation or a subagent's), linked by parentUuid."""

    def __init__(self, s: Session, out: JsonlFile, agent_id: str | None = None) -> None:
        self.s, self.out, self.agent_id = s, out, agent_id
        self.parent: str | None = None
        self.prompt_id = s.uuid()
        self.context = s.rng.randint(8_000, 30_000)

    def base(self, kind: str, **extra: Any) -> Entry:
        s = self.s
        entry: Entry = {"parentUuid": self.parent, "isSidechain": self.agent_id is not None}
        if self.agent_id:
            entry["agentId"] = self.agent_id
        entry |= {"type": kind, **extra, "uuid": s.uuid(), "timestamp": s.stamp(), "userType": "external"}
        entry |= {"entrypoint": s.entrypoint, "cwd": s.cwd, "sessionId": s.id, "version": s.version}
        entry["gitBranch"] = s.branch
        return entry

    def emit(self, kind: str, **extra: Any) -> str:
        entry = self.base(kind, **extra)
        self.out.write(entry)
        self.parent = entry["uuid"]
        return self.parent

    def meta(self, kind: str, **fields: Any) -> None:
        """A metadata entry: no uuid, not part of the parentUuid chain."""
        self.out.write({"type": kind, **fields, "sessionId": self.s.id})

    def user(self, content: Any, **flags: Any) -> str:
        msg = {"role": "user", "content": content}
        return self.emit("user", promptId=self.prompt_id, message=msg, **flags)

    def assistant(self, blocks: list[Entry], stop: str = "tool_use") -> list[str]:
        """One API response, written as Claude Code does: one entry per content block."""
        s, rng = self.s, self.s.rng
        msg_id, req = s.token("msg_01", 22), s.token("req_011C", 20)
        self.context += rng.randint(200, 6000)
        usage = {
            "input_tokens": rng.randint(1, 9),
            "cache_creation_input_tokens": rng.randint(0, 8000),
            "cache_read_input_tokens": self.context,
            "output_tokens": rng.randint(20, 3000),
            "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
            "service_tier": "standard",
        }
        uuids = []
        for block in blocks:
            msg: Entry = {"model": s.model, "id": msg_id, "type": "message", "role": "assistant"}
            msg["content"] = [block]
            msg |= {"stop_reason": stop, "stop_sequence": None, "usage": usage}
            uuids.append(self.emit("assistant", message=msg, **{s.req_key: req}))
            self.out.rec["tool_calls"] += block["type"] == "tool_use"
        return uuids

    def call(self, *results: Res, say: str | None = None, think: bool = False) -> None:
        """An assistant response making tool calls (in parallel if several), then their results."""
        rng, blocks = self.s.rng, list[Entry]()
        if think:
            sig = base64.b64encode(rng.randbytes(rng.randint(200, 1400))).decode("ascii")
            thought = prose(rng, rng.randint(1, 6)) if rng.random() < 0.4 else ""
            blocks.append({"type": "thinking", "thinking": thought, "signature": sig})
        if say:
            blocks.append({"type": "text", "text": say})
        ids = [r.tool_id or self.s.token("toolu_01", 22) for r in results]
        blocks += [
            {"type": "tool_use", "id": i, "name": r.name, "input": r.input} for i, r in zip(ids, results, strict=True)
        ]
        sources = self.assistant(blocks)[-len(results) :]
        for tool_id, source, res in zip(ids, sources, results, strict=True):
            block = {
                "tool_use_id": tool_id,
                "type": "tool_result",
                "content": res.content,
                "is_error": res.is_error,
            }
            self.user([block], toolUseResult=res.tur, sourceToolAssistantUUID=source)
            self.out.rec["error_results"] += res.is_error

    def say(self, text: str) -> None:
        self.assistant([{"type": "text", "text": text}], stop="end_turn")
