"""The synthetic corpus: deterministic, in Claude Code's layout, and its manifest tells the truth."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

GEN_PATH = Path(__file__).resolve().parents[2] / "bench" / "corpus_gen.py"
KNOWN_TYPES = {"user", "assistant", "system", "attachment", "progress", "permission-mode", "queue-operation"}
KNOWN_TYPES |= {"file-history-snapshot", "last-prompt", "ai-title"}


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_gen", GEN_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_gen"] = module
    # The generator puts bench/ on the import path for its sibling modules; bench/ also holds
    # scripts (retrieval.py, mine.py) whose names would hide the test packages of those names.
    path = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = path
    return module


gen = _load()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    gen.generate(root, len(gen.SHOWCASE) + 2, seed=7)
    return root


def _manifest(root: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def _blocks(entry: dict[str, Any]) -> list[dict[str, Any]]:
    content = (entry.get("message") or {}).get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def test_the_same_seed_writes_identical_bytes(corpus: Path, tmp_path: Path) -> None:
    gen.generate(tmp_path, len(gen.SHOWCASE) + 2, seed=7)
    assert _snapshot(tmp_path) == _snapshot(corpus)


def test_different_seeds_write_different_sessions(tmp_path: Path) -> None:
    gen.generate(tmp_path / "a", 1, seed=1)
    gen.generate(tmp_path / "b", 1, seed=2)
    ids_a = {s["session_id"] for s in _manifest(tmp_path / "a")["sessions"]}
    ids_b = {s["session_id"] for s in _manifest(tmp_path / "b")["sessions"]}
    assert ids_a.isdisjoint(ids_b)


def test_files_follow_the_claude_code_layout(corpus: Path) -> None:
    projects = corpus / "projects"
    for path in projects.rglob("*.jsonl"):
        parts = path.relative_to(projects).parts
        entries = [e for e in _entries(path) if "cwd" in e]
        assert re.fullmatch(r"-[A-Za-z0-9-]+", parts[0])
        assert {re.sub(r"[^a-zA-Z0-9]", "-", e["cwd"]) for e in entries} == {parts[0]}
        if len(parts) == 2:
            assert {e["sessionId"] for e in entries} == {path.stem}
            continue
        session_dir, subagents, name = parts[1:]
        agent_id = name.removeprefix("agent-").removesuffix(".jsonl")
        assert subagents == "subagents" and (projects / parts[0] / f"{session_dir}.jsonl").is_file()
        assert all(e["isSidechain"] and e["agentId"] == agent_id for e in entries)
        meta = json.loads(path.with_name(f"agent-{agent_id}.meta.json").read_text(encoding="utf-8"))
        main_text = (projects / parts[0] / f"{session_dir}.jsonl").read_text(encoding="utf-8")
        assert f'"id":"{meta["toolUseId"]}"' in main_text


def test_every_line_parses_except_the_malformed_ones_the_manifest_counts(corpus: Path) -> None:
    files = _manifest(corpus)["files"]
    assert sum(f["malformed_lines"] for f in files) >= 1
    assert {f["path"] for f in files} == {p.relative_to(corpus).as_posix() for p in corpus.rglob("*.jsonl")}
    for record in files:
        path = corpus / record["path"]
        lines = path.read_text(encoding="utf-8").split("\n")
        assert lines.pop() == ""
        bad = 0
        for line in lines:
            try:
                json.loads(line)
            except json.JSONDecodeError:
                bad += 1
        assert (bad, len(lines), path.stat().st_size) == (
            record["malformed_lines"],
            record["lines"],
            record["bytes"],
        )


def test_manifest_counts_of_tool_calls_and_errors_match_a_count_of_the_files(corpus: Path) -> None:
    manifest = _manifest(corpus)
    for record in manifest["files"]:
        entries = list(_entries(corpus / record["path"]))
        calls = sum(b["type"] == "tool_use" for e in entries if e["type"] == "assistant" for b in _blocks(e))
        errors = sum(
            b["type"] == "tool_result" and b.get("is_error") is True
            for e in entries
            if e["type"] == "user"
            for b in _blocks(e)
        )
        assert (calls, errors) == (record["tool_calls"], record["error_results"]), record["path"]
    totals = manifest["totals"]
    agents = {e["agentId"] for p in corpus.rglob("*.jsonl") for e in _entries(p) if e.get("agentId")}
    assert totals["subagent_runs"] == len(agents) == sum(s["subagent_runs"] for s in manifest["sessions"])
    assert totals["tool_calls"] == sum(f["tool_calls"] for f in manifest["files"]) > 0
    assert totals["error_results"] == sum(f["error_results"] for f in manifest["files"]) > 0


def test_a_small_corpus_shows_every_rare_shape(corpus: Path) -> None:
    main_files = list((corpus / "projects").glob("*/*.jsonl"))
    entries = [e for p in corpus.rglob("*.jsonl") for e in _entries(p)]
    blocks = [b for e in entries for b in _blocks(e)]
    texts = [b.get("text", "") for b in blocks] + [e["message"]["content"] for e in entries if "message" in e]
    found = {
        "malformed": _manifest(corpus)["totals"]["malformed_lines"] > 0,
        "compaction": any(e.get("subtype") == "compact_boundary" for e in entries)
        and any(e.get("isCompactSummary") for e in entries),
        "subagent": any((corpus / "projects").glob("*/*/subagents/agent-*.jsonl")),
        "api_error": any(e.get("isApiErrorMessage") for e in entries),
        "interrupt": any(isinstance(t, str) and t.startswith("[Request interrupted by user") for t in texts),
        "slash_command": any(isinstance(t, str) and "<command-name>/" in t for t in texts),
        "skill": any(b.get("name") == "Skill" for b in blocks),
        "unknown_type": any(e.get("type") not in KNOWN_TYPES for e in entries),
        "persisted_output": any((corpus / "projects").glob("*/*/tool-results/*.txt")),
        "inline_sidechain": any(e.get("isSidechain") for p in main_files for e in _entries(p)),
        "image": any(b["type"] == "image" for b in blocks),
    }
    assert set(found) == set(gen.SHOWCASE)
    assert [shape for shape, seen in found.items() if not seen] == []


def test_entries_of_one_api_response_share_id_request_and_usage(corpus: Path) -> None:
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in corpus.rglob("*.jsonl"):
        for e in _entries(path):
            if e["type"] == "assistant" and not e.get("isApiErrorMessage"):
                responses.setdefault(e["message"]["id"], []).append(e)
    assert any(len(group) > 1 for group in responses.values())
    for group in responses.values():
        assert all(len(e["message"]["content"]) == 1 for e in group)
        assert len({json.dumps(e["message"]["usage"]) for e in group}) == 1
        assert len({e.get("requestId") or e.get("requestRef") for e in group}) == 1


def test_failing_sessions_end_on_an_error_and_succeeding_ones_on_a_pass(corpus: Path) -> None:
    for session in _manifest(corpus)["sessions"]:
        path = corpus / "projects" / session["project"] / f"{session['session_id']}.jsonl"
        results = [b for e in _entries(path) for b in _blocks(e) if b["type"] == "tool_result"]
        assert results[-1]["is_error"] is (session["outcome"] == "failure"), session


def test_target_size_keeps_adding_sessions(tmp_path: Path) -> None:
    stats = gen.generate(tmp_path, 1, seed=3, target_bytes=2_000_000)
    assert stats.sessions > 1 and stats.bytes >= 2_000_000
    assert stats.bytes == sum(p.stat().st_size for p in tmp_path.rglob("*.jsonl"))


def test_refuses_to_write_into_a_corpus_that_is_already_there(corpus: Path) -> None:
    with pytest.raises(FileExistsError):
        gen.generate(corpus, 1, seed=7)


def test_command_line_prints_the_totals_it_recorded(tmp_path: Path) -> None:
    run = [sys.executable, str(GEN_PATH), str(tmp_path), "--sessions", "1", "--seed", "4"]
    out = subprocess.run(run, capture_output=True, text=True, encoding="utf-8", check=True).stdout
    assert json.loads(out) == _manifest(tmp_path)["totals"]
