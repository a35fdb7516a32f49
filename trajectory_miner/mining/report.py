"""The mining report: what one run found, as a model (for JSON) and as readable Markdown."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from trajectory_miner.mined import Incident, Pattern, Replay, Skill

_MAX_INCIDENTS_SHOWN = 20
_MAX_REPLAYS_SHOWN = 30


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
        return (
            f"mined {self.sessions} sessions{where} in {self.seconds:.1f}s "
            f"({self.sessions_processed} read, {self.sessions_cached} from cache; "
            f"{self.sessions_scored} scored: {self.failing_sessions} failing, "
            f"{self.succeeding_sessions} succeeding)\n"
            f"{len(self.patterns)} patterns, {len(self.incidents)} incidents, {len(self.skills)} skills, "
            f"{len(self.replays)} replays, {len(self.open_questions)} open questions"
        )


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _pattern(p: Pattern) -> list[str]:
    lift = "n/a (too few scored sessions)" if p.lift is None else f"{p.lift:.2f}"
    p_value = "n/a" if p.p_value is None else f"{p.p_value:.3g}"
    lines = [
        f"### {p.id} — {p.severity}: `{_cell(p.root_cause_cluster)}`",
        "",
        f"- sessions: {p.frequency} ({p.failing_sessions} failing, {p.succeeding_sessions} succeeding); "
        f"lift {lift}; one-sided Fisher p = {p_value}",
        f"- failure types: {', '.join(p.failure_types) or '-'}; hurts: {', '.join(p.dimensions) or '-'}",
        f"- affected: {', '.join(f'`{_cell(t)}`' for t in p.affected_targets) or '-'}",
        f"- suggested fix: {p.suggested_fix_type}",
        f"- examples: {', '.join(f'`{s[:13]}`' for s in p.example_sessions)}",
    ]
    if p.self_questions:
        lines += ["", "| question | answer | why |", "|---|---|---|"]
        lines += [f"| {_cell(q.question)} | {q.answer} | {_cell(q.explanation)} |" for q in p.self_questions]
    return lines + [""]


def _skill(s: Skill) -> list[str]:
    lines = [
        f"### {s.id} — {_cell(s.name)} ({s.status})",
        "",
        f"{s.description}",
        "",
        f"- trigger: {_cell(s.trigger)}",
        f"- support: {s.support} session(s); success rate {s.success_rate:.0%}",
        f"- tools: {', '.join(s.tools_used)}",
    ]
    if s.context_requirements:
        lines.append(f"- needs: {'; '.join(s.context_requirements)}")
    lines += ["", *[f"{i}. {step}" for i, step in enumerate(s.steps, 1)], ""]
    return lines


def render_markdown(report: MiningReport) -> str:
    """The report as a Markdown page."""
    out = [
        f"# Mining report — {report.generated_at:%Y-%m-%d %H:%M} UTC",
        "",
        report.summary().replace("\n", "  \n"),
        "",
        "A pattern is a failure seen in at least two sessions. Lift compares how often it occurs in failing "
        "and in succeeding sessions (smoothed; not given when either group has fewer than three); "
        "the p-value is a one-sided Fisher's exact test. Correlation is not causation.",
        "",
        "## Patterns",
        "",
    ]
    for pattern in report.patterns:
        out += _pattern(pattern)
    if not report.patterns:
        out += ["No failure was seen in two sessions or more.", ""]
    out += ["## Incidents (seen in one session only)", ""]
    out += [f"- {i.id} `{i.session_id[:13]}`: `{_cell(i.signature)}`" for i in report.incidents[:_MAX_INCIDENTS_SHOWN]]
    if len(report.incidents) > _MAX_INCIDENTS_SHOWN:
        out.append(f"- … and {len(report.incidents) - _MAX_INCIDENTS_SHOWN} more (see the JSON report)")
    out += ["", "## Skill candidates", ""]
    for skill in report.skills:
        out += _skill(skill)
    if not report.skills:
        out += ["No procedure came from a session scoring at least 0.85 on every dimension.", ""]
    out += [
        "## Replays",
        "",
        "| id | stuck session | at | reason | use | confidence |",
        "|---|---|---|---|---|---|",
    ]
    for r in report.replays[:_MAX_REPLAYS_SHOWN]:
        at = f"turn {r.stuck_at.turn_index}, step {r.stuck_at.step_index}"
        out.append(
            f"| {r.id} | `{r.stuck_session[:13]}` | {at} | {r.stuck_reason} "
            f"| `{_cell(r.successful_pattern)}` | {r.confidence:.2f} |"
        )
    out += ["", "## Open questions (for `/mine`)", ""]
    out += [f"- {q.pattern_id}: {q.question} — {q.explanation}" for q in report.open_questions]
    if not report.open_questions:
        out.append("None: the data answered every question.")
    return "\n".join(out) + "\n"
