"""Private by default: no network listener anywhere, and a data home readable by its user alone."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hooks.simulate import append_turn, payload, run_hook
from trustkit import MINING, files_under, run_cli

from trajectory_miner.paths import resolve

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(
    r"socket\.bind|\.bind\(\(|\.listen\(|HTTPServer|serve_forever|streamable[-_]http|transport\s*=\s*[\"']sse"
)
_SKIPPED_FOLDERS = {"tests", ".git", ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache", "__pycache__"}


def source_files(root: Path) -> Iterator[Path]:
    """The project's own text files: everything but tests, caches and build leftovers."""
    for path in sorted(root.rglob("*")):
        parts = set(path.relative_to(root).parts)
        if parts & _SKIPPED_FOLDERS or any(p.endswith(".egg-info") for p in parts) or not path.is_file():
            continue
        yield path


def listeners_in(paths: Iterator[Path]) -> list[str]:
    found: list[str] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if LISTENING.search(line):
                found.append(f"{path}:{number}: {line.strip()[:120]}")
    return found


def test_no_source_file_opens_a_network_listener() -> None:
    scanned = list(source_files(REPO))

    assert any(p.name == "server.py" and p.parent.name == "mcp_server" for p in scanned)
    assert any(p.parent.name == "hooks" for p in scanned)
    assert listeners_in(iter(scanned)) == []


def test_the_listener_scan_finds_each_way_of_listening(tmp_path: Path) -> None:
    samples = [
        "sock.bind(('0.0.0.0', 8080))",
        "socket.bind(address)",
        "server.listen(5)",
        "HTTPServer(('', 80), Handler)",
        "httpd.serve_forever()",
        'mcp.run(transport="streamable-http")',
        "app.run(transport='sse')",
    ]
    for number, line in enumerate(samples):
        (tmp_path / f"sample_{number}.py").write_text(line + "\n", encoding="utf-8")

    assert len(listeners_in(source_files(tmp_path))) == len(samples)


def _descendants(pid: int) -> set[int]:
    found = {pid}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text(encoding="utf-8").split()
        except OSError:
            continue
        for child in children:
            found |= _descendants(int(child))
    return found


def _socket_inodes(pids: set[int]) -> set[str]:
    inodes: set[str] = set()
    for pid in pids:
        folder = Path(f"/proc/{pid}/fd")
        for fd in folder.glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _listening_inodes() -> set[str]:
    """Inodes of TCP sockets in LISTEN state and of bound UDP sockets, on IPv4 and IPv6."""
    inodes: set[str] = set()
    for name in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{name}").read_text(encoding="utf-8").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if name.startswith("udp") or fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs /proc/net to see listening sockets")
def test_the_running_mcp_server_listens_on_no_network_socket(isolated_home: Path) -> None:
    paths = resolve()
    for fixture in MINING[:3]:
        shutil.copy(fixture, paths.projects / fixture.name)
    assert subprocess.run([sys.executable, "-m", "trajectory_miner", "ingest", "--quiet"], timeout=120).returncode == 0
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    with subprocess.Popen(
        [sys.executable, "-m", "trajectory_miner", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(initialize).encode() + b"\n")
        server.stdin.flush()
        ready, _, _ = select.select([server.stdout], [], [], 60)
        assert ready, "the server did not answer initialize"
        answer = json.loads(server.stdout.readline())
        pids = _descendants(server.pid)
        open_sockets = _socket_inodes(pids)
        listening = _listening_inodes()
        server.stdin.close()
        server.wait(timeout=60)

    assert answer["result"]["serverInfo"]["name"] == "miner"
    assert open_sockets & listening == set()


def _open_to_others(home: Path) -> list[str]:
    loose: list[str] = []
    for path in [home, *home.rglob("*")]:
        if "venv" in path.relative_to(home).parts:
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            loose.append(f"{path.relative_to(home)} {oct(mode)}")
    return loose


@pytest.mark.slow
def test_every_file_of_the_data_home_is_readable_by_the_user_alone_even_with_an_open_umask(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    paths = resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("TRAJECTORY_MINER_PYTHON", "CLAUDE_PLUGIN_DATA")}
    previous = os.umask(0)
    try:
        for fixture in MINING:
            shutil.copy(fixture, paths.projects / fixture.name)
        transcript = paths.projects / "-work-demo" / "abababab-aaaa-4bbb-8ccc-000000000001.jsonl"
        append_turn(transcript, transcript.stem, "/work/demo", 0, fail=True)
        for event in ("SessionStart", "Stop", "PreCompact"):
            assert run_hook(event, payload(event, transcript.stem, transcript, "/work/demo"), env).returncode == 0
        commands = [
            ["ingest", "--from-spool", "--quiet"],
            ["forget", transcript.stem, "--yes"],
            ["ingest", "--quiet"],
            ["mine", "--json"],
            ["skills", "approve", "S-001"],
            ["report"],
            ["hints"],
        ]
        for argv in commands:
            code, _out, err = run_cli(argv, capsys)
            assert code == 0, (argv, err)
    finally:
        os.umask(previous)

    written = files_under(paths.home)
    assert paths.database in written and any(p.parent == paths.reports_dir for p in written)
    assert any(p.parent == paths.spool_dir for p in written)
    assert _open_to_others(paths.home) == []
    code, out, _err = run_cli(["doctor", "--json"], capsys)
    assert next(c for c in json.loads(out)["checks"] if c["name"] == "permissions")["level"] == "ok"
