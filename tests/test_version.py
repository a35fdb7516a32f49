"""One version, written once; build and store pins that hold."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from trajectory_miner import __version__

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_in_the_package_alone() -> None:
    plugin = json.loads((REPO / ".claude-plugin" / "plugin.json").read_text(encoding="utf-8"))
    marketplace = json.loads((REPO / ".claude-plugin" / "marketplace.json").read_text(encoding="utf-8"))

    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "trajectory_miner.__version__"}
    assert all("version" not in entry for entry in marketplace["plugins"])
    # Claude Code reads the manifest alone to notice an update, so it carries the same value.
    assert plugin["version"] == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_the_build_backend_reads_an_spdx_license_and_duckdb_stays_below_its_next_major() -> None:
    import duckdb

    [setuptools] = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    [pin] = [d for d in PYPROJECT["project"]["dependencies"] if d.startswith("duckdb")]
    ceiling = re.search(r"<\s*(\d+)", pin)

    assert PYPROJECT["project"]["license"] == "MIT"
    assert re.fullmatch(r"setuptools>=(\d+)", setuptools) and int(setuptools.split(">=")[1]) >= 77
    assert ceiling is not None
    assert int(duckdb.__version__.split(".")[0]) < int(ceiling.group(1))
