"""The figures of the HTML report, gathered from the store in a few queries.

`gather` reads sessions, score cards, steps, tokens, patterns and skills and returns a
`ReportData`: the one source both the page and `trajectory-miner report --json` print, so
the two always agree. The scope is the user's main sessions (filtered by project and date);
tool calls and tokens also count the subagent runs those sessions started, since that work
was done for them. A session with no turns holds no work and has no score card: it is out
of every figure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from trajectory_miner.mining.items import Pattern, Skill, load_patterns, load_skills
from trajectory_miner.progress import Progress
from trajectory_miner.scoring.card import DIMENSIONS
from trajectory_miner.sessions import session_ids
from trajectory_miner.store import Store
from trajectory_miner.utc import aware_or_none

OUTCOMES: tuple[str, ...] = ("success", "partial", "failure", "unknown", "unscored")
MAX_WEEKS = 52
TOP_PATTERNS = 10
TOP_SKILLS = 12
TOP_TOOLS = 12
LOWEST_SESSIONS = 10
RECENT_SESSIONS = 50
TITLE_CHARS = 100


class Filters(BaseModel):
    """What the report was limited to."""

    project: str | None = None
    since: datetime | None = None


class Headline(BaseModel):
    """The numbers at the top of the page."""

    sessions: int = 0
    projects: int = 0
    scored: int = 0
    known_outcome: int = 0
    successes: int = 0
    success_rate: float | None = None
    mean_overall: float | None = None
    tool_calls: int = 0
    tool_errors: int = 0
    tool_error_rate: float | None = None
    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    first_session: datetime | None = None
    last_session: datetime | None = None


class Week(BaseModel):
    """One calendar week (starting Monday): its outcomes and mean scores."""

    week: date
    sessions: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    overall: float | None = None
    dimensions: dict[str, float | None] = Field(default_factory=dict)
    scored: dict[str, int] = Field(default_factory=dict)


class PatternRow(BaseModel):
    """A recurring failure as the page lists it."""

    id: str
    title: str
    signature: str
    frequency: int
    lift: float | None
    p_value: float | None
    severity: str
    suggested_fix_type: str
    failure_types: list[str]
    dimensions: list[str]
    failing_sessions: int
    succeeding_sessions: int
    example_sessions: list[str]


class SkillRow(BaseModel):
    """A skill with how well it did where it came from and where it was used since."""

    id: str
    name: str
    description: str
    status: str
    support: int
    source_success_rate: float
    uses: int
    successes: int
    use_success_rate: float | None


class ToolRow(BaseModel):
    """Calls and failed calls of one tool."""

    tool: str
    calls: int
    errors: int
    error_rate: float


class SessionRow(BaseModel):
    """One session in the tables."""

    session_id: str
    project: str
    title: str
    started_at: datetime | None
    outcome: str | None
    overall: float | None
    turns: int
    steps: int
    tool_errors: int


class ReportData(BaseModel):
    """Every figure the report shows."""

    generated_at: datetime
    filters: Filters = Field(default_factory=Filters)
    headline: Headline = Field(default_factory=Headline)
    dimensions: list[str] = Field(default_factory=lambda: list(DIMENSIONS))
    weeks: list[Week] = Field(default_factory=list)
    weeks_omitted: int = 0
    outcome_totals: dict[str, int] = Field(default_factory=dict)
    patterns: list[PatternRow] = Field(default_factory=list)
    patterns_total: int = 0
    skills: list[SkillRow] = Field(default_factory=list)
    skills_total: int = 0
    tools: list[ToolRow] = Field(default_factory=list)
    tools_total: int = 0
    lowest_sessions: list[SessionRow] = Field(default_factory=list)
    recent_sessions: list[SessionRow] = Field(default_factory=list)
    short_ids: dict[str, str] = Field(default_factory=dict)


def empty_report(now: datetime, project: str | None = None, since: datetime | None = None) -> ReportData:
    """The report of a store that holds nothing yet."""
    return ReportData(generated_at=now, filters=Filters(project=project, since=since))


def gather(
    store: Store,
    *,
    now: datetime,
    project: str | None = None,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> ReportData:
    """The report's figures for the sessions in scope."""
    tick = progress or (lambda done, total, item: None)
    data = empty_report(now, project, since)
    tick(0, 5, "sessions")
    scope = session_ids(store, project=project, since=since, with_turns=True)
    if not scope:
        tick(5, 5, "")
        return data
    _scope_tables(store, scope)
    rows = _session_rows(store)
    data.headline = _headline(store, rows)
    data.outcome_totals = _outcome_totals(rows)
    tick(1, 5, "weeks")
    data.weeks, data.weeks_omitted = _weeks(store, rows)
    tick(2, 5, "tools")
    tools = _tools(store)
    data.tools, data.tools_total = tools[:TOP_TOOLS], len(tools)
    data.headline.tool_calls = sum(t.calls for t in tools)
    data.headline.tool_errors = sum(t.errors for t in tools)
    data.headline.tool_error_rate = _rate(data.headline.tool_errors, data.headline.tool_calls)
    filtered = project is not None or since is not None
    in_scope = set(scope) if filtered else None
    tick(3, 5, "patterns")
    patterns = _patterns(load_patterns(store), in_scope)
    data.patterns, data.patterns_total = patterns[:TOP_PATTERNS], len(patterns)
    tick(4, 5, "skills")
    skills = _skills(load_skills(store), _skill_uses(store), in_scope)
    data.skills, data.skills_total = skills[:TOP_SKILLS], len(skills)
    tick(5, 5, "")
    scored = [r for r in rows if r.overall is not None]
    data.lowest_sessions = sorted(scored, key=lambda r: (r.overall, r.session_id))[:LOWEST_SESSIONS]
    data.recent_sessions = sorted(rows, key=_newest_first)[:RECENT_SESSIONS]
    shown = [r.session_id for r in data.lowest_sessions + data.recent_sessions]
    shown += [sid for p in data.patterns for sid in p.example_sessions]
    data.short_ids = _short_ids(store, set(shown))
    return data


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _newest_first(row: SessionRow) -> tuple[float, str]:
    stamp = row.started_at.timestamp() if row.started_at else float("-inf")
    return (-stamp, row.session_id)


def _title(title: str, prompt: str | None) -> str:
    text = re.sub(r"\s+", " ", title or prompt or "").strip()
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


def _scope_tables(store: Store, scope: Sequence[str]) -> None:
    """Temporary tables of the sessions in scope and of those plus their subagent runs."""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _report_scope AS SELECT unnest($1::VARCHAR[]) AS session_id", [list(scope)]
    )
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE _report_work AS
        SELECT session_id FROM _report_scope
        UNION SELECT session_id FROM sessions
        WHERE is_sidechain AND parent_session_id IN (SELECT session_id FROM _report_scope)
        """
    )


_SESSIONS_SQL = """
    SELECT s.session_id, s.project, s.title, coalesce(s.started_at, s.ended_at), t.prompt,
        coalesce(t.turns, 0), coalesce(x.steps, 0), coalesce(x.errors, 0), sc.overall, sc.outcome
    FROM _report_scope r
    JOIN sessions s USING (session_id)
    LEFT JOIN (
        SELECT session_id, arg_min(prompt, turn_index) FILTER (WHERE kind = 'prompt') AS prompt,
            count(*) AS turns
        FROM turns WHERE session_id IN (SELECT session_id FROM _report_scope) GROUP BY session_id
    ) t USING (session_id)
    LEFT JOIN (
        SELECT session_id, count(*) AS steps, count(*) FILTER (WHERE is_error) AS errors
        FROM steps WHERE session_id IN (SELECT session_id FROM _report_scope) GROUP BY session_id
    ) x USING (session_id)
    LEFT JOIN scores sc USING (session_id)
"""


def _session_rows(store: Store) -> list[SessionRow]:
    return [
        SessionRow(
            session_id=r[0],
            project=r[1],
            title=_title(r[2], r[4]),
            started_at=aware_or_none(r[3]),
            turns=r[5],
            steps=r[6],
            tool_errors=r[7],
            overall=None if r[8] is None else round(r[8], 4),
            outcome=r[9],
        )
        for r in store.query(_SESSIONS_SQL)
    ]


def _headline(store: Store, rows: list[SessionRow]) -> Headline:
    scored = [r for r in rows if r.outcome is not None]
    known = [r for r in scored if r.outcome != "unknown"]
    successes = sum(1 for r in known if r.outcome == "success")
    stamps = [r.started_at for r in rows if r.started_at is not None]
    tokens = store.query(
        "SELECT coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
        "coalesce(sum(cache_read_tokens), 0), coalesce(sum(cache_creation_tokens), 0) "
        "FROM responses WHERE session_id IN (SELECT session_id FROM _report_work)"
    )[0]
    inputs, outputs, reads, creations = (int(v) for v in tokens)
    return Headline(
        sessions=len(rows),
        projects=len({r.project for r in rows}),
        scored=len(scored),
        known_outcome=len(known),
        successes=successes,
        success_rate=_rate(successes, len(known)),
        mean_overall=_mean([r.overall for r in rows if r.overall is not None]),
        tokens=inputs + outputs + reads + creations,
        input_tokens=inputs,
        output_tokens=outputs,
        cache_read_tokens=reads,
        cache_creation_tokens=creations,
        first_session=min(stamps, default=None),
        last_session=max(stamps, default=None),
    )


def _outcome_of(row: SessionRow) -> str:
    return row.outcome if row.outcome in OUTCOMES else "unscored"


def _outcome_totals(rows: list[SessionRow]) -> dict[str, int]:
    totals = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        totals[_outcome_of(row)] += 1
    return totals


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


_DIMENSIONS_SQL = """
    SELECT coalesce(s.started_at, s.ended_at), d.key, CAST(d.value ->> 'score' AS DOUBLE)
    FROM scores sc
    JOIN sessions s USING (session_id),
        json_each(sc.card -> 'dimensions') d
    WHERE sc.session_id IN (SELECT session_id FROM _report_scope)
        AND coalesce(s.started_at, s.ended_at) IS NOT NULL
        AND coalesce(CAST(d.value ->> 'applicable' AS BOOLEAN), true)
"""


def _weeks(store: Store, rows: list[SessionRow]) -> tuple[list[Week], int]:
    """Every week from the first session to the last (empty weeks too), the latest `MAX_WEEKS`."""
    dated = [r for r in rows if r.started_at is not None]
    if not dated:
        return [], 0
    first = _monday(min(r.started_at for r in dated if r.started_at))
    last = _monday(max(r.started_at for r in dated if r.started_at))
    count = (last - first).days // 7 + 1
    shown = min(count, MAX_WEEKS)
    start = last - timedelta(weeks=shown - 1)
    weeks = {start + timedelta(weeks=i): Week(week=start + timedelta(weeks=i)) for i in range(shown)}
    overall: dict[date, list[float]] = defaultdict(list)
    for week in weeks.values():
        week.outcomes = dict.fromkeys(OUTCOMES, 0)
    for row in dated:
        found = weeks.get(_monday(row.started_at)) if row.started_at else None
        if found is None:
            continue
        found.sessions += 1
        found.outcomes[_outcome_of(row)] += 1
        if row.overall is not None:
            overall[found.week].append(row.overall)
    scores: dict[tuple[date, str], list[float]] = defaultdict(list)
    for at, dimension, score in store.query(_DIMENSIONS_SQL):
        key = _monday(aware_or_none(at) or datetime.min.replace(tzinfo=UTC))
        if key in weeks and score is not None:
            scores[(key, dimension)].append(float(score))
    for week in weeks.values():
        week.overall = _mean(overall[week.week])
        week.dimensions = {d: _mean(scores[(week.week, d)]) for d in DIMENSIONS}
        week.scored = {"overall": len(overall[week.week])} | {d: len(scores[(week.week, d)]) for d in DIMENSIONS}
    return list(weeks.values()), count - shown


def _short_ids(store: Store, wanted: set[str], shortest: int = 8) -> dict[str, str]:
    """For each wanted id, its shortest prefix (at least `shortest` long) no other main session shares.

    `trajectory-miner show` accepts such a prefix, and it keeps the tables narrow.
    """
    ids = sorted(r[0] for r in store.query("SELECT session_id FROM sessions WHERE NOT is_sidechain"))
    result: dict[str, str] = {}
    for i, sid in enumerate(ids):
        if sid not in wanted:
            continue
        length = shortest
        for neighbour in ids[max(0, i - 1) : i] + ids[i + 1 : i + 2]:
            length = max(length, _common(sid, neighbour) + 1)
        result[sid] = sid[:length]
    return result


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _tools(store: Store) -> list[ToolRow]:
    rows = store.query(
        "SELECT tool_name, count(*) AS calls, count(*) FILTER (WHERE is_error) AS errors FROM steps "
        "WHERE session_id IN (SELECT session_id FROM _report_work) GROUP BY tool_name "
        "ORDER BY calls DESC, tool_name"
    )
    return [ToolRow(tool=t, calls=c, errors=e, error_rate=_rate(e, c) or 0.0) for t, c, e in rows]


def _patterns(patterns: list[Pattern], in_scope: set[str] | None) -> list[PatternRow]:
    kept = [p for p in patterns if in_scope is None or in_scope.intersection(p.sessions or p.example_sessions)]
    kept.sort(key=lambda p: (-p.frequency, -(p.lift or 0.0), p.id))
    return [
        PatternRow(
            id=p.id,
            title=p.root_cause_cluster or p.signature or p.cluster_key,
            signature=p.signature,
            frequency=p.frequency,
            lift=p.lift,
            p_value=p.p_value,
            severity=p.severity,
            suggested_fix_type=p.suggested_fix_type,
            failure_types=p.failure_types,
            dimensions=p.dimensions,
            failing_sessions=p.failing_sessions,
            succeeding_sessions=p.succeeding_sessions,
            example_sessions=p.example_sessions[:3],
        )
        for p in kept
    ]


def _skill_uses(store: Store) -> dict[str, list[tuple[str, bool]]]:
    """Per skill, the sessions that used it and whether each went well."""
    uses: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for skill_id, session_id, success in store.query("SELECT skill_id, session_id, success FROM skill_uses"):
        uses[skill_id].append((session_id, bool(success)))
    return uses


_STATUS_ORDER = {"exported": 0, "approved": 1, "candidate": 2, "retired": 3, "rejected": 4}


def _skills(skills: list[Skill], uses: dict[str, list[tuple[str, bool]]], in_scope: set[str] | None) -> list[SkillRow]:
    rows: list[tuple[Any, SkillRow]] = []
    for skill in skills:
        used = [(sid, ok) for sid, ok in uses.get(skill.id, []) if in_scope is None or sid in in_scope]
        if in_scope is not None and not used and not in_scope.intersection(skill.source_sessions):
            continue
        successes = sum(1 for _, ok in used if ok)
        row = SkillRow(
            id=skill.id,
            name=skill.name or skill.id,
            description=skill.description,
            status=skill.status,
            support=skill.support,
            source_success_rate=round(skill.success_rate, 4),
            uses=len(used),
            successes=successes,
            use_success_rate=_rate(successes, len(used)),
        )
        rows.append(((_STATUS_ORDER.get(skill.status, 9), -len(used), -skill.support, skill.id), row))
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]
