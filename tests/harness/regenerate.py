"""Record a labelled set with the real CLI: the scenario set or the learning set.

    python -m tests.harness.regenerate [--set scenarios|learning] [--only NAME ...]
    python -m tests.harness.regenerate --labels-only

The scenario set (`labelled_set.py`, the default) goes to `tests/fixtures/scenarios/`, each
scenario run in `/tmp/tm-scenarios/<name>/`; `labels.json` maps each file name to its label.
The learning set (`learning_set.py`) goes to `tests/fixtures/learning/`, each session run in
`/tmp/tm-learning/<project>/` so the sessions of one project share a repo path, with a git
identity set as on a user's machine; its `labels.json` holds each session's truth, the
recurring failures and the replay questions (`--labels-only` rewrites it without recording).

Paths inside the transcripts stay the same from one regeneration to the next. The transcript
is copied as written by the CLI, except that in bookkeeping lines (system prompt snapshots,
request shapes, skill listings) long strings and deeply nested parts are cut short to keep the
fixtures small; `user` and `assistant` lines are kept whole.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .claude_runner import RunResult, claude_available, run_scenario
from .labelled_set import LABELLED_SET
from .scenarios import UNSENT, Scenario

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
SCRATCH = Path("/tmp/tm-scenarios")
LEARNING_FIXTURES = FIXTURES.parent / "learning"
LEARNING_SCRATCH = Path("/tmp/tm-learning")
# A user's machine knows who commits; without it `git commit` stops before saying anything else.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Robin Example",
    "GIT_AUTHOR_EMAIL": "robin@example.invalid",
    "GIT_COMMITTER_NAME": "Robin Example",
    "GIT_COMMITTER_EMAIL": "robin@example.invalid",
}
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


def regenerate(
    scenarios: tuple[Scenario, ...],
    fixtures: Path = FIXTURES,
    *,
    workdir_for: Callable[[Scenario], Path] = lambda scenario: SCRATCH / scenario.name,
    env: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run each scenario, write its transcript fixture, and return the labels written."""
    fixtures.mkdir(parents=True, exist_ok=True)
    labels: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        workdir = workdir_for(scenario)
        shutil.rmtree(workdir, ignore_errors=True)
        result = run_scenario(scenario, workdir=workdir, env=env)
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


def learning_labels(fixtures: Path = LEARNING_FIXTURES) -> dict[str, Any]:
    """The learning set's `labels.json`: the truth of each session recorded in `fixtures`, the
    recurring failures and the replay questions."""
    from .learning import truth_json
    from .learning_set import LEARNING_SET, QUERIES, RECURRING

    return {
        "sessions": {
            f"{e.scenario.name}.jsonl": truth_json(e.truth)
            for e in sorted(LEARNING_SET, key=lambda e: e.scenario.name)
            if (fixtures / f"{e.scenario.name}.jsonl").exists()
        },
        "recurring": {r.id: {"kind": r.kind, "description": r.description} for r in RECURRING},
        "queries": [{"text": q.text, "answer": q.answer, "error_text": q.error_text} for q in QUERIES],
    }


def regenerate_learning(only: list[str] | None, fixtures: Path = LEARNING_FIXTURES, *, record: bool = True) -> int:
    """Record the learning set (or the sessions named in `only`) and rewrite its `labels.json`;
    with `record` false, only rewrite the labels (after a change to truths or questions)."""
    from .learning_set import LEARNING_SET

    unknown = sorted(set(only or ()) - {e.scenario.name for e in LEARNING_SET})
    if unknown:
        print(f"not in the learning set: {', '.join(unknown)}", file=sys.stderr)
        return 2
    chosen = [e for e in LEARNING_SET if record and (not only or e.scenario.name in only)]
    projects = {e.scenario.name: e.truth.project for e in chosen}
    regenerate(
        tuple(e.scenario for e in chosen),
        fixtures,
        workdir_for=lambda scenario: LEARNING_SCRATCH / projects[scenario.name],
        env=GIT_IDENTITY,
    )
    labels_path = fixtures / "labels.json"
    labels_path.write_text(json.dumps(learning_labels(fixtures), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(chosen)} transcript(s) and {labels_path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", choices=("scenarios", "learning"), default="scenarios", help="which set to record")
    parser.add_argument("--only", nargs="*", default=None, help="scenario names to regenerate")
    parser.add_argument("--labels-only", action="store_true", help="learning set: rewrite labels.json, record nothing")
    args = parser.parse_args(argv)
    if args.labels_only:
        return regenerate_learning(None, record=False)
    if not claude_available():
        print("the claude CLI is not on PATH", file=sys.stderr)
        return 2
    if args.set == "learning":
        return regenerate_learning(args.only)
    chosen = tuple(s for s in LABELLED_SET if not args.only or s.name in args.only)
    labels_path = FIXTURES / "labels.json"
    labels = json.loads(labels_path.read_text(encoding="utf-8")) if args.only and labels_path.exists() else {}
    labels.update(regenerate(chosen))
    labels_path.write_text(json.dumps(dict(sorted(labels.items())), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(chosen)} transcript(s) and {labels_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
