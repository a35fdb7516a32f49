"""`review_skill` through an in-memory client: the user's words are required and recorded."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client
from skills.skillkit import make_skill, put_skills

from mcp_server import build_server
from trajectory_miner.mining.items import load_skills
from trajectory_miner.paths import Paths
from trajectory_miner.skills.lifecycle import skill_events
from trajectory_miner.store import open_store


def _review(paths: Paths, arguments: dict[str, Any]) -> Any:
    async def main() -> Any:
        async with Client(build_server(paths, wait_seconds=0.1, first_wait_seconds=0.1)) as client:
            return await client.call_tool("review_skill", arguments)

    return anyio.run(main)


def _with_candidate(paths: Paths) -> None:
    with open_store(paths.database) as store:
        put_skills(store, make_skill("S-007", name="fix-missing-module"))


def test_an_approval_with_the_users_words_changes_the_status_and_records_them(planted_home: Paths) -> None:
    _with_candidate(planted_home)

    result = _review(planted_home, {"skill_id": "S-007", "decision": "approve", "user_said": "yes, keep S-007"})

    assert not result.is_error
    assert result.structured_content["to_status"] == "approved"
    assert "skills export" in result.structured_content["next_step"]
    with open_store(planted_home.database, read_only=True) as store:
        assert [s.status for s in load_skills(store) if s.id == "S-007"] == ["approved"]
        (event,) = skill_events(store, "S-007")
    assert event.reason == 'user said: "yes, keep S-007"'


def test_a_change_without_the_users_words_is_refused_and_nothing_changes(planted_home: Paths) -> None:
    _with_candidate(planted_home)

    result = _review(planted_home, {"skill_id": "S-007", "decision": "approve", "user_said": "   "})

    assert result.is_error and "user_said is empty" in result.content[0].text
    with open_store(planted_home.database, read_only=True) as store:
        assert [s.status for s in load_skills(store) if s.id == "S-007"] == ["candidate"]
        assert skill_events(store, "S-007") == []


def test_unknown_skills_and_changes_the_lifecycle_forbids_say_what_is_wrong(planted_home: Paths) -> None:
    _with_candidate(planted_home)
    unknown = _review(planted_home, {"skill_id": "S-404", "decision": "reject", "user_said": "yes"})
    retire_candidate = _review(planted_home, {"skill_id": "S-007", "decision": "retire", "user_said": "yes"})
    bad_decision = _review(planted_home, {"skill_id": "S-007", "decision": "delete", "user_said": "yes"})

    assert unknown.is_error and "no skill 'S-404'" in unknown.content[0].text
    assert retire_candidate.is_error and "cannot go from candidate to retired" in retire_candidate.content[0].text
    assert bad_decision.is_error and "decision" in bad_decision.content[0].text
