"""The HTML report: the store's figures on one page a person can read at a glance.

`gather` collects the figures as a `ReportData`; `render` turns them into a self-contained
HTML page; `write_report` does both and writes the file, readable by the user alone.
"""

from __future__ import annotations

import os
from pathlib import Path

from trajectory_miner.report.data import ReportData, empty_report, gather
from trajectory_miner.report.html import render

__all__ = ["ReportData", "empty_report", "gather", "render", "write_report"]


def write_report(data: ReportData, out: Path) -> Path:
    """Write the page for `data` to `out` (its folder made if needed) and return the path."""
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.write_text(render(data), encoding="utf-8")
    os.chmod(out, 0o600)
    return out
