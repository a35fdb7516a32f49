"""Run a scripted scenario through the real `claude -p` CLI, offline.

Each run gets a scratch git repository holding the scenario's files, a throwaway HOME
(so `~/.claude` holds only this run's transcript, settings and plugin data), and its own
fake Messages API. Follow-up prompts continue the same session with `--resume`, which
keeps one transcript file. Nothing here reads or writes the caller's own `~/.claude`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fake_api import FakeMessagesAPI, RecordedRequest
from .scenarios import Scenario, fill_reply

CLAUDE = "claude"
_PASSED_THROUGH_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")
_INTERRUPT_WAIT_S = 30.0
_POLL_S = 0.05


class HarnessError(RuntimeError):
    """The CLI could not be run as the scenario asks (not: the scripted task failed)."""


@dataclass(frozen=True)
class CliRun:
    """One `claude -p` invocation: a prompt and what the process returned."""

    prompt: str
    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    interrupted: bool

    @property
    def output(self) -> dict[str, Any] | None:
        """The `--output-format json` result object, when stdout holds one."""
        try:
            parsed = json.loads(self.stdout)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None


@dataclass(frozen=True)
class RunResult:
    """Everything a caller may inspect after a scenario ran."""

    scenario: str
    session_id: str | None
    home: Path
    repo: Path
    runs: tuple[CliRun, ...]
    requests: tuple[RecordedRequest, ...]
    transcript_paths: tuple[Path, ...]

    @property
    def transcript_path(self) -> Path:
        """The main session transcript (not a subagent's)."""
        for path in self.transcript_paths:
            if path.stem == self.session_id:
                return path
        raise HarnessError(f"no transcript for session {self.session_id} among {self.transcript_paths}")

    @property
    def exit_code(self) -> int:
        return self.runs[-1].exit_code

    @property
    def stdout(self) -> str:
        return "".join(run.stdout for run in self.runs)

    @property
    def claude_dir(self) -> Path:
        return self.home / ".claude"

    def entries(self) -> list[dict[str, Any]]:
        """The main transcript's JSON lines, in file order."""
        with self.transcript_path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def main_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.kind == "main"]


def claude_available() -> bool:
    return shutil.which(CLAUDE) is not None


def run_scenario(
    scenario: Scenario,
    *,
    plugin_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    allowed_tools: Sequence[str] = (),
    workdir: Path | None = None,
    timeout: float = 120.0,
) -> RunResult:
    """Run every prompt of `scenario` in one session and collect the evidence.

    `workdir` receives `home/` and `repo/`; it must not exist yet or be empty. Without
    it a fresh temporary directory is used and left for the caller to inspect.
    `allowed_tools` adds to the scenario's own list (e.g. an MCP tool's full name).
    """
    if not claude_available():
        raise HarnessError("the claude CLI is not on PATH")
    root = _fresh_root(workdir)
    home, repo = root / "home", root / "repo"
    home.mkdir()
    _make_repo(repo, scenario.files)
    replies = [fill_reply(reply, repo=repo) for reply in scenario.replies]
    tools = ",".join(dict.fromkeys([*scenario.allowed_tools, *allowed_tools]))
    lifetime = timeout * len(scenario.prompts) + 30
    runs: list[CliRun] = []
    session_id: str | None = None
    with FakeMessagesAPI(replies, lifetime_s=lifetime) as api:
        cli_env = _cli_env(home, api.url, env)
        for index, prompt in enumerate(scenario.prompts):
            args = [CLAUDE, "-p", prompt, "--output-format", "json", "--allowedTools", tools]
            if session_id is not None:
                args += ["--resume", session_id]
            if plugin_dir is not None:
                args += ["--plugin-dir", str(plugin_dir)]
            marker = repo / scenario.interrupt_on if scenario.interrupt_on and index == 0 else None
            run = _invoke(args, prompt, cwd=repo, env=cli_env, timeout=timeout, interrupt_marker=marker)
            runs.append(run)
            session_id = session_id or _session_id(run, home)
        requests = tuple(api.requests)
    transcripts = tuple(sorted((home / ".claude" / "projects").glob("**/*.jsonl")))
    return RunResult(scenario.name, session_id, home, repo, tuple(runs), requests, transcripts)


def _fresh_root(workdir: Path | None) -> Path:
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix="tm-e2e-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise HarnessError(f"{workdir} is not empty")
    return workdir


def _make_repo(repo: Path, files: Mapping[str, str]) -> None:
    repo.mkdir()
    for relative, content in files.items():
        path = repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    if shutil.which("git") is None:
        return
    # A committed repo gives the session a branch and a clean status, as a real checkout would.
    git = [
        "git",
        "-c",
        "user.name=Scenario",
        "-c",
        "user.email=scenario@example.invalid",
        "-c",
        "init.defaultBranch=main",
    ]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--allow-empty", "-m", "Initial commit"]):
        subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True, timeout=30)


def _cli_env(home: Path, base_url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    # Built from scratch so the caller's own Claude Code settings, keys and session
    # variables cannot leak into the run.
    cli_env = {name: os.environ[name] for name in _PASSED_THROUGH_ENV if name in os.environ}
    cli_env.update(
        HOME=str(home),
        ANTHROPIC_BASE_URL=base_url,
        ANTHROPIC_API_KEY="sk-ant-scenario-0000",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
    )
    cli_env.update(extra or {})
    return cli_env


def _invoke(
    args: list[str],
    prompt: str,
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    interrupt_marker: Path | None,
) -> CliRun:
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )
    interrupted = False
    if interrupt_marker is not None:
        interrupted = _interrupt_when_present(process, interrupt_marker)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise HarnessError(f"claude did not finish within {timeout}s: {args}") from error
    return CliRun(prompt, tuple(args), process.returncode, stdout, stderr, interrupted)


def _interrupt_when_present(process: subprocess.Popen[str], marker: Path) -> bool:
    deadline = time.monotonic() + _INTERRUPT_WAIT_S
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(_POLL_S)
    # Ctrl-C reaches the CLI itself; it cancels the running tool and records the interrupt.
    process.send_signal(signal.SIGINT)
    return True


def _session_id(run: CliRun, home: Path) -> str | None:
    output = run.output
    if output and isinstance(output.get("session_id"), str):
        return str(output["session_id"])
    found = sorted((home / ".claude" / "projects").glob("*/*.jsonl"), key=lambda p: p.stat().st_mtime)
    return found[-1].stem if found else None
