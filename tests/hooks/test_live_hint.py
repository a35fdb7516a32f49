"""The live-hint hook, run as Claude Code runs it: the second time an error comes back, the known fix."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from analysis.table_rows import failure_table, runnable
from retrieval.builders import planted_store

from hooks.simulate import HOOKS_DIR, hook_python
from trajectory_miner.analysis.signatures import error_signature, is_generic, signature_family
from trajectory_miner.hints import Hint, hints_from_store, render, write_hints
from trajectory_miner.store import open_store

# The hook's own reading, under `python3 -S` as Claude Code runs it, of (tool, output, command) rows.
READ_AS_THE_HOOK = """
import json, sys
sys.path.insert(0, sys.argv[1])
import live_hint
rows = json.loads(sys.stdin.read())
print(json.dumps([live_hint.family_of(tool, text, command) for tool, text, command in rows]))
"""

MODULE_FAMILY = "ModuleNotFoundError: No module named 'helpers'"
MODULE_ERROR = "Exit code 1\nTraceback (most recent call last):\nModuleNotFoundError: No module named 'helpers'"
PORT_ERROR = "Exit code 1\nError: listen EADDRINUSE: address already in use :::3000"


def failure(error: str, session: str = "sess-1", **extra: Any) -> dict[str, Any]:
    body = {
        "session_id": session,
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/work/app",
        "hook_event_name": "PostToolUseFailure",
        "tool_name": "Bash",
        "tool_input": {"command": "python scripts/report.py"},
        "tool_use_id": "toolu_1",
        "error": error,
        "is_interrupt": False,
    }
    body.update(extra)
    return body


def run(env: dict[str, str], payload: dict[str, Any] | bytes) -> subprocess.CompletedProcess[bytes]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    return subprocess.run(
        [hook_python(), "-S", str(HOOKS_DIR / "live_hint.py")],
        input=data,
        capture_output=True,
        env=env,
        timeout=30,
        check=False,
    )


def context(process: subprocess.CompletedProcess[bytes]) -> str | None:
    assert process.returncode == 0
    if not process.stdout.strip():
        return None
    output = json.loads(process.stdout)
    assert output["hookSpecificOutput"]["hookEventName"] in ("PostToolUseFailure", "PostToolUse")
    text: str = output["hookSpecificOutput"]["additionalContext"]
    return text


def plant_hints(home: Path, fix: str = "Bash: python -m scripts.report — run it as a module") -> None:
    home.mkdir(parents=True, exist_ok=True)
    hints = {MODULE_FAMILY: Hint(fix=fix, source="f1xed000-0000-4000", sessions=2, projects={"/work/app": 2})}
    (home / "hints.json").write_text(render(hints), encoding="utf-8")


def plant_file(home: Path, table: dict[str, Any], version: int = 1) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "hints.json").write_text(json.dumps({"version": version, "hints": table}), encoding="utf-8")


def second_sighting(env: dict[str, str], payload: dict[str, Any]) -> str | None:
    first = context(run(env, payload))
    assert first is None
    return context(run(env, payload))


def test_the_second_sighting_of_an_error_adds_the_known_fix_once(hook_env: dict[str, str], isolated_home: Path) -> None:
    plant_hints(isolated_home)
    first, second, third = (context(run(hook_env, failure(MODULE_ERROR))) for _ in range(3))
    assert first is None
    assert second is not None
    assert "python -m scripts.report" in second
    assert "from 2 sessions in this project" in second
    assert "find_replay_for_stuck_step" in second
    assert len(second) < 600
    assert third is None


def test_errors_of_different_families_and_sessions_are_counted_apart(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    plant_hints(isolated_home)
    assert context(run(hook_env, failure(MODULE_ERROR, session="a"))) is None
    assert context(run(hook_env, failure(PORT_ERROR, session="a"))) is None
    assert context(run(hook_env, failure(MODULE_ERROR, session="b"))) is None
    assert context(run(hook_env, failure(MODULE_ERROR, session="a"))) is not None


def test_live_hints_off_in_the_config_means_no_hint(hook_env: dict[str, str], isolated_home: Path) -> None:
    plant_hints(isolated_home)
    (isolated_home / "config.toml").write_text("live_hints = false\n", encoding="utf-8")
    assert [context(run(hook_env, failure(MODULE_ERROR))) for _ in range(2)] == [None, None]
    (isolated_home / "config.toml").write_text("result_cap = 5000\n", encoding="utf-8")
    assert [context(run(hook_env, failure(MODULE_ERROR))) is not None for _ in range(2)] == [False, True]


def test_without_a_hint_file_the_hook_does_nothing_and_keeps_no_state(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    for _ in range(2):
        assert context(run(hook_env, failure(MODULE_ERROR))) is None
    assert not (isolated_home / "live-hints").exists()


def test_an_unreadable_payload_exits_zero_quietly_and_is_logged(hook_env: dict[str, str], isolated_home: Path) -> None:
    plant_hints(isolated_home)
    for payload in (b"{not json", b"[1, 2]", b""):
        process = run(hook_env, payload)
        assert process.returncode == 0
        assert process.stdout == b""
    assert "PostToolUseFailure" in (isolated_home / "hook-errors.log").read_text(encoding="utf-8")


def test_a_post_tool_use_payload_with_a_failing_exit_code_counts_and_a_success_does_not(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    plant_hints(isolated_home)

    def post(code: int) -> dict[str, Any]:
        response = {"stdout": "", "stderr": "ModuleNotFoundError: No module named 'helpers'", "exitCode": code}
        return {**failure(""), "hook_event_name": "PostToolUse", "tool_response": response}

    assert context(run(hook_env, post(0))) is None
    assert context(run(hook_env, post(0))) is None
    assert context(run(hook_env, post(1))) is None
    hinted = context(run(hook_env, post(1)))
    assert hinted is not None and "python -m scripts.report" in hinted


def test_a_long_fix_is_cut_to_keep_the_context_under_six_hundred_characters(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    plant_hints(isolated_home, fix="x" * 5000)
    run(hook_env, failure(MODULE_ERROR))
    hinted = context(run(hook_env, failure(MODULE_ERROR)))
    assert hinted is not None and len(hinted) <= 600
    assert hinted.endswith("call find_replay_for_stuck_step.")


def test_the_hook_finds_the_fix_the_store_knows_for_the_error_claude_code_reports(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    database = planted_store(isolated_home)
    with open_store(database, read_only=True) as store:
        (isolated_home / "hints.json").write_text(render(hints_from_store(store)), encoding="utf-8")
    payload = failure(
        "Exit code 1\nTraceback (most recent call last):\n"
        '  File "/home/me/proj/jobs/nightly.py", line 2, in <module>\n'
        "ModuleNotFoundError: No module named 'helpers'",
        cwd="/home/me/proj",
    )
    hinted = second_sighting(hook_env, payload)
    assert hinted is not None
    assert "python -m scripts.report_" in hinted
    assert "from 2 sessions in other projects" in hinted


def test_the_fix_from_the_project_the_session_runs_in_is_preferred_and_its_origin_said(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    alpha = Hint(fix="python -m scripts.x", source="a1", sessions=2, projects={"/work/alpha": 2})
    everywhere = Hint(
        fix="PYTHONPATH=. python x.py",
        source="b1",
        sessions=5,
        projects={"/work/beta": 3, "/work/alpha": 2},
        others=[alpha],
    )
    write_hints(isolated_home / "hints.json", {MODULE_FAMILY: everywhere})

    def shown(session: str, cwd: str) -> str:
        text = second_sighting(hook_env, failure(MODULE_ERROR, session=session, cwd=cwd))
        assert text is not None
        return text

    here = shown("a", "/work/alpha/scripts")
    assert "python -m scripts.x" in here and "(from 2 sessions in this project)" in here
    beta = shown("b", "/work/beta")
    assert "PYTHONPATH=." in beta and "(from 5 sessions, 3 in this project)" in beta
    # Another folder of the same name is another project.
    for session, cwd in (("d", "/work/delta"), ("e", "/home/me/alpha")):
        elsewhere = shown(session, cwd)
        assert "PYTHONPATH=." in elsewhere and "(from 5 sessions in other projects)" in elsewhere


def test_a_skill_s_fix_names_the_skill(hook_env: dict[str, str], isolated_home: Path) -> None:
    skill = Hint(fix="skill run-as-module: python -m pkg.mod", source="S-004", sessions=0)
    write_hints(isolated_home / "hints.json", {MODULE_FAMILY: skill})
    hinted = second_sighting(hook_env, failure(MODULE_ERROR))
    assert hinted is not None and "(from skill S-004)" in hinted


def test_a_version_one_file_is_read_but_a_fix_from_one_session_or_for_a_bare_exit_code_is_never_shown(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    plant_file(
        isolated_home,
        {
            MODULE_FAMILY: {"fix": "python -m scripts.report", "source": "f1xed000-0000-4000", "sessions": 2},
            "Error: listen EADDRINUSE: address already in use :::<n>": {
                "fix": "ls -la /Users/someone/other-project/",
                "source": "0ne5e55i-0000-4000",
                "sessions": 1,
            },
            "Exit code <n>": {"fix": "ls -la /Users/someone/other-project/", "source": "S-009", "sessions": 5},
        },
    )
    hinted = second_sighting(hook_env, failure(MODULE_ERROR))
    assert hinted is not None and "python -m scripts.report" in hinted and "from 2 past sessions" in hinted
    assert second_sighting(hook_env, failure(PORT_ERROR)) is None
    bare = failure("Exit code 3", tool_input={"command": 'bash -c "exit 3"'})
    assert second_sighting(hook_env, bare) is None


def test_hooks_json_runs_the_hook_after_failed_bash_calls() -> None:
    config = json.loads((HOOKS_DIR / "hooks.json").read_text(encoding="utf-8"))
    (entry,) = config["hooks"]["PostToolUseFailure"]
    assert entry["matcher"] == "Bash"
    assert entry["hooks"][0]["args"] == ["-S", "${CLAUDE_PLUGIN_ROOT}/hooks/live_hint.py"]


def test_the_hook_reads_every_failure_of_the_table_as_the_store_does() -> None:
    table = runnable(failure_table()["rows"])
    rows = [(r["tool"], r["output"], r["command"]) for r in table if r["failed"]]
    process = subprocess.run(
        [hook_python(), "-S", "-c", READ_AS_THE_HOOK, str(HOOKS_DIR)],
        input=json.dumps(rows).encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=True,
    )
    stored = [signature_family(error_signature(tool, text, command)) for tool, text, command in rows]
    expected = ["" if is_generic(family) else family for family in stored]
    assert json.loads(process.stdout) == expected
    assert sum(1 for family in expected if family) >= 30


def test_the_command_names_the_program_of_a_weak_error_as_ingest_does(
    hook_env: dict[str, str], isolated_home: Path
) -> None:
    plant_file(isolated_home, {"HTTP 503 @ curl": {"fix": "curl --retry 3", "source": "S-011", "sessions": 2}})
    payload = failure("Exit code 22\nHTTP 503", tool_input={"command": "cd api && curl -fsS localhost:8080/health"})
    hinted = second_sighting(hook_env, payload)
    assert hinted is not None and "--retry 3" in hinted
