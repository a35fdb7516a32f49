"""One run of the miner over the sessions in scope: the steps of `mine`, in order."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime

from trajectory_miner.collector import collector_paused
from trajectory_miner.mining import cache, patterns, persist, questions, replays, skills
from trajectory_miner.mining.features import Fix, SessionFeatures
from trajectory_miner.mining.items import Pattern, Skill
from trajectory_miner.mining.outcomes import collapsed_turns, load_scores
from trajectory_miner.mining.report import MiningReport, OpenQuestion
from trajectory_miner.progress import Progress
from trajectory_miner.sessions import session_ids
from trajectory_miner.store import Store


def _fixes(features: list[SessionFeatures], family_key: dict[str, str]) -> dict[str, list[tuple[str, Fix]]]:
    """Per cluster key, the fixes that got past the failure, with their sessions."""
    found: dict[str, list[tuple[str, Fix]]] = defaultdict(list)
    for sf in features:
        for fix in sf.fixes:
            found[family_key.get(fix.family, "sig:" + fix.family)].append((sf.session_id, fix))
    return dict(found)


def _ask(
    found: list[Pattern],
    clusters: list[patterns.Cluster],
    population: patterns.Population,
    fixed: dict[str, int],
    fix_skills: list[Skill],
) -> list[OpenQuestion]:
    by_key = {c.key: c for c in clusters}
    fixers = skills.by_family(fix_skills)
    still_open: list[OpenQuestion] = []
    places: questions.Places = {}
    for pattern in found:
        skill_ids = [s.id for s in fixers.get(pattern.cluster_key.removeprefix("sig:"), [])]
        pattern.self_questions = questions.ask(
            by_key[pattern.cluster_key],
            population,
            pattern.failure_types,
            fixed.get(pattern.cluster_key, 0),
            skill_ids,
            places,
        )
        still_open += [
            OpenQuestion(pattern_id=pattern.id, question=q.question, explanation=q.explanation)
            for q in pattern.self_questions
            if q.answer == "open"
        ]
    return still_open


def mine(
    store: Store,
    *,
    since: datetime | None = None,
    project: str | None = None,
    progress: Progress | None = None,
) -> MiningReport:
    """Mine the sessions in scope, store what was found, and report it.

    A run over every session also removes items no longer found (never a skill someone
    moved past `candidate`); a run scoped by `since` or `project` only adds and updates.
    """
    with collector_paused():
        return _mine(store, since, project, progress)


def _mine(store: Store, since: datetime | None, project: str | None, progress: Progress | None) -> MiningReport:
    began = time.monotonic()
    ids = session_ids(store, project=project, since=since, with_turns=True)
    features, fresh = cache.collect(store, ids, progress)
    scores = load_scores(store, ids)
    population = patterns.Population({sf.session_id: sf for sf in features}, scores)
    clusters, family_key = patterns.cluster_failures(features)
    book = persist.IdBook(store)
    existing = persist.existing_skills(store)
    spread = {c.key: len(c.sessions()) for c in clusters if not c.behaviour}
    fix_skills = skills.fix_skills(features, population, family_key, spread, book.id_for, existing)
    all_skills = fix_skills + skills.workflow_skills(features, population, book.id_for, existing)
    fixes = _fixes(features, family_key)
    fixed = {key: len({sid for sid, _ in items}) for key, items in fixes.items()}
    found, incidents = patterns.build(clusters, population, fixes, book.id_for)
    still_open = _ask(found, clusters, population, fixed, fix_skills)
    failing = [sid for sid in population.features if population.group(sid) == "failing"]
    found_replays = replays.build(
        features, population, family_key, all_skills, collapsed_turns(store, failing), book.id_for
    )
    prune = since is None and project is None
    removed = {
        "patterns": persist.replace_items(store, "patterns", found, prune=prune),
        "incidents": persist.replace_items(store, "incidents", incidents, prune=prune),
        "skills": persist.replace_items(store, "skills", all_skills, prune=prune),
        "replays": persist.replace_items(store, "replays", found_replays, prune=prune),
    }
    if prune:
        removed["cached_features"] = cache.prune(store)
    book.save(store)
    return MiningReport(
        generated_at=datetime.now(UTC),
        since=since,
        project=project,
        sessions=len(features),
        sessions_scored=sum(1 for sid in population.features if sid in scores),
        failing_sessions=population.failing,
        succeeding_sessions=population.succeeding,
        skill_source_sessions=sum(1 for sid, s in scores.items() if s.skill_source and sid in population.features),
        sessions_processed=len(fresh),
        sessions_cached=len(features) - len(fresh),
        failures=sum(len(sf.failures) for sf in features),
        patterns=found,
        incidents=incidents,
        skills=sorted(all_skills, key=lambda s: s.id),
        replays=found_replays,
        open_questions=still_open,
        removed=removed,
        seconds=round(time.monotonic() - began, 3),
    )
