import json
import os
import shutil
from pathlib import Path

import orjson
import pytest

from tests.conftest import SHARED
from tests.store_snapshot import snapshot
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.store import open_store, rows_file

SID = "11111111-aaaa-4bbb-8ccc-000000000001"
NO_REDACTION = {"redact": lambda text: text}


def ingest(db: Path, *paths: Path, config: Config | None = None):  # type: ignore[no-untyped-def]
    with open_store(db) as store:
        return ingest_paths(store, list(paths), config or Config(), **NO_REDACTION)  # type: ignore[arg-type]


def picture(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with open_store(db, read_only=True) as store:
        return snapshot(store)


def test_ingest_stores_sessions_turns_steps_and_the_sidechain(tmp_path: Path, every_entry_dir: Path) -> None:
    report = ingest(tmp_path / "m.duckdb", every_entry_dir)
    assert (report.files, report.sessions, report.steps, report.tool_errors) == (2, 2, 8, 2)
    assert report.unknown_entry_types == {"brand-new-entry-type": 1}
    with open_store(tmp_path / "m.duckdb", read_only=True) as store:
        parent = store.scalar("SELECT parent_session_id FROM sessions WHERE is_sidechain")
        assert parent == SID
        linked = store.scalar(
            "SELECT count(*) FROM steps s JOIN sessions c ON c.agent_id = s.subagent_id WHERE s.session_id = ?", [SID]
        )
        assert linked == 1


def test_ingesting_the_same_file_twice_duplicates_nothing(tmp_path: Path, every_entry_dir: Path) -> None:
    db = tmp_path / "m.duckdb"
    ingest(db, every_entry_dir)
    once = picture(db)
    second = ingest(db, every_entry_dir)
    assert second.files_changed == 0 and second.steps == 0
    assert picture(db) == once


def test_ingesting_a_file_in_two_halves_equals_ingesting_it_once(tmp_path: Path, every_entry_dir: Path) -> None:
    source = (every_entry_dir / f"{SID}.jsonl").read_bytes()
    whole = tmp_path / "whole" / f"{SID}.jsonl"
    whole.parent.mkdir()
    whole.write_bytes(source)
    ingest(tmp_path / "once.duckdb", whole)

    growing = tmp_path / "growing" / f"{SID}.jsonl"
    growing.parent.mkdir()
    lines = source.splitlines(keepends=True)
    for cut in (len(lines) // 3, len(lines) // 2, len(lines)):
        growing.write_bytes(b"".join(lines[:cut]))
        ingest(tmp_path / "halves.duckdb", growing)
    assert picture(tmp_path / "halves.duckdb") == picture(tmp_path / "once.duckdb")


def test_a_line_cut_mid_write_is_read_once_when_it_is_complete(tmp_path: Path, every_entry_dir: Path) -> None:
    source = (every_entry_dir / f"{SID}.jsonl").read_bytes()
    path = tmp_path / "p" / f"{SID}.jsonl"
    path.parent.mkdir()
    cut = source.index(b"toolu_read1") + 5
    path.write_bytes(source[:cut])
    ingest(tmp_path / "m.duckdb", path)
    path.write_bytes(source)
    ingest(tmp_path / "m.duckdb", path)
    ingest(tmp_path / "ref.duckdb", every_entry_dir / f"{SID}.jsonl")
    assert picture(tmp_path / "m.duckdb") == picture(tmp_path / "ref.duckdb")


def test_a_rewritten_file_is_read_again_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "p" / "s.jsonl"
    path.parent.mkdir()

    def prompt(sid: str, text: str) -> bytes:
        line = {"type": "user", "sessionId": sid, "uuid": text, "message": {"role": "user", "content": text}}
        return orjson.dumps(line) + b"\n"

    path.write_bytes(prompt("s", "first") + prompt("s", "second"))
    ingest(tmp_path / "m.duckdb", path)
    path.write_bytes(prompt("t", "other"))  # rotated: shorter, different head
    ingest(tmp_path / "m.duckdb", path)
    with open_store(tmp_path / "m.duckdb", read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM turns WHERE session_id = 't'") == 1
        assert store.scalar("SELECT count(*) FROM turns WHERE session_id = 's'") == 2


def test_a_file_deleted_before_it_is_read_is_reported_not_fatal(
    tmp_path: Path, every_entry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ghost = tmp_path / "ghost.jsonl"
    real = sorted(every_entry_dir.rglob("*.jsonl"))
    monkeypatch.setattr("trajectory_miner.capture.ingest.find_transcripts", lambda root: [ghost, *real])
    report = ingest(tmp_path / "m.duckdb", every_entry_dir)
    assert len(report.errors) == 1 and str(ghost) in report.errors[0]
    assert report.steps == 8


def test_excluded_projects_store_nothing(tmp_path: Path, every_entry_dir: Path) -> None:
    report = ingest(tmp_path / "m.duckdb", every_entry_dir, config=Config(excluded_projects=["/work/demo"]))
    assert report.excluded_sessions == 2
    with open_store(tmp_path / "m.duckdb", read_only=True) as store:
        for table in ("sessions", "turns", "steps", "events", "responses"):
            assert store.scalar(f"SELECT count(*) FROM {table}") == 0, table


def _independent_count(path: Path) -> tuple[int, int]:
    """Tool calls and error results in a real file, counted without the parser."""
    uses: set[str] = set()
    errors: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            continue
        message = entry.get("message") if isinstance(entry, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list) or entry.get("type") not in ("user", "assistant"):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use" and block.get("id"):
                uses.add(block["id"])
            if block.get("type") == "tool_result" and block.get("is_error") is True:
                errors.add(block.get("tool_use_id"))
    return len(uses), len(errors & uses)


REAL_FILES = sorted(SHARED.glob("corpus/claude-code*/*.jsonl")) if SHARED.exists() else []


@pytest.mark.skipif(not REAL_FILES, reason="the shared corpus is absent")
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_transcript_ingests_with_the_counts_of_an_independent_reader(tmp_path: Path, path: Path) -> None:
    report = ingest(tmp_path / "m.duckdb", path)
    uses, errors = _independent_count(path)
    with open_store(tmp_path / "m.duckdb", read_only=True) as store:
        stored = store.scalar("SELECT count(*) FROM steps")
        stored_errors = store.scalar("SELECT count(*) FROM steps WHERE is_error")
        main_sessions = {r[0] for r in store.query("SELECT session_id FROM sessions WHERE NOT is_sidechain")}
    assert (stored, stored_errors) == (uses, errors)
    assert report.errors == []
    named = _named_sessions(path)
    if named:  # the file's name is a fallback only: no session is made of it
        assert main_sessions <= named


def _named_sessions(path: Path) -> set[str]:
    named: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("sessionId"), str) and entry["sessionId"]:
            named.add(entry["sessionId"])
    return named


UNNAMED_SID = "66666666-aaaa-4bbb-8ccc-000000000006"


@pytest.mark.parametrize("name", ["transcript.jsonl", "session.jsonl"])
def test_a_file_not_named_after_its_session_ingests_as_that_session_alone(tmp_path: Path, name: str) -> None:
    path = tmp_path / "projects" / "-work-dice" / name
    path.parent.mkdir(parents=True)
    source = Path(__file__).parent.parent / "fixtures" / "transcripts" / "project-unnamed-file" / "transcript.jsonl"
    shutil.copyfile(source, path)
    report = ingest(tmp_path / "m.duckdb", path)
    assert report.sessions == 1
    with open_store(tmp_path / "m.duckdb", read_only=True) as store:
        assert store.query("SELECT session_id, title, project FROM sessions") == [
            (UNNAMED_SID, "Dice page", "/work/dice")
        ]
        assert store.query("SELECT DISTINCT session_id FROM turns") == [(UNNAMED_SID,)]


def test_parsing_in_worker_processes_stores_the_same_as_one_process(tmp_path: Path, every_entry_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    for n in range(3):
        shutil.copytree(every_entry_dir, corpus / f"p{n}")
        for path in (corpus / f"p{n}").rglob("*.jsonl"):
            path.write_text(path.read_text(encoding="utf-8").replace(SID, f"{SID[:-1]}{n}"), encoding="utf-8")
    with open_store(tmp_path / "one.duckdb") as store:
        one = ingest_paths(store, [corpus], Config(), workers=1)
    with open_store(tmp_path / "two.duckdb") as store:
        two = ingest_paths(store, [corpus], Config(), workers=2)
    assert one.model_dump() == two.model_dump()
    assert one.steps == 24
    assert picture(tmp_path / "one.duckdb") == picture(tmp_path / "two.duckdb")


def test_text_of_every_kind_is_stored_exactly_and_no_rows_file_is_left(tmp_path: Path) -> None:
    odd = "nul \x00, line sep \u2028, emoji \U0001f600, quotes \"' and a backslash \\ end"
    use = {"type": "tool_use", "id": "toolu_odd", "name": "Bash", "input": {"command": odd}}
    result = {"type": "tool_result", "tool_use_id": "toolu_odd", "content": odd, "is_error": True}
    path = tmp_path / "p" / "s.jsonl"
    path.parent.mkdir()
    path.write_bytes(
        b"".join(
            orjson.dumps(line) + b"\n"
            for line in (
                {"type": "user", "sessionId": "s", "uuid": "u1", "message": {"role": "user", "content": odd}},
                {"type": "assistant", "sessionId": "s", "uuid": "a1", "message": {"id": "m1", "content": [use]}},
                {"type": "user", "sessionId": "s", "uuid": "u2", "message": {"role": "user", "content": [result]}},
            )
        )
    )
    db = tmp_path / "m.duckdb"
    ingest(db, path)
    with open_store(db, read_only=True) as store:
        assert store.scalar("SELECT prompt FROM turns") == odd
        assert store.query("SELECT result_text, is_error, input->>'command' FROM steps") == [(odd, True, odd)]
        assert not rows_file(store.path).exists()


def test_a_folder_named_with_bytes_that_are_not_utf8_ingests_once(tmp_path: Path, every_entry_dir: Path) -> None:
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/proj-\xff"))
    shutil.copytree(every_entry_dir, folder)
    db = tmp_path / "m.duckdb"
    first = ingest(db, folder)
    again = ingest(db, folder)
    assert (first.steps, first.errors, again.files_changed) == (8, [], 0)
    with open_store(db, read_only=True) as store:
        paths = [row[0] for row in store.query("SELECT transcript_path FROM sessions")]
        assert paths and all("/proj-\\xff/" in p for p in paths)
