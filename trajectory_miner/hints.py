"""The live-hint file: for each error family, the one-line fix the store knows best.

`<data home>/hints.json` is read by the PostToolUseFailure hook, which has a few tens of
milliseconds and the standard library only: so the file is small (at most `MAX_HINTS`
entries of one line each), keyed by the error family exactly as
`trajectory_miner.signatures.signature_family` writes it, and replaced atomically.

    {"version": 1, "hints": {"<family>": {"fix": "...", "source": "S-002 | R-004 | <session>",
                                          "sessions": 3}}}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel

from trajectory_miner.mined import Replay, Skill
from trajectory_miner.retrieval.episodes import Episode, fix_step
from trajectory_miner.retrieval.index import Item, MemoryIndex
from trajectory_miner.retrieval.rank import fix_key
from trajectory_miner.retrieval.text import one_line
from trajectory_miner.store import Store

HINTS_VERSION = 1
MAX_HINTS = 1000
MAX_FIX = 300


class Hint(BaseModel):
    """The best known fix for one error family."""

    fix: str
    source: str
    sessions: int


def _mined_fix(items: list[Item]) -> tuple[str, str] | None:
    """An approved skill's or a mined replay's fix, when the family has one (skills first)."""
    skills = [i for i in items if isinstance(i, Skill) and i.status in ("approved", "exported")]
    if skills:
        skill = max(skills, key=lambda s: (s.success_rate, s.support, s.id))
        first = skill.steps[0] if skill.steps else skill.description
        return one_line(f"skill {skill.name or skill.id}: {first}", MAX_FIX), skill.id
    replays = [i for i in items if isinstance(i, Replay) and i.next_steps]
    if replays:
        replay = max(replays, key=lambda r: (r.confidence, r.id))
        return one_line("; then ".join(replay.next_steps[:2]), MAX_FIX), replay.id
    return None


def _session_fix(items: list[Item], index: MemoryIndex) -> tuple[str, str] | None:
    """The fix that got past the family in the most sessions (verified ones before likely ones)."""
    votes: dict[str, list[tuple[int, float, Episode]]] = {}
    for item in items:
        if not isinstance(item, Episode) or item.resolution == "no" or not item.worked_next:
            continue
        info = index.sessions.get(item.session)
        if info is not None and info.outcome == "failure":
            continue
        level = 2 if item.resolution == "verified" else 1
        stamp = (info.ended or info.started or 0.0) if info else 0.0
        key = fix_key(item, index.fix_keys).split("|", 1)[1]
        votes.setdefault(key, []).append((level, stamp, item))
    if not votes:
        return None
    best = max(votes.values(), key=lambda v: (max(x[0] for x in v), len(v), max(x[1] for x in v)))
    episode = max(best, key=lambda x: (x[0], x[1]))[2]
    fix = fix_step(episode)
    if episode.resolution == "verified" and episode.worked_next[-1] != fix:
        fix = f"{fix}; then {episode.worked_next[-1]}"
    return one_line(fix, MAX_FIX), episode.session


def build_hints(index: MemoryIndex, limit: int = MAX_HINTS) -> dict[str, Hint]:
    """The best fix per error family, for the families seen in the most sessions."""
    chosen: list[tuple[int, str, Hint]] = []
    for family, docs in index.families.items():
        items = [index.items[d] for d in docs if d in index.items]
        found = _mined_fix(items) or _session_fix(items, index)
        if found is None:
            continue
        sessions = len({i.session for i in items if isinstance(i, Episode)})
        chosen.append((sessions, family, Hint(fix=found[0], source=found[1], sessions=sessions)))
    chosen.sort(key=lambda entry: (-entry[0], entry[1]))
    return {family: hint for _, family, hint in chosen[:limit]}


def hints_from_store(store: Store, limit: int = MAX_HINTS) -> dict[str, Hint]:
    """Read the store and choose the hints."""
    return build_hints(MemoryIndex.build(store), limit)


def render(hints: dict[str, Hint]) -> str:
    """The file's text."""
    body = {"version": HINTS_VERSION, "hints": {k: v.model_dump() for k, v in sorted(hints.items())}}
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
