import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trajectory_miner.cli import main
from trajectory_miner.cli.capture import _short_project

SID = "11111111-aaaa-4bbb-8ccc-000000000001"


@pytest.fixture
def projects(every_entry_dir: Path) -> Path:
    """The fixture project copied into the Claude config folder of this test."""
    root = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects"
    shutil.copytree(every_entry_dir, root / "-work-demo")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_without_paths_reads_every_transcript_under_the_claude_projects_folder(
    projects: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ingest", "--json")
    report = json.loads(out)
    assert code == 0
    for key in ("files", "sessions", "turns", "steps", "tool_errors", "skipped_lines", "unknown_entry_types"):
        assert key in report
    assert (report["files"], report["sessions"], report["steps"], report["tool_errors"]) == (2, 2, 8, 2)
    assert report["unknown_entry_types"] == {"brand-new-entry-type": 1}


def test_sessions_lists_one_row_per_session_with_counts(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "sessions", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["session_id"] for r in rows] == [SID]
    row = rows[0]
    assert (row["project"], row["model"], row["turns"], row["steps"], row["tool_errors"]) == (
        "/work/demo",
        "claude-opus-4-5",
        5,
        7,
        2,
    )
    assert row["started_at"].startswith("2026-11-01T10:00")
    code, out, _ = run(capsys, "sessions", "--all", "--json")
    assert len(json.loads(out)) == 2


def test_sessions_table_prints_a_header_and_rows(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "sessions")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["session", "project", "started"]
    assert lines[0].split()[3:] == ["ended", "model", "turns", "steps", "errors", "outcome", "score"]
    assert lines[1].startswith(SID[:13])
    # The ingest scored the session, so its row ends with the outcome and the overall score.
    outcome, score = lines[1].split()[-2:]
    assert outcome in {"success", "partial", "failure", "unknown"} and 0.0 <= float(score) <= 1.0


def test_a_windows_project_path_is_shortened_to_its_folder() -> None:
    assert _short_project("C:\\Users\\dev\\work\\night_agent") == "night_agent"
    assert _short_project("/home/dev/shop/") == "shop"


def test_show_by_prefix_lists_turns_steps_and_error_signatures(
    projects: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "show", SID[:8], "--json")
    data = json.loads(out)
    assert code == 0 and data["session_id"] == SID
    first_turn = data["turns"][0]
    assert [s["tool"] for s in first_turn["steps"]] == ["Bash", "Read", "Edit", "Bash"]
    assert first_turn["steps"][0]["error_signature"].startswith("Bash|exit1|")
    code, out, _ = run(capsys, "show", SID[:8])
    assert "turn 3 (prompt) [interrupted]" in out


def test_show_of_an_unknown_session_says_so(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, _, err = run(capsys, "show", "does-not-exist")
    assert code == 2 and "no session matches 'does-not-exist'" in err


def test_ingest_of_a_missing_path_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "ingest", str(tmp_path / "nope"))
    assert code == 2 and "no such file or folder" in err


def test_sessions_before_any_ingest_says_how_to_start(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sessions")
    assert code == 0 and "trajectory-miner ingest" in out


def test_a_broken_config_file_is_reported(
    projects: Path, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / "config.toml").write_text("result_cap = 'lots'\n", encoding="utf-8")
    code, _, err = run(capsys, "ingest")
    assert code == 2 and "bad config" in err and "result_cap" in err


def test_the_data_home_is_readable_by_the_user_alone(
    projects: Path, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    run(capsys, "ingest", "--quiet")
    assert isolated_home.stat().st_mode & 0o777 == 0o700
    assert (isolated_home / "miner.duckdb").stat().st_mode & 0o777 == 0o600


def test_python_dash_m_runs_the_same_program(projects: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trajectory_miner", "ingest", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["steps"] == 8


def test_ingest_that_cannot_write_beside_the_store_says_why_and_stores_nothing(
    projects: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = Path(os.environ["TRAJECTORY_MINER_HOME"]) / "miner.duckdb.wal"  # the store's write-ahead log
    blocker.mkdir(parents=True)
    code, out, err = run(capsys, "ingest", "--json")
    assert code == 1 and out == ""
    assert "miner.duckdb.wal" in err and "Is a directory" in err
    assert "Traceback" not in err

    blocker.rmdir()
    assert json.loads(run(capsys, "sessions", "--json")[1]) == []
    code, out, _ = run(capsys, "ingest", "--json")
    assert code == 0 and json.loads(out)["steps"] == 8
