"""Scoring commands: `score`, `rescore`, `feedback`."""

from __future__ import annotations

import argparse
import time
from typing import Any

from trajectory_miner.capture.upkeep import refresh_sessions
from trajectory_miner.cli.output import CommandError, print_json, progress_bar, reader, resolve_paths, writer
from trajectory_miner.feedback.verdicts import ACCEPTED, latest_feedback, record_feedback
from trajectory_miner.mining.items import load_skills
from trajectory_miner.scoring import SCORER_VERSION, rescore_sessions, score_session, stale_session_ids
from trajectory_miner.scoring.adherence import ACTIVE_STATUSES
from trajectory_miner.scoring.card import Scorecard, load_scorecards
from trajectory_miner.sessions import ambiguity, load_session, resolve_session_id, session_ids
from trajectory_miner.store import Store


def register(commands: Any) -> None:
    score = commands.add_parser("score", help="show a session's score card with its evidence")
    score.add_argument("session", help="session id (or a unique prefix)")
    score.add_argument("--json", action="store_true", help="print the card as JSON")
    score.add_argument("--turns", action="store_true", help="also list the score of every turn")
    score.set_defaults(handler=run_score)

    rescore = commands.add_parser("rescore", help="recompute the score cards of all sessions")
    rescore.add_argument("--stale", action="store_true", help="only sessions scored by another scorer version")
    rescore.add_argument("--json", action="store_true", help="print one JSON object")
    rescore.set_defaults(handler=run_rescore)

    feedback = commands.add_parser("feedback", help="record your verdict on a session")
    feedback.add_argument("session", help="session id (or a unique prefix)")
    feedback.add_argument(
        "verdict", choices=ACCEPTED, metavar="{good,bad}", help="good or bad (helpful and harmful: the same)"
    )
    feedback.add_argument("--note", default="", help="why, in a few words")
    feedback.add_argument("--json", action="store_true", help="print the new card's outcome as JSON")
    feedback.set_defaults(handler=run_feedback)


def _session_id(store: Store, prefix: str) -> str:
    sid = resolve_session_id(store, prefix)
    if sid is None:
        reason = ambiguity(store, prefix) or f"no session matches {prefix!r}"
        raise CommandError(f"{reason}: see `trajectory-miner sessions`", 2)
    return sid


def run_score(args: argparse.Namespace) -> int:
    with reader(resolve_paths()) as store:
        sid = _session_id(store, args.session)
        session = load_session(store, sid)
        if session is None:
            raise CommandError(f"no session {sid}", 2)
        if not session.turns:
            print("null" if args.json else f"session {sid} has no turns: there is nothing to score")
            return 0
        # Scored afresh: the rules are cheap and deterministic, so the card is never stale.
        skills = [s for s in load_skills(store) if s.status in ACTIVE_STATUSES]
        card = score_session(session, latest_feedback(store, [sid]).get(sid), skills)
        stored = load_scorecards(store, [sid]).get(sid)
    if args.json:
        print_json(card)
    else:
        print_card(card, stored, args.turns)
    return 0


def print_card(card: Scorecard, stored: Scorecard | None, turns: bool) -> None:
    """The card as text: outcome, overall, each dimension with its rule and evidence."""
    print(f"session {card.session_id}")
    print(
        f"  outcome {card.outcome} (confidence {card.outcome_confidence:.2f}, from {card.outcome_source}): "
        f"{card.outcome_reason}"
    )
    print(f"  overall {card.overall:.2f}   scorer {card.scorer_version}")
    if stored is None:
        print("  (not stored yet: `trajectory-miner rescore` stores it)")
    elif stored.scorer_version != card.scorer_version:
        print(f"  (stored card is from scorer {stored.scorer_version}: `trajectory-miner rescore` updates it)")
    for dimension in card.dimensions.values():
        flag = "" if dimension.applicable else "  (not applicable)"
        print(f"\n{dimension.name:<18} {dimension.score:.2f}{flag}")
        print(f"  rule: {dimension.rule}")
        for item in dimension.evidence:
            where = _where(item.turn_index, item.step_index)
            effect = f"{item.effect:+.2f}" if item.effect else "  ·  "
            print(f"  {effect} {where:<16} {item.fact}")
    if turns and card.turns:
        print("\nturn  overall  " + "  ".join(name[:10].ljust(10) for name in card.dimensions))
        for turn in card.turns:
            cells = "  ".join(f"{turn.dimensions.get(name, 1.0):<10.2f}" for name in card.dimensions)
            print(f"{turn.turn_index:>4}  {turn.overall:>7.2f}  {cells}")


def _where(turn: int | None, step: int | None) -> str:
    if turn is None and step is None:
        return "session"
    parts = [f"turn {turn}" if turn is not None else "", f"step {step}" if step is not None else ""]
    return " ".join(p for p in parts if p)


def run_rescore(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    started = time.monotonic()
    with writer(paths) as store:
        ids = None
        if args.stale:
            ids = stale_session_ids(store)
        if ids is None:
            ids = session_ids(store, include_sidechains=True)
        count = refresh_sessions(store, ids, progress=progress_bar("rescore", not args.json))
    seconds = time.monotonic() - started
    if args.json:
        print_json({"sessions": count, "scorer_version": SCORER_VERSION, "seconds": round(seconds, 2)})
    else:
        print(f"scored {count} sessions with scorer {SCORER_VERSION} in {seconds:.1f} s")
    return 0


def run_feedback(args: argparse.Namespace) -> int:
    with writer(resolve_paths()) as store:
        sid = _session_id(store, args.session)
        item = record_feedback(store, sid, args.verdict, args.note)
        rescore_sessions(store, [sid])
        card = load_scorecards(store, [sid]).get(sid)
    if args.json:
        print_json({"feedback": item, "outcome": card.outcome if card else None})
    else:
        outcome = f"; outcome now {card.outcome}" if card else ""
        print(f"recorded {item.verdict} for session {sid}{outcome}")
    return 0
