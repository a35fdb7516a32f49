"""Every way data arrives leaves the same state: the sessions scored and their skill use noted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.skills.skillkit import make_skill, put_skills, transcript_lines
from trajectory_miner.capture.ingester import drain_spool
from trajectory_miner.capture.spool import SpoolEvent, append_event
from trajectory_miner.capture.upkeep import after_ingest
from trajectory_miner.cli import main
from trajectory_miner.config import Config
from trajectory_miner.paths import resolve
from trajectory_miner.skills.export import export_skills
from trajectory_miner.store import open_store

SID = "5a5a5a5a-aaaa-4bbb-8ccc-000000000001"


def _session_loading_the_skill(projects: Path) -> Path:
    transcript = projects / "-work-shop" / f"{SID}.jsonl"
    transcript.parent.mkdir(parents=True, exist_ok=True)
    lines = transcript_lines(
        SID,
        "Prepare the release notes for 2.0",
        [
            ("Skill", {"skill": "release-notes"}, "Launching skill: release-notes", False),
            ("Read", {"file_path": "/work/shop/CHANGES.md"}, "# Changes", False),
        ],
    )
    transcript.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return transcript


def _export_the_skill(tmp_path: Path) -> None:
    paths = resolve()
    with open_store(paths.database) as store:
        put_skills(store, make_skill(status="approved", name="release-notes"))
        # Exported before the session ran: only later sessions can count as uses.
        export_skills(store, tmp_path / "exported", now=datetime(2020, 1, 1, tzinfo=UTC))


def _state() -> tuple[int, list[tuple[str, str]]]:
    with open_store(resolve().database, read_only=True) as store:
        cards = store.scalar("SELECT count(*) FROM scores WHERE session_id = ?", [SID])
        uses = store.query("SELECT skill_id, session_id FROM skill_uses")
    return cards, uses


def test_the_ingest_command_scores_the_session_and_counts_the_skill_use(tmp_path: Path) -> None:
    _export_the_skill(tmp_path)
    transcript = _session_loading_the_skill(resolve().projects)

    assert main(["ingest", "--quiet", str(transcript)]) == 0

    assert _state() == (1, [("S-001", SID)])


def test_the_hooks_ingester_leaves_the_same_state_as_the_command(tmp_path: Path) -> None:
    _export_the_skill(tmp_path)
    paths = resolve()
    transcript = _session_loading_the_skill(paths.projects)
    append_event(paths.spool_dir, SpoolEvent(event="Stop", session_id=SID, transcript_path=str(transcript)))

    result = drain_spool(paths, Config(), quiet_seconds=0, settle_seconds=0, after_ingest=after_ingest)

    assert result.transcripts == 1
    assert _state() == (1, [("S-001", SID)])


def test_ingest_from_the_spool_on_the_command_line_scores_what_it_read(tmp_path: Path) -> None:
    _export_the_skill(tmp_path)
    paths = resolve()
    transcript = _session_loading_the_skill(paths.projects)
    append_event(paths.spool_dir, SpoolEvent(event="Stop", session_id=SID, transcript_path=str(transcript)))

    assert main(["ingest", "--from-spool", "--quiet"]) == 0

    assert _state() == (1, [("S-001", SID)])
