"""The mining report: what one run found, as a model (for JSON) and as readable Markdown."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from pydantic import BaseModel, Field

from trajectory_miner.mining.items import Incident, Pattern, Replay, Skill
from trajectory_miner.mining.outcomes import SKILL_THRESHOLD

_MAX_INCIDENTS_SHOWN = 20
_MAX_REPLAYS_SHOWN = 30
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_WORD = re.compile(r"\S+")
_MAX_PROSE = 1000
_MARKUP = re.compile(r"[<*`]|__")


def _sessions(n: int) -> str:
    return f"{n} session" if n == 1 else f"{n} sessions"


def no_skills_reason(mined: int, sources: int) -> str:
    """Why a run over `mined` sessions, `sources` of them skill sources, found no skill."""
    if not mined:
        return "no skills: there was no session to mine"
    bar = f"scored at least {SKILL_THRESHOLD:.2f} on every dimension"
    if not sources:
        return f"no skills: no session {bar} ({_sessions(mined)} mined)"
    return (
        f"no skills: {_sessions(sources)} {bar}, but none got past a failure and no sequence of steps "
        f"recurred in two of them ({_sessions(mined)} mined)"
    )


class OpenQuestion(BaseModel):
    """A self-question the data could not settle, for `/mine` to put to Claude."""

    pattern_id: str
    question: str
    explanation: str = ""


class MiningReport(BaseModel):
    """Everything one mining run found, with the figures to judge it by."""

    generated_at: datetime
    since: datetime | None = None
    project: str | None = None
    sessions: int = 0
    sessions_scored: int = 0
    failing_sessions: int = 0
    succeeding_sessions: int = 0
    skill_source_sessions: int = 0
    sessions_processed: int = 0
    sessions_cached: int = 0
    failures: int = 0
    patterns: list[Pattern] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    skills: list[Skill] = Field(default_factory=list)
    replays: list[Replay] = Field(default_factory=list)
    open_questions: list[OpenQuestion] = Field(default_factory=list)
    removed: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One paragraph for the terminal."""
        scope = []
        if self.project:
            scope.append(f"project {self.project}")
        if self.since:
            scope.append(f"since {self.since:%Y-%m-%d}")
        where = f" ({', '.join(scope)})" if scope else ""
        text = (
            f"mined {_sessions(self.sessions)}{where} in {self.seconds:.1f}s "
            f"({self.sessions_processed} read, {self.sessions_cached} from cache; "
            f"{self.sessions_scored} scored: {self.failing_sessions} failing, "
            f"{self.succeeding_sessions} succeeding)\n"
            f"{len(self.patterns)} patterns, {len(self.incidents)} incidents, {len(self.skills)} skills, "
            f"{len(self.replays)} replays, {len(self.open_questions)} open questions"
        )
        if not self.skills:
            text += "\n" + no_skills_reason(self.sessions, self.skill_source_sessions)
        return text


def _code(value: object) -> str:
    """A value as inline code, on one line (a value holding backticks gets a longer fence)."""
    text = " ".join(str(value).split())
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _marked(match: re.Match[str]) -> str:
    token = match.group(0)
    word = token.rstrip(".,;:!?)")
    return _code(word) + token[len(word) :] if word and _MARKUP.search(word) else token


def _prose(value: object) -> str:
    """Text on one line that Markdown shows as written: words it would read as a tag (`<path>`,
    `<<path>>`) or as emphasis (`*.py`, `__init__`) become inline code; code spans stay."""
    return _prose_text(str(value))


# The same questions, answers and explanations recur across hundreds of patterns.
@lru_cache(maxsize=8192)
def _prose_text(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > _MAX_PROSE:
        text = text[: _MAX_PROSE - 1] + "…"
    out: list[str] = []
    start = 0
    for span in _CODE_SPAN.finditer(text):
        out += [_marked_words(text[start : span.start()]), span.group(0)]
        start = span.end()
    out.append(_marked_words(text[start:]))
    return "".join(out)


def _marked_words(text: str) -> str:
    # Most text holds no markup at all, and then no word of it does either.
    return _WORD.sub(_marked, text) if _MARKUP.search(text) else text


def _cell(value: object) -> str:
    """Prose for a table cell, where a pipe would end the cell."""
    return _prose(value).replace("|", "\\|")


def _pattern(p: Pattern) -> list[str]:
    lift = "n/a (too few scored sessions)" if p.lift is None else f"{p.lift:.2f}"
    p_value = "n/a" if p.p_value is None else f"{p.p_value:.3g}"
    lines = [
        f"### {p.id} — {p.severity}: {_prose(p.root_cause_cluster)}",
        "",
        f"- sessions: {p.frequency} ({p.failing_sessions} failing, {p.succeeding_sessions} succeeding); "
        f"lift {lift}; one-sided Fisher p = {p_value}",
        f"- failure types: {', '.join(p.failure_types) or '-'}; hurts: {', '.join(p.dimensions) or '-'}",
        f"- affected: {', '.join(_code(t) for t in p.affected_targets) or '-'}",
        f"- suggested fix: {p.suggested_fix_type}",
        f"- examples: {', '.join(f'`{s[:13]}`' for s in p.example_sessions)}",
    ]
    if p.self_questions:
        lines += ["", "| question | answer | why |", "|---|---|---|"]
        lines += [f"| {_cell(q.question)} | {_cell(q.answer)} | {_cell(q.explanation)} |" for q in p.self_questions]
    return lines + [""]


def _skill(s: Skill) -> list[str]:
    lines = [
        f"### {s.id} — {_prose(s.name)} ({s.status})",
        "",
        _prose(s.description),
        "",
        f"- trigger: {_prose(s.trigger)}",
        f"- support: {s.support} session(s); success rate {s.success_rate:.0%}",
        f"- tools: {', '.join(s.tools_used) or '-'}",
    ]
    if s.context_requirements:
        lines.append(f"- needs: {'; '.join(_prose(r) for r in s.context_requirements)}")
    lines += ["", *[f"{i}. {_prose(step)}" for i, step in enumerate(s.steps, 1)], ""]
    return lines


def render_markdown(report: MiningReport) -> str:
    """The report as a Markdown page."""
    out = [
        f"# Mining report — {report.generated_at:%Y-%m-%d %H:%M} UTC",
        "",
        report.summary().replace("\n", "  \n"),
        "",
    ]
    # A section with nothing in it is left out: the summary above already counts it as none.
    if report.patterns:
        out += [
            "## Patterns",
            "",
            "A pattern is a failure seen in at least two sessions. Lift compares how often it occurs in failing "
            "and in succeeding sessions (smoothed; not given when either group has fewer than three); "
            "the p-value is a one-sided Fisher's exact test. Correlation is not causation.",
            "",
        ]
    for pattern in report.patterns:
        out += _pattern(pattern)
    if report.incidents:
        out += ["## Incidents (seen in one session only)", ""]
    shown = report.incidents[:_MAX_INCIDENTS_SHOWN]
    out += [f"- {i.id} `{i.session_id[:13]}`: {_code(i.signature)}" for i in shown]
    if len(report.incidents) > _MAX_INCIDENTS_SHOWN:
        out.append(f"- … and {len(report.incidents) - _MAX_INCIDENTS_SHOWN} more (see the JSON report)")
    if report.incidents:
        out.append("")
    out += ["## Skill candidates", ""]
    for skill in report.skills:
        out += _skill(skill)
    if not report.skills:
        reason = no_skills_reason(report.sessions, report.skill_source_sessions).removeprefix("no skills: ")
        out += [reason[0].upper() + reason[1:] + ".", ""]
    if report.replays:
        out += [
            "## Replays",
            "",
            "| id | stuck session | at | reason | use | confidence |",
            "|---|---|---|---|---|---|",
        ]
    for r in report.replays[:_MAX_REPLAYS_SHOWN]:
        at = f"turn {r.stuck_at.turn_index}, step {r.stuck_at.step_index}"
        out.append(
            f"| {r.id} | `{r.stuck_session[:13]}` | {at} | {_cell(r.stuck_reason)} "
            f"| {_cell(_code(r.successful_pattern))} | {r.confidence:.2f} |"
        )
    if len(report.replays) > _MAX_REPLAYS_SHOWN:
        out += ["", f"… and {len(report.replays) - _MAX_REPLAYS_SHOWN} more (see the JSON report)"]
    if report.replays:
        out.append("")
    if report.open_questions:
        out += ["## Open questions (for `/mine`)", ""]
    for q in report.open_questions:
        why = f" — {_prose(q.explanation)}" if q.explanation else ""
        out.append(f"- {q.pattern_id}: {_prose(q.question)}{why}")
    return "\n".join(out).rstrip("\n") + "\n"
