"""User settings, read from `config.toml` in the data home.

Every field has a safe default, so a missing file means the defaults; a broken file is
reported with what is wrong instead of being silently ignored.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError


class ConfigError(ValueError):
    """The config file exists but cannot be used."""


class Config(BaseModel):
    """What a user can set."""

    excluded_projects: list[str] = Field(
        default_factory=list,
        description="Project paths (or path prefixes) of which nothing is stored.",
    )
    redact_patterns: list[str] = Field(
        default_factory=list,
        description="Extra regular expressions whose matches are redacted before storing.",
    )
    live_hints: bool = Field(
        default=True,
        description="Let the PostToolUse hook add a short replay hint on a repeated error.",
    )
    result_cap: int = Field(
        default=4000,
        ge=200,
        le=1_000_000,
        description="Characters of each tool result kept in the store.",
    )


def load_config(path: Path) -> Config:
    """Read the config file; defaults when it does not exist.

    Raises:
        ConfigError: the file is not valid TOML or holds a wrong value.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    try:
        return Config.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def is_excluded(project: str, config: Config) -> bool:
    """True when the project path is one the user excluded."""
    return any(project == p or project.startswith(p.rstrip("/") + "/") for p in config.excluded_projects)
