"""The report as one self-contained HTML page: inline CSS and SVG, no scripts, no fonts to fetch.

Every string that came from the store (prompts, paths, signatures, skill text) goes through
`esc`, because transcripts hold whatever the user and the tools wrote, `<script>` included.
Each figure carries `data-figure` and `data-value` attributes holding the same numbers as
`ReportData`, so the page can be checked against `trajectory-miner report --json`.
"""

from __future__ import annotations

from collections.abc import Sequence

from trajectory_miner.report.charts import COLOURS, esc, lift_bar, num, outcome_bars, score_line, tool_bars
from trajectory_miner.report.data import OUTCOMES, Headline, ReportData, SessionRow
from trajectory_miner.report.style import CSS

TITLES: dict[str, str] = {
    "overall": "Overall",
    "task_completion": "Task completion",
    "tool_efficiency": "Tool efficiency",
    "error_recovery": "Error recovery",
    "skill_adherence": "Skill adherence",
    "routing_accuracy": "Routing accuracy",
    "context_health": "Context health",
}

NOT_SCORED = '<p class="none">not scored in these weeks</p>'


def render(data: ReportData) -> str:
    """The whole page."""
    body = [_header(data)]
    if data.headline.sessions == 0:
        body.append(_empty(data))
    else:
        body += [
            _metrics(data.headline),
            _outcomes(data),
            _scores(data),
            _tools(data),
            _patterns(data),
            _skills(data),
            _sessions(data),
        ]
    body.append(_footer())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trajectory-miner report · {data.generated_at:%Y-%m-%d}</title>"
        f"<style>{CSS}</style></head><body><main>{''.join(body)}</main></body></html>\n"
    )


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def compact(value: int) -> str:
    """A count in a few characters: 950, 12.3k, 4.5M."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return str(value)


def _chip(outcome: str | None) -> str:
    name = outcome or "unscored"
    return f'<span class="chip {esc(name)}">{esc(name)}</span>'


def _section(title: str, lede: str, content: str, figure: str) -> str:
    return (
        f'<section data-section="{figure}"><h2>{esc(title)}</h2><p class="lede">{lede}</p>'
        f'<div class="panel">{content}</div></section>'
    )


def _header(data: ReportData) -> str:
    head = data.headline
    scope = []
    if data.filters.project:
        scope.append(f"project <strong>{esc(data.filters.project)}</strong>")
    if data.filters.since:
        scope.append(f"since <strong>{data.filters.since:%Y-%m-%d}</strong>")
    if head.first_session and head.last_session:
        scope.append(f"sessions from {head.first_session:%Y-%m-%d} to {head.last_session:%Y-%m-%d}")
    scope.append(f"generated {data.generated_at:%Y-%m-%d %H:%M} UTC")
    return (
        '<header><div class="eyebrow">trajectory-miner report</div><h1>Claude Code sessions</h1>'
        f'<p class="sub">{" · ".join(scope)}</p></header>'
    )


def _empty(data: ReportData) -> str:
    scoped = " in this scope" if data.filters.project or data.filters.since else " yet"
    return (
        '<section class="panel empty" data-figure="empty">'
        f"<h2>No sessions{scoped}</h2>"
        "<p>The report fills in once sessions have been captured. Claude Code sessions are captured "
        "as they happen when the plugin is installed; to read the ones already on disk, run:</p>"
        "<ol><li><code>trajectory-miner ingest</code> reads and scores your transcripts,</li>"
        "<li><code>trajectory-miner mine</code> finds recurring failures and skills,</li>"
        "<li><code>trajectory-miner report</code> writes this page again.</li></ol></section>"
    )


def _metric(figure: str, label: str, value: float | int | None, shown: str, note: str) -> str:
    return (
        f'<div class="metric" data-figure="{figure}" data-value="{num(value)}">'
        f'<div class="metric-label">{label}</div><div class="metric-value">{shown}</div>'
        f'<div class="metric-note">{note}</div></div>'
    )


def _metrics(head: Headline) -> str:
    projects = f"{head.projects} project{'s' if head.projects != 1 else ''}"
    success_note = (
        f"{head.successes} of {head.known_outcome} with a known outcome"
        if head.known_outcome
        else "no outcomes yet: run <code>trajectory-miner rescore</code>"
    )
    cards = [
        _metric("sessions", "Sessions", head.sessions, f"{head.sessions:,}", f"in {projects}"),
        _metric("success_rate", "Success rate", head.success_rate, pct(head.success_rate), success_note),
        _metric(
            "mean_overall",
            "Mean score",
            head.mean_overall,
            score(head.mean_overall),
            f"over {head.scored:,} scored sessions",
        ),
        _metric(
            "tool_error_rate",
            "Tool error rate",
            head.tool_error_rate,
            pct(head.tool_error_rate),
            f"{head.tool_errors:,} of {head.tool_calls:,} tool calls failed",
        ),
        _metric(
            "tokens",
            "Tokens",
            head.tokens,
            compact(head.tokens),
            f"{compact(head.input_tokens)} in · {compact(head.output_tokens)} out · "
            f"{compact(head.cache_read_tokens)} cache read",
        ),
    ]
    return f'<div class="metrics">{"".join(cards)}</div>'


def _outcomes(data: ReportData) -> str:
    if not data.weeks:
        return ""
    chart = outcome_bars([w.week for w in data.weeks], [w.outcomes for w in data.weeks], OUTCOMES)
    legend = "".join(
        f'<span class="key" data-figure="outcome-total" data-outcome="{name}" data-value="{data.outcome_totals[name]}">'
        f'<i style="background:{COLOURS[name]}"></i>{name} <b>{data.outcome_totals[name]:,}</b></span>'
        for name in OUTCOMES
        if data.outcome_totals.get(name)
    )
    omitted = f" The {data.weeks_omitted} earlier weeks are left out." if data.weeks_omitted else ""
    lede = f"Sessions started each week (weeks begin on Monday), by outcome.{omitted}"
    return _section("Outcomes by week", lede, f'<div class="legend">{legend}</div>{chart}', "outcomes")


def _latest(values: Sequence[float | None]) -> int | None:
    """The index of the latest week with a value."""
    return next((i for i in range(len(values) - 1, -1, -1) if values[i] is not None), None)


def _scores(data: ReportData) -> str:
    if not data.weeks:
        return ""
    weeks = [w.week for w in data.weeks]
    cells = []
    for name in ["overall", *data.dimensions]:
        values = [w.overall if name == "overall" else w.dimensions.get(name) for w in data.weeks]
        at = _latest(values)
        latest = None if at is None else values[at]
        count = 0 if at is None else data.weeks[at].scored.get(name, 0)
        note = "no scores" if at is None else f"week of {weeks[at]:%b %-d} · {count} session{'s' if count != 1 else ''}"
        chart = NOT_SCORED if at is None else score_line(name, weeks, values)
        cells.append(
            f'<div class="cell"><div class="cell-head"><span>{esc(TITLES.get(name, name))}</span>'
            f'<b data-figure="latest-score" data-dimension="{esc(name)}" data-value="{num(latest)}">'
            f'{score(latest)}</b></div><div class="cell-note">{note}</div>{chart}</div>'
        )
    lede = (
        "Mean score per week, from 0 to 1, with the latest week's figure beside each name. "
        "A dimension counts only in sessions where it applies."
    )
    return _section("Scores by dimension", lede, f'<div class="grid">{"".join(cells)}</div>', "scores")


def _tools(data: ReportData) -> str:
    if not data.tools:
        return ""
    chart = tool_bars([(t.tool, t.calls, t.errors, t.error_rate) for t in data.tools])
    more = f"the {len(data.tools)} most used of {data.tools_total} tools" if data.tools_total > len(data.tools) else ""
    lede = f"Share of each tool's calls that failed{', ' + more if more else ''}, subagent runs included."
    return _section("Tool errors", lede, chart, "tools")


def _session_ref(session_id: str, data: ReportData, link: bool = True) -> str:
    """A session's short id, linked to its row in the recent sessions when it is there."""
    short = data.short_ids.get(session_id, session_id)
    code = f'<code title="{esc(session_id)}">{esc(short)}</code>'
    anchored = link and any(r.session_id == session_id for r in data.recent_sessions)
    return f'<a href="#session-{esc(session_id)}">{code}</a>' if anchored else code


def _patterns(data: ReportData) -> str:
    if not data.patterns:
        return _section(
            "Recurring failures",
            "Failures seen in at least two sessions.",
            '<p class="none">No patterns found yet: run <code>trajectory-miner mine</code>.</p>',
            "patterns",
        )
    most = max((p.lift or 0.0 for p in data.patterns), default=0.0)
    rows = []
    for p in data.patterns:
        examples = " ".join(_session_ref(s, data) for s in p.example_sessions)
        lift = "—" if p.lift is None else f"{p.lift:.1f}×"
        signature = (
            f'<div class="muted small"><code title="{esc(p.signature)}">{esc(_cut(p.signature, 90))}</code></div>'
            if p.signature
            else ""
        )
        rows.append(
            f'<tr data-figure="pattern" data-id="{esc(p.id)}" data-frequency="{p.frequency}" '
            f'data-value="{num(p.lift)}"><td class="nowrap"><b>{esc(p.id)}</b></td><td>{esc(p.title)}{signature}</td>'
            f'<td class="num">{p.frequency}</td><td class="num">{lift}<br>{lift_bar(p.lift, most)}</td>'
            f'<td class="num">{p.failing_sessions} / {p.succeeding_sessions}</td>'
            f'<td><span class="chip sev-{esc(p.severity)}">{esc(p.severity)}</span></td>'
            f'<td>{esc(p.suggested_fix_type.replace("_", " "))}</td><td class="examples">{examples}</td></tr>'
        )
    head = (
        "<tr><th>id</th><th>pattern</th><th class=num>sessions</th><th class=num>lift</th>"
        "<th class=num>failing / ok</th><th>severity</th><th>fix</th><th>example sessions</th></tr>"
    )
    lede = (
        f"The {len(data.patterns)} most frequent of {data.patterns_total} patterns. Lift is how much more often "
        "a pattern occurs in failing sessions than in the others: a hint, not a cause."
    )
    return _section("Recurring failures", lede, _table(head, rows), "patterns")


def _skills(data: ReportData) -> str:
    if not data.skills:
        return _section(
            "Skills",
            "Procedures taken from sessions that went well.",
            '<p class="none">No skills found yet: run <code>trajectory-miner mine</code>.</p>',
            "skills",
        )
    rows = []
    for s in data.skills:
        use = f"{pct(s.use_success_rate)} <span class='muted'>({s.successes} of {s.uses})</span>" if s.uses else "—"
        rows.append(
            f'<tr data-figure="skill" data-id="{esc(s.id)}" data-uses="{s.uses}" data-successes="{s.successes}" '
            f'data-support="{s.support}" data-value="{num(s.use_success_rate)}">'
            f"<td><b>{esc(s.name)}</b> <span class='muted small'>{esc(s.id)}</span>"
            f'<div class="muted small clamp">{esc(s.description)}</div></td>'
            f'<td><span class="chip st-{esc(s.status)}">{esc(s.status)}</span></td>'
            f'<td class="num">{s.support}</td><td class="num">{pct(s.source_success_rate)}</td>'
            f'<td class="num">{s.uses}</td><td class="num">{use}</td></tr>'
        )
    head = (
        "<tr><th>skill</th><th>status</th><th class=num>from sessions</th><th class=num>their success</th>"
        "<th class=num>used in</th><th class=num>success when used</th></tr>"
    )
    lede = (
        f"{len(data.skills)} of {data.skills_total} skills: where each came from, and how sessions that used it went."
    )
    return _section("Skills", lede, _table(head, rows), "skills")


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _project(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    short = "/".join(parts[-2:]) if parts else path
    return f'<span class="project" title="{esc(path)}">{esc(short)}</span>'


def _session_rows(rows: Sequence[SessionRow], table: str, data: ReportData) -> list[str]:
    cells = []
    for r in rows:
        anchor = f' id="session-{esc(r.session_id)}"' if table == "recent" else ""
        ident = _session_ref(r.session_id, data, link=table != "recent")
        when = f"{r.started_at:%Y-%m-%d %H:%M}" if r.started_at else "—"
        cells.append(
            f'<tr{anchor} data-figure="session" data-table="{table}" data-session="{esc(r.session_id)}" '
            f'data-outcome="{esc(r.outcome or "")}" data-value="{num(r.overall)}">'
            f'<td class="ids">{ident}</td><td class="nowrap">{when}</td><td>{_project(r.project)}</td>'
            f'<td class="request">{esc(r.title) or "<span class=muted>—</span>"}</td><td>{_chip(r.outcome)}</td>'
            f'<td class="num">{score(r.overall)}</td><td class="num">{r.turns}</td>'
            f'<td class="num">{r.tool_errors}</td></tr>'
        )
    return cells


def _sessions(data: ReportData) -> str:
    head = (
        "<tr><th>session</th><th>started</th><th>project</th><th>first request</th><th>outcome</th>"
        "<th class=num>score</th><th class=num>turns</th><th class=num>tool errors</th></tr>"
    )
    parts = []
    if data.lowest_sessions:
        lede = "The lowest overall scores. <code>trajectory-miner score ID</code> shows why."
        rows = _session_rows(data.lowest_sessions, "lowest", data)
        parts.append(_section("Sessions to look at", lede, _table(head, rows), "lowest-sessions"))
    shown = len(data.recent_sessions)
    lede = (
        f"The latest {shown} of {data.headline.sessions:,} sessions. "
        "<code>trajectory-miner show ID</code> replays one turn by turn."
    )
    rows = _session_rows(data.recent_sessions, "recent", data)
    parts.append(_section("Recent sessions", lede, _table(head, rows), "recent-sessions"))
    return "".join(parts)


def _table(head: str, rows: Sequence[str]) -> str:
    return f'<div class="table-wrap"><table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def _footer() -> str:
    return (
        '<footer class="muted small">Written by <code>trajectory-miner report</code>. Every figure comes from the '
        "local store; <code>trajectory-miner report --json</code> prints the same numbers.</footer>"
    )
