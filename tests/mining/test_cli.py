import json
import os
from pathlib import Path

import pytest

from mining.stores import ALL, TRANSCRIPTS
from trajectory_miner.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ingested(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "ingest", "--quiet", *(str(TRANSCRIPTS / f"{n}.jsonl") for n in ALL))
    assert code == 0


def test_mine_writes_the_json_report_and_its_markdown_to_the_reports_folder(
    ingested: None, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "mine")
    assert code == 0
    (report,) = (isolated_home / "reports").glob("mining-*.json")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["sessions"] == len(ALL)
    assert any("jest: command not found" in p["root_cause_cluster"] for p in data["patterns"])
    markdown = report.with_suffix(".md").read_text(encoding="utf-8")
    assert markdown.startswith("# Mining report")
    assert str(report) in out and f"mined {len(ALL)} sessions" in out
    assert oct(os.stat(report).st_mode & 0o777) == oct(0o600)


def test_mine_json_prints_the_report_and_writes_it_where_asked(
    ingested: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "report.json"
    code, out, _ = run(capsys, "mine", "--json", "--out", str(target))
    assert code == 0
    printed = json.loads(out)
    assert printed["patterns"] == json.loads(target.read_text(encoding="utf-8"))["patterns"]
    assert target.with_suffix(".md").exists()
    assert {"patterns", "incidents", "skills", "replays", "open_questions"} <= set(printed)


def test_mine_scoped_to_a_project_reports_only_that_project(ingested: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "mine", "--json", "--project", "/home/dev/work/shop-api", "--since", "2026-01-01")
    assert code == 0
    printed = json.loads(out)
    assert printed["sessions"] == 1 and printed["project"] == "/home/dev/work/shop-api"


def test_mine_without_a_store_says_to_ingest_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "mine")
    assert code == 1
    assert "ingest" in err
