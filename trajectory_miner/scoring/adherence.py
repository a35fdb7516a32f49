"""Skill adherence: when a skill was in play, were its steps followed?

A skill is in play when the session loaded it with the `Skill` tool, or when an approved or
exported mined skill's trigger matches a request (or its error signature turns up). Its
steps become expectations — a command to run (`python -m pytest -q`), a file to touch
(`CHANGELOG.md`), a tool to use — and each must be seen after the skill came into play.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from trajectory_miner.analysis.checks import check_kind
from trajectory_miner.analysis.commands import parse, parse_pattern
from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.mining.items import Skill
from trajectory_miner.scoring.card import DimensionScore
from trajectory_miner.scoring.facts import ScoringFacts, StepFacts
from trajectory_miner.scoring.measure import ScoreFact, additive, clamp
from trajectory_miner.transcript.parser import SKILL_BODY_CAP, SKILL_BODY_MARKER

ADHERENCE_RULE = (
    "When a skill was loaded (the Skill tool, or an approved or exported skill whose trigger matches "
    "the request), the share of its steps' commands, files and tools seen after it was loaded; "
    "1.0 and not applicable when no skill was in play."
)

ACTIVE_STATUSES = frozenset({"approved", "exported"})

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_FILE_NAME = re.compile(
    r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.(?:md|py|js|ts|tsx|json|toml|ya?ml|txt|cfg|ini|rs|go|rb|sh|lock))\b"
)
_STEP_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*+])\s+")
_WORD = re.compile(r"[a-z][a-z0-9_-]{3,}")
_STOP = frozenset(
    {
        "when",
        "with",
        "that",
        "this",
        "from",
        "into",
        "your",
        "have",
        "will",
        "then",
        "than",
        "there",
        "their",
        "what",
        "which",
        "should",
        "would",
        "could",
        "about",
        "asked",
        "after",
        "before",
        "using",
        "user",
        "make",
        "sure",
        "some",
        "each",
        "only",
        "also",
    }
)
_COMMANDS = frozenset(
    {
        "git",
        "npm",
        "yarn",
        "pnpm",
        "npx",
        "python",
        "pip",
        "uv",
        "make",
        "cargo",
        "go",
        "node",
        "docker",
        "kubectl",
        "gh",
        "curl",
        "bash",
        "sh",
        "poetry",
        "bundle",
        "rails",
        "terraform",
    }
)


@dataclass(frozen=True, slots=True)
class Expectation:
    """One thing a skill's steps ask for: kind is command, file or tool."""

    kind: str
    value: str
    step_text: str


@dataclass(frozen=True, slots=True)
class InPlay:
    """A skill in play from a step on, and how it came into play."""

    name: str
    position: int
    turn_index: int
    step_index: int | None
    how: str
    expectations: tuple[Expectation, ...]


def _work_words(command: str) -> tuple[str, ...]:
    """The words of the first part of a command that does the work (not `cd`, not `export`);
    a skill's `<placeholders>` count as words."""
    work = parse_pattern(command).work()
    return work[0].words if work else ()


def _is_command(span: str) -> bool:
    if check_kind(span) is not None:
        return True
    words = _work_words(span)
    return bool(words) and words[0] in _COMMANDS and len(words) > 1


def _drop_commands(match: re.Match[str]) -> str:
    # Files named inside a command are the command's business, not expectations of their own.
    return "" if _is_command(match.group(1)) else match.group(0)


def expectations(lines: Sequence[str], tools: Sequence[str] = ()) -> tuple[Expectation, ...]:
    """What a skill's step lines ask for: commands, files and tools, each once."""
    steps = [line for line in lines if _STEP_LINE.match(line)] or [line for line in lines if line.strip()]
    found: dict[tuple[str, str], Expectation] = {}
    for line in steps:
        text = _STEP_LINE.sub("", line).strip()
        for span in _CODE_SPAN.findall(text):
            if _is_command(span):
                found.setdefault(("command", span), Expectation("command", span, text))
        for name in _FILE_NAME.findall(_CODE_SPAN.sub(_drop_commands, text)):
            found.setdefault(("file", name.lstrip("./")), Expectation("file", name.lstrip("./"), text))
    for tool in tools:
        found.setdefault(("tool", tool), Expectation("tool", tool, f"use {tool}"))
    return tuple(found.values())


def _command_met(span: str, later: list[StepFacts]) -> bool:
    wanted = check_kind(span)
    if wanted is not None:
        return any(i.check is not None and i.check.tool == wanted[1] for i in later)
    head = _work_words(span)[:2]
    if not head:
        return False
    return any(part.words[:2] == head for item in later for part in parse(item.command).commands)


def _file_met(name: str, later: list[StepFacts]) -> bool:
    for item in later:
        if any(path == name or path.endswith("/" + name) for path in item.step.files):
            return True
        if item.command and name in item.command:
            return True
    return False


def met(expectation: Expectation, later: list[StepFacts]) -> bool:
    """True when a step after the skill came into play does what the expectation asks."""
    ok = [i for i in later if i.failure is None or i.failure == "check"]
    if expectation.kind == "command":
        return _command_met(expectation.value, ok)
    if expectation.kind == "file":
        return _file_met(expectation.value, ok)
    return any(i.step.tool_name == expectation.value for i in ok)


def _body_lines(facts: ScoringFacts, item: StepFacts) -> list[str]:
    for event in facts.session.events:
        if event.kind == "meta" and event.step_index == item.index and SKILL_BODY_MARKER in event.detail[:80]:
            lines = event.detail.splitlines()[1:]
            # Stored meta text is capped; when the cap cut it, the last line stops mid-sentence.
            return lines[:-1] if len(event.detail) >= SKILL_BODY_CAP else lines
    return []


def _by_name(skills: Sequence[Skill]) -> dict[str, Skill]:
    return {key: s for s in skills for key in (s.name, s.id) if key}


def _trigger_matches(trigger: str, prompt: str) -> bool:
    words = {w for w in _WORD.findall(trigger.lower()) if w not in _STOP}
    if len(words) < 2:
        return False
    present = sum(1 for w in words if w in prompt.lower())
    return present >= 2 and present / len(words) >= 0.6


def in_play(facts: ScoringFacts, skills: Sequence[Skill]) -> list[InPlay]:
    """Every skill in play in the session and where it came into play."""
    active = [s for s in skills if s.status in ACTIVE_STATUSES]
    named = _by_name(active)
    found: list[InPlay] = []
    loaded: set[str] = set()
    for pos, item in enumerate(facts.steps):
        name = item.step.skill_name
        if item.step.tool_name != "Skill" or not name or item.failure is not None:
            continue
        mined = named.get(name)
        lines = _body_lines(facts, item) + (list(mined.steps) if mined else [])
        tools = tuple(mined.tools_used) if mined else ()
        found.append(
            InPlay(name, pos + 1, item.turn, item.index, "loaded with the Skill tool", expectations(lines, tools))
        )
        loaded.update({name, mined.id if mined else name})
    for skill in active:
        if skill.id in loaded or skill.name in loaded:
            continue
        start = _trigger_start(facts, skill)
        if start is not None:
            pos, how = start
            turn = facts.steps[pos].turn if pos < len(facts.steps) else -1
            index = facts.steps[pos].index if pos < len(facts.steps) else None
            found.append(
                InPlay(skill.name or skill.id, pos, turn, index, how, expectations(skill.steps, skill.tools_used))
            )
    return found


def _trigger_start(facts: ScoringFacts, skill: Skill) -> tuple[int, str] | None:
    for turn in facts.session.turns:
        if turn.kind == "prompt" and skill.trigger and _trigger_matches(skill.trigger, turn.prompt):
            pos = next((p for p, i in enumerate(facts.steps) if i.turn >= turn.turn_index), None)
            if pos is not None:
                return pos, f"its trigger matches the request of turn {turn.turn_index}"
    families = {signature_family(s) for s in skill.signatures}
    for pos, item in enumerate(facts.steps):
        if item.family and item.family in families:
            return pos + 1, f"its error signature turned up at step {item.index}"
    return None


def skill_adherence(facts: ScoringFacts, skills: Sequence[Skill] = ()) -> tuple[DimensionScore, dict[int, float]]:
    plays = in_play(facts, skills)
    judged = [p for p in plays if p.expectations]
    findings: list[ScoreFact] = []
    for play in plays:
        if not play.expectations:
            findings.append(
                ScoreFact(
                    f"skill {play.name} {play.how}; its steps are not known, so they are not judged",
                    0.0,
                    play.turn_index,
                    play.step_index,
                )
            )
    for play in judged:
        later = facts.steps[play.position :]
        share = 1.0 / (len(play.expectations) * len(judged))
        for expectation in play.expectations:
            done = met(expectation, later)
            what = f"{expectation.kind} {expectation.value}"
            fact = f"skill {play.name} ({play.how}): {what} {'seen' if done else 'never seen'} after it"
            findings.append(ScoreFact(fact, 0.0 if done else -share, play.turn_index, play.step_index))
    card = additive("skill_adherence", ADHERENCE_RULE, 1.0, findings, applicable=bool(judged))
    turns = {t.turn_index: 1.0 for t in facts.session.turns}
    for finding in findings:
        if finding.turn_index in turns:
            turns[finding.turn_index] = round(clamp(turns[finding.turn_index] + finding.units), 4)
    return card, turns
