"""Paths chosen from the environment and the file system."""

from __future__ import annotations

import os
import time
from pathlib import Path

from trajectory_miner.paths import live_session


def transcript(folder: Path, sid: str, age_seconds: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sid}.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))


def test_the_live_session_is_the_newest_transcript_of_the_project_folder(tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    folder = projects / "-home-dev-my-shop-v2"
    transcript(folder, "older", 120)
    transcript(folder, "newest", 5)
    transcript(projects / "-home-dev-other", "elsewhere", 1)
    (folder / "newest").mkdir()  # a session's subagent folder is not a transcript
    assert live_session(projects, "/home/dev/my_shop.v2") == "newest"


def test_no_live_session_when_nothing_was_written_lately_or_the_project_is_unknown(tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    transcript(projects / "-home-dev-shop", "old", 3600)
    assert live_session(projects, "/home/dev/shop") is None
    assert live_session(projects, "/home/dev/none") is None
    assert live_session(projects, None) is None
