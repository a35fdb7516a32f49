"""Exported SKILL.md files compared with golden copies, checked by our rules and by `claude plugin validate`.

Set `TM_UPDATE_GOLDEN=1` to rewrite the golden copies after a deliberate change of format.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from skillkit import put_skills, validate_plugin

from trajectory_miner.mining.items import Skill
from trajectory_miner.skills.export import MANIFEST, export_skills
from trajectory_miner.skills.skillmd import split_frontmatter, validate_skill_md
from trajectory_miner.store import Store

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "skillmd"
# Built here rather than stored, so the fixture files hold nothing that looks like a live secret.
SECRETS = {
    "@@GITHUB_TOKEN@@": "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789",
    "@@API_KEY@@": "sk-live-" + "abcdefghijklmnopqrstuvwx12345",
}


def golden_skills() -> list[Skill]:
    text = (GOLDEN / "skills.json").read_text(encoding="utf-8")
    for marker, secret in SECRETS.items():
        text = text.replace(marker, secret)
    return [Skill.model_validate(item) for item in json.loads(text)]


def exported(store: Store, target: Path) -> dict[str, bytes]:
    put_skills(store, *golden_skills())
    export_skills(store, target)
    files = {p.parent.name: p.read_bytes() for p in target.glob("*/SKILL.md")}
    if os.environ.get("TM_UPDATE_GOLDEN"):
        for old in GOLDEN.iterdir():
            if old.is_dir():
                shutil.rmtree(old)
        for name, data in files.items():
            (GOLDEN / name).mkdir()
            (GOLDEN / name / "SKILL.md").write_bytes(data)
    return files


def test_exported_files_match_the_golden_copies_byte_for_byte(store: Store, tmp_path: Path) -> None:
    files = exported(store, tmp_path / "skills")
    golden = {p.parent.name: p.read_bytes() for p in GOLDEN.glob("*/SKILL.md")}
    assert sorted(files) == sorted(golden)
    for name, data in files.items():
        assert data == golden[name], name


def test_only_approved_and_exported_skills_are_written_with_unique_names(store: Store, tmp_path: Path) -> None:
    files = exported(store, tmp_path / "skills")
    ids = {name: _field(data, "skill-id") for name, data in files.items()}
    assert sorted(ids.values()) == ["S-001", "S-002", "S-003", "S-004", "S-005", "S-006"]
    assert ids["run-tests"] == "S-004" and ids["run-tests-2"] == "S-005"


def test_every_exported_file_follows_the_skill_md_rules(store: Store, tmp_path: Path) -> None:
    files = exported(store, tmp_path / "skills")
    for name, data in files.items():
        text = data.decode("utf-8")
        assert validate_skill_md(text) == [], name
        assert _field(data, "name") == name
        assert "claude" not in name and "anthropic" not in name
        description = _field(data, "description")
        assert 0 < len(description) <= 1024 and "<" not in description and ">" not in description


def test_the_long_description_is_cut_but_still_says_when_to_use_the_skill(store: Store, tmp_path: Path) -> None:
    files = exported(store, tmp_path / "skills")
    (deploy,) = [data for data in files.values() if _field(data, "skill-id") == "S-002"]
    description = _field(deploy, "description")
    assert len(description) > 900
    assert "…" in description and description.endswith("back\\slashes.")
    assert "\u0007" not in description and "\t" not in description and "🚀" in description


def test_no_secret_reaches_an_exported_file(store: Store, tmp_path: Path) -> None:
    files = exported(store, tmp_path / "skills")
    everything = b"".join(files.values()).decode("utf-8")
    for secret in [*SECRETS.values(), "hunter2"]:
        assert secret not in everything
    assert "[REDACTED:github_token]" in everything and "[PRIVATE]" in everything


def _field(data: bytes, key: str) -> str:
    parts = split_frontmatter(data.decode("utf-8"))
    assert parts is not None
    for line in parts[0]:
        stripped = line.strip()
        if stripped.startswith(key + ":"):
            value: str = json.loads(stripped.split(":", 1)[1])
            return value
    raise AssertionError(f"no {key} in frontmatter")


def _plugin_with(tmp_path: Path, skills: Path) -> Path:
    plugin = tmp_path / "plugin"
    (plugin / ".claude-plugin").mkdir(parents=True)
    manifest = {
        "name": "exported-skills",
        "version": "0.0.1",
        "description": "Skills exported by trajectory-miner, laid out as a plugin for the validator.",
        "author": {"name": "trajectory-miner"},
    }
    (plugin / ".claude-plugin" / "plugin.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copytree(skills, plugin / "skills")
    return plugin


@pytest.mark.skipif(shutil.which("claude") is None, reason="the claude CLI is not installed")
def test_claude_plugin_validate_accepts_the_exported_skills_and_lists_each(store: Store, tmp_path: Path) -> None:
    files = exported(store, tmp_path / "skills")
    assert (tmp_path / "skills" / MANIFEST).exists()
    plugin = _plugin_with(tmp_path, tmp_path / "skills")
    home = tmp_path / "home"
    home.mkdir()
    result = validate_plugin(plugin, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation passed" in result.stdout
    for name in files:
        assert f"skills: exported-skills:{name}" in result.stdout
    # The same check fails on a file whose frontmatter does not parse, so its pass above means something.
    broken = plugin / "skills" / "run-tests" / "SKILL.md"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace('name: "run-tests"', 'name: "run-tests'), encoding="utf-8"
    )
    assert validate_plugin(plugin, home).returncode != 0
