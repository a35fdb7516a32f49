"""Mined skills after mining: the user's approval, SKILL.md files, and how they fare in use.

`lifecycle` moves a skill between candidate, approved, exported, rejected and retired and
records each change; `skillmd` renders and checks SKILL.md text; `export` writes the files;
`usage` counts later sessions that used an exported skill; `absence` says why there is none yet.

The names below load with their module on first use: the MCP server reviews skills without
loading the exporter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trajectory_miner.lazy import lazy_attributes

if TYPE_CHECKING:
    from trajectory_miner.skills.export import ExportError, ExportItem, ExportReport, export_skills
    from trajectory_miner.skills.lifecycle import (
        SkillEvent,
        SkillNotFound,
        TransitionError,
        approve,
        change_status,
        find_skill,
        reject,
        reopen,
        retire,
        retirement_proposed,
        skill_events,
    )
    from trajectory_miner.skills.skillmd import render, validate_skill_md
    from trajectory_miner.skills.usage import SkillUse, track_usage

_HOMES = {
    "export": ("ExportError", "ExportItem", "ExportReport", "export_skills"),
    "lifecycle": (
        "SkillEvent",
        "SkillNotFound",
        "TransitionError",
        "approve",
        "change_status",
        "find_skill",
        "reject",
        "reopen",
        "retire",
        "retirement_proposed",
        "skill_events",
    ),
    "skillmd": ("render", "validate_skill_md"),
    "usage": ("SkillUse", "track_usage"),
}

__all__ = [
    "ExportError",
    "ExportItem",
    "ExportReport",
    "SkillEvent",
    "SkillNotFound",
    "SkillUse",
    "TransitionError",
    "approve",
    "change_status",
    "export_skills",
    "find_skill",
    "reject",
    "render",
    "reopen",
    "retire",
    "retirement_proposed",
    "skill_events",
    "track_usage",
    "validate_skill_md",
]


__getattr__ = lazy_attributes(__name__, _HOMES)
