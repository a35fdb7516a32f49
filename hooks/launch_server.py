"""The `miner` MCP server as Claude Code starts it: answers at once, serves from the environment.

`.mcp.json` runs this file with whatever `python3` is on the PATH. The real server
(`<python> -I -m mcp_server`, the environment found as the hooks find it; see `_hookio`)
takes about half a second to import its libraries and load its index, and a plugin installed from a marketplace has
no environment at all until the background setup has made one. So this process stands in
front of it, standard library only:

- `initialize`, `ping`, `tools/list` and the other lists a client asks for right after
  (prompts, resources: empty) are answered at once from `mcp_server/handshake.json`,
  the real server's own answers recorded beside its code (`python -m mcp_server.handshake`
  writes it; a test keeps it equal to the live answers). A session never waits for the
  imports, and a server that is still being set up never fails its start, which Claude Code
  would remember for a quarter of an hour.
- Every other message goes to the real server; its lines come back as they are. It is
  started at the first such message, or `WARM_AFTER_S` seconds after `initialize` so that
  its index is warm by the first question, and not before: a short `claude -p` run never
  pays for its imports, nor waits for it to end. Without an environment (the setup has not
  finished) a tool call is answered with a tool error that says the setup is under way and
  about how long it has left; the first call after the setup has finished is served.
- A real server that exits is started again at the next call; the calls it left unanswered
  get an error that says so.
"""

import os
import subprocess
import sys
import threading

import _hookio

HANDSHAKE = os.path.join(_hookio.plugin_root(), "mcp_server", "handshake.json")
INIT_ID = "trajectory-miner-launcher-initialize"
MAX_STARTS = 3
WARM_AFTER_S = 3.0
STOP_WAIT_S = 1.0
MINIMAL_INIT = {"capabilities": {"tools": {"listChanged": False}}, "serverInfo": {"name": "miner", "version": "0"}}


def load_handshake(path: str = HANDSHAKE) -> "dict[str, object]":
    """The recorded answers, or an empty dict when the file is missing or unreadable."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def recorded(handshake: "dict[str, object]", params: object) -> "dict[str, object]":
    """The real server's answers (`initialize`, `tools`) for the protocol version the client asks.

    An unknown version gets the answers for the version the real server would offer instead.
    """
    asked = params.get("protocolVersion") if isinstance(params, dict) else None
    versions = handshake.get("versions")
    if not isinstance(versions, dict) or not versions:
        init = dict(MINIMAL_INIT, protocolVersion=asked if isinstance(asked, str) else "2025-06-18")
        return {"initialize": init}
    chosen = versions.get(asked) if isinstance(asked, str) else None
    if not isinstance(chosen, dict):
        chosen = versions.get(str(handshake.get("fallback")))
    if not isinstance(chosen, dict):
        chosen = next(iter(versions.values()))
    return chosen if isinstance(chosen, dict) else {}


class Launcher:
    """The stand-in: reads the client's lines, answers or forwards them."""

    def __init__(self, out: "object", handshake: "dict[str, object]") -> None:
        self.out = out
        self.handshake = handshake
        self.home = _hookio.data_home()
        self.write_lock = threading.Lock()
        self.child_lock = threading.Lock()
        self.start_lock = threading.Lock()
        self.closed = False
        self.state = threading.Lock()
        self.child: subprocess.Popen[bytes] | None = None
        self.child_ready = False
        self.waiting: list[bytes] = []
        self.pending: set[object] = set()
        self.init_params: object = None
        self.answers: dict[str, object] = recorded(handshake, None)
        self.client_initialized = False
        self.starts = 0

    def send(self, message: "dict[str, object]") -> None:
        import json

        self.write_raw((json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8"))

    def write_raw(self, line: bytes) -> None:
        with self.write_lock:
            self.out.write(line)  # type: ignore[attr-defined]
            self.out.flush()  # type: ignore[attr-defined]

    def reply(self, ident: object, result: object) -> None:
        self.send({"jsonrpc": "2.0", "id": ident, "result": result})

    def fail(self, ident: object, code: int, message: str) -> None:
        self.send({"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": message}})

    def start_child(self) -> bool:
        """Start the real server when an environment exists; True when one runs."""
        with self.start_lock:
            return self._start_child()

    def warm(self) -> None:
        """Start the real server a little after the handshake, unless the client left already."""
        if not self.closed:
            try:
                self.start_child()
            except Exception as exc:  # a warm-up that fails leaves the first call to try again
                _hookio.log_error(self.home, "launch_server", exc)

    def _start_child(self) -> bool:
        if self.closed:
            return False
        if self.child is not None:
            return True
        if self.starts >= MAX_STARTS:
            return False
        python = _hookio.find_python(self.home)
        if python is None:
            return False
        self.starts += 1
        self.child = subprocess.Popen(
            [python, "-I", "-m", "mcp_server", *sys.argv[1:]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self.child_ready = False
        threading.Thread(target=self.pump, args=(self.child,), daemon=True).start()
        if self.init_params is not None:
            self.to_child_now({"jsonrpc": "2.0", "id": INIT_ID, "method": "initialize", "params": self.init_params})
        return True

    def to_child_now(self, message: "dict[str, object]") -> None:
        import json

        self.to_child_raw((json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8"))

    def to_child_raw(self, line: bytes) -> None:
        child = self.child
        if child is None or child.stdin is None:
            return
        with self.child_lock:
            try:
                child.stdin.write(line)
                child.stdin.flush()
            except OSError:
                pass  # the pump notices the exit and answers what is pending

    def forward(self, line: bytes, ident: object = None) -> None:
        """Send a client line to the real server, once it has answered its initialize."""
        with self.state:
            # A server that ended between its start and now: the pump has answered for the rest.
            gone = self.child is None
            if ident is not None and not gone:
                self.pending.add(ident)
            ready = self.child_ready
            if not ready and not gone:
                self.waiting.append(line)
        if gone:
            if ident is not None:
                self.fail(ident, -32603, "the miner server stopped as it started; call again to restart it")
            return
        # Written outside the state lock: the pump needs it to pass answers on meanwhile,
        # and a server busy writing a long answer may not read a long request until then.
        if ready:
            self.to_child_raw(line)

    def pump(self, child: "subprocess.Popen[bytes]") -> None:
        """Copy the real server's lines to the client until it exits."""
        import json

        assert child.stdout is not None
        for line in child.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict) and "method" not in message:
                if message.get("id") == INIT_ID:
                    self.child_initialized()
                    continue
                with self.state:
                    self.pending.discard(message.get("id"))
            self.write_raw(line if line.endswith(b"\n") else line + b"\n")
        code = child.wait()
        with self.state:
            if self.child is child:
                self.child = None
                self.child_ready = False
            lost, self.pending = self.pending, set()
            self.waiting.clear()
        for ident in lost:
            self.fail(ident, -32603, f"the miner server stopped (exit status {code}); call again to restart it")

    def child_initialized(self) -> None:
        with self.state:
            if self.client_initialized:
                self.to_child_now({"jsonrpc": "2.0", "method": "notifications/initialized"})
            for line in self.waiting:
                self.to_child_raw(line)
            self.waiting.clear()
            self.child_ready = True

    def handle(self, line: bytes) -> None:
        """One line from the client."""
        import json

        try:
            message = json.loads(line)
        except ValueError:
            self.fail(None, -32700, "the line is not JSON")
            return
        if not isinstance(message, dict):
            self.fail(None, -32600, "a message must be a JSON object")
            return
        method = message.get("method")
        ident = message.get("id")
        if not isinstance(method, str):
            self.forward(line)  # the client's answer to a request of the real server
        elif "id" not in message:
            self.notification(method, line)
        else:
            self.request(method, ident, message.get("params"), line)

    def notification(self, method: str, line: bytes) -> None:
        if method == "notifications/initialized":
            with self.state:
                self.client_initialized = True
                if self.child is not None and self.child_ready:
                    self.to_child_raw(line)
            return
        if self.child is not None:
            self.forward(line)

    def request(self, method: str, ident: object, params: object, line: bytes) -> None:
        if method == "initialize":
            self.init_params = params
            self.answers = recorded(self.handshake, params)
            self.reply(ident, self.answers.get("initialize") or dict(MINIMAL_INIT))
            if self.child is not None:
                self.to_child_now({"jsonrpc": "2.0", "id": INIT_ID, "method": "initialize", "params": params})
            else:
                timer = threading.Timer(WARM_AFTER_S, self.warm)
                timer.daemon = True
                timer.start()
            return
        if method == "ping":
            self.reply(ident, {})
            return
        if method == "server/discover":
            # The stateless protocol's probe: declined, so the client says hello with `initialize`,
            # which is answered from the record; the probe would otherwise wait for the real server.
            self.fail(ident, -32601, "server/discover is not offered here: use initialize")
            return
        tools = self.answers.get("tools")
        if method == "tools/list" and isinstance(tools, list):
            self.reply(ident, {"tools": tools})
            return
        lists = self.answers.get("lists")
        if isinstance(lists, dict) and isinstance(lists.get(method), dict):
            self.reply(ident, lists[method])
            return
        if self.start_child():
            self.forward(line, ident)
        elif method == "tools/call":
            text = self.not_ready()
            self.reply(ident, {"content": [{"type": "text", "text": text}], "isError": True})
        elif method == "tools/list":
            self.reply(ident, {"tools": []})
        else:
            self.fail(ident, -32601, f"{method} is not available until the miner's environment is set up")

    def not_ready(self) -> str:
        """Why no call can be served yet; starts the setup when nothing else has."""
        import setup_env

        if self.starts >= MAX_STARTS:
            return "the miner server failed to start several times; run `trajectory-miner doctor` to see why"
        started = False
        try:
            started = setup_env.start_if_needed(self.home, None, "launch_server")
        except Exception as exc:  # the answer must still go out
            _hookio.log_error(self.home, "launch_server", exc)
        return setup_env.setup_state(_hookio.plugin_data(), just_started=started)

    def close(self) -> None:
        """The client went away: ask the real server to end, and end without waiting long for it."""
        with self.start_lock:
            self.closed = True
            child = self.child
        if child is None or child.stdin is None:
            return
        try:
            child.stdin.close()
            child.wait(timeout=STOP_WAIT_S)
        except (OSError, subprocess.TimeoutExpired):
            child.terminate()


def main() -> int:
    """Serve the client on stdin and stdout until it goes away."""
    launcher = Launcher(sys.stdout.buffer, load_handshake())
    for line in sys.stdin.buffer:
        if line.strip():
            try:
                launcher.handle(line)
            except Exception as exc:  # one bad message must not end the server
                _hookio.log_error(launcher.home, "launch_server", exc)
    launcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
