"""Dropping the fixes that cannot reach the shortlist changes no answer.

`find_replays` weighs one by one only the candidates of fixes whose first score could place
them on the shortlist (`shortlist.within_reach`). The plain path weighs every candidate: here it
is the oracle, and both must give the same hits in the same order, with the same scores,
reasons, sessions and dead ends, on generated stores of alike failures and fixes (many ties,
fixes shared by several sessions, mined items), whatever the shortlist's length.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from trajectory_miner.analysis.signatures import error_signature
from trajectory_miner.mining.items import Replay, Skill, StepRef
from trajectory_miner.retrieval import MemoryIndex, StuckQuery, find_replays, rank
from trajectory_miner.retrieval.episodes import Episode, RetrievalStep
from trajectory_miner.retrieval.index import UNKNOWN_FIX
from trajectory_miner.retrieval.snapshot import SessionRow

PROGRAMS = ("uv", "pnpm", "poetry", "rg", "jq", "yarn", "pipx")
PACKAGES = ("helpers", "common", "yaml")
FIXES = (
    "uv tool install {p}",
    "brew install {p}",
    "npm install -g {p}@1.{n}",
    "pipx install {p}",
    "apt-get install {p}",
)
WORDS = ("report", "export", "billing", "sync", "ledger")
DAY = 86_400.0


@dataclass(frozen=True)
class Block:
    """One failure in a session: what failed, how often, and how it ended."""

    program: int
    module: bool
    attempts: int
    ending: str  # "verified", "likely" or "stuck"
    fix: int
    number: int


blocks = st.builds(
    Block,
    program=st.integers(0, len(PROGRAMS) - 1),
    module=st.booleans(),
    attempts=st.integers(1, 2),
    ending=st.sampled_from(["verified", "verified", "likely", "stuck"]),
    fix=st.integers(0, len(FIXES) - 1),
    number=st.integers(0, 12),
)


def _step(steps: list[RetrievalStep], summary: str, error: str | None = None, thought: str = "") -> None:
    steps.append(
        RetrievalStep(
            step_index=len(steps),
            turn_index=1,
            tool="Bash",
            summary=summary,
            thought=thought,
            is_error=error is not None,
            signature=error_signature("Bash", error, summary) if error is not None else None,
            excerpt=error or "",
            files=(f"src/{WORDS[len(steps) % len(WORDS)]}.py",),
        )
    )


def _failure(block: Block) -> tuple[str, str]:
    program, package = PROGRAMS[block.program], PACKAGES[block.program % len(PACKAGES)]
    if block.module:
        word = WORDS[block.number % len(WORDS)]
        return f"python scripts/{word}.py", f"Exit code 1\nModuleNotFoundError: No module named '{package}'"
    return f"{program} run {WORDS[block.number % len(WORDS)]}", f"Exit code 127\nbash: {program}: command not found"


def _session(number: int, plan: list[Block], started: float) -> SessionRow:
    steps: list[RetrievalStep] = []
    for block in plan:
        command, error = _failure(block)
        for _ in range(block.attempts):
            _step(steps, command, error)
        fix = FIXES[block.fix].format(p=PROGRAMS[block.program], n=block.number)
        if block.ending == "verified":
            _step(steps, fix, thought="Install the missing tool.")
            _step(steps, command)
        elif block.ending == "likely":
            _step(steps, fix)
            _step(steps, f"touch notes_{block.number}.md")
    return SessionRow(
        session_id=f"s{number:03d}",
        project=f"/work/{WORDS[number % len(WORDS)]}-app",
        title=f"session {number}",
        started=started,
        ended=started + 600.0,
        prompts=("fix the build",),
        steps=tuple(steps),
    )


def _mined(count: int) -> tuple[list[Replay], list[Skill]]:
    signature = error_signature("Bash", "Exit code 127\nbash: uv: command not found", "uv run check")
    replays = [
        Replay(
            id=f"R-{n:03d}",
            cluster_key=f"r{n}",
            stuck_session="s000",
            stuck_at=StepRef(session_id="s000", turn_index=1, step_index=0),
            signature=signature,
            successful_session="s001",
            next_steps=["uv tool install uv"],
            expected_improvement="install the tool",
            confidence=0.5 + n / 10,
        )
        for n in range(count)
    ]
    skills = [
        Skill(
            id=f"S-{n:03d}",
            cluster_key=f"k{n}",
            name=f"install-{n}",
            description="Install the missing tool",
            trigger="command not found",
            steps=["uv tool install it"],
            signatures=[signature],
            status="approved" if n % 2 else "candidate",
            support=2,
            success_rate=0.5,
        )
        for n in range(count)
    ]
    return replays, skills


def _index(plans: list[list[Block]], outcomes: list[str], votes: list[int], mined: int) -> MemoryIndex:
    rows = [_session(n, plan, 1_700_000_000.0 + (n % 7) * DAY) for n, plan in enumerate(plans)]
    replays, skills = _mined(mined)
    feedback = {f"s{n:03d}": (vote, 0) if vote >= 0 else (0, -vote) for n, vote in enumerate(votes) if vote}
    return MemoryIndex.from_messages(
        [
            ("full", None),
            ("outcomes", {row.session_id: outcomes[n % len(outcomes)] for n, row in enumerate(rows)}),
            ("sessions", rows),
            ("mined", (replays, skills, [])),
            ("feedback", feedback),
        ]
    )


def _answer(index: MemoryIndex, query: StuckQuery, shortlist: int, plain: bool) -> tuple[Any, ...]:
    """The answer and every hit's score, with the fast path or the plain one."""
    chosen: list[tuple[int, float, list[str], list[str], int]] = []
    best: Callable[..., list[Any]] = rank._best

    def recording(*args: Any) -> list[Any]:
        hits = best(*args)
        chosen.extend((c.doc, c.score, list(c.reasons), list(c.sessions), c.support) for c in hits)
        return hits

    def everything(index: MemoryIndex, docs: list[int], scores: Any, n: int) -> list[int]:
        return docs

    with mock.patch.object(rank, "SHORTLIST", shortlist), mock.patch.object(rank, "_best", recording):
        if plain:
            with mock.patch.object(rank, "within_reach", everything):
                answer = find_replays(index, query)
        else:
            answer = find_replays(index, query)
    return answer.model_dump(), chosen


@settings(max_examples=40, deadline=None)
@given(
    plans=st.lists(st.lists(blocks, min_size=1, max_size=3), min_size=1, max_size=40),
    outcomes=st.lists(st.sampled_from(["success", "failure", "unknown", "partial"]), min_size=1, max_size=4),
    votes=st.lists(st.integers(-2, 3), max_size=10),
    mined=st.integers(0, 3),
    asked=blocks,
    described=st.booleans(),
    shortlist=st.sampled_from([1, 2, 3, 5, 60]),
    k=st.integers(1, 5),
)
def test_the_shortlist_drops_no_fix_that_would_answer(
    plans: list[list[Block]],
    outcomes: list[str],
    votes: list[int],
    mined: int,
    asked: Block,
    described: bool,
    shortlist: int,
    k: int,
) -> None:
    index = _index(plans, outcomes, votes, mined)
    command, error = _failure(asked)
    query = StuckQuery(
        description=f"{PROGRAMS[asked.program]} is missing" if described else command,
        error_text=None if described else error,
        recent_commands=[command],
        project="/work/report-app",
        k=k,
    )
    assert _answer(index, query, shortlist, plain=False) == _answer(index, query, shortlist, plain=True)


def test_fixes_alike_in_other_sessions_share_a_number_and_others_do_not() -> None:
    alike = [[Block(0, False, 1, "verified", 0, n)] for n in (0, 5, 10)]
    other = [Block(0, False, 1, "verified", 1, 0)]
    index = _index([alike[0], alike[1], other, alike[2]], ["success"], [], 1)
    docs = list(index.items)
    numbers = dict(zip(docs, index.fix_group(docs), strict=True))
    assert UNKNOWN_FIX not in numbers.values()
    episodes = [numbers[d] for d in docs if isinstance(index.items[d], Episode)]
    assert episodes[0] == episodes[1] == episodes[3] != episodes[2]
    mined = [numbers[d] for d in docs if not isinstance(index.items[d], Episode)]
    assert len(mined) == 2 and len(set(mined)) == 2 and not set(mined) & set(episodes)


def test_a_saved_index_keeps_the_fix_of_every_item_and_answers_alike() -> None:
    plans = [[Block(n % 3, n % 4 == 0, 1 + n % 2, ("verified", "likely", "stuck")[n % 3], n % 5, n)] for n in range(30)]
    index = _index(plans, ["success", "failure"], [1, -1], 2)
    query = StuckQuery(description="uv run check", error_text="Exit code 127\nbash: uv: command not found")
    copy = pickle.loads(pickle.dumps(index))
    assert [doc for doc in copy.items if copy.fix_groups[doc] == UNKNOWN_FIX] == []
    assert find_replays(copy, query) == find_replays(index, query)
