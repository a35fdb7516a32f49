"""Pathological input never stops capture: what cannot be read is quarantined, the rest stored.

One transcript holds a 1,000-deep tool input, a 1 MB hex error line, a 50 MB line and a
line nested past what the JSON reader takes, with a normal session beside it. The normal
session is stored whole, the pathological one as far as it can be read, and `doctor` names
the quarantined line with its offset. Failures of a kind nothing known causes are forced,
for a line, a whole file and the hooks' background ingester; lines too long to read are
made so by lowering the limit.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import orjson
import pytest
from pathological import (
    DEPTH,
    NORMAL,
    PATHOLOGICAL,
    normal_lines,
    offset_of_line,
    pathological_lines,
    write_project,
)
from trustkit import run_cli

from trajectory_miner.capture import ingest, quarantine, spool
from trajectory_miner.capture.ingest import IngestReport, file_key, ingest_paths
from trajectory_miner.capture.ingester import drain_spool
from trajectory_miner.capture.spool import SpoolEvent
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.store import Store, open_store
from trajectory_miner.transcript.parser import TranscriptParser

PROJECT = "-home-dev-blobs"


def _project(paths: Paths) -> Path:
    return write_project(paths.projects / PROJECT)


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [
            v
            for item in level
            if isinstance(item, dict | list)
            for v in (item.values() if isinstance(item, dict) else item)
        ]
    return depth - 1


def _doctor(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    _, out, _ = run_cli(["doctor", "--json"], capsys)
    checks: dict[str, Any] = {c["name"]: c for c in json.loads(out)["checks"]}
    return checks


def test_the_normal_session_is_stored_beside_the_pathological_one(capsys: pytest.CaptureFixture[str]) -> None:
    paths = resolve()
    folder = _project(paths)

    code, out, err = run_cli(["ingest", "--json"], capsys)

    assert code == 0 and "Traceback" not in err
    report = json.loads(out)
    assert report["sessions"] == 2
    with open_store(paths.database, read_only=True) as store:
        steps = store.query("SELECT tool_use_id, is_error, error_signature FROM steps WHERE session_id = ?", [NORMAL])
        assert sorted(s[0] for s in steps) == ["nt1", "nt2", "nt3"]
        assert [s[2] for s in steps if s[1]] == ["Bash|exit1|ModuleNotFoundError: No module named 'requests'"]
        deep = orjson.loads(store.scalar("SELECT input FROM steps WHERE tool_use_id = 'pt1'"))
        signature = store.scalar("SELECT error_signature FROM steps WHERE tool_use_id = 'pt2'")
        prompts = [r[0] for r in store.query("SELECT prompt FROM turns WHERE session_id = ?", [PATHOLOGICAL])]
        after = store.scalar("SELECT count(*) FROM steps WHERE tool_use_id = 'pt3'")
    # The deep input is kept to a bounded depth, the error reduced to a short signature,
    # the huge prompt capped, and the line after the unreadable one still read.
    assert deep["command"] == "make" and 1 < _depth(deep) < DEPTH
    assert signature.startswith("Bash|exit1|") and len(signature) < 300 and not re.search("[0-9a-f]{64}", signature)
    assert max(len(p) for p in prompts) < 10_000
    assert after == 1

    log = quarantine.log_path(paths.database)
    [record] = quarantine.read(log)
    transcript = folder / f"{PATHOLOGICAL}.jsonl"
    assert record.file == file_key(transcript) and not record.whole_file
    assert record.offset == offset_of_line(transcript, 6)
    assert "nested" in record.reason
    assert stat.S_IMODE(log.stat().st_mode) == 0o600

    check = _doctor(capsys)["quarantine"]
    assert check["level"] == "problem"
    assert f"{record.offset:,}" in check["summary"] and PATHOLOGICAL in check["summary"]
    assert str(log) in check["fix"]


def test_a_second_ingest_does_not_quarantine_the_line_again(capsys: pytest.CaptureFixture[str]) -> None:
    paths = resolve()
    _project(paths)
    run_cli(["ingest", "--quiet"], capsys)
    run_cli(["ingest", "--quiet"], capsys)
    assert len(quarantine.read(quarantine.log_path(paths.database))) == 1


def test_a_line_that_fails_in_any_way_is_quarantined_and_the_next_line_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = TranscriptParser._tool_use

    def poisoned(self: TranscriptParser, sid: str, entry: dict[str, Any], block: dict[str, Any]) -> None:
        if block.get("id") == "nt2":
            raise RecursionError("maximum recursion depth exceeded")
        original(self, sid, entry, block)

    monkeypatch.setattr(TranscriptParser, "_tool_use", poisoned)
    paths = resolve()
    folder = write_project(paths.projects / PROJECT, with_pathological=False)
    with open_store(paths.database) as store:
        report = ingest_paths(store, [folder], Config())
        stored = sorted(r[0] for r in store.query("SELECT tool_use_id FROM steps"))
    assert stored == ["nt1", "nt3"]
    [record] = report.quarantined
    assert record.offset == offset_of_line(folder / f"{NORMAL}.jsonl", 3)
    assert record.reason.startswith("RecursionError")
    assert quarantine.read(quarantine.log_path(paths.database)) == [record]


def _ingest(paths: Paths, folder: Path) -> tuple[IngestReport, list[str]]:
    with open_store(paths.database) as store:
        report = ingest_paths(store, [folder], Config(), workers=1)
        sessions = sorted(r[0] for r in store.query("SELECT session_id FROM sessions"))
    return report, sessions


def test_a_file_that_fails_is_held_back_until_it_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = resolve()
    folder = paths.projects / PROJECT
    folder.mkdir(parents=True)
    good = folder / f"{NORMAL}.jsonl"
    good.write_text("\n".join(normal_lines()) + "\n", encoding="utf-8")
    bad = folder / f"{PATHOLOGICAL}.jsonl"
    bad.write_text("\n".join(normal_lines(PATHOLOGICAL)) + "\n", encoding="utf-8")
    original = ingest.TranscriptParser.feed

    def failing(self: TranscriptParser, lines: Any) -> Any:
        if PATHOLOGICAL in self.path:
            raise MemoryError
        return original(self, lines)

    monkeypatch.setattr(ingest.TranscriptParser, "feed", failing)

    report, sessions = _ingest(paths, folder)
    assert sessions == [NORMAL]
    [record] = report.quarantined
    assert record.whole_file and record.file == file_key(bad) and record.size == bad.stat().st_size

    report, _ = _ingest(paths, folder)
    assert report.held_files == 1 and not report.quarantined

    monkeypatch.setattr(ingest.TranscriptParser, "feed", original)
    with bad.open("a", encoding="utf-8") as handle:
        handle.write(pathological_lines(big_line_chars=10, unreadable=False)[0] + "\n")
    report, sessions = _ingest(paths, folder)
    assert report.held_files == 0 and sessions == [NORMAL, PATHOLOGICAL]


def test_the_background_ingester_sets_a_poisoned_transcript_aside_and_goes_on() -> None:
    paths = resolve()
    paths.spool_dir.mkdir(parents=True)
    folder = paths.projects / PROJECT
    folder.mkdir(parents=True)
    good = folder / f"{NORMAL}.jsonl"
    good.write_text("\n".join(normal_lines()) + "\n", encoding="utf-8")
    poisoned = folder / f"{PATHOLOGICAL}.jsonl"
    poisoned.write_text("\n".join(normal_lines(PATHOLOGICAL)) + "\n", encoding="utf-8")
    calls: list[list[Path]] = []

    def ingest(store: Store, targets: Any, config: Config) -> IngestReport:
        calls.append(list(targets))
        if poisoned in targets:
            raise RecursionError("maximum recursion depth exceeded")
        return ingest_paths(store, targets, config)

    for transcript, sid in ((poisoned, PATHOLOGICAL), (good, NORMAL)):
        spool.append_event(
            paths.spool_dir, SpoolEvent(event="Stop", session_id=sid, transcript_path=str(transcript), cwd="/w")
        )

    result = drain_spool(paths, Config(), ingest=ingest, quiet_seconds=0, settle_seconds=0)

    assert result.ingest.sessions == 1 and result.kept_files == 0
    with open_store(paths.database, read_only=True) as store:
        assert [r[0] for r in store.query("SELECT session_id FROM sessions")] == [NORMAL]
    [record] = quarantine.read(quarantine.log_path(paths.database))
    assert record.whole_file and record.file == file_key(poisoned) and "RecursionError" in record.reason

    # A later hook pointing at the same, unchanged transcript: it is passed over, not read again.
    spool.append_event(
        paths.spool_dir, SpoolEvent(event="Stop", session_id=PATHOLOGICAL, transcript_path=str(poisoned), cwd="/w")
    )
    again = drain_spool(paths, Config(), quiet_seconds=0, settle_seconds=0)
    assert again.ingest.held_files == 1 and again.kept_files == 0


def test_a_line_too_long_to_read_is_quarantined_unread_and_the_next_lines_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest, "MAX_LINE_BYTES", 2_000)
    monkeypatch.setattr(ingest, "_SKIP_PIECE", 64)
    paths = resolve()
    folder = paths.projects / PROJECT
    folder.mkdir(parents=True)
    lines = normal_lines()
    long_prompt = json.dumps({"type": "user", "sessionId": NORMAL, "message": {"role": "user", "content": "y" * 5_000}})
    # The long line, and one whose newline falls just past the limit: neither is read.
    exact = json.dumps({"type": "user", "sessionId": NORMAL, "message": {"content": "z" * 1_000}})
    exact = exact[:-1] + " " * (2_000 - len(exact)) + "}"
    transcript = folder / f"{NORMAL}.jsonl"
    transcript.write_text("\n".join([*lines[:3], long_prompt, exact, *lines[3:]]) + "\n", encoding="utf-8")

    report, sessions = _ingest(paths, folder)

    assert sessions == [NORMAL] and report.steps == 3
    assert [(r.offset, r.reason) for r in report.quarantined] == [
        (offset_of_line(transcript, 3), f"a line of {len(long_prompt) + 1:,} bytes, past the 2,000 read"),
        (offset_of_line(transcript, 4), "a line of 2,001 bytes, past the 2,000 read"),
    ]
    with open_store(paths.database, read_only=True) as store:
        assert store.scalar("SELECT offset_bytes FROM files") == transcript.stat().st_size


def test_a_long_last_line_still_being_written_is_left_for_the_next_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "MAX_LINE_BYTES", 2_000)
    paths = resolve()
    folder = paths.projects / PROJECT
    folder.mkdir(parents=True)
    transcript = folder / f"{NORMAL}.jsonl"
    head = "\n".join(normal_lines()) + "\n"
    transcript.write_text(head + '{"type": "user", "message": "' + "y" * 5_000, encoding="utf-8")

    report, _ = _ingest(paths, folder)

    assert not report.quarantined
    with open_store(paths.database, read_only=True) as store:
        assert store.scalar("SELECT offset_bytes FROM files") == len(head.encode())
