"""The work-shape dimensions: tool efficiency, error recovery, routing accuracy, context health.

Each function reads a session's step facts and returns the dimension's card (score, the rule
in one readable sentence, evidence pointing at steps) and its score per turn. Task
completion and skill adherence live in `completion.py` and `adherence.py`.
"""

from __future__ import annotations

from collections import Counter

from trajectory_miner.analysis.commands import is_read_only, parse
from trajectory_miner.analysis.filework import file_work
from trajectory_miner.scoring.card import DimensionScore
from trajectory_miner.scoring.facts import (
    ANY_FILE,
    EDIT_TOOLS,
    FailureResolution,
    ScoringFacts,
    StepFacts,
    resolve_failures,
)
from trajectory_miner.scoring.measure import Scale, ScoreFact, scaled

DimensionResult = tuple[DimensionScore, dict[int, float]]

WORK_SCALE = Scale(per_call=0.5, floor=2.0)
CONTEXT_SCALE = Scale(per_call=0.25, floor=2.0)
INLINE_SEARCH_RUN = 12
CALLS_PER_CHANGE = 30
OVERSIZE_FACTOR = 4

_LOOKING_TOOLS = frozenset({"Bash", "Read", "Grep", "Glob", "LS", "WebFetch", "WebSearch", "NotebookRead"})


def _calls_per_turn(facts: ScoringFacts) -> dict[int, int]:
    counts = Counter(item.turn for item in facts.steps)
    return {turn.turn_index: counts.get(turn.turn_index, 0) for turn in facts.session.turns}


def _short(path: str) -> str:
    return path.rsplit("/", 1)[-1] or path


# --- tool efficiency ----------------------------------------------------------------------

EFFICIENCY_RULE = (
    "Starts at 1 and loses a share for each wasted call — a file read again with no change in "
    "between (half for reading back a file just edited), the same call or failing command repeated "
    "with nothing changed, an edit undone, more than 30 calls per file change — scaled by the calls made."
)


class _Tracker:
    """Where files were last read and changed, and where each call was last made."""

    def __init__(self) -> None:
        self.reset()
        self.last_change = -1
        self.last_any_change = -1
        self.changed_at: dict[str, int] = {}
        self.edited_at: dict[str, int] = {}

    def reset(self) -> None:
        self.read_at: dict[str, int] = {}
        self.call_at: dict[str, int] = {}

    def unchanged_since(self, path: str | None, pos: int) -> bool:
        """True when nothing that could alter the file (or, with no file, anything) changed after `pos`."""
        if path is None:
            return self.last_any_change < pos
        return self.last_change < pos and self.changed_at.get(path, -1) < pos


def _read_finding(item: StepFacts, pos: int, path: str, seen: _Tracker, steps: list[StepFacts]) -> ScoreFact | None:
    prior = seen.read_at.get(path)
    if prior is not None and seen.unchanged_since(path, prior):
        return ScoreFact(
            f"read {_short(path)} again, unchanged since step {steps[prior].index}",
            1.0,
            item.turn,
            item.index,
        )
    edited = seen.edited_at.get(path)
    if edited is not None and pos - edited <= 3 and (prior is None or prior < edited) and seen.last_change <= edited:
        return ScoreFact(
            f"read back {_short(path)} right after editing it at step {steps[edited].index}",
            0.5,
            item.turn,
            item.index,
        )
    return None


def _repeat_finding(item: StepFacts, seen: _Tracker, steps: list[StepFacts]) -> ScoreFact | None:
    if item.step.tool_name not in _LOOKING_TOOLS:
        return None
    prior = seen.call_at.get(item.key)
    if prior is None or not seen.unchanged_since(None, prior):
        return None
    what = (item.command or item.step.summary)[:80]
    first = steps[prior].index
    if item.is_failure:
        fact = f"ran the same failing call again with nothing changed ({what}), first at step {first}"
    else:
        fact = f"repeated a call with nothing changed ({what}), first at step {first}"
    return ScoreFact(fact, 1.0, item.turn, item.index)


def _discards(command: str) -> bool:
    """A git command that throws the working tree's edits away (`checkout --`, `restore`,
    `reset --hard`, `stash`)."""
    for simple in parse(command).commands:
        if simple.program != "git" or not simple.args:
            continue
        sub, rest = simple.args[0], simple.args[1:]
        if (sub == "checkout" and "--" in rest) or sub == "restore" or (sub == "reset" and "--hard" in rest):
            return True
        if sub == "stash" and rest[:1] in ((), ("push",), ("save",)):
            return True
    return False


def _undo_finding(item: StepFacts, edits: dict[str, list[tuple[str, str, int]]]) -> ScoreFact | None:
    step = item.step
    if item.failure is not None:
        return None
    if step.tool_name == "Edit" and step.files:
        old, new = str(step.input.get("old_string", "")), str(step.input.get("new_string", ""))
        history = edits.setdefault(step.files[0], [])
        undone = next((index for o, n, index in history if o == new and n == old and (o or n)), None)
        history.append((old, new, step.step_index))
        if undone is not None:
            return ScoreFact(f"undid the edit of step {undone} to {_short(step.files[0])}", 1.0, item.turn, item.index)
    elif item.command and edits and _discards(item.command):
        return ScoreFact(f"threw edits away with `{item.command[:60]}`", 1.0, item.turn, item.index)
    return None


def tool_efficiency(facts: ScoringFacts) -> DimensionResult:
    steps = facts.steps
    findings: list[ScoreFact] = []
    seen = _Tracker()
    edits: dict[str, list[tuple[str, str, int]]] = {}
    compactions = list(facts.compactions)
    for pos, item in enumerate(steps):
        # After a compaction the model no longer holds what it read, so reading again is fair.
        while compactions and compactions[0] < item.index:
            compactions.pop(0)
            seen.reset()
        found = _read_finding(item, pos, item.read, seen, steps) if item.read else _repeat_finding(item, seen, steps)
        undo = _undo_finding(item, edits)
        findings.extend(f for f in (found, undo) if f is not None)
        if item.read:
            seen.read_at[item.read] = pos
        seen.call_at[item.key] = pos
        if item.changed:
            seen.last_any_change = pos
        for path in item.changed:
            if path == ANY_FILE:
                seen.last_change = pos
            else:
                seen.changed_at[path] = pos
                if item.step.tool_name in EDIT_TOOLS:
                    seen.edited_at[path] = pos
    changes = sum(1 for item in steps if item.changed)
    if changes and len(steps) / changes > CALLS_PER_CHANGE:
        findings.append(ScoreFact(f"{len(steps)} calls for {changes} file changes", 1.0))
    return scaled("tool_efficiency", EFFICIENCY_RULE, findings, WORK_SCALE, len(steps), _calls_per_turn(facts))


# --- error recovery -----------------------------------------------------------------------

RECOVERY_RULE = (
    "Starts at 1; each failed call that is followed by the same failure again, or is never got past, "
    "costs a share (half when it was got past only after more than six steps), out of the failures plus one."
)


def error_recovery(facts: ScoringFacts, resolutions: list[FailureResolution] | None = None) -> DimensionResult:
    findings: list[ScoreFact] = []
    failures = 0
    failures_per_turn: Counter[int] = Counter()
    for outcome in resolutions if resolutions is not None else resolve_failures(facts.steps):
        item = outcome.failure
        failures += 1
        failures_per_turn[item.turn] += 1
        what = f"{item.step.tool_name} failed ({item.family[:90]})"
        if outcome.status == "resolved" and outcome.by is not None:
            findings.append(ScoreFact(f"{what}; got past {outcome.distance} steps later", 0.0, item.turn, item.index))
        elif outcome.status == "slow" and outcome.by is not None:
            findings.append(
                ScoreFact(f"{what}; got past only {outcome.distance} steps later", 0.5, item.turn, item.index)
            )
        elif outcome.status == "repeated" and outcome.by is not None:
            findings.append(
                ScoreFact(
                    f"{what}; the same failure came back at step {outcome.by.index}",
                    1.0,
                    item.turn,
                    item.index,
                )
            )
        else:
            findings.append(ScoreFact(f"{what}; never got past", 1.0, item.turn, item.index))
    if not failures:
        findings.append(ScoreFact("no failed calls", 0.0))
    # Scaled by failures rather than calls: one unresolved failure of one halves the score.
    turns = {t.turn_index: failures_per_turn.get(t.turn_index, 0) for t in facts.session.turns}
    return scaled("error_recovery", RECOVERY_RULE, findings, Scale(1.0, 1.0), failures, turns)


# --- routing accuracy ---------------------------------------------------------------------

ROUTING_RULE = (
    "Starts at 1 and loses a share for each call sent the wrong way — Bash cat/head/tail/sed -n where "
    "Read exists, grep/rg and find/ls -R where Grep and Glob are in use, sed -i or echo > where Edit "
    "and Write exist, a tool the session does not offer, twelve or more look-only calls in a row in "
    "the main conversation that a subagent could have taken — scaled by the calls made."
)


def _available(tool: str, facts: ScoringFacts) -> bool:
    # Read, Edit and Write come with every session; Grep and Glob only count when seen in use.
    if tool in facts.unavailable:
        return False
    return tool in facts.used if tool in ("Grep", "Glob") else True


def _is_look(item: StepFacts) -> bool:
    tool = item.step.tool_name
    if tool in ("Read", "Grep", "Glob", "LS", "NotebookRead"):
        return True
    return tool == "Bash" and bool(item.command) and is_read_only(item.command)


def _inline_searches(facts: ScoringFacts) -> list[ScoreFact]:
    if facts.session.is_sidechain:
        return []
    findings: list[ScoreFact] = []
    run: list[StepFacts] = []
    for item in [*facts.steps, None]:
        if item is not None and _is_look(item) and (not run or run[-1].turn == item.turn):
            run.append(item)
            continue
        if len(run) >= INLINE_SEARCH_RUN:
            first = run[0]
            findings.append(
                ScoreFact(
                    f"{len(run)} look-only calls in a row in the main conversation; a subagent "
                    "would have kept that search out of the context",
                    1.0,
                    first.turn,
                    first.index,
                )
            )
        run = [item] if item is not None and _is_look(item) else []
    return findings


def routing_accuracy(facts: ScoringFacts) -> DimensionResult:
    findings: list[ScoreFact] = []
    for item in facts.steps:
        if item.missing_tool:
            findings.append(
                ScoreFact(
                    f"called {item.missing_tool}, which this session does not offer",
                    1.5,
                    item.turn,
                    item.index,
                )
            )
        elif item.command and item.failure not in ("rejected", "cancelled"):
            hits = [(tool, why) for tool, why in file_work(item.command) if _available(tool, facts)]
            if hits:
                tool, why = hits[0]
                findings.append(ScoreFact(f"{why} where {tool} exists", 1.0, item.turn, item.index))
    findings.extend(_inline_searches(facts))
    return scaled("routing_accuracy", ROUTING_RULE, findings, WORK_SCALE, len(facts.steps), _calls_per_turn(facts))


# --- context health -----------------------------------------------------------------------

CONTEXT_RULE = (
    "Starts at 1; each compaction costs 1.5 units, each API error 1 and each other system error 0.5, "
    "each tool output over 4,000 characters 0.5 (1 when over 16,000 or cut short by Claude Code), "
    "scaled by a quarter of the calls made plus two."
)


def _cut_short(text: str) -> bool:
    """True when Claude Code cut the output short or saved it aside for being too large."""
    # Plain substring tests: this runs on every stored output, and they beat a regex by far.
    if "truncated" in text:
        return (
            "characters truncated]" in text
            or "lines truncated]" in text
            or "<truncated-output>" in text
            or "(output truncated" in text
        )
    return "Output too large" in text or "exceeds maximum allowed tokens" in text or "<persisted-output>" in text


def _event_findings(facts: ScoringFacts) -> list[ScoreFact]:
    findings: list[ScoreFact] = []
    for event in facts.session.events:
        turn = event.turn_index if event.turn_index >= 0 else None
        step = event.step_index if event.step_index >= 0 else None
        if event.kind == "compaction":
            findings.append(ScoreFact(f"context compacted ({event.detail[:60]})", 1.5, turn, step))
        elif event.kind == "api_error":
            findings.append(ScoreFact(f"API error: {event.detail[:80]}", 1.0, turn, step))
        elif event.kind == "system_error":
            findings.append(ScoreFact(f"system error: {event.detail[:80]}", 0.5, turn, step))
    return findings


def context_health(facts: ScoringFacts, output_budget: int = 4000) -> DimensionResult:
    findings = _event_findings(facts)
    for item in facts.steps:
        step = item.step
        if _cut_short(step.result_text):
            findings.append(ScoreFact(f"{step.tool_name} output cut short by Claude Code", 1.0, item.turn, item.index))
        elif step.result_size > output_budget:
            units = 1.0 if step.result_size > OVERSIZE_FACTOR * output_budget else 0.5
            findings.append(
                ScoreFact(
                    f"{step.tool_name} output of {step.result_size:,} characters ({step.summary[:60]})",
                    units,
                    item.turn,
                    item.index,
                )
            )
    return scaled("context_health", CONTEXT_RULE, findings, CONTEXT_SCALE, len(facts.steps), _calls_per_turn(facts))
