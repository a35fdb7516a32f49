"""Transcript text never drives the terminal: control sequences are stripped from what commands print.

A session carries a window-title OSC, a clear-screen CSI, colours, a bell, a carriage return
and C1 controls in its title, working folder, prompt, command and tool output. Every command
that prints transcript text shows the words around them and none of the controls.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trustkit import run_cli

from trajectory_miner.cli.output import terminal_text
from trajectory_miner.paths import resolve

SESSION = "44444444-4444-4444-8444-444444444444"
TITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J\x1b[H"
PLANTS = f"{TITLE}{CLEAR}\x1b[31m\x07\r\x9b2J\x9d0;x\x9c\x1bP1$r\x1b\\"


def _session(folder: Path) -> None:
    entries = [
        {"type": "summary", "summary": f"title {PLANTS}words"},
        {
            "type": "user",
            "sessionId": SESSION,
            "uuid": "u1",
            "timestamp": "2026-03-01T10:00:00Z",
            "cwd": f"/home/dev/shop{CLEAR}",
            "message": {"role": "user", "content": f"prompt {PLANTS}text"},
        },
        {
            "type": "assistant",
            "sessionId": SESSION,
            "uuid": "a1",
            "timestamp": "2026-03-01T10:00:01Z",
            "message": {
                "id": "m1",
                "content": [
                    {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": f"echo {PLANTS}done"}}
                ],
            },
        },
        {
            "type": "user",
            "sessionId": SESSION,
            "uuid": "u2",
            "timestamp": "2026-03-01T10:00:02Z",
            "message": {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "is_error": True, "content": f"out {PLANTS}put"}
                ],
            },
        },
    ]
    folder.mkdir(parents=True)
    (folder / f"{SESSION}.jsonl").write_text("\n".join(json.dumps(e) for e in entries) + "\n", encoding="utf-8")


def _controls(text: str) -> list[str]:
    return sorted({ch for ch in text if (ord(ch) < 32 and ch not in "\t\n") or 0x7F <= ord(ch) <= 0x9F})


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["show", SESSION[:8], "--full"], ("prompt text", "out put", "Bash       echo")),
        (["show", SESSION[:8]], ("prompt text",)),
        (["sessions", "--all"], (SESSION[:13],)),
        (["sessions", "--json"], ("title ",)),
        (["show", SESSION[:8], "--full", "--json"], ("prompt ",)),
    ],
)
def test_commands_print_transcript_text_without_its_control_sequences(
    argv: list[str], shown: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    _session(resolve().projects / "-home-dev-shop")
    assert run_cli(["ingest", "--quiet"], capsys)[0] == 0

    code, out, _ = run_cli(argv, capsys)

    assert code == 0
    assert _controls(out) == []
    if "--json" in argv:
        # JSON keeps the text, its controls escaped (`\u001b`): shown as such, never acted on.
        # C1 controls too: escaped, so the text comes back whole.
        assert "\x9b2J" in json.dumps(json.loads(out), ensure_ascii=False)
    else:
        assert "owned" not in out and "[2J" not in out
    for words in shown:
        assert words in out


def test_plain_text_tabs_and_newlines_are_kept() -> None:
    text = "naïve 日本\tcolumn\nnext line [31m literal"
    assert terminal_text(text) == text


def test_an_unterminated_title_sequence_stops_at_the_end_of_its_line() -> None:
    assert terminal_text("a\x1b]0;title without end\nnext") == "a\nnext"
