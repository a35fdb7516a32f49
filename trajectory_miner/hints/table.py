"""The live-hint file: for each specific error signature, the fixes that got sessions past it.

`<data home>/hints.json` is read by the PostToolUseFailure hook, which has a few tens of
milliseconds and the standard library only: so the file is small (at most `MAX_HINTS`
signatures, one line per fix), keyed by the specific signature exactly as
`trajectory_miner.analysis.signatures.signature_family` writes it, and replaced atomically.

A hint is injected into a live session unasked, so it must not mislead. It comes only from:

- a specific signature: never a generic one (a bare exit code, `error`, `FAIL`), which
  `is_generic` tells and which would match failures that have nothing in common;
- a failure at least `MIN_SESSIONS` sessions got past (episodes whose resolution is
  `verified`: a later step showed the failure gone; sessions that failed in the end do not
  count), with the fix most of them used; or an approved skill for the signature, which the
  user vetted.

Each hint says which projects its sessions came from, so the hook prefers a fix from the
project it runs in and says where a fix came from: the skill, "2 sessions in this project",
"3 sessions in other projects". A skill leads, else the fix over all sessions; `others` holds
the next ones: each project's own fix, where at least `MIN_SESSIONS` of its sessions got past
the failure and most of them another way.

    {"version": 2, "hints": {"<specific signature>": {"fix": "...", "source": "S-002 | <session>",
        "sessions": 3, "projects": {"/work/app": 2, "/work/web": 1}, "others": [{...}, ...]}}}

Version 1 had neither `projects` nor `others`; the hook reads both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, Field

from trajectory_miner.analysis.signatures import is_generic, signature_family
from trajectory_miner.mining.items import Skill
from trajectory_miner.retrieval.episodes import Episode, fix_step
from trajectory_miner.retrieval.fixes import fix_key
from trajectory_miner.retrieval.index import MemoryIndex
from trajectory_miner.retrieval.saved import current_index
from trajectory_miner.store import Store
from trajectory_miner.textcap import one_line

HINTS_VERSION = 2
MAX_HINTS = 1000
MAX_FIX = 300
MIN_SESSIONS = 2
MAX_OTHERS = 3
MAX_PROJECTS = 5


class Hint(BaseModel):
    """A fix for one specific signature, with the sessions and projects it came from."""

    fix: str
    source: str
    sessions: int = Field(description="Sessions that got past the failure (an approved skill's support).")
    projects: dict[str, int] = Field(default_factory=dict, description="Sessions it came from, by project.")
    others: list[Hint] = Field(default_factory=list, description="Other fixes: each project's own, where it differs.")


def _skill_hints(skills: list[Skill], index: MemoryIndex) -> list[Hint]:
    """Approved skills' first steps, the most successful first."""
    approved = [s for s in skills if s.status in ("approved", "exported")]
    approved.sort(key=lambda s: (-s.success_rate, -s.support, s.id))
    hints: list[Hint] = []
    for skill in approved:
        first = skill.steps[0] if skill.steps else skill.description
        projects = _projects(skill.source_sessions, index) or dict.fromkeys(skill.projects[:MAX_PROJECTS], 0)
        fix = one_line(f"skill {skill.name or skill.id}: {first}", MAX_FIX)
        hints.append(Hint(fix=fix, source=skill.id, sessions=skill.support, projects=projects))
    return hints


def _projects(sessions: list[str], index: MemoryIndex) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sid in sessions:
        info = index.sessions.get(sid)
        if info is not None and info.project:
            counts[info.project] = counts.get(info.project, 0) + 1
    ranked = sorted(counts.items(), key=lambda p: (-p[1], p[0]))[:MAX_PROJECTS]
    return dict(ranked)


def _session_hints(episodes: list[Episode], index: MemoryIndex) -> list[Hint]:
    """What got sessions past the failure: the fix most of them used, then each project's own
    when it differs; none unless at least `MIN_SESSIONS` sessions got past it."""
    past = [e for e in episodes if e.resolution == "verified" and e.worked_next and _counts(e, index)]
    if len(_sessions_of(past)) < MIN_SESSIONS:
        return []
    hints = [_fix_hint(past, index)]
    by_project: dict[str, list[Episode]] = {}
    for episode in past:
        by_project.setdefault(index.sessions[episode.session].project, []).append(episode)
    for project in sorted(by_project, key=lambda p: (-len(_sessions_of(by_project[p])), p)):
        group = by_project[project]
        if len(_sessions_of(group)) >= MIN_SESSIONS:
            own = _fix_hint(group, index)
            if own.fix != hints[0].fix:
                hints.append(own)
    return hints


def _counts(episode: Episode, index: MemoryIndex) -> bool:
    """True for an episode of a session that did not fail in the end."""
    info = index.sessions.get(episode.session)
    return info is not None and info.outcome != "failure"


def _sessions_of(episodes: list[Episode]) -> list[str]:
    return list(dict.fromkeys(e.session for e in episodes))


def _fix_hint(episodes: list[Episode], index: MemoryIndex) -> Hint:
    """The fix most of the episodes used (the newest such), backed by all their sessions."""
    by_fix: dict[str, list[Episode]] = {}
    for episode in episodes:
        by_fix.setdefault(fix_key(episode, index.fix_keys), []).append(episode)
    common = max(by_fix.values(), key=lambda g: (len(_sessions_of(g)), max(_stamp(e, index) for e in g)))
    newest = max(common, key=lambda e: (_stamp(e, index), e.session))
    fix = fix_step(newest)
    if newest.worked_next[-1] != fix:
        fix = f"{fix}; then {newest.worked_next[-1]}"
    sessions = _sessions_of(episodes)
    return Hint(
        fix=one_line(fix, MAX_FIX), source=newest.session, sessions=len(sessions), projects=_projects(sessions, index)
    )


def _stamp(episode: Episode, index: MemoryIndex) -> float:
    info = index.sessions.get(episode.session)
    return (info.ended or info.started or 0.0) if info else 0.0


def _lead(hints: list[Hint]) -> Hint:
    """The first hint, carrying the next ones."""
    return hints[0].model_copy(update={"others": hints[1 : 1 + MAX_OTHERS]})


def build_hints(index: MemoryIndex, limit: int = MAX_HINTS) -> dict[str, Hint]:
    """The fixes per specific signature, for the signatures with the most sessions past them."""
    episodes: dict[str, list[Episode]] = {}
    skills: dict[str, list[Skill]] = {}
    generic: dict[str, bool] = {}
    # Only episodes some session got past can give a hint: the index keeps their documents.
    for doc in sorted(index.verified):
        item = index.items.get(doc)
        if not isinstance(item, Episode) or not item.signature:
            continue
        if item.signature not in generic:
            generic[item.signature] = is_generic(item.signature)
        if not generic[item.signature]:
            episodes.setdefault(signature_family(item.signature), []).append(item)
    for skill in index.skills.values():
        for signature in dict.fromkeys(skill.signatures):
            if signature and not is_generic(signature):
                skills.setdefault(signature_family(signature), []).append(skill)
    chosen: list[tuple[int, str, Hint]] = []
    for specific in episodes.keys() | skills.keys():
        found = _skill_hints(skills.get(specific, []), index) + _session_hints(episodes.get(specific, []), index)
        if found:
            weight = max(h.sessions for h in found)
            chosen.append((weight, specific, _lead(found)))
    chosen.sort(key=lambda entry: (-entry[0], entry[1]))
    return {specific: hint for _, specific, hint in chosen[:limit]}


def hints_from_store(store: Store, limit: int = MAX_HINTS, *, resave_small: bool = True) -> dict[str, Hint]:
    """Read the store and choose the hints.

    The index comes from the one saved beside the store, brought up to date with what changed
    since, and is saved again for the MCP server to start from (`retrieval.saved`); with
    `resave_small` False, only when it had more than a few sessions to catch up on.
    """
    return build_hints(current_index(store, resave_small=resave_small), limit)


def render(hints: dict[str, Hint]) -> str:
    """The file's text."""
    table = {k: v.model_dump(exclude_defaults=True) for k, v in sorted(hints.items())}
    body = {"version": HINTS_VERSION, "hints": table}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_hints(path: Path, hints: dict[str, Hint]) -> bool:
    """Replace the hint file atomically (readable by the user alone); False when nothing changed."""
    text = render(hints)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
    return True
