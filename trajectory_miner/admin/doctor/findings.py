"""What a doctor check finds: a level, one line, and what to do; a run's findings together."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

Level = Literal["ok", "note", "problem"]


class Check(BaseModel):
    """One finding: a level, a line saying what was found, and what to do when it needs the user."""

    name: str
    level: Level
    summary: str
    fix: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class Diagnosis(BaseModel):
    """Every check of one run; `ok` is false when any of them needs the user."""

    home: str
    checked_at: datetime
    checks: list[Check]

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.level == "problem"]

    @property
    def ok(self) -> bool:
        return not self.problems


def shell_quote(path: Path) -> str:
    text = str(path)
    return text if re.fullmatch(r"[\w@%+=:,./-]+", text) else "'" + text.replace("'", "'\\''") + "'"
