"""Listings answered from the index: sessions by words, skills, one skill, patterns."""

from __future__ import annotations

import posixpath
from datetime import UTC, datetime

from rapidfuzz import fuzz

from trajectory_miner.mining.items import SEVERITY_ORDER, Skill
from trajectory_miner.retrieval.answers import BadRequest as BadRequest  # callers name it from here too
from trajectory_miner.retrieval.answers import (
    PatternLine,
    PatternList,
    SessionLine,
    SessionList,
    SkillDetail,
    SkillLine,
    SkillList,
    fit,
)
from trajectory_miner.retrieval.index import MemoryIndex, SessionInfo
from trajectory_miner.retrieval.relevance import FLOOR, Coverage, coverage, shown_words
from trajectory_miner.retrieval.text import tokens
from trajectory_miner.textcap import one_line

OUTCOMES = ("success", "partial", "failure", "unknown")
SKILL_STATUSES = ("candidate", "approved", "exported", "rejected", "retired")
SEVERITIES = tuple(SEVERITY_ORDER)
MAX_LIMIT = 50


def short_project(project: str) -> str:
    return posixpath.basename(project.rstrip("/")) or project


def _date(stamp: float | None) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M") if stamp is not None else ""


def _project_matches(asked: str, project: str) -> bool:
    asked, project = asked.rstrip("/"), project.rstrip("/")
    return asked == project or project.endswith("/" + asked) or short_project(project) == short_project(asked)


def _line(info: SessionInfo, matched: list[str]) -> SessionLine:
    return SessionLine(
        id=info.session_id,
        project=short_project(info.project),
        date=_date(info.started),
        title=info.title,
        outcome=info.outcome,
        steps=info.steps,
        errors=info.errors,
        matched=matched,
    )


def search_sessions(
    index: MemoryIndex, query: str, project: str | None, outcome: str | None, limit: int, budget: int
) -> SessionList:
    """Sessions whose title, prompts, steps and errors hold the query's words, best first.

    A session must hold at least `relevance.FLOOR` of the query's information (its words
    weighed by how rare they are in the store): sessions that share only a common word, or a
    query whose words the history never saw, give an empty list and a note that says so.
    """
    if outcome is not None and outcome not in OUTCOMES:
        raise BadRequest(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    terms = tokens(query)
    if not terms:
        return SessionList(note="the query holds no searchable words")
    covered = coverage(index.session_bm25, terms)
    lines: list[SessionLine] = []
    similar = 0
    found = index.session_bm25.top(terms, max(limit * 20, 200))
    # Equal scores in session order, not in the order the index read the sessions.
    found.sort(key=lambda p: (-p[1], index.session_of_doc.get(p[0], "")))
    for doc, _ in found:
        info = index.sessions.get(index.session_of_doc.get(doc, ""))
        if info is None or covered.of(doc) < FLOOR:
            continue
        similar += 1
        if project and not _project_matches(project, info.project):
            continue
        if outcome and info.outcome != outcome:
            continue
        lines.append(_line(info, index.session_bm25.matched_terms(terms, doc)[:5]))
        if len(lines) >= limit:
            break
    answer = SessionList(sessions=lines, note="" if lines else _no_session_note(covered, similar, project, outcome))
    return fit(answer, budget, "sessions")


def _no_session_note(covered: Coverage, similar: int, project: str | None, outcome: str | None) -> str:
    if similar:
        where = f" of project {project}" if project else ""
        ended = f" with outcome {outcome}" if outcome else ""
        return f"no session{where}{ended} holds these words ({similar} other session(s) do)"
    words = shown_words(covered.words)
    if len(covered.unseen) == len(covered.words):
        return f"nothing similar in the history: none of the words searched is in it ({words})"
    return f"nothing similar in the history: no stored session holds enough of the words searched ({words})"


def list_skills(index: MemoryIndex, query: str | None, status: str | None, budget: int) -> SkillList:
    """Skills, best match to the query first (else approved first, then by support)."""
    if status is not None and status not in SKILL_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(SKILL_STATUSES)}, not {status!r}")
    skills = [s for s in index.skills.values() if status is None or s.status == status]
    if query and query.strip():
        scored = [(_skill_match(query, s), s) for s in skills]
        skills = [s for score, s in sorted(scored, key=lambda p: (-p[0], p[1].id)) if score >= 50]
    else:
        order = {"exported": 0, "approved": 1, "candidate": 2, "retired": 3, "rejected": 4}
        skills.sort(key=lambda s: (order.get(s.status, 5), -s.support, s.id))
    lines = [
        SkillLine(
            id=s.id,
            name=s.name,
            status=s.status,
            description=one_line(s.description, 160),
            support=s.support,
            success_rate=round(s.success_rate, 2),
            uses=s.uses,
        )
        for s in skills
    ]
    note = "" if lines else ("no skill matches" if index.skills else "no skills mined yet: run /mine")
    return fit(SkillList(skills=lines, note=note), budget, "skills")


def _skill_match(query: str, skill: Skill) -> float:
    text = " ".join([skill.name, skill.description, skill.trigger, *skill.signatures])
    return float(fuzz.token_set_ratio(query.lower(), text.lower()))


def get_skill(index: MemoryIndex, skill_id: str, budget: int) -> SkillDetail:
    """One skill, whole (cut to the budget)."""
    skill = index.skills.get(skill_id.strip())
    if skill is None:
        known = ", ".join(sorted(index.skills)[:10]) or "none yet"
        raise BadRequest(f"no skill {skill_id!r} (known: {known})")
    helpful, harmful = index.votes(skill.id)
    detail = SkillDetail(
        id=skill.id,
        name=skill.name,
        status=skill.status,
        description=skill.description,
        trigger=skill.trigger,
        steps=list(skill.steps),
        tools_used=list(skill.tools_used),
        context_requirements=list(skill.context_requirements),
        signatures=list(skill.signatures),
        source_sessions=list(skill.source_sessions[:10]),
        support=skill.support,
        success_rate=round(skill.success_rate, 2),
        uses=skill.uses,
        successes=skill.successes,
        feedback=f"good {helpful}, bad {harmful}" if helpful or harmful else "",
    )
    return fit(detail, budget, "steps")


def list_patterns(index: MemoryIndex, project: str | None, min_severity: str | None, budget: int) -> PatternList:
    """Failure patterns, most severe and most frequent first."""
    if min_severity is not None and min_severity not in SEVERITY_ORDER:
        raise BadRequest(f"min_severity must be one of {', '.join(SEVERITIES)}, not {min_severity!r}")
    floor = SEVERITY_ORDER[min_severity] if min_severity else 0
    chosen = [
        p
        for p in index.patterns
        if SEVERITY_ORDER.get(p.severity, 0) >= floor
        and (not project or any(_project_matches(project, q) for q in p.projects))
    ]
    chosen.sort(key=lambda p: (-SEVERITY_ORDER.get(p.severity, 0), -p.frequency, p.id))
    lines = [
        PatternLine(
            id=p.id,
            severity=p.severity,
            frequency=p.frequency,
            sessions=len(p.sessions) or len(p.example_sessions),
            summary=one_line(p.root_cause_cluster or p.signature or ", ".join(p.failure_types), 160),
            lift=round(p.lift, 2) if p.lift is not None else None,
            suggested_fix_type=p.suggested_fix_type,
            example_sessions=p.example_sessions[:3],
        )
        for p in chosen
    ]
    note = "" if lines else ("no pattern matches" if index.patterns else "no patterns mined yet: run /mine")
    return fit(PatternList(patterns=lines, note=note), budget, "patterns")
