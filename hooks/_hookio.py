"""What every trajectory-miner hook does: note the event in the spool and hand over.

A hook reads Claude Code's JSON payload from stdin, appends one JSON line to
`<home>/spool/events.jsonl` (a single O_APPEND write, so concurrent hooks never interleave),
starts the ingester in the background when none runs, and exits 0 whatever happens. Its own
errors go to the size-capped `<home>/hook-errors.log`; it never writes to stdout, which
Claude Code would read as context or a decision.

Data home: `$TRAJECTORY_MINER_HOME`, else `$CLAUDE_CONFIG_DIR/trajectory-miner`, else
`~/.claude/trajectory-miner` (the same rule as `trajectory_miner.paths`).

The ingester's interpreter is the first of:
  1. `$TRAJECTORY_MINER_PYTHON`, when it names an executable;
  2. `<plugin data>/venv/bin/python`, once the background setup finished there (it leaves
     `<plugin data>/env.marker`). The plugin data folder is `$CLAUDE_PLUGIN_DATA`; where
     Claude Code does not set it (the Bash tool running the plugin's `bin/trajectory-miner`),
     it is found from where the plugin is installed, by Claude Code's own naming rule;
  3. `<home>/venv/bin/python`, the environment `install.sh` makes.
With none of them the hook only spools; the lines wait for the first ingester that runs.
The ingester is `<python> -I -m trajectory_miner ingest --from-spool --quiet`, started in a
new session with every standard stream on /dev/null, so Claude Code never waits for it, and
only when `claim_ingest` finds none running or starting.

Standard library only, and only modules that load in a few milliseconds: the scripts run as
`python3 -S`, and the payload is parsed with the C scanner behind `json` because importing
`json` itself pulls in `re` and `enum`, which would double the hook's start-up time. That
scanner is private to CPython: whenever it is missing, fails or answers with anything but an
object, the public `json` module reads the payload instead, so a change of interpreter
costs speed, never the event.
"""

import os
import sys
import time

SPOOL_VERSION = 1
ERROR_LOG_CAP = 256 * 1024
STARTING_S = 20.0
SPOOL_FIELDS = ("session_id", "transcript_path", "agent_transcript_path", "cwd")


def data_home() -> str:
    """The data home directory, chosen exactly as `trajectory_miner.paths.resolve` does."""
    configured = os.environ.get("TRAJECTORY_MINER_HOME")
    if configured:
        return os.path.expanduser(configured)
    config_dir = os.environ.get("CLAUDE_CONFIG_DIR")
    base = os.path.expanduser(config_dir) if config_dir else os.path.join(os.path.expanduser("~"), ".claude")
    return os.path.join(base, "trajectory-miner")


def plugin_root() -> str:
    """The plugin's root: the folder above this file."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fast_parse(text: str) -> object:
    """The JSON value of `text` by CPython's private C scanner; any failure raises."""
    import _json

    class _Context:
        strict = False
        object_hook = None
        object_pairs_hook = None
        parse_float = float
        parse_int = int
        parse_constant = float

    start = len(text) - len(text.lstrip())
    value, end = _json.make_scanner(_Context())(text, start)
    if text[end:].strip():
        raise ValueError("trailing data after the JSON value")
    return value


def _public_parse(text: str) -> object:
    import json

    try:
        return json.loads(text, strict=False)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def parse_payload(raw: bytes) -> "dict[str, object]":
    """The payload as a dict; raises ValueError when it is not a JSON object."""
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise ValueError("empty payload")
    try:
        value = _fast_parse(text)
    except Exception:  # a private API may fail in any way; the public module then decides
        value = None
    if not isinstance(value, dict):
        # Also what tells a bad payload from a fast path gone wrong: the public parser says why.
        value = _public_parse(text)
    if not isinstance(value, dict):
        raise ValueError(f"payload is a {type(value).__name__}, not an object")
    return value


def _fast_quote(text: str) -> str:
    import _json

    quoted = _json.encode_basestring_ascii(text)
    if not (isinstance(quoted, str) and quoted.isascii() and len(quoted) >= 2 and quoted[0] == quoted[-1] == '"'):
        raise ValueError("unexpected answer from the C encoder")
    return quoted


def _quote(value: object) -> str:
    """`value` as a JSON string in ASCII ("null" for None)."""
    if value is None:
        return "null"
    text = str(value)
    try:
        return _fast_quote(text)
    except Exception:  # as in parse_payload: the public module takes over
        import json

        return json.dumps(text)


def spool_line(event: str, payload: "dict[str, object]", error: "str | None" = None) -> bytes:
    """The one line a hook appends: version, event, the payload's locating fields, time."""
    now = time.time()
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    fields = [("v", str(SPOOL_VERSION)), ("event", _quote(event))]
    for name in SPOOL_FIELDS:
        value = payload.get(name)
        fields.append((name, _quote(value) if isinstance(value, str) and value else "null"))
    fields.append(("at", _quote(at)))
    if error is not None:
        fields.append(("error", _quote(error[:500])))
    body = ",".join(f'"{name}":{value}' for name, value in fields)
    return ("{" + body + "}\n").encode("ascii")


def append_spool(home: str, line: bytes) -> None:
    """Append the line to the spool with one write, creating the folders when needed."""
    spool_dir = os.path.join(home, "spool")
    if not os.path.isdir(spool_dir):
        os.makedirs(spool_dir, mode=0o700, exist_ok=True)
        os.chmod(home, 0o700)
    fd = os.open(os.path.join(spool_dir, "events.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"short write to the spool: {written} of {len(line)} bytes")
    finally:
        os.close(fd)


def log_error(home: str, event: str, error: "BaseException | str") -> None:
    """Note a hook error in `<home>/hook-errors.log`, keeping the file under its cap."""
    try:
        path = os.path.join(home, "hook-errors.log")
        try:
            if os.path.getsize(path) > ERROR_LOG_CAP:
                os.replace(path, path + ".1")
        except OSError:
            pass
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        line = f"{stamp} {event} pid={os.getpid()} {text}".replace("\n", " ")[:2000] + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8", errors="replace"))
        finally:
            os.close(fd)
    except Exception:  # the log is a courtesy: losing a line must not fail the hook
        pass


def interpreter_rule():
    """`trajectory_miner.interpreter`, loaded from the plugin's folder: the rule `doctor` reports."""
    root = plugin_root()
    if root not in sys.path:
        sys.path.append(root)  # appended, so nothing in the plugin's folder shadows the standard library
    from trajectory_miner import interpreter

    return interpreter


def _executable(path: str) -> bool:
    return interpreter_rule().executable(path)


PLUGIN_NAME = "trajectory-miner"


def _data_id(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "-" for c in name)


def plugin_data() -> "str | None":
    """The plugin's data folder: `$CLAUDE_PLUGIN_DATA`, else the one Claude Code gives this copy.

    A copy installed from a marketplace lives in `<config>/plugins/cache/<marketplace>/<plugin>/<version>`
    and keeps its data in `<config>/plugins/data/<plugin>-<marketplace>`; one loaded with
    `--plugin-dir` keeps it in `<config>/plugins/data/<plugin>-inline`. None when that folder
    does not exist.
    """
    explicit = os.environ.get("CLAUDE_PLUGIN_DATA")
    if explicit:
        return explicit
    config_dir = os.environ.get("CLAUDE_CONFIG_DIR")
    config = os.path.expanduser(config_dir) if config_dir else os.path.join(os.path.expanduser("~"), ".claude")
    plugins = os.path.join(config, "plugins")
    parts = os.path.relpath(os.path.realpath(plugin_root()), os.path.realpath(os.path.join(plugins, "cache")))
    names = parts.split(os.sep)
    from_marketplace = len(names) >= 2 and names[0] != os.pardir
    data_id = f"{names[1]}@{names[0]}" if from_marketplace else f"{PLUGIN_NAME}@inline"
    candidate = os.path.join(plugins, "data", _data_id(data_id))
    return candidate if os.path.isdir(candidate) else None


def find_python(home: str, log_event: "str | None" = None) -> "str | None":
    """The interpreter of the installed environment, or None (see the module docstring)."""
    explicit = os.environ.get("TRAJECTORY_MINER_PYTHON")
    python, passed = interpreter_rule().find_interpreter(home, explicit, plugin_data())
    if log_event and explicit and python != explicit:
        log_error(home, log_event, passed[0])
    return python


def claim_ingest(home: str) -> bool:
    """True when no ingester runs or is starting; the claim is then stamped in the lock file.

    A non-blocking flock on `<home>/ingest.lock` says whether an ingester runs. One that was
    just started holds no lock yet, so the hook that starts it writes the time into the lock
    file under the flock, and other hooks start none for `STARTING_S` seconds; the ingester
    clears the stamp once it holds the lock. Without this, every hook firing while an
    ingester imports its libraries would start one more.
    """
    import fcntl

    fd = os.open(os.path.join(home, "ingest.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        now = time.time()
        try:
            age = now - float(os.read(fd, 64).decode("ascii"))
        except ValueError:
            age = -1.0
        if 0 <= age < STARTING_S:
            return False
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, f"{now:.3f}".encode("ascii"))
        return True
    finally:
        os.close(fd)  # closing releases the flock


def _withdraw_claim(home: str) -> None:
    import fcntl

    fd = os.open(os.path.join(home, "ingest.lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def spawn_detached(argv: "list[str]") -> None:
    """Start argv in its own session with /dev/null as stdin, stdout and stderr."""
    _close_inherited_fds()
    devnull = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
    ]
    try:
        os.posix_spawn(argv[0], argv, os.environ, file_actions=actions, setsid=True)
    except (AttributeError, NotImplementedError, TypeError):
        import subprocess

        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )


def _close_inherited_fds() -> None:
    # A pipe of Claude Code's leaking into the background process would make it wait for us.
    folder = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    try:
        fds = [int(name) for name in os.listdir(folder)]
    except OSError:
        return
    for fd in fds:
        if fd > 2:
            try:
                if os.get_inheritable(fd):
                    os.set_inheritable(fd, False)
            except OSError:
                pass


def start_ingester(home: str, event: str) -> bool:
    """Start the background ingester unless one runs or starts, or no environment exists."""
    python = find_python(home, log_event=event)
    if python is None or not claim_ingest(home):
        return False
    try:
        spawn_detached([python, "-I", "-m", "trajectory_miner", "ingest", "--from-spool", "--quiet"])
    except BaseException:
        _withdraw_claim(home)
        raise
    return True


def read_stdin() -> bytes:
    """Everything on stdin; nothing when stdin is a terminal or closed."""
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        return b""
    return stdin.buffer.read()


def run(event: str, extra: object = None) -> None:
    """The whole life of a hook process; always ends with exit status 0.

    `extra`, when given, is called as `extra(home, payload)` after the spool line is written.
    """
    home = data_home()
    try:
        payload: dict[str, object] = {}
        error: str | None = None
        try:
            payload = parse_payload(read_stdin())
        except (ValueError, OSError) as exc:
            error = f"unreadable payload: {exc}"
        append_spool(home, spool_line(event, payload, error))
        if error is not None:
            log_error(home, event, error)
        if callable(extra):
            try:
                extra(home, payload)
            except Exception as exc:  # the ingester still deserves its chance
                log_error(home, event, exc)
        start_ingester(home, event)
    except BaseException as exc:  # a hook that fails must still let the session go on
        log_error(home, event, exc)
    finally:
        os._exit(0)
