import json
import os
from pathlib import Path

import pytest
from skillkit import make_skill, put_skills

from trajectory_miner.cli import main
from trajectory_miner.mining.items import Skill
from trajectory_miner.store import open_store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored(*skills: Skill) -> None:
    home = Path(os.environ["TRAJECTORY_MINER_HOME"])
    with open_store(home / "miner.duckdb") as store:
        put_skills(store, *skills)


def test_list_without_a_store_says_there_are_no_skills(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "skills", "list")
    assert code == 0 and "no skills yet" in out


def test_list_marks_skills_proposed_for_retirement(capsys: pytest.CaptureFixture[str]) -> None:
    stored(
        make_skill(status="exported", uses=4, successes=1), make_skill("S-002", status="exported", uses=4, successes=3)
    )
    code, out, _ = run(capsys, "skills", "list")
    assert code == 0
    assert "exported (retire?)" in out and "S-001 is proposed for retirement" in out
    assert "S-002 is proposed" not in out
    code, out, _ = run(capsys, "skills", "list", "--json")
    rows = json.loads(out)
    assert [(r["id"], r["retirement_proposed"]) for r in rows] == [("S-001", True), ("S-002", False)]


def test_approve_then_approve_again_is_refused_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    stored(make_skill())
    code, out, _ = run(capsys, "skills", "approve", "S-001", "--reason", "looks right")
    assert code == 0 and "S-001: candidate → approved" in out
    code, _, err = run(capsys, "skills", "approve", "S-001")
    assert code == 1 and "already approved" in err
    code, out, _ = run(capsys, "skills", "show", "S-001", "--json")
    shown = json.loads(out)
    assert shown["status"] == "approved"
    assert [(e["from"], e["to"], e["reason"]) for e in shown["events"]] == [("candidate", "approved", "looks right")]


def test_an_unknown_skill_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    stored(make_skill())
    code, _, err = run(capsys, "skills", "reject", "S-999")
    assert code == 2 and "no skill 'S-999'" in err


def test_export_to_a_folder_then_again_reports_unchanged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stored(make_skill(status="approved", name="release-steps"))
    code, out, _ = run(capsys, "skills", "export", "--dir", str(tmp_path / "out"))
    assert code == 0 and "1 written" in out
    assert (tmp_path / "out" / "release-steps" / "SKILL.md").exists()
    code, out, _ = run(capsys, "skills", "export", "--dir", str(tmp_path / "out"), "--json")
    report = json.loads(out)
    assert code == 0 and [i["action"] for i in report["items"]] == ["unchanged"]


def test_export_user_scope_writes_into_the_claude_config_skills_folder(capsys: pytest.CaptureFixture[str]) -> None:
    stored(make_skill(status="approved", name="release-steps"))
    code, _, _ = run(capsys, "skills", "export", "--scope", "user")
    assert code == 0
    assert (Path(os.environ["CLAUDE_CONFIG_DIR"]) / "skills" / "release-steps" / "SKILL.md").exists()


def test_export_project_scope_writes_into_the_project(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stored(make_skill(status="approved", name="release-steps"))
    project = tmp_path / "shop"
    project.mkdir()
    code, _, _ = run(capsys, "skills", "export", "--scope", "project", "--project", str(project))
    assert code == 0 and (project / ".claude" / "skills" / "release-steps" / "SKILL.md").exists()
    code, _, err = run(capsys, "skills", "export", "--scope", "user", "--project", str(project))
    assert code == 2 and "--project goes with --scope project" in err


def test_exporting_a_candidate_by_id_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stored(make_skill())
    code, _, err = run(capsys, "skills", "export", "S-001", "--dir", str(tmp_path / "out"))
    assert code == 1 and "approve it before exporting" in err
    assert not (tmp_path / "out").exists()


def test_export_redacts_with_the_users_own_patterns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    home = Path(os.environ["TRAJECTORY_MINER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('redact_patterns = ["ACME-[0-9]{6}"]\n', encoding="utf-8")
    stored(make_skill(status="approved", name="release-steps", steps=["Run `deploy --ticket ACME-123456`"]))
    code, _, _ = run(capsys, "skills", "export", "--dir", str(tmp_path / "out"))
    text = (tmp_path / "out" / "release-steps" / "SKILL.md").read_text(encoding="utf-8")
    assert code == 0 and "ACME-123456" not in text and "[REDACTED:custom]" in text
