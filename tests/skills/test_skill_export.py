import json
import os
from pathlib import Path

import pytest
from skillkit import make_skill, put_skills

from trajectory_miner.mining.items import load_skills
from trajectory_miner.skills.export import MANIFEST, ExportError, export_skills
from trajectory_miner.skills.lifecycle import TransitionError, retire, skill_events
from trajectory_miner.store import Store


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_export_writes_approved_skills_and_marks_them_exported(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved", name="release-steps"), make_skill("S-002", status="candidate"))
    report = export_skills(store, tmp_path / "skills")
    assert [(i.skill_id, i.name, i.action) for i in report.items] == [("S-001", "release-steps", "written")]
    assert (tmp_path / "skills" / "release-steps" / "SKILL.md").read_text(encoding="utf-8").startswith("---\n")
    assert {s.id: s.status for s in load_skills(store)} == {"S-001": "exported", "S-002": "candidate"}
    assert [(e.from_status, e.to_status) for e in skill_events(store, "S-001")] == [("approved", "exported")]


def test_a_second_export_writes_nothing_and_reports_unchanged(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved"), make_skill("S-002", status="approved", name="other"))
    target = tmp_path / "skills"
    export_skills(store, target)
    before, events = _snapshot(target), skill_events(store)
    report = export_skills(store, target)
    assert [i.action for i in report.items] == ["unchanged", "unchanged"]
    assert not report.changed
    assert _snapshot(target) == before
    assert skill_events(store) == events


def test_a_hand_edited_file_is_never_overwritten_and_is_reported(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved", name="release-steps"))
    target = tmp_path / "skills"
    export_skills(store, target)
    path = target / "release-steps" / "SKILL.md"
    edited = path.read_text(encoding="utf-8") + "\nMy own extra step.\n"
    path.write_text(edited, encoding="utf-8")
    (skill,) = load_skills(store)
    put_skills(store, skill.model_copy(update={"steps": ["Run `make release`"]}))
    report = export_skills(store, target)
    (item,) = report.items
    assert item.action == "edited" and "edited by hand" in item.note
    assert path.read_text(encoding="utf-8") == edited


def test_an_unedited_file_is_updated_when_the_skill_changed(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved", name="release-steps"))
    target = tmp_path / "skills"
    export_skills(store, target)
    (skill,) = load_skills(store)
    put_skills(store, skill.model_copy(update={"steps": ["Run `make release`"]}))
    (item,) = export_skills(store, target).items
    assert item.action == "updated"
    assert "1. Run `make release`" in (target / "release-steps" / "SKILL.md").read_text(encoding="utf-8")
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["skills"]["S-001"]["name"] == "release-steps"


def test_a_folder_the_user_made_is_not_taken_over(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "skills"
    (target / "release-steps").mkdir(parents=True)
    (target / "release-steps" / "SKILL.md").write_text("mine\n", encoding="utf-8")
    put_skills(store, make_skill(status="approved", name="release-steps"))
    (item,) = export_skills(store, target).items
    assert (item.name, item.action) == ("release-steps-2", "written")
    assert (target / "release-steps" / "SKILL.md").read_text(encoding="utf-8") == "mine\n"
    assert [s.name for s in load_skills(store)] == ["release-steps-2"]


def test_a_lost_manifest_does_not_duplicate_an_unchanged_file(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved", name="release-steps"))
    target = tmp_path / "skills"
    export_skills(store, target)
    (target / MANIFEST).unlink()
    (item,) = export_skills(store, target).items
    assert (item.name, item.action) == ("release-steps", "unchanged")
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "release-steps"]


def test_a_retired_skill_keeps_its_file_unless_removal_is_asked(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved", name="release-steps"))
    target = tmp_path / "skills"
    export_skills(store, target)
    retire(store, "S-001")
    (item,) = export_skills(store, target).items
    assert item.action == "kept" and (target / "release-steps" / "SKILL.md").exists()
    (item,) = export_skills(store, target, remove_retired=True).items
    assert item.action == "removed"
    assert not (target / "release-steps").exists()
    assert json.loads((target / MANIFEST).read_text(encoding="utf-8"))["skills"] == {}
    assert export_skills(store, target, remove_retired=True).items == []


def test_an_edited_file_of_a_retired_skill_is_not_removed(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved", name="release-steps"))
    target = tmp_path / "skills"
    export_skills(store, target)
    path = target / "release-steps" / "SKILL.md"
    path.write_text(path.read_text(encoding="utf-8") + "note\n", encoding="utf-8")
    retire(store, "S-001")
    (item,) = export_skills(store, target, remove_retired=True).items
    assert item.action == "edited" and path.exists()


def test_a_name_in_a_tampered_manifest_cannot_escape_the_folder(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "skills"
    target.mkdir()
    manifest = {"format": 1, "skills": {"S-001": {"name": "../escaped", "sha256": "0" * 64}}}
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    put_skills(store, make_skill(status="approved"))
    (item,) = export_skills(store, target).items
    assert item.action == "refused" and "not a safe folder name" in item.note
    assert not (tmp_path / "escaped").exists()
    assert [s.status for s in load_skills(store)] == ["approved"]


def test_a_symlinked_skill_folder_pointing_elsewhere_is_refused(store: Store, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "skills"
    target.mkdir()
    put_skills(store, make_skill(status="approved", name="release-steps"))
    export_skills(store, target)
    (target / "release-steps" / "SKILL.md").unlink()
    (target / "release-steps").rmdir()
    os.symlink(elsewhere, target / "release-steps")
    (item,) = export_skills(store, target).items
    assert item.action == "refused" and "symbolic link" in item.note
    assert list(elsewhere.iterdir()) == []


def test_exporting_a_named_candidate_is_refused(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="candidate"))
    with pytest.raises(TransitionError, match="approve it before exporting"):
        export_skills(store, tmp_path / "skills", only=["S-001"])
    assert not (tmp_path / "skills").exists()


def test_only_the_named_skills_are_exported(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(status="approved", name="one"), make_skill("S-002", status="approved", name="two"))
    report = export_skills(store, tmp_path / "skills", only=["two"])
    assert [i.skill_id for i in report.items] == ["S-002"]
    assert {s.id: s.status for s in load_skills(store)} == {"S-001": "approved", "S-002": "exported"}


def test_a_file_in_place_of_the_target_folder_is_an_error(store: Store, tmp_path: Path) -> None:
    (tmp_path / "skills").write_text("x", encoding="utf-8")
    put_skills(store, make_skill(status="approved"))
    with pytest.raises(ExportError, match="not a folder"):
        export_skills(store, tmp_path / "skills")


def test_writes_leave_no_temporary_files_behind(store: Store, tmp_path: Path) -> None:
    put_skills(store, *(make_skill(f"S-00{n}", status="approved", name=f"skill-{n}") for n in range(1, 4)))
    target = tmp_path / "skills"
    export_skills(store, target)
    names = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
    assert names == [MANIFEST, *[f"skill-{n}{suffix}" for n in range(1, 4) for suffix in ("", "/SKILL.md")]]
