"""The scripted Messages API, the CLI runner, and the recorded scenario fixtures."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .claude_runner import RunResult, run_scenario
from .fake_api import FakeMessagesAPI, Reply, Text, ToolCall
from .labelled_set import LABELLED_SET
from .regenerate import compact_transcript
from .scenarios import Scenario, bash, edit, fill, read, say, text, turn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
DIMENSIONS = {
    None,
    "task_completion",
    "tool_efficiency",
    "error_recovery",
    "skill_adherence",
    "routing_accuracy",
    "context_health",
}
e2e = pytest.mark.skipif(shutil.which("claude") is None, reason="the claude CLI is not installed")

SCRIPT = [
    Reply((Text("Looking."), ToolCall("Bash", {"command": "ls", "description": "List"}))),
    Reply((Text("Second."),)),
]
CODING_TOOLS = [{"name": "Bash", "input_schema": {}}, {"name": "Read", "input_schema": {}}]


def _post(url: str, body: dict[str, Any], path: str = "/v1/messages?beta=true") -> bytes:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def _events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in raw.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in chunk.splitlines() if ": " in line)
        if fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def _conversation(assistant_turns: int, *, stream: bool = True) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    for _ in range(assistant_turns):
        messages += [
            {"role": "assistant", "content": [{"type": "text", "text": "…"}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]},
        ]
    return {"model": "claude-test", "stream": stream, "tools": CODING_TOOLS, "messages": messages}


def test_fake_api_streams_a_scripted_tool_call_as_messages_api_events() -> None:
    with FakeMessagesAPI(SCRIPT) as api:
        events = _events(_post(api.url, _conversation(0)))
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    starts = [data["content_block"] for name, data in events if name == "content_block_start"]
    assert [block["type"] for block in starts] == ["text", "tool_use"]
    assert starts[1]["name"] == "Bash"
    partial = [data["delta"]["partial_json"] for name, data in events if data.get("delta", {}).get("partial_json")]
    assert json.loads("".join(partial)) == {"command": "ls", "description": "List"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert events[0][1]["message"]["model"] == "claude-test"


def test_fake_api_chooses_the_reply_by_assistant_turns_so_a_retry_gets_the_same_answer() -> None:
    with FakeMessagesAPI(SCRIPT) as api:
        for _ in range(2):
            _post(api.url, _conversation(1))
        seen = api.main_requests()
    assert [r.reply_index for r in seen] == [1, 1]
    assert seen[0].tool_results() == [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]


def test_fake_api_answers_side_calls_without_using_the_script() -> None:
    with FakeMessagesAPI(SCRIPT) as api:
        side = json.loads(_post(api.url, {"model": "haiku", "messages": [{"role": "user", "content": "title?"}]}))
        counted = json.loads(_post(api.url, _conversation(0), "/v1/messages/count_tokens"))
        first = _events(_post(api.url, _conversation(0)))
        kinds = [r.kind for r in api.requests]
    assert side["content"][0]["text"] != "Looking."
    assert side["stop_reason"] == "end_turn"
    assert counted["input_tokens"] > 0
    assert [data["delta"].get("text") for name, data in first if name == "content_block_delta"][0] == "Looking."
    assert kinds == ["side", "count_tokens", "main"]


def test_fake_api_ends_the_turn_when_the_script_runs_out() -> None:
    with FakeMessagesAPI(SCRIPT) as api:
        reply = json.loads(_post(api.url, _conversation(5, stream=False)))
        request = api.main_requests()[0]
    assert reply["stop_reason"] == "end_turn"
    assert request.reply_index is None


def test_fill_puts_the_interpreter_and_repo_into_nested_tool_inputs() -> None:
    filled = fill({"command": "{python} x.py", "paths": ["{repo}/a"]}, repo=Path("/r"), python="/py")
    assert filled == {"command": "/py x.py", "paths": ["/r/a"]}


def test_compact_transcript_trims_bookkeeping_but_keeps_turns_whole(tmp_path: Path) -> None:
    long = "x" * 5000
    source = tmp_path / "in.jsonl"
    lines = [
        {"type": "user", "message": {"role": "user", "content": long}},
        {"type": "api-request-shape", "shape": {"system": [{"text": long}]}},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    compact_transcript(source, tmp_path / "out.jsonl")
    user, shape = (json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())
    assert user["message"]["content"] == long
    kept = shape["shape"]["system"][0]["text"]
    assert len(kept) < 300 and kept.endswith("chars trimmed]")


# --- The recorded fixtures --------------------------------------------------------------


def _fixture(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _tool_results(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks = []
    for entry in entries:
        content = (entry.get("message") or {}).get("content") if entry.get("type") == "user" else None
        blocks += [b for b in content or [] if isinstance(b, dict) and b.get("type") == "tool_result"]
    return blocks


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    return content if isinstance(content, str) else json.dumps(content)


def test_every_recorded_scenario_has_a_valid_label_and_every_label_a_recording() -> None:
    labels = json.loads((FIXTURES / "labels.json").read_text(encoding="utf-8"))
    recorded = {path.name for path in FIXTURES.glob("*.jsonl")}
    assert set(labels) == recorded == {f"{s.name}.jsonl" for s in LABELLED_SET}
    assert len(recorded) >= 14
    assert {label["outcome"] for label in labels.values()} == {"success", "failure", "partial"}
    assert all(label["low_dimension"] in DIMENSIONS and label["note"] for label in labels.values())


def test_planted_module_error_recurs_in_three_stuck_and_two_fixed_sessions() -> None:
    labels = json.loads((FIXTURES / "labels.json").read_text(encoding="utf-8"))
    outcomes: Counter[str] = Counter()
    for name, label in labels.items():
        results = _tool_results(_fixture(name))
        hit = any(r.get("is_error") and "ModuleNotFoundError" in _result_text(r) for r in results)
        if hit:
            ends_failing = bool(results[-1].get("is_error"))
            outcomes[f"{label['outcome']}/{'failing' if ends_failing else 'passing'}"] += 1
    assert outcomes == Counter({"failure/failing": 3, "success/passing": 2})


def test_loop_fixture_repeats_one_failing_command_at_least_four_times() -> None:
    entries = _fixture("failure_same_error_loop.jsonl")
    commands = [
        block["input"]["command"]
        for entry in entries
        if entry.get("type") == "assistant"
        for block in entry["message"]["content"]
        if block.get("type") == "tool_use"
    ]
    assert len(commands) >= 4 and len(set(commands)) == 1
    assert all(r.get("is_error") for r in _tool_results(entries))


def test_interrupt_fixture_holds_the_cli_interrupt_marker_and_the_rejected_tool() -> None:
    entries = _fixture("partial_user_interrupt.jsonl")
    texts = [
        block.get("text")
        for entry in entries
        if entry.get("type") == "user" and isinstance(entry["message"]["content"], list)
        for block in entry["message"]["content"]
    ]
    assert "[Request interrupted by user for tool use]" in texts
    assert _tool_results(entries)[0]["is_error"] is True


# --- End to end with the real CLI ----------------------------------------------------------


def _tool_uses(result: RunResult) -> list[dict[str, Any]]:
    return [
        block
        for entry in result.entries()
        if entry.get("type") == "assistant"
        for block in entry["message"]["content"]
        if block.get("type") == "tool_use"
    ]


MIXED = Scenario(
    "mixed_tools",
    ("Fix the greeting.",),
    (
        turn(text("Checking the interpreter first."), bash("{python} -c 'import sys; sys.exit(3)'", "Fail")),
        turn(read("hello.py")),
        turn(edit("hello.py", "'hi'", "'hello'")),
        turn(bash("{python} hello.py", "Run the script")),
        say("Done."),
    ),
    {"hello.py": "print('hi')\n"},
)


@pytest.mark.e2e
@e2e
def test_real_cli_transcribes_text_tool_calls_and_the_failing_result(tmp_path: Path) -> None:
    result = run_scenario(MIXED, workdir=tmp_path / "run", timeout=90)
    uses = _tool_uses(result)
    results = {r["tool_use_id"]: r for r in _tool_results(result.entries())}
    assert result.exit_code == 0
    assert [u["name"] for u in uses] == ["Bash", "Read", "Edit", "Bash"]
    assert [bool(results[u["id"]].get("is_error")) for u in uses] == [True, False, False, False]
    assert "hello" in _result_text(results[uses[3]["id"]])
    assert (result.repo / "hello.py").read_text(encoding="utf-8") == "print('hello')\n"
    texts = [b.get("text") for e in result.entries() if e.get("type") == "assistant" for b in e["message"]["content"]]
    assert "Checking the interpreter first." in texts
    returned = [r["tool_use_id"] for request in result.main_requests() for r in request.tool_results()]
    assert returned == [u["id"] for u in uses]


@pytest.mark.e2e
@e2e
def test_real_cli_resume_continues_the_same_session_in_one_transcript(tmp_path: Path) -> None:
    scenario = Scenario(
        "resumed",
        ("First question.", "Follow-up question."),
        (say("First answer."), say("Second answer.")),
    )
    result = run_scenario(scenario, workdir=tmp_path / "run", timeout=90)
    outputs = [run.output or {} for run in result.runs]
    assert [o.get("session_id") for o in outputs] == [result.session_id] * 2
    assert [o.get("result") for o in outputs] == ["First answer.", "Second answer."]
    assert len(result.transcript_paths) == 1
    prompts = [e["message"]["content"] for e in result.entries() if e.get("type") == "user"]
    assert prompts == ["First question.", "Follow-up question."]


@pytest.mark.e2e
@e2e
def test_real_cli_records_a_ctrl_c_during_a_tool_as_an_interrupt(tmp_path: Path) -> None:
    scenario = Scenario(
        "interrupted",
        ("Run the slow job.",),
        (turn(bash("{python} slow.py", "Run the slow job")), say("unreachable")),
        {"slow.py": "import pathlib, time\npathlib.Path('started').touch()\ntime.sleep(60)\n"},
        interrupt_on="started",
    )
    result = run_scenario(scenario, workdir=tmp_path / "run", timeout=60)
    assert result.runs[0].interrupted
    results = _tool_results(result.entries())
    assert results and results[0]["is_error"] is True
    assert "Request interrupted by user" in json.dumps(result.entries())
