"""One example per command, shown under its `--help` beside the one-line description.

Kept apart from the command modules so that `trajectory-miner <command> --help` shows the
same text whichever modules a command line imports.
"""

from __future__ import annotations

import argparse
from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "ingest": ("trajectory-miner ingest", "trajectory-miner ingest ~/.claude/projects/-home-me-app --json"),
    "sessions": ("trajectory-miner sessions --since 2026-01-01 --limit 20",),
    "show": ("trajectory-miner show 3f2a --full",),
    "search": ("trajectory-miner search 'ModuleNotFoundError pytest' --outcome failure",),
    "serve": ("trajectory-miner serve",),
    "hints": ("trajectory-miner hints",),
    "score": ("trajectory-miner score 3f2a",),
    "rescore": ("trajectory-miner rescore",),
    "feedback": ("trajectory-miner feedback 3f2a bad --note 'it deleted the fixtures'",),
    "mine": ("trajectory-miner mine --since 2026-01-01",),
    "skills": ("trajectory-miner skills list", "trajectory-miner skills approve S-1a2b --reason 'works for me'"),
    "report": ("trajectory-miner report",),
    "export": ("trajectory-miner export parquet ./export",),
    "forget": ("trajectory-miner forget 3f2a", "trajectory-miner forget --before 2026-01-01 --yes"),
    "doctor": ("trajectory-miner doctor",),
}


def describe(commands: Any, help_lines: dict[str, str]) -> None:
    """Give each registered command its help line as description and its examples as epilog."""
    choices: dict[str, argparse.ArgumentParser] = getattr(commands, "choices", {})
    for name, parser in choices.items():
        lines = EXAMPLES.get(name, ())
        if not parser.description and name in help_lines:
            parser.description = help_lines[name][:1].upper() + help_lines[name][1:] + "."
        if lines and not parser.epilog:
            parser.epilog = "example" + ("s" if len(lines) > 1 else "") + ":\n" + "\n".join(f"  {x}" for x in lines)
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
