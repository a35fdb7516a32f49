"""What the miner learns from the labelled learning set recorded with the real `claude` CLI.

Ingests `tests/fixtures/learning/*.jsonl` into a scratch store, scores and mines it, and
measures against `labels.json`:

- pattern recall: the share of labelled recurring failures matched by a mined pattern. A
  pattern matches one when it holds at least two of the sessions that show that failure, and
  more of them than of any other. Sessions that show a failure are its failing and fixing
  sessions for an error, its failing sessions alone for a behaviour (a session that fixed the
  code instead of the test did not show the behaviour). Purity: per matched pattern, the share
  of its sessions labelled with the failure it matched (mean and worst). Error and behaviour
  failures are also reported apart;
- incidents mistaken for patterns: patterns whose sessions are mostly incident, harmless or
  clean ones, and such sessions found in any pattern;
- outcome accuracy: each session's scored outcome against its label, with the confusion;
- replay hit@3 over the answerable questions: `find_replays`, the core of the MCP tool
  `find_replay_for_stuck_step`, hits when one of its first three results comes from a session
  of the answering failure or is a skill mined mostly from its sessions; abstention over the
  unanswerable ones: the share with no result at all;
- skills: per recurring failure with two fixing sessions or more, whether one mined skill's
  text (description, trigger, steps) holds every fix-evidence string of one of its fixing
  sessions (case-insensitive); skills that rest on one session;
- live hints (`hints_from_store`): hints keyed by a generic signature (a bare exit code, a
  lone word), hints for a failure some session fixed, and the rest.

Works on whatever part of the set is recorded.

    python bench/learning.py [--fixtures DIR] [--json] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trajectory_miner.analysis.signatures import is_generic, signature_family  # noqa: E402
from trajectory_miner.capture.ingest import ingest_paths  # noqa: E402
from trajectory_miner.capture.upkeep import after_ingest  # noqa: E402
from trajectory_miner.config import Config  # noqa: E402
from trajectory_miner.hints import Hint, hints_from_store  # noqa: E402
from trajectory_miner.mining import MiningReport, mine  # noqa: E402
from trajectory_miner.retrieval import MemoryIndex, ReplayHit, StuckQuery, find_replays  # noqa: E402
from trajectory_miner.retrieval.episodes import Episode  # noqa: E402
from trajectory_miner.store import open_store  # noqa: E402

LEARNING = ROOT / "tests" / "fixtures" / "learning"
K = 3
# (figure, target, whether higher is better)
TARGETS: dict[str, tuple[float, bool]] = {
    "pattern_recall": (1.0, True),
    "purity_mean": (0.9, True),
    "purity_worst": (0.9, True),
    "outcome_accuracy": (0.95, True),
    "replay_hit_at_3": (0.9, True),
    "abstention": (0.9, True),
    "generic_hints": (0.0, False),
}
_LONE_WORD = re.compile(r"[\w.<>-]+:?")
NOT_RECURRING = ("incident", "harmless", "clean")


@dataclass(frozen=True)
class Labels:
    """`labels.json` of the learning set."""

    sessions: dict[str, dict[str, Any]]
    recurring: dict[str, dict[str, str]]
    queries: list[dict[str, Any]]

    def of(self, recurring: str) -> set[str]:
        """Every session labelled with the recurring failure."""
        return {f for f, t in self.sessions.items() if t["recurring"] == recurring}

    def showing(self, recurring: str) -> set[str]:
        """The sessions that show the failure: failing and fixing ones for an error, failing
        ones for a behaviour."""
        roles = ("failing",) if self.recurring[recurring]["kind"] == "behaviour" else ("failing", "fixing")
        return {f for f in self.of(recurring) if self.sessions[f]["role"] in roles}

    def with_role(self, *roles: str) -> set[str]:
        return {f for f, t in self.sessions.items() if t["role"] in roles}


@dataclass
class Mined:
    """What the miner made of the recorded sessions, by file name."""

    files: list[str]
    outcomes: dict[str, str]
    report: MiningReport
    names: dict[str, str]
    answers: list[list[ReplayHit]]
    hints: dict[str, Hint]
    hint_sessions: dict[str, set[str]]
    seconds: float

    def files_of(self, session_ids: list[str]) -> set[str]:
        return {self.names[s] for s in session_ids if s in self.names}


def load_labels(folder: Path) -> Labels:
    raw = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    return Labels(raw["sessions"], raw["recurring"], raw["queries"])


def collect(folder: Path, labels: Labels) -> Mined:
    """Ingest, score and mine the labelled transcripts in a scratch store, then ask the questions."""
    began = time.monotonic()
    paths = [folder / name for name in sorted(labels.sessions) if (folder / name).exists()]
    with tempfile.TemporaryDirectory() as scratch, open_store(Path(scratch) / "m.duckdb") as store:
        after_ingest(store, ingest_paths(store, paths, Config(), redact=lambda text: text))
        names = {
            sid: Path(path).name
            for sid, path in store.query("SELECT session_id, transcript_path FROM sessions WHERE NOT is_sidechain")
        }
        outcomes = {names[sid]: outcome for sid, outcome in store.query("SELECT session_id, outcome FROM scores")}
        report = mine(store)
        index = MemoryIndex.build(store)
        answers = [
            find_replays(index, StuckQuery(description=q["text"], error_text=q["error_text"] or None, k=K)).hits[:K]
            for q in labels.queries
        ]
        hints = hints_from_store(store)
        hint_sessions = _signature_sessions(index, names)
    return Mined(
        [p.name for p in paths], outcomes, report, names, answers, hints, hint_sessions, time.monotonic() - began
    )


def _signature_sessions(index: MemoryIndex, names: dict[str, str]) -> dict[str, set[str]]:
    """The sessions behind each key a hint may have: an error family or a specific signature."""
    found: dict[str, set[str]] = {}
    for item in index.items.values():
        if isinstance(item, Episode):
            for key in {item.family, signature_family(item.signature)}:
                found.setdefault(key, set()).add(names.get(item.session, item.session))
    return found


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def patterns(labels: Labels, mined: Mined) -> dict[str, Any]:
    """Which recurring failures a mined pattern matches, and how pure the matching patterns are."""
    showing = {r: labels.showing(r) for r in labels.recurring}
    matched: dict[str, list[dict[str, Any]]] = {r: [] for r in labels.recurring}
    unmatched_patterns: list[str] = []
    for pattern in mined.report.patterns:
        files = mined.files_of(pattern.sessions)
        counts = sorted(((len(files & s), r) for r, s in showing.items()), reverse=True) + [(0, ""), (0, "")]
        (best, rid), runner_up = counts[0], counts[1][0]
        if best >= 2 and best > runner_up:
            purity = len(files & labels.of(rid)) / len(files)
            matched[rid].append({"pattern": pattern.id, "purity": purity, "others": sorted(files - labels.of(rid))})
        else:
            unmatched_patterns.append(pattern.id)
    figures: dict[str, Any] = {"matched": matched, "patterns_matching_nothing": unmatched_patterns}
    for kind in ("all", "error", "behaviour"):
        ids = [r for r, v in labels.recurring.items() if kind in ("all", v["kind"])]
        purities = [m["purity"] for r in ids for m in matched[r]]
        suffix = "" if kind == "all" else f"_{kind}"
        figures[f"pattern_recall{suffix}"] = _share(sum(1 for r in ids if matched[r]), len(ids))
        figures[f"purity_mean{suffix}"] = sum(purities) / len(purities) if purities else None
        figures[f"purity_worst{suffix}"] = min(purities, default=None)
    figures["unmatched"] = sorted(r for r, found in matched.items() if not found)
    return figures


def mistaken(labels: Labels, mined: Mined) -> dict[str, Any]:
    """Patterns made mostly of sessions with no recurring failure, and such sessions in any pattern."""
    others = labels.with_role(*NOT_RECURRING)
    mostly: list[str] = []
    within: dict[str, list[str]] = {}
    for pattern in mined.report.patterns:
        files = mined.files_of(pattern.sessions)
        if files and len(files & others) * 2 > len(files):
            mostly.append(pattern.id)
        for name in sorted(files & others):
            within.setdefault(name, []).append(pattern.id)
    roles = Counter(labels.sessions[name]["role"] for name in within)
    return {
        "patterns_mostly_non_recurring": mostly,
        "non_recurring_sessions_in_patterns": within,
        "by_role": {role: roles.get(role, 0) for role in NOT_RECURRING},
    }


def outcomes(labels: Labels, mined: Mined) -> dict[str, Any]:
    """The scored outcome against the label."""
    names = [n for n in mined.files if n in mined.outcomes]
    misses = {n: f"{labels.sessions[n]['outcome']} -> {mined.outcomes[n]}" for n in names}
    misses = {n: v for n, v in misses.items() if labels.sessions[n]["outcome"] != mined.outcomes[n]}
    confusion = Counter((labels.sessions[n]["outcome"], mined.outcomes[n]) for n in names)
    return {
        "outcome_accuracy": _share(len(names) - len(misses), len(names)),
        "confusion": {f"{a} -> {b}": c for (a, b), c in sorted(confusion.items())},
        "outcome_misses": misses,
    }


def _skill_owner(labels: Labels, mined: Mined) -> dict[str, str]:
    """Each skill's recurring failure: the one most of its source sessions belong to."""
    owners: dict[str, str] = {}
    for skill in mined.report.skills:
        files = mined.files_of(skill.source_sessions)
        found = Counter(labels.sessions[f]["recurring"] for f in files if f in labels.sessions)
        found.pop(None, None)
        if found:
            rid, count = found.most_common(1)[0]
            if count * 2 > len(files):
                owners[skill.id] = rid
    return owners


def replays(labels: Labels, mined: Mined) -> dict[str, Any]:
    """Hit@3 over the questions some recurring failure answers; abstention over the others."""
    owners = _skill_owner(labels, mined)
    hits, missed, spoke = 0, [], []
    # A question whose answer is not among the recorded sessions cannot be answered here.
    recorded = set(mined.files)
    asked = list(zip(labels.queries, mined.answers, strict=True))
    answerable = [(q, a) for q, a in asked if labels.of(q["answer"] or "") & recorded]
    for query, answer in answerable:
        sessions = labels.of(query["answer"])
        if any(mined.files_of(h.session_ids) & sessions or owners.get(h.id) == query["answer"] for h in answer):
            hits += 1
        else:
            missed.append(
                {"query": query["text"], "answer": query["answer"], "got": [_hit_line(h, mined) for h in answer]}
            )
    unanswerable = [(q, a) for q, a in asked if not q["answer"]]
    for query, answer in unanswerable:
        if answer:
            spoke.append({"query": query["text"], "got": [_hit_line(h, mined) for h in answer]})
    return {
        "replay_hit_at_3": _share(hits, len(answerable)),
        "questions_asked": {"answerable": len(answerable), "unanswerable": len(unanswerable)},
        "abstention": _share(len(unanswerable) - len(spoke), len(unanswerable)),
        "replay_misses": missed,
        "abstention_misses": spoke,
    }


def _hit_line(hit: ReplayHit, mined: Mined) -> str:
    return f"{hit.id.split('#')[0][:13]} {hit.kind} {sorted(mined.files_of(hit.session_ids))}: {hit.summary[:80]}"


def skills(labels: Labels, mined: Mined) -> dict[str, Any]:
    """Whether a mined skill carries a fix of each recurring failure fixed twice or more."""
    texts = {s.id: " ".join([s.description, s.trigger, *s.steps]).lower() for s in mined.report.skills}
    carried: dict[str, str | None] = {}
    for rid in labels.recurring:
        fixing = [f for f in labels.of(rid) if labels.sessions[f]["role"] == "fixing" and f in mined.outcomes]
        if len(fixing) < 2:
            continue
        evidence = [[e.lower() for e in labels.sessions[f]["fix_evidence"]] for f in fixing]
        found = [sid for sid, t in texts.items() for ev in evidence if ev and all(e in t for e in ev)]
        carried[rid] = found[0] if found else None
    single = sorted(s.id for s in mined.report.skills if len(set(s.source_sessions)) <= 1)
    return {
        "skills": len(mined.report.skills),
        "fixes_carried": _share(sum(1 for v in carried.values() if v), len(carried)),
        "fix_skills": carried,
        "skills_on_one_session": single,
    }


def generic_key(family: str) -> bool:
    """A hint key that says no more than that something failed: a bare exit code or a lone word."""
    return is_generic(f"hint|error|{family}") or _LONE_WORD.fullmatch(family.strip()) is not None


def hints(labels: Labels, mined: Mined) -> dict[str, Any]:
    """Live hints by kind: generic keys, failures some labelled session fixed, the rest."""
    fixed = labels.with_role("fixing")
    generic = sorted(f for f in mined.hints if generic_key(f))
    known = sorted(f for f in mined.hints if f not in generic and mined.hint_sessions.get(f, set()) & fixed)
    rest = sorted(set(mined.hints) - set(generic) - set(known))
    return {
        "hints": len(mined.hints),
        "generic_hints": len(generic),
        "hint_precision": _share(len(known), len(mined.hints)),
        "generic_hint_keys": generic,
        "other_hint_keys": {f: sorted(mined.hint_sessions.get(f, set())) for f in rest},
    }


def measure(folder: Path) -> dict[str, Any]:
    labels = load_labels(folder)
    mined = collect(folder, labels)
    result: dict[str, Any] = {
        "sessions": len(mined.files),
        "labelled_but_missing": sorted(set(labels.sessions) - set(mined.files)),
        "recurring": len(labels.recurring),
        "queries": len(labels.queries),
        "mined": {
            "patterns": len(mined.report.patterns),
            "incidents": len(mined.report.incidents),
            "replays": len(mined.report.replays),
        },
    }
    for part in (patterns, mistaken, outcomes, replays, skills, hints):
        result.update(part(labels, mined))
    result["seconds"] = round(mined.seconds, 2)
    return result


def _value(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _status(name: str, value: Any) -> str:
    target, higher = TARGETS[name]
    if value is None:
        return "-"
    return "ok" if (value >= target if higher else value <= target) else "MISS"


def table(result: dict[str, Any]) -> list[str]:
    """The figures, their targets and whether each is met."""
    rows = [
        ("pattern_recall", "pattern recall"),
        ("pattern_recall_error", "  error failures"),
        ("pattern_recall_behaviour", "  behaviour failures"),
        ("purity_mean", "purity, mean"),
        ("purity_worst", "purity, worst"),
        ("purity_mean_error", "  error, mean"),
        ("purity_mean_behaviour", "  behaviour, mean"),
        ("outcome_accuracy", "outcome accuracy"),
        ("replay_hit_at_3", "replay hit@3"),
        ("abstention", "abstention"),
        ("fixes_carried", "fixes carried by a skill"),
        ("hint_precision", "hint precision"),
        ("generic_hints", "generic hints"),
    ]
    lines = [f"{'figure':<28} {'value':>7}  {'target':>7}  status", "-" * 54]
    for key, label in rows:
        target = TARGETS.get(key)
        shown = "" if target is None else (f">= {target[0]:g}" if target[1] else f"<= {target[0]:g}")
        status = _status(key, result.get(key)) if target else ""
        lines.append(f"{label:<28} {_value(result.get(key)):>7}  {shown:>7}  {status}")
    return lines


def details(result: dict[str, Any], verbose: bool) -> list[str]:
    """What lies behind the misses."""
    lines = [
        f"unmatched recurring failures: {', '.join(result['unmatched']) or 'none'}",
        "matched: "
        + "; ".join(
            f"{r} <- " + ", ".join(f"{m['pattern']} ({m['purity']:.2f})" for m in ms)
            for r, ms in result["matched"].items()
            if ms
        ),
        f"patterns matching no recurring failure: {result['patterns_matching_nothing'] or 'none'}; "
        f"mostly of incident/harmless/clean sessions: {result['patterns_mostly_non_recurring'] or 'none'}",
        f"incident/harmless/clean sessions in patterns: {result['by_role']}",
        "outcome (label -> scored): " + ", ".join(f"{k}: {v}" for k, v in result["confusion"].items()),
        f"skills: {result['skills']}, on one session: {len(result['skills_on_one_session'])}; "
        f"fix carried per recurring failure: {result['fix_skills']}",
        f"hints: {result['hints']}, generic: {result['generic_hint_keys'] or 'none'}, "
        f"neither generic nor for a fixed failure: {len(result['other_hint_keys'])}",
    ]
    if verbose:
        lines += [f"  in a pattern: {name} {ids}" for name, ids in result["non_recurring_sessions_in_patterns"].items()]
        lines += [f"  outcome miss: {name} {v}" for name, v in result["outcome_misses"].items()]
        for miss in result["replay_misses"]:
            lines.append(f"  replay miss ({miss['answer']}): {miss['query']}")
            lines += [f"      {hit}" for hit in miss["got"]]
        for miss in result["abstention_misses"]:
            lines.append(f"  answered, should abstain: {miss['query']}")
            lines += [f"      {hit}" for hit in miss["got"]]
        lines += [f"  other hint: {key[:90]} {s}" for key, s in result["other_hint_keys"].items()]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=LEARNING, help="folder with the transcripts and labels.json")
    parser.add_argument("--json", action="store_true", help="print every figure and detail as JSON")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    if not (args.fixtures / "labels.json").exists():
        print(f"no labels.json in {args.fixtures}", file=sys.stderr)
        return 1
    if set(json.loads((args.fixtures / "labels.json").read_text(encoding="utf-8"))) != {
        "sessions",
        "recurring",
        "queries",
    }:
        print(
            f"{args.fixtures / 'labels.json'} is not the learning set's (sessions, recurring, queries)", file=sys.stderr
        )
        return 1
    result = measure(args.fixtures)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return 0
    print(
        f"{result['sessions']} sessions, {result['recurring']} recurring failures, {result['queries']} questions "
        f"({result['questions_asked']['answerable']} answerable here, {result['questions_asked']['unanswerable']} "
        "by nothing); "
        f"mined {result['mined']['patterns']} patterns, {result['mined']['incidents']} incidents, "
        f"{result['skills']} skills in {result['seconds']:.1f}s"
    )
    if result["labelled_but_missing"]:
        print(f"labelled but not recorded: {', '.join(result['labelled_but_missing'])}")
    print("\n".join(table(result)))
    print("\n".join(details(result, args.verbose)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
