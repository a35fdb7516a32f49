"""Stuck episodes read from a session's steps: what failed, what was tried, what got past it."""

from __future__ import annotations

from trajectory_miner.analysis.signatures import error_signature
from trajectory_miner.retrieval.episodes import RetrievalStep, extract, fix_step, program

MODULE = "Exit code 1\nModuleNotFoundError: No module named 'helpers'"


def step(
    index: int,
    summary: str,
    *,
    error: str | None = None,
    tool: str = "Bash",
    thought: str = "",
    files: tuple[str, ...] = (),
) -> RetrievalStep:
    return RetrievalStep(
        step_index=index,
        turn_index=1,
        tool=tool,
        summary=summary,
        thought=thought,
        is_error=error is not None,
        signature=error_signature(tool, error) if error is not None else None,
        excerpt=error or "",
        files=files,
    )


def test_a_failure_followed_by_the_same_command_succeeding_is_verified_with_the_steps_between() -> None:
    steps = [
        step(0, "python scripts/report.py", error=MODULE),
        step(1, "cat scripts/report.py"),
        step(2, "python -m scripts.report", thought="Run it as a module from the root."),
        step(3, "git status"),
    ]
    (episode,) = extract("s1", steps)
    assert episode.resolution == "verified"
    assert episode.worked_next == (
        "Bash: cat scripts/report.py",
        "Bash: python -m scripts.report — Run it as a module from the root.",
    )
    assert episode.tried == ("Bash: python scripts/report.py (failed)",)
    assert episode.attempts == 1


def test_a_session_that_ends_on_the_error_got_nowhere_and_keeps_what_it_tried() -> None:
    steps = [
        step(0, "python scripts/report.py", error=MODULE),
        step(1, "pip install helpers", error="ERROR: No matching distribution found for helpers"),
        step(2, "python scripts/report.py", error=MODULE),
    ]
    episodes = {e.family: e for e in extract("s1", steps)}
    module = episodes["ModuleNotFoundError: No module named 'helpers'"]
    assert module.resolution == "no"
    assert module.attempts == 2
    assert module.worked_next == ()
    assert "Bash: pip install helpers (failed)" in module.tried


def test_an_error_that_does_not_come_back_while_work_goes_on_is_likely_got_past() -> None:
    steps = [
        step(0, "npm run lint", error="Exit code 2\nerror: Unexpected console statement"),
        step(1, "src/app.ts", tool="Edit", files=("src/app.ts",)),
        step(2, "npm test"),
    ]
    (episode,) = extract("s1", steps)
    assert episode.resolution == "likely"
    assert episode.worked_next == ("Edit: src/app.ts", "Bash: npm test")


def test_a_file_tool_failure_is_got_past_by_the_same_tool_on_the_same_file() -> None:
    steps = [
        step(0, "/w/a.py", tool="Edit", error="String to replace not found in file.", files=("/w/a.py",)),
        step(1, "/w/a.py", tool="Read", files=("/w/a.py",)),
        step(2, "/w/a.py", tool="Edit", files=("/w/a.py",)),
    ]
    (episode,) = extract("s1", steps)
    assert episode.resolution == "verified"
    assert episode.worked_next[-1] == "Edit: /w/a.py"
    assert episode.files == frozenset({"/w/a.py"})


def test_a_user_declining_a_tool_call_is_not_an_episode() -> None:
    steps = [
        step(0, "rm -rf build", error="The user doesn't want to proceed with this tool use."),
        step(1, "ls"),
    ]
    assert extract("s1", steps) == []


def test_each_error_family_of_a_session_is_its_own_episode_with_its_commands() -> None:
    steps = [
        step(0, "python scripts/report.py", error=MODULE),
        step(1, "npm start", error="Error: listen EADDRINUSE: address already in use :::3000"),
        step(2, "python -m scripts.report"),
    ]
    episodes = {e.family: e for e in extract("s1", steps)}
    assert len(episodes) == 2
    module = episodes["ModuleNotFoundError: No module named 'helpers'"]
    assert module.resolution == "verified"
    assert module.commands == frozenset({"python", "report.py"})


def test_the_program_of_a_command_skips_directory_changes_and_variables() -> None:
    assert program("cd scripts && PYTHONPATH=.. /usr/bin/python3 report.py") == "python"
    assert program("npm test") == "npm"
    assert program("cd /tmp") == ""


def test_a_command_about_a_file_is_verified_only_by_a_command_about_the_same_file() -> None:
    error = "Exit code 1\nE       fixture 'db' not found"
    other_file = [
        step(0, "python -m pytest tests/test_sync.py", error=error),
        step(1, "python -m pytest -q tests/test_search.py"),
    ]
    assert extract("s1", other_file)[0].resolution == "likely"
    same_file = [
        step(0, "python -m pytest tests/test_sync.py", error=error),
        step(1, "pip install pytest-db"),
        step(2, "python -m pytest -q tests/test_sync.py"),
    ]
    assert extract("s1", same_file)[0].resolution == "verified"


def test_the_fix_of_an_episode_is_the_last_step_that_acted_before_the_error_was_gone() -> None:
    steps = [
        step(0, "npm start", error="Error: listen EADDRINUSE: address already in use :::3000"),
        step(1, "lsof -ti:3000 | xargs kill"),
        step(2, "/w/server.js", tool="Read", files=("/w/server.js",)),
        step(3, "git diff --stat"),
        step(4, "npm start"),
    ]
    (episode,) = extract("s1", steps)
    assert episode.resolution == "verified"
    assert fix_step(episode) == "Bash: lsof -ti:3000 | xargs kill"
    rerun_only = extract("s1", [steps[0], steps[2], steps[4]])[0]
    assert fix_step(rerun_only) == "Bash: npm start"
