"""Record the labelled scenario set with the real CLI into `tests/fixtures/scenarios/`.

    python -m tests.harness.regenerate [--only NAME ...]

Each scenario runs in `/tmp/tm-scenarios/<name>/` so the paths inside the transcripts stay
the same from one regeneration to the next. The transcript is copied as written by the
CLI, except that in bookkeeping lines (system prompt snapshots, request shapes, skill
listings) long strings and deeply nested parts are cut short to keep the fixtures small;
`user` and `assistant` lines are kept whole. `labels.json` maps each file name to its label.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from .claude_runner import RunResult, claude_available, run_scenario
from .labelled_set import LABELLED_SET
from .scenarios import UNSENT, Scenario

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
SCRATCH = Path("/tmp/tm-scenarios")
KEPT_WHOLE = frozenset({"user", "assistant"})
MAX_BOOKKEEPING_STRING = 200
MAX_BOOKKEEPING_DEPTH = 4


def trim(value: Any, depth: int = 0) -> Any:
    """`value` with long strings and deeply nested containers cut short and marked as cut."""
    if isinstance(value, str) and len(value) > MAX_BOOKKEEPING_STRING:
        return value[:MAX_BOOKKEEPING_STRING] + f"…[{len(value) - MAX_BOOKKEEPING_STRING} chars trimmed]"
    if isinstance(value, dict | list) and value and depth >= MAX_BOOKKEEPING_DEPTH:
        return f"…[{type(value).__name__} of {len(value)} trimmed]"
    if isinstance(value, dict):
        return {k: trim(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [trim(v, depth + 1) for v in value]
    return value


def compact_transcript(source: Path, target: Path) -> None:
    """Copy a transcript, trimming long strings in lines other than user and assistant turns."""
    lines = []
    for raw in source.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        entry = json.loads(raw)
        if entry.get("type") not in KEPT_WHOLE:
            entry = trim(entry)
        lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def problems(scenario: Scenario, result: RunResult) -> list[str]:
    """Ways a run strayed from its script: replies never asked for, or requests past the end."""
    found = [f"exit code {run.exit_code}: {run.stderr.strip()[:200]}" for run in result.runs if run.exit_code]
    served = {r.reply_index for r in result.main_requests() if r.reply_index is not None}
    unscripted = [r for r in result.main_requests() if r.reply_index is None]
    if unscripted:
        found.append(f"{len(unscripted)} request(s) went past the script")
    skipped = (set(range(len(scenario.replies))) - served) - _closed_by_interrupt(scenario)
    if skipped:
        found.append(f"replies never requested: {sorted(skipped)}")
    if scenario.interrupt_on and not result.runs[0].interrupted:
        found.append("the interrupt was never sent")
    return found


def _closed_by_interrupt(scenario: Scenario) -> set[int]:
    # The CLI writes its own assistant turn after an interrupt, so one index is never asked for.
    return {i for i, reply in enumerate(scenario.replies) if reply == UNSENT}


def summary(result: RunResult) -> str:
    """One line per tool call: name, and whether its result came back as an error."""
    results: dict[str, bool] = {}
    calls: list[tuple[str, str]] = []
    for entry in result.entries():
        content = (entry.get("message") or {}).get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_use":
                calls.append((block["id"], block["name"]))
            elif block.get("type") == "tool_result":
                results[block["tool_use_id"]] = bool(block.get("is_error"))
    marks = [f"{name}{'!' if results.get(tool_id) else ''}" for tool_id, name in calls]
    return " ".join(marks)


def regenerate(scenarios: tuple[Scenario, ...], fixtures: Path = FIXTURES) -> dict[str, dict[str, Any]]:
    """Run each scenario, write its transcript fixture, and return the labels written."""
    fixtures.mkdir(parents=True, exist_ok=True)
    labels: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        workdir = SCRATCH / scenario.name
        shutil.rmtree(workdir, ignore_errors=True)
        result = run_scenario(scenario, workdir=workdir)
        file_name = f"{scenario.name}.jsonl"
        compact_transcript(result.transcript_path, fixtures / file_name)
        trouble = problems(scenario, result)
        print(f"{scenario.name:40s} {summary(result)}", file=sys.stderr)
        for line in trouble:
            print(f"    PROBLEM: {line}", file=sys.stderr)
        if scenario.label is not None:
            labels[file_name] = {
                "outcome": scenario.label.outcome,
                "low_dimension": scenario.label.low_dimension,
                "note": scenario.label.note,
            }
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="*", default=None, help="scenario names to regenerate")
    args = parser.parse_args(argv)
    if not claude_available():
        print("the claude CLI is not on PATH", file=sys.stderr)
        return 2
    chosen = tuple(s for s in LABELLED_SET if not args.only or s.name in args.only)
    labels_path = FIXTURES / "labels.json"
    labels = json.loads(labels_path.read_text(encoding="utf-8")) if args.only and labels_path.exists() else {}
    labels.update(regenerate(chosen))
    labels_path.write_text(json.dumps(dict(sorted(labels.items())), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(chosen)} transcript(s) and {labels_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
