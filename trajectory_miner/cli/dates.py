"""Dates given on the command line, parsed apart from the commands that take them so that a
command reading one does not import the others' modules."""

from __future__ import annotations

import argparse
from datetime import datetime

from trajectory_miner.utc import aware


def parse_date(text: str) -> datetime:
    """A YYYY-MM-DD (or ISO) date as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from exc
    return aware(value)
