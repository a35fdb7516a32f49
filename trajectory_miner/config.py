"""User settings, read from `config.toml` in the data home.

Every field has a safe default, so a missing file means the defaults; a broken file is
reported with what is wrong instead of being silently ignored.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(ValueError):
    """The config file exists but cannot be used."""


class Config(BaseModel):
    """What a user can set."""

    # A misspelt key is an error, not a setting silently left at its default.
    model_config = ConfigDict(extra="forbid")

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

    @field_validator("redact_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        # Caught here, so a bad pattern stops every command with the same message (and `doctor`
        # reports it) instead of failing deep inside the background ingester.
        for pattern in patterns:
            compile_redact_pattern(pattern)
        return patterns


def compile_redact_pattern(pattern: str) -> re.Pattern[str]:
    """A user's redaction pattern, compiled.

    Raises:
        ValueError: it is not a valid regular expression, or it matches the empty string.
    """
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid redaction pattern {pattern!r}: {exc}") from exc
    if compiled.fullmatch(""):
        raise ValueError(f"invalid redaction pattern {pattern!r}: it matches the empty string")
    return compiled


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
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc


def is_excluded(project: str, config: Config) -> bool:
    """True when the project path is one the user excluded."""
    project = project.rstrip("/")
    prefixes = [p.rstrip("/") for p in config.excluded_projects if p.strip("/")]
    return any(project == p or project.startswith(p + "/") for p in prefixes)
