"""`trajectory-miner report`: where the page goes, what `--json` prints, and a store that is not there."""

from __future__ import annotations

import json
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.report.figures import json_figures, page_figures
from trajectory_miner.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home_with_store(small_store: Path, isolated_home: Path) -> Path:
    isolated_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(small_store, isolated_home / "miner.duckdb")
    return isolated_home


def test_report_writes_the_page_in_the_reports_folder_and_prints_its_path(
    home_with_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report")
    path = Path(out.strip())
    assert code == 0 and err == ""
    assert path == home_with_store / "reports" / f"report-{datetime.now(UTC):%Y-%m-%d}.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert page_figures(path.read_text(encoding="utf-8"))["headline"]["sessions"] == 4


def test_report_json_prints_the_figures_the_page_shows(
    home_with_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "nested" / "r.html"
    code, out, _ = run(capsys, "report", "--json", "--out", str(out_file))
    report = json.loads(out)
    assert code == 0 and report["out"] == str(out_file)
    assert page_figures(out_file.read_text(encoding="utf-8")) == json_figures(report)
    assert report["headline"]["tool_calls"] == 6


def test_report_filters_by_project_and_date(home_with_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "report", "--json", "--project", "/work/alpha")
    assert json.loads(out)["headline"]["sessions"] == 2
    _, out, _ = run(capsys, "report", "--json", "--since", "2026-10-15")
    report = json.loads(out)
    assert report["headline"]["sessions"] == 1 and report["filters"]["since"].startswith("2026-10-15")


def test_report_without_a_store_writes_the_page_that_says_how_to_start(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "report", "--json")
    report = json.loads(out)
    assert code == 0 and report["headline"]["sessions"] == 0
    page = Path(report["out"]).read_text(encoding="utf-8")
    assert 'data-figure="empty"' in page and "trajectory-miner ingest" in page
    assert not (isolated_home / "miner.duckdb").exists()


def test_report_rejects_a_date_it_cannot_read(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", "--since", "last tuesday"])
    assert exited.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_report_says_so_when_it_cannot_write_the_page(
    home_with_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, out, err = run(capsys, "report", "--out", str(blocker / "r.html"))
    assert code == 1 and out == ""
    assert "cannot write the report" in err
