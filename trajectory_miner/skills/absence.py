"""Why the store holds no skill yet: nothing stored, nothing mined, or what mining found."""

from __future__ import annotations

from trajectory_miner.mining.outcomes import load_scores
from trajectory_miner.mining.report import no_skills_reason
from trajectory_miner.store import Store


def why_no_skills(store: Store | None) -> str:
    """One line on why there is no skill, for a store with none (`None`: no store yet)."""
    stored = store.scalar("SELECT count(*) FROM sessions WHERE NOT is_sidechain") if store is not None else 0
    if store is None or not stored:
        return "no skills yet: no sessions are stored (run `trajectory-miner ingest`)"
    # The miner keeps the features of every session it read: they say that it ran, and over what.
    mined = [r[0] for r in store.query("SELECT session_id FROM miner_features")]
    if not mined:
        return "no skills yet: run `trajectory-miner mine`"
    sources = sum(1 for score in load_scores(store, mined).values() if score.skill_source)
    return no_skills_reason(len(mined), sources)
