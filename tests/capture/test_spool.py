"""The spool file format, rotation, and which transcripts a batch of events points at."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trajectory_miner.capture import spool
from trajectory_miner.capture.spool import SpoolEvent

HOOKS_DIR = Path(__file__).resolve().parents[2] / "hooks"
if str(HOOKS_DIR) not in sys.path:
    sys.path.insert(0, str(HOOKS_DIR))

import _hookio  # noqa: E402  (the hooks folder is not a package)


def test_rotation_moves_the_live_file_aside_and_hooks_start_a_new_one(tmp_path: Path) -> None:
    spool.append_event(tmp_path, SpoolEvent(event="Stop", session_id="a"))

    rotated = spool.rotate(tmp_path)
    spool.append_event(tmp_path, SpoolEvent(event="Stop", session_id="b"))

    assert rotated is not None and rotated.name.startswith("rotated-")
    assert [e.session_id for e in spool.read_rotated(rotated).events] == ["a"]
    assert spool.has_new_lines(tmp_path)
    assert spool.rotated_files(tmp_path) == [rotated]


def test_an_empty_or_missing_spool_is_not_rotated(tmp_path: Path) -> None:
    assert spool.rotate(tmp_path) is None
    spool.live_path(tmp_path).touch()

    assert spool.rotate(tmp_path) is None
    assert spool.rotated_files(tmp_path) == []


def test_rotated_files_are_listed_oldest_first(tmp_path: Path) -> None:
    names = []
    for session in ("first", "second", "third"):
        spool.append_event(tmp_path, SpoolEvent(event="Stop", session_id=session))
        rotated = spool.rotate(tmp_path)
        assert rotated is not None
        names.append(rotated)

    assert spool.rotated_files(tmp_path) == names


def test_a_hook_that_opened_the_file_before_rotation_writes_into_the_rotated_file(tmp_path: Path) -> None:
    spool.append_event(tmp_path, SpoolEvent(event="Stop", session_id="early"))
    late_writer = os.open(spool.live_path(tmp_path), os.O_WRONLY | os.O_APPEND)
    rotated = spool.rotate(tmp_path)
    assert rotated is not None
    first_read = spool.read_rotated(rotated)

    os.write(late_writer, SpoolEvent(event="Stop", session_id="late").to_line())
    os.close(late_writer)

    assert not spool.quiet_since(rotated, first_read.size, min_age=0)
    assert [e.session_id for e in spool.read_rotated(rotated).events] == ["early", "late"]


def test_quiet_since_needs_the_same_size_and_enough_age(tmp_path: Path) -> None:
    spool.append_event(tmp_path, SpoolEvent(event="Stop"))
    path = spool.live_path(tmp_path)
    size = path.stat().st_size
    written = path.stat().st_mtime

    assert spool.quiet_since(path, size, min_age=30, now=written + 31)
    assert not spool.quiet_since(path, size, min_age=30, now=written + 5)
    assert not spool.quiet_since(path, size - 1, min_age=30, now=written + 31)
    assert not spool.quiet_since(tmp_path / "gone.jsonl", size, min_age=0)


def test_lines_that_are_not_spool_records_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "rotated-1.jsonl"
    good = SpoolEvent(event="Stop", session_id="s", transcript_path="/t.jsonl").to_line()
    path.write_bytes(good + b"garbage\n" + b'{"no_event": 1}\n' + b"\n" + b"[1]\n" + good.rstrip(b"\n"))

    read = spool.read_rotated(path)

    assert [e.session_id for e in read.events] == ["s", "s"]
    assert read.bad_lines == 3
    assert read.size == path.stat().st_size


def test_transcripts_are_distinct_existing_and_bring_their_subagents(tmp_path: Path) -> None:
    main = tmp_path / "proj" / "s1.jsonl"
    subagent = tmp_path / "proj" / "s1" / "subagents" / "agent-a.jsonl"
    other = tmp_path / "proj" / "s2.jsonl"
    for path in (main, subagent, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n", encoding="utf-8")
    events = [
        SpoolEvent(event="SessionStart", transcript_path=str(main)),
        SpoolEvent(event="Stop", transcript_path=str(main)),
        SpoolEvent(event="SubagentStop", transcript_path=str(other), agent_transcript_path=str(subagent)),
        SpoolEvent(event="Stop", transcript_path=str(tmp_path / "missing.jsonl")),
        SpoolEvent(event="Stop", transcript_path=str(tmp_path / "proj")),
        SpoolEvent(event="Stop"),
    ]

    assert spool.transcript_paths(events) == [main, subagent, other]


def test_a_tilde_in_a_transcript_path_means_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "t.jsonl").write_text("{}\n", encoding="utf-8")

    assert spool.transcript_paths([SpoolEvent(event="Stop", transcript_path="~/t.jsonl")]) == [tmp_path / "t.jsonl"]


# Lone high surrogates stand for the lone `\ud8xx` escapes a JSON payload can hold; a
# high-low pair would be read back as the one character it encodes, as any JSON parser does.
texts = st.one_of(st.none(), st.text(), st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDBFF)))


@given(session_id=texts, transcript=texts, agent=texts, cwd=texts, event=st.text(min_size=1))
def test_what_a_hook_writes_is_what_the_ingester_reads(
    session_id: str | None, transcript: str | None, agent: str | None, cwd: str | None, event: str
) -> None:
    payload = {
        "session_id": session_id,
        "transcript_path": transcript,
        "agent_transcript_path": agent,
        "cwd": cwd,
    }

    line = _hookio.spool_line(event, payload)
    parsed = spool.parse_line(line)

    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert parsed is not None
    assert parsed.event == event
    assert (parsed.session_id, parsed.transcript_path, parsed.agent_transcript_path, parsed.cwd) == (
        session_id or None,
        transcript or None,
        agent or None,
        cwd or None,
    )
    assert parsed.at is not None and time.strptime(parsed.at[:19], "%Y-%m-%dT%H:%M:%S")


def test_the_hooks_payload_parser_takes_json_objects_only() -> None:
    assert _hookio.parse_payload(b' {"a": [1, 2.5, null, true], "b": "\\u00e9"} \n') == {
        "a": [1, 2.5, None, True],
        "b": "\u00e9",
    }
    for bad in (b"", b"   ", b"[1]", b'"text"', b'{"a": 1} trailing', b'{"a": ', b"\xff\xfe"):
        try:
            _hookio.parse_payload(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")
