"""Skill candidates: procedures from sessions that scored at least 0.85 on every dimension.

Two kinds. A fix skill teaches how sessions got past a failure that recurs (in two sessions
or more): one per failure cluster and kind of fix (env var, install, config edit, source
edit, command flag), stating when (the error as the user sees it), why (the cause, from what
the fixes changed) and steps with their concrete content (`mining.lessons`). A check made to
pass by editing its tests teaches nothing and makes no skill. A workflow skill is a sequence
of steps that recurs, in two sessions or more of one project, for the same kind of request,
and runs something of the project's own; generic loops make none. Sessions that showed a
behaviour no one should repeat (tests edited to pass, success claimed over a failure, a
correction ignored) are no source.
A skill someone has approved, exported, rejected or retired keeps its status, counters and
wording: a run only refreshes its evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz import fuzz, process

from trajectory_miner.mining import generalise as gen
from trajectory_miner.mining import lessons
from trajectory_miner.mining.features import Fix, Procedure, SessionFeatures
from trajectory_miner.mining.items import Skill
from trajectory_miner.mining.patterns import Population

_MERGE_SCORE = 85
_UNTEACHABLE = frozenset({"edits_tests", "claims_success", "ignored_correction"})
_MIN_WORKFLOW_SUPPORT = 2
_MAX_WORKFLOWS = 25
_MAX_SOURCES = 20
_DOING = frozenset({"edit", "write", "test", "check", "run"})
_CLASS_WORDS = {
    "read": "read the relevant files",
    "search": "search the code",
    "edit": "edit",
    "write": "write the new file",
    "test": "run the tests",
    "check": "run the checks",
    "run": "run it",
    "vcs": "use git",
    "delegate": "delegate to a subagent",
    "skill": "load a skill",
    "web": "look it up",
    "other": "use another tool",
}
_STACKS = {
    "npm": "JavaScript",
    "npx": "JavaScript",
    "yarn": "JavaScript",
    "pnpm": "JavaScript",
    "node": "JavaScript",
    "python": "Python",
    "pytest": "Python",
    "pip": "Python",
    "uv": "Python",
    "cargo": "Rust",
    "go": "Go",
}
_SLUG = re.compile(r"[^a-z0-9]+")
_PLACEHOLDERS = re.compile(r"<[a-z]+>")
# Words that carry no meaning in a skill's name.
_NAME_STOP = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "is",
        "are",
        "was",
        "no",
        "not",
        "named",
        "following",
        "could",
        "cannot",
        "can",
        "t",
        "file",
        "or",
        "and",
        "be",
        "module",
        "errno",
        "such",
        "directory",
    }
)
_LANGUAGES = {
    "py": "Python",
    "ts": "TypeScript",
    "tsx": "TypeScript",
    "js": "JavaScript",
    "rs": "Rust",
    "go": "Go",
}


@dataclass
class _Group:
    """Procedures that are one procedure, from every session that used it."""

    key: str
    steps: list[str]
    members: list[tuple[SessionFeatures, Fix | Procedure]] = field(default_factory=list)

    def sessions(self) -> list[str]:
        return list(dict.fromkeys(sf.session_id for sf, _ in self.members))


def fix_topic(cluster_key: str, kind: str) -> str:
    """What a fix skill is about: a failure cluster, and the kind of fix that got past it."""
    return f"fix:{cluster_key.removeprefix('sig:')} => {kind}"


def by_family(skills: list[Skill]) -> dict[str, list[Skill]]:
    """The fix skills that get past each failure family (a cluster's key without `sig:`),
    whatever kind of fix they teach, in the order given."""
    found: dict[str, list[Skill]] = {}
    for skill in skills:
        if skill.cluster_key.startswith("fix:") and skill.signatures:
            found.setdefault(skill.signatures[0], []).append(skill)
    return found


def _stack(files: list[str]) -> str:
    """The dominant file extension of a procedure, so workflows of different stacks stay apart."""
    extensions = Counter(f.rsplit(".", 1)[-1] for f in files if "." in f.rsplit("/", 1)[-1])
    return min(extensions.items(), key=lambda kv: (-kv[1], kv[0]))[0] if extensions else "any"


def _fix_name(failure: str, kind: str, limit: int = 48) -> str:
    """A fix skill's name: the error's own telling words (its type, the variable, module or flag
    it names), cut at a word, then the kind of fix, so a model can match it against a task."""
    suffix = kind.replace("_", "-")
    words = [w for w in _SLUG.split(_PLACEHOLDERS.sub(" ", failure).lower()) if w and w not in _NAME_STOP]
    kept: list[str] = ["fix"]
    for word in words:
        if len("-".join([*kept, word, suffix])) > limit:
            break
        kept.append(word)
    return "-".join([*kept, suffix])


def _slug(text: str, limit: int = 48) -> str:
    return _SLUG.sub("-", text.lower().replace("<", "").replace(">", "")).strip("-")[:limit].rstrip("-")


def _merge(items: list[tuple[str, list[str], SessionFeatures, Fix | Procedure]]) -> list[_Group]:
    """Group procedures by topic, then join groups whose steps read almost the same."""
    exact: dict[tuple[str, tuple[str, ...]], list[tuple[SessionFeatures, Fix | Procedure]]] = {}
    for name, sequence, sf, item in items:
        exact.setdefault((name, tuple(sequence)), []).append((sf, item))
    order = sorted(exact, key=lambda k: (-len({sf.session_id for sf, _ in exact[k]}), k))
    groups: list[_Group] = []
    by_topic: dict[str, tuple[list[_Group], list[str]]] = {}
    for topic, steps in order:
        text = " | ".join(steps)
        homes, texts = by_topic.setdefault(topic, ([], []))
        match = process.extractOne(text, texts, scorer=fuzz.ratio, score_cutoff=_MERGE_SCORE) if texts else None
        if match is None:
            home = _Group(f"{topic} => {text}", list(steps))
            homes.append(home)
            texts.append(text)
            groups.append(home)
        else:
            home = homes[match[2]]
        home.members.extend(exact[(topic, steps)])
    return groups


def _success_rate(sessions: list[str], population: Population) -> float:
    known = [population.group(s) for s in sessions if population.group(s)]
    return round(sum(1 for g in known if g == "succeeding") / len(known), 3) if known else 0.0


def _requirements(files: list[str], steps: list[str]) -> list[str]:
    needs: list[str] = []
    extensions = Counter(f.rsplit(".", 1)[-1] for f in files if "." in f)
    programs = {s.split("`")[1].split(" ")[0] for s in steps if s.startswith("Run `")}
    languages = sorted(
        {_LANGUAGES[e] for e in extensions if e in _LANGUAGES} | {_STACKS[p] for p in programs & set(_STACKS)}
    )
    if languages:
        needs.append(f"a {' or '.join(languages)} project")
    if any("<file>" in s or "<module>" in s or "<dir>" in s for s in steps if s.startswith("Run")):
        needs.append("commands run from the project root")
    needs.extend(f"files matching `{f}`" for f in files[:3] if f.strip("*./"))
    return needs


def fix_skills(
    features: list[SessionFeatures],
    population: Population,
    family_key: dict[str, str],
    spread: dict[str, int],
    ids: Callable[[str, str], str],
    existing: dict[str, Skill],
) -> list[Skill]:
    """One skill per failure that recurs (in two sessions or more) and kind of fix that got past
    it in a session that qualifies, carrying the fix's concrete content."""
    groups: dict[str, list[tuple[SessionFeatures, Fix]]] = {}
    for sf in features:
        if _misbehaved(sf):
            continue
        for fix in sf.fixes:
            key = family_key.get(fix.family, "sig:" + fix.family)
            kind = lessons.fix_kind(fix)
            # A check made to pass by changing only its tests is no procedure to repeat.
            if spread.get(key, 0) >= 2 and kind != "test_edit":
                groups.setdefault(fix_topic(key, kind), []).append((sf, fix))
    skills: list[Skill] = []
    for topic, members in sorted(groups.items()):
        group = _Group(topic, [], list(members))
        sources = [s for s in group.sessions() if _is_source(s, population)]
        if sources:
            fixes = [f for sf, f in members if sf.session_id in sources]
            skills.append(_finish(_fix_skill(topic, fixes, len(sources), ids), sources, group, population, existing))
    return skills


def _fix_skill(topic: str, fixes: list[Fix], support: int, ids: Callable[[str, str], str]) -> Skill:
    kind = topic.rsplit(" => ", 1)[1]
    family = topic.removeprefix("fix:").rsplit(" => ", 1)[0]
    signature = Counter(f.signature for f in fixes).most_common(1)[0][0]
    error = gen.names(lessons.failure_words(signature, family)) if family else ""
    failing = Counter(f.fail_action for f in fixes).most_common(1)[0][0]
    is_check = any(gen.is_check_command(f.fail_action) for f in fixes)
    steps = lessons.steps(fixes, kind, error, is_check)
    why = lessons.cause(fixes, kind)
    situation = f"`{failing}` fails with `{error}`" if error else f"`{failing}` fails"
    alone = " (seen in one session only)" if support < 2 else ""
    return Skill(
        id=ids("skills", topic),
        cluster_key=topic,
        name=_fix_name(family or failing, kind),
        description=f"When {situation}: {why}{alone}",
        trigger=f"{situation}",
        why=why,
        fix_kind=kind,
        steps=steps,
        tools_used=list(dict.fromkeys(t for f in fixes for t in f.tools)),
        context_requirements=_requirements(sorted({x for f in fixes for x in f.files}), steps),
        signatures=list(dict.fromkeys([family] + [f.signature for f in fixes]))[:6],
    )


def workflow_skills(
    features: list[SessionFeatures],
    population: Population,
    ids: Callable[[str, str], str],
    existing: dict[str, Skill],
) -> list[Skill]:
    """Step sequences that recur for the same kind of request in high-scoring sessions."""
    items: list[tuple[str, list[str], SessionFeatures, Fix | Procedure]] = []
    for sf in features:
        if _misbehaved(sf):
            continue
        for procedure in sf.procedures:
            # Read, edit, run the tests is every task's loop; a workflow worth a skill runs
            # something of the project's own (a script, a migration, a build step).
            if _DOING & set(procedure.classes) and "run" in procedure.classes:
                topic = f"flow:{procedure.kind}:{_stack(procedure.files)}:{sf.project}"
                items.append((topic, procedure.classes, sf, procedure))
    groups = [g for g in _merge(items) if len([s for s in g.sessions() if _is_source(s, population)]) >= 2]
    groups.sort(key=lambda g: (-len(g.sessions()), g.key))
    skills: list[Skill] = []
    for group in groups[:_MAX_WORKFLOWS]:
        sources = [s for s in group.sessions() if _is_source(s, population)]
        if len(sources) < _MIN_WORKFLOW_SUPPORT:
            continue
        procedures = [p for _, p in group.members if isinstance(p, Procedure)]
        kind = procedures[0].kind
        steps = list(Counter(tuple(p.steps) for p in procedures).most_common(1)[0][0])
        shape = ", then ".join(_CLASS_WORDS.get(c, c) for c in group.steps)
        skill = Skill(
            id=ids("skills", group.key),
            cluster_key=group.key,
            name=_slug(f"{kind} {'-'.join(group.steps)}"),
            description=f"To {kind}: {shape}.",
            trigger=f"A request to {kind}",
            steps=steps,
            tools_used=list(dict.fromkeys(t for p in procedures for t in p.tools)),
            context_requirements=_requirements(sorted({x for p in procedures for x in p.files}), steps),
        )
        skills.append(_finish(skill, sources, group, population, existing))
    return skills


def _misbehaved(sf: SessionFeatures) -> bool:
    """A session that showed a behaviour no skill should teach (tests edited to pass, success
    claimed over a failure, a correction ignored) is no source, whatever its scores."""
    return any(b.did and b.name in _UNTEACHABLE for b in sf.behaviours)


def _is_source(session_id: str, population: Population) -> bool:
    score = population.scores.get(session_id)
    return score is not None and score.skill_source


def _finish(
    skill: Skill, sources: list[str], group: _Group, population: Population, existing: dict[str, Skill]
) -> Skill:
    """Provenance and counters; what another part of the system owns is carried over."""
    members = {sf.session_id: sf for sf, _ in group.members}
    skill.source_sessions = sources[:_MAX_SOURCES]
    skill.support = len(sources)
    skill.success_rate = _success_rate(group.sessions(), population)
    skill.projects = sorted({members[s].project for s in sources if members[s].project})[:10]
    now = datetime.now(UTC)
    before = existing.get(skill.cluster_key)
    if before is None:
        skill.created_at = skill.updated_at = now
        return skill
    kept = before if before.status != "candidate" else skill
    return kept.model_copy(
        update={
            "id": before.id,
            "status": before.status,
            "uses": before.uses,
            "successes": before.successes,
            "created_at": before.created_at or now,
            "updated_at": now,
            "source_sessions": skill.source_sessions,
            "support": skill.support,
            "success_rate": skill.success_rate,
            "projects": skill.projects,
        }
    )
