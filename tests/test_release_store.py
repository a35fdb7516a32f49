"""A store written by an earlier release opens, migrates and answers as that release answered.

The fixture (tests/fixtures/release_store) holds the release's store, gzipped, and its answers to
`sessions --json --all`, `mine --json` and four MCP calls; `build.py` there says how it was made.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "release_store"
sys.path.insert(0, str(FIXTURE))
from build import answers, environment  # noqa: E402


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    root = tmp_path_factory.mktemp("release")
    config, home = root / "claude", root / "home"
    (config / "projects").mkdir(parents=True)
    home.mkdir(mode=0o700)
    with gzip.open(FIXTURE / "miner.duckdb.gz", "rb") as packed, (home / "miner.duckdb").open("wb") as raw:
        shutil.copyfileobj(packed, raw)
    expected = json.loads((FIXTURE / "answers.json").read_text(encoding="utf-8"))
    return expected, answers(environment(config, home), home)


@pytest.mark.slow
@pytest.mark.parametrize("part", ["sessions", "mine", "mcp"])
def test_the_release_store_answers_as_the_release_did(
    answered: tuple[dict[str, Any], dict[str, Any]], part: str
) -> None:
    expected, got = answered
    assert got[part] == expected[part]
