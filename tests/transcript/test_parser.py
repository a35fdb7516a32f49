from pathlib import Path

import orjson

from trajectory_miner.transcript.parser import TranscriptParser
from trajectory_miner.transcript.records import ParsedBatch, ParseState

SID = "11111111-aaaa-4bbb-8ccc-000000000001"


def parse(path: Path, **kwargs: object) -> ParsedBatch:
    parser = TranscriptParser(str(path), **kwargs)  # type: ignore[arg-type]
    with path.open("rb") as handle:
        return parser.feed(handle)


def main_file(every_entry_dir: Path) -> Path:
    return every_entry_dir / f"{SID}.jsonl"


def test_assistant_lines_of_one_response_count_tokens_once(every_entry_dir: Path) -> None:
    batch = parse(main_file(every_entry_dir))
    responses = [r for r in batch.responses.values() if r.session_id == SID]
    assert len({r.message_id for r in responses}) == len(responses)
    # msg_A is written as three lines (thinking, text, tool_use) and must count once.
    assert sum(r.usage.input for r in responses) == 77
    assert all(r.model == "claude-opus-4-5" for r in responses)


def test_every_tool_use_is_paired_with_its_result(every_entry_dir: Path) -> None:
    steps = {s.tool_use_id: s for s in parse(main_file(every_entry_dir)).steps.values()}
    assert set(steps) == {
        "toolu_bash1",
        "toolu_read1",
        "toolu_edit1",
        "toolu_bash2",
        "toolu_skill1",
        "toolu_agent1",
        "toolu_bash3",
    }
    assert all(s.has_result for s in steps.values())
    assert steps["toolu_bash1"].is_error and steps["toolu_bash1"].exit_code == 1
    assert steps["toolu_bash1"].error_signature == "Bash|exit1|AssertionError in test_add"
    assert not steps["toolu_bash2"].is_error and steps["toolu_bash2"].exit_code == 0
    assert steps["toolu_edit1"].duration_ms == 12
    assert steps["toolu_read1"].files == ["/work/demo/calc.py"]
    assert steps["toolu_bash1"].thought == "I'll run the tests."


def test_skill_and_subagent_calls_are_recognised(every_entry_dir: Path) -> None:
    batch = parse(main_file(every_entry_dir))
    steps = {s.tool_use_id: s for s in batch.steps.values()}
    assert steps["toolu_skill1"].skill_name == "release"
    assert steps["toolu_agent1"].subagent_type == "Explore"
    assert steps["toolu_agent1"].subagent_id == "abc123"
    kinds = [e.kind for e in batch.events.values()]
    assert kinds.count("skill") == 1 and kinds.count("subagent") == 1


def test_compaction_interrupt_api_error_meta_and_commands_are_events(every_entry_dir: Path) -> None:
    batch = parse(main_file(every_entry_dir))
    kinds = sorted(e.kind for e in batch.events.values())
    for kind in ("compaction", "compact_summary", "interrupt", "api_error", "meta", "slash_command"):
        assert kind in kinds, kind
    compaction = next(e for e in batch.events.values() if e.kind == "compaction")
    assert "pre_tokens=45000" in compaction.detail


def test_turns_are_user_requests_and_not_harness_entries(every_entry_dir: Path) -> None:
    turns = sorted(parse(main_file(every_entry_dir)).turns.values(), key=lambda t: t.turn_index)
    assert [t.kind for t in turns] == ["prompt", "prompt", "command", "prompt", "notification"]
    assert turns[0].prompt == "Fix the failing test in calc.py"
    assert turns[0].final_text == "The test passes now."
    assert turns[2].command_name == "/compact" and turns[2].prompt == "/compact"
    assert [t.interrupted for t in turns] == [False, False, False, True, False]


def test_unknown_types_and_malformed_lines_are_counted_and_skipped(every_entry_dir: Path) -> None:
    batch = parse(main_file(every_entry_dir))
    assert batch.unknown_entry_types == {"brand-new-entry-type": 1}
    assert batch.skipped_lines == 2  # a broken JSON line and a JSON array


def test_title_comes_from_title_entries(every_entry_dir: Path) -> None:
    assert parse(main_file(every_entry_dir)).sessions[SID].title == "Calc fix"


def test_sidechain_lines_become_their_own_session_linked_to_the_parent(every_entry_dir: Path) -> None:
    sub = every_entry_dir / SID / "subagents" / "agent-abc123.jsonl"
    batch = parse(sub)
    facts = batch.sessions[f"{SID}/agent-abc123"]
    assert facts.is_sidechain and facts.parent_session_id == SID and facts.agent_id == "abc123"
    assert [s.tool_name for s in batch.steps.values()] == ["Glob"]


def test_long_results_are_capped_with_the_original_size_recorded(tmp_path: Path) -> None:
    big = "x" * 50_000
    lines = [
        {"type": "user", "sessionId": "s", "uuid": "1", "message": {"role": "user", "content": "go"}},
        {
            "type": "assistant",
            "sessionId": "s",
            "uuid": "2",
            "message": {
                "id": "m",
                "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "cat big"}}],
            },
        },
        {
            "type": "user",
            "sessionId": "s",
            "uuid": "3",
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": big}]},
        },
    ]
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    step = next(iter(parse(path, result_cap=1000).steps.values()))
    assert step.result_size == 50_000
    assert len(step.result_text) < 1100 and "characters cut" in step.result_text


def test_a_result_in_a_later_read_completes_the_step_from_the_carried_state(every_entry_dir: Path) -> None:
    raw = main_file(every_entry_dir).read_bytes().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(raw) if b"toolu_bash1" in line) + 1  # after the tool_use line
    first = TranscriptParser("f", ParseState())
    first_batch = first.feed(raw[:cut])
    assert not next(s for s in first_batch.steps.values() if s.tool_use_id == "toolu_bash1").has_result
    state = ParseState.model_validate_json(first.state.model_dump_json())
    second_batch = TranscriptParser("f", state).feed(raw[cut:])
    step = next(s for s in second_batch.steps.values() if s.tool_use_id == "toolu_bash1")
    assert step.has_result and step.is_error and step.step_index == 0


def test_redaction_is_applied_to_every_stored_text(tmp_path: Path) -> None:
    lines = [
        {"type": "user", "sessionId": "s", "uuid": "1", "message": {"role": "user", "content": "use SECRET1"}},
        {
            "type": "assistant",
            "sessionId": "s",
            "uuid": "2",
            "message": {
                "id": "m",
                "content": [
                    {"type": "text", "text": "ok SECRET1"},
                    {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "echo SECRET1"}},
                ],
            },
        },
        {
            "type": "user",
            "sessionId": "s",
            "uuid": "3",
            "message": {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "content": "Exit code 1\nError: SECRET1",
                        "is_error": True,
                    }
                ],
            },
        },
    ]
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    batch = parse(path, redact=lambda text: text.replace("SECRET1", "[R]"))
    dumped = batch.model_dump_json()
    assert "SECRET1" not in dumped and "[R]" in dumped


def _entries_to(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(entry) for entry in entries) + b"\n")
    return path


def test_a_thought_waiting_in_the_parser_state_is_redacted(tmp_path: Path) -> None:
    # The text block arrives in one read; the tool call it explains in the next. Meanwhile the
    # thought lives in the parser state, which is stored with the file's offset.
    path = _entries_to(
        tmp_path / "s.jsonl",
        [
            {"type": "user", "sessionId": "s", "uuid": "1", "message": {"role": "user", "content": "go"}},
            {
                "type": "assistant",
                "sessionId": "s",
                "uuid": "2",
                "message": {"id": "m", "content": [{"type": "text", "text": "I'll log in with SECRET1"}]},
            },
        ],
    )
    parser = TranscriptParser(str(path), redact=lambda text: text.replace("SECRET1", "[R]"))
    with path.open("rb") as handle:
        parser.feed(handle)
    state = parser.state.model_dump_json()
    assert "SECRET1" not in state and "[R]" in state


def test_a_loaded_skill_body_is_kept_long_enough_to_check_its_steps(tmp_path: Path) -> None:
    body = "Base directory for this skill: /home/u/.claude/skills/release\n\n" + "\n".join(
        f"{n}. Step number {n} of the release procedure, done with care." for n in range(1, 40)
    )
    path = _entries_to(
        tmp_path / "s.jsonl",
        [
            {"type": "user", "sessionId": "s", "uuid": "1", "message": {"role": "user", "content": "release"}},
            {"type": "user", "sessionId": "s", "uuid": "2", "isMeta": True, "message": {"content": body}},
            {"type": "user", "sessionId": "s", "uuid": "3", "isMeta": True, "message": {"content": "x" * 1000}},
        ],
    )
    events = {e.uuid: e for e in parse(path).events.values()}
    assert "Step number 30 of the release" in events["2"].detail
    assert len(events["3"].detail) == 200


UNNAMED_SID = "66666666-aaaa-4bbb-8ccc-000000000006"


def unnamed_file() -> Path:
    """A file named `transcript.jsonl` that opens with a summary and snapshots naming no session."""
    return Path(__file__).parent.parent / "fixtures" / "transcripts" / "project-unnamed-file" / "transcript.jsonl"


def test_entries_naming_no_session_belong_to_the_session_the_other_lines_name() -> None:
    batch = parse(unnamed_file(), default_session="transcript")
    assert set(batch.sessions) == {UNNAMED_SID}
    assert batch.sessions[UNNAMED_SID].title == "Dice page"
    assert {key[0] for key in batch.turns} == {UNNAMED_SID}


def test_a_title_read_before_any_line_names_the_session_waits_for_the_next_read() -> None:
    raw = unnamed_file().read_bytes().splitlines(keepends=True)
    first = TranscriptParser("f", default_session="transcript")
    head = first.feed(raw[:3])  # the summary and two snapshots: no line has named a session yet
    assert head.sessions == {}
    state = ParseState.model_validate_json(first.state.model_dump_json())
    rest = TranscriptParser("f", state).feed(raw[3:])
    assert set(rest.sessions) == {UNNAMED_SID}
    assert rest.sessions[UNNAMED_SID].title == "Dice page"


def test_a_file_whose_lines_name_no_session_is_the_session_of_its_name(tmp_path: Path) -> None:
    lines = [
        {"type": "file-history-snapshot", "messageId": "u1", "snapshot": {}},
        {"type": "user", "uuid": "u1", "message": {"role": "user", "content": "go"}},
        {"type": "assistant", "uuid": "a1", "message": {"id": "m", "content": [{"type": "text", "text": "done"}]}},
    ]
    path = tmp_path / "old-session.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    batch = parse(path, default_session="old-session")
    assert set(batch.sessions) == {"old-session"}
    assert [t.prompt for t in batch.turns.values()] == ["go"]


def _use(tool_id: str, name: str, tool_input: dict[str, object], **entry: object) -> dict[str, object]:
    return {
        "type": "assistant",
        "sessionId": "s",
        "uuid": f"u-{tool_id}",
        **entry,
        "message": {
            "id": f"m-{tool_id}",
            "content": [{"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}],
        },
    }


def test_names_a_transcript_gives_are_redacted_and_capped() -> None:
    entries = [
        _use("t1", "Skill", {"skill": "deploy-SECRET1"}, gitBranch="fix/SECRET1"),
        _use("t2", "Task", {"subagent_type": "x" * 5000}),
        _use("t3", "T" * 5000, {}),
    ]
    parser = TranscriptParser("s.jsonl", redact=lambda text: text.replace("SECRET1", "[R]"))
    batch = parser.feed(orjson.dumps(e) for e in entries)
    steps = {key[1]: step for key, step in batch.steps.items()}
    assert steps["t1"].skill_name == "deploy-[R]" and batch.sessions["s"].git_branch == "fix/[R]"
    assert len(steps["t2"].subagent_type or "") == 200 and len(steps["t3"].tool_name) == 200


def test_tool_results_nested_in_tool_results_are_read_a_few_levels_down_only() -> None:
    # Written as text: JSON writers stop at a depth the reader still takes.
    nested = b'[{"type": "tool_result", "content": ' * 450 + b'"innermost"' + b"}]" * 450
    result = (
        b'{"type": "user", "sessionId": "s", "uuid": "r", "message": {"role": "user", "content": '
        b'[{"type": "tool_result", "tool_use_id": "t1", "is_error": false, "content": ' + nested + b"}]}}"
    )
    parser = TranscriptParser("s.jsonl")
    batch = parser.feed([orjson.dumps(_use("t1", "Read", {"file_path": "a.py"})), result])
    step = batch.steps[("s", "t1")]
    assert batch.skipped_lines == 0 and step.has_result and "innermost" not in step.result_text


def test_a_line_nested_past_what_the_json_reader_takes_is_quarantined_not_fatal() -> None:
    deep = b'{"type": "user", "message": ' + b'{"k": ' * 2_000 + b"1" + b"}" * 2_001
    parser = TranscriptParser("s.jsonl")
    batch = parser.feed([orjson.dumps(_use("t1", "Read", {})), deep, orjson.dumps(_use("t2", "Read", {}))])
    assert [index for index, _ in batch.quarantined] == [1]
    assert {key[1] for key in batch.steps} == {"t1", "t2"}
