"""PostToolUseFailure hook: the second time a session hits the same error, show the known fix.

Claude Code runs it after a failed Bash call (a PostToolUse payload whose `tool_response`
reports a non-zero exit code is read the same way). It reduces the error output to its
family with `trajectory_miner.analysis.signatures` (pure `re`, imported from the plugin root),
reading the command from `tool_input` as ingest does, so the family is the one the store
keeps. A family that says no more than "it failed" is left alone. It counts the family in a
tiny per-session state file `<home>/live-hints/<session>.json`, and on the
second sighting looks the family up in `<home>/hints.json` (written by
`trajectory_miner.hints` after ingest, mining and index refreshes). A fix found is handed
to Claude as `hookSpecificOutput.additionalContext` (under 600 characters), once per family
per session. `live_hints = false` in `<home>/config.toml` turns it off.

It never spools, blocks or fails: every path ends with exit status 0, errors go to
`<home>/hook-errors.log`. Runs as `python3 -S`; see `_hookio` for the shared pieces.
"""

from __future__ import annotations

import os
import sys
import time

import _hookio

EVENT = "PostToolUseFailure"
STATE_DIR = "live-hints"
HINTS_FILE = "hints.json"
MAX_CONTEXT = 600
MAX_ERROR_TEXT = 20_000
STATE_TTL_S = 3 * 24 * 3600
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def failure(payload: dict[str, object]) -> tuple[str, str] | None:
    """The tool name and error output of a failed call, or None when the call did not fail."""
    tool = payload.get("tool_name")
    if not isinstance(tool, str) or not tool:
        return None
    error = payload.get("error")
    if isinstance(error, str) and error.strip():
        return tool, error[-MAX_ERROR_TEXT:]
    response = payload.get("tool_response")
    if not isinstance(response, dict):
        return None
    code = next((response[k] for k in ("exit_code", "exitCode", "returnCode") if k in response), None)
    if not isinstance(code, int) or isinstance(code, bool) or code == 0:
        return None
    parts = [response.get("stderr"), response.get("stdout")]
    text = "\n".join(p for p in parts if isinstance(p, str) and p)
    return tool, f"Exit code {code}\n{text}"[-MAX_ERROR_TEXT:]


def enabled(home: str) -> bool:
    """False only when `config.toml` sets `live_hints = false`."""
    try:
        with open(os.path.join(home, "config.toml"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return True
    if "live_hints" not in text:
        return True
    try:
        import tomllib

        value = tomllib.loads(text).get("live_hints", True)
    except Exception:  # a broken config is the CLI's to report; the hint stays on
        return True
    return value is not False


def command_of(payload: dict[str, object]) -> str:
    """The shell command the failed call ran ('' for other tools)."""
    tool_input = payload.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    return command if isinstance(command, str) else ""


def family_of(tool: str, text: str, command: str = "") -> str:
    """The error family (the specific signature), computed exactly as the store computes it;
    '' when it says no more than that something failed."""
    root = _hookio.plugin_root()
    if root not in sys.path:
        sys.path.insert(0, root)
    from trajectory_miner.analysis.signatures import error_signature, is_generic, signature_family

    family = signature_family(error_signature(tool, text, command))
    return "" if is_generic(family) else family


def _read_json(path: str) -> dict[str, object] | None:
    try:
        with open(path, "rb") as handle:
            return _hookio.parse_payload(handle.read())
    except (OSError, ValueError):
        return None


def _state_path(home: str, session_id: str) -> str:
    safe = "".join(ch if ch in _SAFE else "_" for ch in session_id)[:100] or "unknown"
    return os.path.join(home, STATE_DIR, safe + ".json")


def _prune(folder: str, now: float) -> None:
    """Remove state files of sessions long over."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > STATE_TTL_S:
                os.remove(path)
        except OSError:
            pass


def _write_state(path: str, counts: dict[str, int], hinted: list[str]) -> None:
    body = ",".join(f"{_hookio._quote(k)}:{int(v)}" for k, v in counts.items())
    shown = ",".join(_hookio._quote(h) for h in hinted)
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, ('{"counts":{' + body + '},"hinted":[' + shown + "]}").encode("ascii"))
    finally:
        os.close(fd)
    os.replace(temporary, path)


def _in_project(cwd: str, project: str) -> bool:
    """True when `cwd` is the project folder or inside it (two projects may share a name)."""
    cwd, project = cwd.rstrip("/"), project.rstrip("/")
    return bool(cwd and project) and (cwd == project or cwd.startswith(project + "/"))


def _sessions_here(hint: dict[str, object], cwd: str) -> int:
    projects = hint.get("projects")
    if not isinstance(projects, dict):
        return 0
    return sum(n for p, n in projects.items() if isinstance(n, int) and isinstance(p, str) and _in_project(cwd, p))


def _total(hint: dict[str, object]) -> int:
    sessions = hint.get("sessions")
    return sessions if isinstance(sessions, int) else 0


def _trusted(hint: object) -> bool:
    """A fix from an approved skill, or one that got at least two sessions past the failure
    (version 1 files may hold fixes from a single session, which could mislead)."""
    if not isinstance(hint, dict) or not isinstance(hint.get("fix"), str) or not hint["fix"].strip():
        return False
    source, sessions = hint.get("source"), hint.get("sessions")
    return (isinstance(source, str) and source.startswith("S-")) or (isinstance(sessions, int) and sessions >= 2)


def _origin(hint: dict[str, object], here: int) -> str:
    """Where a fix came from: its skill, or its sessions and whether they were in this project."""
    source, total = str(hint.get("source", "")), _total(hint)
    if source.startswith("S-"):
        return f"skill {source[:12]}"
    if not isinstance(hint.get("projects"), dict):
        return f"{total} past sessions"
    if here >= total:
        return f"{total} sessions in this project"
    if not here:
        return f"{total} sessions in other projects"
    return f"{total} sessions, {here} in this project"


def _lookup(home: str, family: str, cwd: str = "") -> dict[str, object] | None:
    """The fix to show for `family`: the one most of whose sessions were in the project at
    `cwd` (the project's own fix before one from everywhere), else the first; None when the
    file has no trusted fix for it."""
    hints = _read_json(os.path.join(home, HINTS_FILE)) or {}
    table = hints.get("hints")
    entry = table.get(family) if isinstance(table, dict) else None
    if not isinstance(entry, dict):
        return None
    others = entry.get("others")
    found = [h for h in [entry, *(others if isinstance(others, list) else [])] if _trusted(h)]
    if not found:
        return None
    here = [_sessions_here(h, cwd) for h in found]
    best = max(range(len(found)), key=lambda i: (here[i] / max(_total(found[i]), here[i], 1), here[i], -i))
    return {**found[best], "origin": _origin(found[best], here[best])}


def sighting(home: str, session_id: str, family: str, cwd: str = "") -> dict[str, object] | None:
    """Count one more sighting of `family` in the session; the hint to show now, if any.

    A hint is shown on the second sighting or later, once per family and session; the fix
    from the project at `cwd` is preferred.
    """
    path = _state_path(home, session_id)
    state = _read_json(path)
    if state is None:
        folder = os.path.dirname(path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        _prune(folder, time.time())
        state = {}
    raw_counts = state.get("counts")
    counts: dict[str, int] = {}
    if isinstance(raw_counts, dict):
        counts = {k: v for k, v in raw_counts.items() if isinstance(v, int)}
    raw_hinted = state.get("hinted")
    hinted = [h for h in raw_hinted if isinstance(h, str)] if isinstance(raw_hinted, list) else []
    counts[family] = counts.get(family, 0) + 1
    hint = _lookup(home, family, cwd) if counts[family] >= 2 and family not in hinted else None
    if hint is not None:
        hinted.append(family)
    _write_state(path, counts, hinted)
    return hint


def context_text(family: str, hint: dict[str, object]) -> str:
    """The line Claude reads: the error, the fix, where it came from, where to ask for more."""
    fix = str(hint.get("fix", "")).strip()
    origin = str(hint.get("origin") or _origin(hint, 0))
    head = f"trajectory-miner: this error came back ({family[:100]}). A past fix (from {origin}): "
    tail = " For what else was tried, call find_replay_for_stuck_step."
    room = MAX_CONTEXT - len(head) - len(tail)
    if len(fix) > room:
        fix = fix[: max(room - 1, 0)] + "…"
    return head + fix + tail


def hint_for(home: str, payload: dict[str, object]) -> str | None:
    """The context to add for this payload, or None."""
    failed = failure(payload)
    if failed is None:
        return None
    hints_path = os.path.join(home, HINTS_FILE)
    if not os.path.exists(hints_path) or not enabled(home):
        return None
    family = family_of(*failed, command_of(payload))
    if not family:
        return None
    session_id, cwd = payload.get("session_id"), payload.get("cwd")
    hint = sighting(
        home, session_id if isinstance(session_id, str) else "", family, cwd if isinstance(cwd, str) else ""
    )
    return context_text(family, hint) if hint is not None else None


def output(event: str, context: str) -> str:
    """The hook's JSON answer."""
    name = event if event in ("PostToolUse", "PostToolUseFailure") else EVENT
    return (
        '{"hookSpecificOutput":{"hookEventName":'
        + _hookio._quote(name)
        + ',"additionalContext":'
        + _hookio._quote(context)
        + "}}"
    )


def main() -> None:
    home = _hookio.data_home()
    try:
        payload = _hookio.parse_payload(_hookio.read_stdin())
        context = hint_for(home, payload)
        if context:
            event = payload.get("hook_event_name")
            sys.stdout.write(output(event if isinstance(event, str) else EVENT, context) + "\n")
            sys.stdout.flush()
    except BaseException as exc:  # a hint is a courtesy: the session goes on without it
        _hookio.log_error(home, EVENT, exc)
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
