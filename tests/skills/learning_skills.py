"""The skills mined from the recorded learning set, approved and exported as SKILL.md files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.capture.upkeep import after_ingest
from trajectory_miner.config import Config
from trajectory_miner.mining import mine
from trajectory_miner.mining.items import Skill
from trajectory_miner.skills.export import export_skills
from trajectory_miner.skills.lifecycle import approve
from trajectory_miner.store import open_store

LEARNING = Path(__file__).resolve().parents[1] / "fixtures" / "learning"
LABELS = LEARNING / "labels.json"


@dataclass(frozen=True)
class ExportedSkill:
    """A mined skill and the SKILL.md the exporter wrote for it."""

    skill: Skill
    folder: str
    text: str
    # The transcript file names of the sessions the skill was mined from.
    sources: frozenset[str]


def labels() -> dict[str, Any]:
    """The learning set's labels by transcript file name."""
    return dict(json.loads(LABELS.read_text(encoding="utf-8"))["sessions"])


def mine_and_export(scratch: Path) -> list[ExportedSkill]:
    """Ingest, score and mine the learning set, approve every skill and export them all."""
    target = scratch / "skills"
    with open_store(scratch / "m.duckdb") as store:
        after_ingest(store, ingest_paths(store, sorted(LEARNING.glob("*.jsonl")), Config(), redact=lambda t: t))
        mine(store)
        files = {sid: Path(path).name for sid, path in store.query("SELECT session_id, transcript_path FROM sessions")}
        skills = [Skill.model_validate_json(row[0]) for row in store.query("SELECT data FROM skills ORDER BY id")]
        for skill in skills:
            approve(store, skill.id)
        export_skills(store, target)
    by_id: dict[str, tuple[str, str]] = {}
    for path in target.glob("*/SKILL.md"):
        text = path.read_text(encoding="utf-8")
        for skill in skills:
            if f'skill-id: "{skill.id}"' in text:
                by_id[skill.id] = (path.parent.name, text)
    return [
        ExportedSkill(s, *by_id[s.id], frozenset(files[x] for x in s.source_sessions if x in files))
        for s in skills
        if s.id in by_id
    ]
