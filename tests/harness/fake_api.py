"""A loopback stand-in for the Anthropic Messages API that streams scripted replies.

The real `claude` CLI is pointed at it with `ANTHROPIC_BASE_URL`. Requests that belong
to the main conversation (they carry the coding tools) get the scripted replies; side
calls such as title generation or token counting get a short harmless answer, so a
script only has to describe what the model says in the session itself.

The reply for a main-conversation request is chosen by the number of assistant turns
already in its history, not by arrival order, so a retried request gets the same answer
and a resumed session picks up where the script left off.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_LIFETIME_S = 600.0
_SIDE_REPLY = "OK"
_EXHAUSTED_REPLY = "Done."


@dataclass(frozen=True)
class Text:
    """A text block the scripted model says."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A tool call the scripted model makes; any tool name is accepted."""

    name: str
    input: dict[str, Any]


Block = Text | ToolCall


@dataclass(frozen=True)
class Reply:
    """One scripted model response: its blocks, streamed in order."""

    blocks: tuple[Block, ...]

    @property
    def stop_reason(self) -> str:
        return "tool_use" if any(isinstance(b, ToolCall) for b in self.blocks) else "end_turn"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake API received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    kind: str  # "main", "side", "count_tokens" or "other"
    reply_index: int | None = None

    def tool_results(self) -> list[dict[str, Any]]:
        """The tool_result blocks in the last user message of a Messages request."""
        messages = (self.body or {}).get("messages") or []
        if not messages or messages[-1].get("role") != "user":
            return []
        content = messages[-1].get("content")
        if not isinstance(content, list):
            return []
        return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


@dataclass
class _State:
    replies: Sequence[Reply]
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=itertools.count)


def is_main_conversation(body: dict[str, Any]) -> bool:
    """Whether a Messages request is the session's own turn rather than a side call.

    Side calls (titles, summaries, classifiers) are sent without the coding tools.
    """
    tools = body.get("tools") or []
    return any(isinstance(t, dict) and t.get("name") == "Bash" for t in tools)


def assistant_turns(body: dict[str, Any]) -> int:
    """How many assistant messages the request's history already holds."""
    return sum(1 for m in body.get("messages") or [] if m.get("role") == "assistant")


def _approx_tokens(value: Any) -> int:
    return max(1, len(json.dumps(value)) // 4)


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _message_id(state: _State) -> str:
    return f"msg_fake{next(state.ids):04d}{secrets.token_hex(8)}"


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }


def stream_events(reply: Reply, *, model: str, message_id: str, input_tokens: int) -> Iterator[bytes]:
    """The SSE byte chunks of one streamed Messages response."""
    message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(input_tokens, 1),
    }
    yield _sse("message_start", {"type": "message_start", "message": message})
    output_tokens = 0
    for index, block in enumerate(reply.blocks):
        if isinstance(block, Text):
            start: dict[str, Any] = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block.text}
            output_tokens += _approx_tokens(block.text)
        else:
            start = {
                "type": "tool_use",
                "id": f"toolu_{secrets.token_hex(12)}",
                "name": block.name,
                "input": {},
            }
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block.input)}
            output_tokens += _approx_tokens(block.input)
        yield _sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
        yield _sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
    )
    yield _sse("message_stop", {"type": "message_stop"})


def whole_message(reply: Reply, *, model: str, message_id: str, input_tokens: int) -> dict[str, Any]:
    """The non-streamed form of a reply, for requests that ask for no stream."""
    content: list[dict[str, Any]] = []
    for block in reply.blocks:
        if isinstance(block, Text):
            content.append({"type": "text", "text": block.text})
        else:
            content.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{secrets.token_hex(12)}",
                    "name": block.name,
                    "input": block.input,
                }
            )
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": _usage(input_tokens, sum(_approx_tokens(c) for c in content)),
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # The CLI's own output is what a test inspects; per-request lines would bury it.
        pass

    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: dict[str, Any] | None, kind: str, reply_index: int | None = None) -> None:
        state = self.server.state
        request = RecordedRequest(self.command, self.path, dict(self.headers), body, kind, reply_index)
        with state.lock:
            state.requests.append(request)

    def do_GET(self) -> None:
        self._record(None, "other")
        self._send_json(200, {"data": [], "has_more": False})

    def do_HEAD(self) -> None:
        self._record(None, "other")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self._read_body()
        path = self.path.split("?", 1)[0]
        if body is None or not path.endswith("/messages") and not path.endswith("/count_tokens"):
            self._record(body, "other")
            self._send_json(200, {})
            return
        if path.endswith("/count_tokens"):
            self._record(body, "count_tokens")
            self._send_json(200, {"input_tokens": _approx_tokens(body.get("messages"))})
            return
        self._answer_messages(body)

    def _answer_messages(self, body: dict[str, Any]) -> None:
        state = self.server.state
        if is_main_conversation(body):
            index = assistant_turns(body)
            scripted = index < len(state.replies)
            reply = state.replies[index] if scripted else Reply((Text(_EXHAUSTED_REPLY),))
            self._record(body, "main", index if scripted else None)
        else:
            reply = Reply((Text(_SIDE_REPLY),))
            self._record(body, "side")
        model = str(body.get("model") or "claude-fake")
        input_tokens = _approx_tokens(body.get("messages"))
        with state.lock:
            message_id = _message_id(state)
        if not body.get("stream"):
            self._send_json(200, whole_message(reply, model=model, message_id=message_id, input_tokens=input_tokens))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in stream_events(reply, model=model, message_id=message_id, input_tokens=input_tokens):
            self.wfile.write(chunk)
            self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class FakeMessagesAPI:
    """A scripted Messages API on 127.0.0.1 for the length of a `with` block.

    The server shuts itself down after `lifetime_s` even if the block never exits, so a
    stuck test cannot leave it listening.
    """

    def __init__(self, replies: Sequence[Reply], *, lifetime_s: float = DEFAULT_LIFETIME_S) -> None:
        self._state = _State(replies=list(replies))
        self._server = _Server(self._state)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._timer = threading.Timer(lifetime_s, self.close)
        self._timer.daemon = True
        self._close_lock = threading.Lock()
        self._running = False

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def main_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.kind == "main"]

    def start(self) -> FakeMessagesAPI:
        with self._close_lock:
            self._running = True
            self._thread.start()
            self._timer.start()
        return self

    def close(self) -> None:
        with self._close_lock:
            if not self._running:
                return
            self._running = False
            self._timer.cancel()
            # shutdown() waits for serve_forever, so it is only called while that loop runs.
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeMessagesAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
