"""Skills mined from recorded sessions, one for each kind of fix, as SKILL.md files: each carries
the fix its sessions found, follows the format, and matches its golden copy.

Set `TM_UPDATE_GOLDEN=1` to rewrite the golden copies after a deliberate change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from learning_skills import LABELS, ExportedSkill, labels, mine_and_export

from trajectory_miner.skills.skillmd import validate_skill_md

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "skillmd_mined"
KINDS = ("env_var", "install", "config_edit", "source_edit", "command_flag")

pytestmark = pytest.mark.skipif(not LABELS.exists(), reason="the learning set is not recorded")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[ExportedSkill]:
    return mine_and_export(tmp_path_factory.mktemp("mined"))


def best_of_kind(exported: list[ExportedSkill], kind: str) -> ExportedSkill:
    """The skill of a kind of fix that rests on the most sessions."""
    of_kind = [e for e in exported if e.skill.fix_kind == kind]
    assert of_kind, f"no {kind} skill was mined"
    return max(of_kind, key=lambda e: (len(e.sources), e.skill.id))


@pytest.mark.parametrize("kind", KINDS)
def test_a_skill_of_each_kind_carries_the_fix_its_sessions_made(exported: list[ExportedSkill], kind: str) -> None:
    chosen = best_of_kind(exported, kind)
    truth = labels()
    evidence = {text for name in chosen.sources for text in truth[name]["fix_evidence"]}
    assert len(chosen.sources) >= 2
    assert all(truth[name]["fix_kind"] == kind for name in chosen.sources if truth[name]["role"] == "fixing")
    steps = chosen.text.split("## Steps", 1)[1]
    assert any(text in steps for text in evidence), (evidence, steps)


@pytest.mark.parametrize("kind", KINDS)
def test_a_skill_of_each_kind_says_when_and_why_in_a_valid_file(exported: list[ExportedSkill], kind: str) -> None:
    chosen = best_of_kind(exported, kind)
    assert validate_skill_md(chosen.text) == []
    for section in ("## When to use", "## Why it works", "## Steps"):
        assert section in chosen.text
    signature = chosen.skill.signatures[0]
    assert signature.split(":")[0] in chosen.text.split("---", 2)[1], "the description names the error"
    assert chosen.folder.startswith("fix-") and chosen.folder.endswith(kind.replace("_", "-"))


@pytest.mark.parametrize("kind", KINDS)
def test_a_skill_of_each_kind_matches_its_golden_copy(exported: list[ExportedSkill], kind: str) -> None:
    chosen = best_of_kind(exported, kind)
    golden = GOLDEN / f"{kind}.md"
    if os.environ.get("TM_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(chosen.text, encoding="utf-8")
    assert chosen.text == golden.read_text(encoding="utf-8")
