"""`mine` keeps each session's retrieval documents, and the hints it writes come from them."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from trajectory_miner.cli import main
from trajectory_miner.hints import build_hints, render
from trajectory_miner.paths import resolve
from trajectory_miner.retrieval import MemoryIndex
from trajectory_miner.retrieval.kept import VERSION
from trajectory_miner.store import open_store

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"


def _kept(database: Path) -> dict[str, str]:
    with open_store(database, read_only=True) as store:
        return dict(store.query("SELECT session_id, version FROM retrieval_docs"))


def _sessions(database: Path) -> set[str]:
    with open_store(database, read_only=True) as store:
        return {r[0] for r in store.query("SELECT session_id FROM sessions")}


def test_mine_keeps_the_documents_of_every_session_and_of_new_ones_next_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = resolve().database
    first = sorted(TRANSCRIPTS.glob("mining_jest_missing_*.jsonl"))
    assert main(["ingest", "--quiet", *map(str, first[:3])]) == 0
    assert main(["mine", "--json"]) == 0
    assert set(_kept(database)) == _sessions(database) and len(_sessions(database)) == 3
    assert main(["ingest", "--quiet", *map(str, first[3:])]) == 0
    assert set(_kept(database)) < _sessions(database)
    assert main(["mine", "--json"]) == 0
    capsys.readouterr()
    kept = _kept(database)
    assert set(kept) == _sessions(database) and set(kept.values()) == {VERSION}


def test_the_hints_mine_writes_are_those_of_an_index_worked_out_from_the_steps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = resolve()
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("live_hints = true\n", encoding="utf-8")
    assert main(["ingest", "--quiet", *map(str, sorted(TRANSCRIPTS.glob("mining_*.jsonl")))]) == 0
    assert main(["mine", "--json"]) == 0
    capsys.readouterr()
    with open_store(paths.database) as store:
        store.execute("DELETE FROM retrieval_docs")
    with open_store(paths.database, read_only=True) as store:
        expected = render(build_hints(MemoryIndex.build(store)))
    written = paths.hints_file.read_text(encoding="utf-8")
    assert written == expected and json.loads(written)["hints"]


def test_mine_gives_the_cycle_collector_back_as_it_found_it(capsys: pytest.CaptureFixture[str]) -> None:
    first = sorted(TRANSCRIPTS.glob("mining_jest_missing_*.jsonl"))
    assert main(["ingest", "--quiet", *map(str, first[:2])]) == 0
    assert gc.isenabled()
    assert main(["mine", "--json"]) == 0
    assert gc.isenabled()
    gc.disable()
    try:
        assert main(["mine", "--json"]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
    capsys.readouterr()


def test_mine_gives_the_cycle_collector_back_when_it_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert not resolve().database.exists()
    assert main(["mine", "--json"]) == 1
    assert gc.isenabled()
    assert "no store yet" in capsys.readouterr().err
