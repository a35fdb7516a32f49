"""The `miner` tools over stdio without the MCP SDK, so that a session's first answer does not wait for it.

Importing the SDK takes most of a second, longer than loading the saved index and answering.
This front speaks the part of the protocol a client uses with this server, one JSON-RPC
message per line: `initialize`, `ping` and the lists are answered from `handshake.json`,
which holds the SDK front's own answers (`mcp_server.server`; a test keeps the file equal to
them); `tools/call` validates the arguments against the tool's signature as the SDK does
(JSON text given for a list is read as JSON) and answers as the SDK does, structured content
and text, or a tool error that says what was wrong. A test holds both fronts to the same
answers, line for line. Calls run in worker threads (anyio, as the SDK runs them), so a slow
one does not hold up a ping; the index is built, saved and written to in the front's task group
(`mcp_server.tasks`). At the end of input, calls under way are answered and queued writes get
one last try before the process exits.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO, Any, get_type_hints

import anyio
import anyio.abc
import anyio.to_thread
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from mcp_server.tasks import serving
from mcp_server.tools import TOOL_NAMES, ToolFailure, Tools, invalid_arguments, live_tools, run_tool

HANDSHAKE_FILE = Path(__file__).with_name("handshake.json")
WORKERS = 4
INVALID_PARAMS = {"code": -32602, "message": "Invalid request parameters", "data": ""}


class _Arguments(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)


def arguments_model(name: str, fn: Callable[..., Any]) -> type[BaseModel]:
    """A model of `fn`'s parameters (types, constraints, defaults), as the SDK builds for a tool."""
    hints = get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(fn).parameters.values():
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (hints[parameter.name], default)
    return create_model(f"{name}Arguments", __base__=_Arguments, **fields)


def read_json_text(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments with JSON text read as JSON where the field does not take a string.

    Clients send a list or an object as its JSON text now and then; the SDK reads it, and so
    does this front. Text that reads as a plain string or number is left as it was.
    """
    read = dict(arguments)
    for key, value in arguments.items():
        field = model.model_fields.get(key)
        if field is None or not isinstance(value, str) or field.annotation is str:
            continue
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            continue
        if not isinstance(parsed, str | int | float):
            read[key] = parsed
    return read


def load_handshake(path: Path = HANDSHAKE_FILE) -> dict[str, Any]:
    """The recorded answers, or an empty dict when the file is missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def recorded(handshake: dict[str, Any], params: object) -> dict[str, Any]:
    """The answers for the protocol version the client asks, else for the one the server offers."""
    versions = handshake.get("versions") or {}
    asked = params.get("protocolVersion") if isinstance(params, dict) else None
    chosen = versions.get(asked) if isinstance(asked, str) else None
    if not isinstance(chosen, dict):
        chosen = versions.get(str(handshake.get("fallback")))
    return chosen if isinstance(chosen, dict) else {}


class Wire:
    """One client's session: reads its lines, answers each on `out`."""

    def __init__(self, tools: Tools, handshake: dict[str, Any], out: IO[bytes]) -> None:
        self.tools = tools
        self.handshake = handshake
        self.answers = recorded(handshake, None)
        self.out = out
        self.models: dict[str, type[BaseModel]] = {}
        self.workers = anyio.CapacityLimiter(WORKERS)

    def send(self, message: dict[str, Any]) -> None:
        """Write one message (from the event loop only, so lines never interleave)."""
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        self.out.write(line.encode("utf-8"))
        self.out.flush()

    def reply(self, ident: object, result: dict[str, Any]) -> None:
        self.send({"jsonrpc": "2.0", "id": ident, "result": result})

    def fail(self, ident: object, error: dict[str, Any]) -> None:
        self.send({"jsonrpc": "2.0", "id": ident, "error": error})

    def handle(self, line: bytes, calls: anyio.abc.TaskGroup) -> None:
        """One line from the client. Lines that are not requests or notifications are let go, as the SDK does."""
        try:
            message = json.loads(line)
        except ValueError:
            return
        if not isinstance(message, dict) or not isinstance(message.get("method"), str) or "id" not in message:
            return  # a notification (initialized, cancelled) or an answer: nothing to say back
        if message["method"] == "tools/call":
            calls.start_soon(self.call, message["id"], message.get("params"))
        else:
            self.request(message["method"], message["id"], message.get("params"))

    def request(self, method: str, ident: object, params: object) -> None:
        if method == "initialize":
            self.answers = recorded(self.handshake, params)
            self.reply(ident, self.answers.get("initialize", {}))
        elif method == "ping":
            self.reply(ident, {})
        elif method == "tools/list":
            self.reply(ident, {"tools": self.answers.get("tools", [])})
        elif method in self.answers.get("lists", {}):
            self.reply(ident, self.answers["lists"][method])
        else:
            self.fail(ident, {"code": -32601, "message": "Method not found", "data": method})

    async def call(self, ident: object, params: object) -> None:
        """Answer one `tools/call` from a worker thread; whatever happens, the client gets an answer."""
        if not isinstance(params, dict) or not isinstance(params.get("name"), str):
            self.fail(ident, INVALID_PARAMS)
            return
        arguments = params.get("arguments")
        if not isinstance(arguments, dict | None):
            self.fail(ident, INVALID_PARAMS)
            return
        try:
            result = await anyio.to_thread.run_sync(self.result, params["name"], arguments or {}, limiter=self.workers)
        except Exception as exc:  # the server must answer the next call whatever this one hit
            result = tool_error(f"internal error ({type(exc).__name__}): {exc}")
        self.reply(ident, result)

    def result(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The `tools/call` result for one tool and its arguments."""
        if name not in TOOL_NAMES:
            return tool_error(f"Unknown tool: {name}")
        fn = getattr(self.tools, name)
        model = self.models.get(name) or self.models.setdefault(name, arguments_model(name, fn))
        try:
            checked = model.model_validate(read_json_text(model, arguments))
        except ValidationError as exc:
            return tool_error(invalid_arguments(name, exc))
        try:
            answer = run_tool(fn, {field: getattr(checked, field) for field in type(checked).model_fields})
        except ToolFailure as exc:
            return tool_error(f"Error executing tool {name}: {exc}")
        return {
            "content": [{"type": "text", "text": answer.model_dump_json()}],
            "isError": False,
            "structuredContent": answer.model_dump(mode="json"),
        }

    async def serve(self, lines: IO[bytes], *, warm: bool = False) -> None:
        """Answer every line until the input ends, then the calls still under way.

        `warm` builds the index at once, so that the first question is answered from memory.
        """
        async with serving(self.tools.live, warm=warm), anyio.create_task_group() as calls:
            async for line in anyio.wrap_file(lines):
                if line.strip():
                    self.handle(line, calls)


def tool_error(text: str) -> dict[str, Any]:
    """A tool call's failure as the client reads it: one line of text that says what was wrong."""
    return {"content": [{"type": "text", "text": text}], "isError": True}


def main() -> None:
    """Serve over stdio until the client goes away."""
    serve(live_tools(), warm=True)


def serve(tools: Tools, handshake_file: Path = HANDSHAKE_FILE, *, warm: bool = False) -> None:
    """Serve `tools` over this process's stdin and stdout until the input ends."""
    wire = Wire(tools, load_handshake(handshake_file), sys.stdout.buffer)
    anyio.run(partial(wire.serve, sys.stdin.buffer, warm=warm))
