"""The `miner` tools: one small adapter per tool over `trajectory_miner.retrieval`, free of the SDK.

Adapters check and clean their input (sizes, control characters, allowed values), ask the
live index or open the store briefly, and turn every failure into a `ToolFailure` that says
what was wrong: the server answers the next call whatever happened to this one. Their
signatures are the tools' input schemas, their return models the output schemas. Two fronts
serve them: `mcp_server.server` through the MCP SDK (the reference, recorded in
`handshake.json`), and `mcp_server.stdio`, which answers the same protocol without the SDK's
import cost, for the first answer of a session.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from mcp_server.busy import PatientIndex, log, patient_index
from trajectory_miner.config import ConfigError, load_config
from trajectory_miner.hints import build_hints, write_hints
from trajectory_miner.paths import Paths, live_session, resolve
from trajectory_miner.retrieval import (
    BadRequest,
    FeedbackReceipt,
    LiveIndex,
    MemoryIndex,
    PatternList,
    ReplayAnswer,
    SessionDetail,
    SessionList,
    SkillDetail,
    SkillList,
    StuckQuery,
    clamp_budget,
    find_replays,
    get_skill,
    list_patterns,
    list_skills,
    search_sessions,
)
from trajectory_miner.retrieval.answers import ReplayHit, fit
from trajectory_miner.retrieval.reader import ChildSource
from trajectory_miner.retrieval.reviews import SkillReview
from trajectory_miner.retrieval.text import clean
from trajectory_miner.store import StoreError, StoreMissing

INSTRUCTIONS = """\
The miner knows this user's past Claude Code sessions: what failed, what was tried, and what \
got past it. Its answers are short; ask for details by id.
- When the same error shows up a second time, call find_replay_for_stuck_step (with the error \
text and the commands you ran) before trying again: it returns what worked next in past \
sessions that hit the same error, and why each hit ranked.
- At the start of a familiar kind of task, call list_skills with a few words of the task, and \
get_skill for the one that fits; follow approved skills.
- search_sessions finds past sessions by words; get_session shows one (brief, steps or full).
- list_patterns shows recurring failures worth avoiding.
- After acting on a hit, call record_feedback with its id (good or bad) so ranking learns.
- review_skill approves, rejects or retires a skill, and only after the user said so in the \
conversation: ask, wait, then pass their answer.\
"""

MAX_TEXT = 20_000
MAX_ERROR_TEXT = 200_000
MAX_LIST = 50
MAX_ITEM = 2_000
MAX_K = 10
MAX_LIMIT = 50
MAX_BUDGET = 4000
MIN_BUDGET = 200
EMPTY_HISTORY = (
    "The history is empty: no Claude Code session has been stored yet. Sessions are stored as they end; "
    "`trajectory-miner ingest` stores the past ones now."
)

Project = Annotated[
    str | None, Field(description="Only this project: its folder path, or the end of it (e.g. 'my-app').")
]
MaxTokens = Annotated[
    int,
    Field(
        ge=MIN_BUDGET,
        le=MAX_BUDGET,
        description="Budget of the answer in tokens; raise it only when the last answer said it was cut short.",
    ),
]
SessionId = Annotated[str, Field(description="A session id as earlier answers give it (a UUID).")]
SkillId = Annotated[str, Field(description="A skill id as list_skills gives it (S-…).")]


M = TypeVar("M", bound=BaseModel)


def invalid_arguments(tool: str, error: ValidationError) -> str:
    """The one sentence a caller needs to fix its arguments, from pydantic's report."""
    parts = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "the arguments"
        if problem["type"] == "missing":
            parts.append(f"{field} is required")
        else:
            message = problem["msg"]
            message = message[:1].lower() + message[1:]
            parts.append(f"{field} {message.removeprefix('input ')} (got {problem.get('input')!r:.60})")
    return f"Invalid arguments for {tool}: {'; '.join(parts)}."


def text_arg(name: str, value: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    """A string argument within its size, without control characters."""
    if len(value) > limit:
        raise BadRequest(f"{name} is {len(value):,} characters; the limit is {limit:,} (send the relevant part)")
    cleaned = clean(value).strip()
    if required and not cleaned:
        raise BadRequest(f"{name} is empty (or holds only control characters)")
    return cleaned


def optional_text(name: str, value: str | None, limit: int = MAX_ITEM) -> str | None:
    """An optional string argument, None when absent or blank."""
    return text_arg(name, value, limit, required=False) or None if value is not None else None


def list_arg(name: str, values: list[str] | None) -> list[str]:
    """A list-of-strings argument within its sizes, cleaned, blank items dropped."""
    if not values:
        return []
    if len(values) > MAX_LIST:
        raise BadRequest(f"{name} has {len(values)} items; the limit is {MAX_LIST}")
    cleaned = (text_arg(f"an item of {name}", value, MAX_ITEM, required=False) for value in values)
    return [v for v in cleaned if v]


class ToolFailure(Exception):
    """A tool call that failed; its message says what was wrong, for the caller."""


def run_tool(fn: Callable[..., BaseModel], arguments: dict[str, Any]) -> BaseModel:
    """Call one adapter; every failure becomes a `ToolFailure` whose message says what was wrong."""
    try:
        return fn(**arguments)
    except (BadRequest, StoreError) as exc:
        raise ToolFailure(str(exc)) from None
    except Exception as exc:  # the server must answer the next call whatever this one hit
        log("".join(traceback.format_exception(exc)))
        raise ToolFailure(f"internal error ({type(exc).__name__}): {exc}") from None


def _hint_writer(paths: Paths) -> Callable[[MemoryIndex], None] | None:
    """Refresh `hints.json` whenever the index is, unless live hints are turned off."""
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        log(f"config ignored: {exc}")
        return None
    if not config.live_hints:
        return None

    def write(index: MemoryIndex) -> None:
        try:
            write_hints(paths.hints_file, build_hints(index))
        except OSError as exc:
            log(f"could not write {paths.hints_file}: {exc}")

    return write


def _trim_detail(hit: ReplayHit) -> None:
    del hit.reasons[3:]
    del hit.tried[1:]
    del hit.session_ids[2:]


def _trim_steps(hit: ReplayHit) -> None:
    del hit.worked_next[:-2]
    del hit.reasons[2:]
    hit.tried.clear()


class Tools:
    """The tool adapters over one live index."""

    def __init__(self, live: LiveIndex, asking: Callable[[], str | None] = lambda: None) -> None:
        self.live = live
        self.asking = asking

    def asking_session(self) -> frozenset[str]:
        """The session that asks, so that its own failures are not offered back to it."""
        sid = self.asking()
        return frozenset({sid}) if sid else frozenset()

    def indexed(self, answer: Callable[[MemoryIndex], M], empty: Callable[..., M] | None = None) -> M:
        """Run a query on the fresh index; a stale index is said in the answer's note.

        With `empty`, a missing or empty store gives `empty(note=EMPTY_HISTORY)`: a list of
        nothing that says why, not an error.
        """
        try:
            with self.live.reading() as (index, note):
                if not index.sessions:
                    if empty is not None:
                        return empty(note=EMPTY_HISTORY)
                    raise BadRequest(EMPTY_HISTORY)
                result = answer(index)
        except StoreMissing:
            if empty is None:
                raise BadRequest(EMPTY_HISTORY) from None
            return empty(note=EMPTY_HISTORY)
        if note:
            current = getattr(result, "note", "")
            setattr(result, "note", f"{current}; {note}" if current else note)  # noqa: B010
        return result

    def find_replay_for_stuck_step(
        self,
        stuck_description: Annotated[
            str, Field(description="One sentence: what you are trying to do and what keeps failing.")
        ],
        error_text: Annotated[
            str | None, Field(description="The error output, as printed (the relevant part if it is long).")
        ] = None,
        recent_commands: Annotated[
            list[str] | None, Field(description="The commands you ran just before, oldest first.")
        ] = None,
        files: Annotated[list[str] | None, Field(description="Paths of the files involved.")] = None,
        project: Project = None,
        k: Annotated[int, Field(ge=1, le=MAX_K, description="How many hits to return.")] = 3,
        max_tokens: MaxTokens = 1500,
    ) -> ReplayAnswer:
        """Past fixes for a step that is stuck: what was tried, what worked next, and why each hit ranked.

        Call it when the same error comes back a second time, before trying again. Give the error
        output, the commands just run and the files involved. Hits are fixes from past sessions
        (<session>#<step>), mined replays (R-…) and approved skills (S-…).
        """
        if not 1 <= k <= MAX_K:
            raise BadRequest(f"k must be between 1 and {MAX_K}, not {k}")
        query = StuckQuery(
            description=text_arg("stuck_description", stuck_description),
            error_text=optional_text("error_text", error_text, MAX_ERROR_TEXT),
            recent_commands=list_arg("recent_commands", recent_commands),
            files=list_arg("files", files),
            project=optional_text("project", project),
            k=k,
            exclude_sessions=self.asking_session(),
        )
        budget = clamp_budget(max_tokens)
        return self.indexed(
            lambda index: fit(find_replays(index, query), budget, "hits", (_trim_detail, _trim_steps)), ReplayAnswer
        )

    def list_skills(
        self,
        query: Annotated[str | None, Field(description="A few words of the task; best matches come first.")] = None,
        status: Annotated[
            Literal["candidate", "approved", "exported", "rejected", "retired"] | None,
            Field(description="Only skills in this review state."),
        ] = None,
        max_tokens: MaxTokens = 1500,
    ) -> SkillList:
        """Mined skills (reusable procedures): id, name, status and one line each, best match first.

        Call it at the start of a familiar kind of task with a few words of the task.
        Status is one of candidate, approved, exported, rejected, retired.
        """
        words = optional_text("query", query, MAX_TEXT)
        wanted = optional_text("status", status)
        budget = clamp_budget(max_tokens)
        return self.indexed(lambda index: list_skills(index, words, wanted, budget), SkillList)

    def get_skill(self, skill_id: SkillId, max_tokens: MaxTokens = 1500) -> SkillDetail:
        """One skill in full: trigger, steps, tools, context it needs, where it came from."""
        wanted = text_arg("skill_id", skill_id, 100)
        budget = clamp_budget(max_tokens)
        return self.indexed(lambda index: get_skill(index, wanted, budget))

    def search_sessions(
        self,
        query: Annotated[str, Field(description="Words from the session's prompts, commands, errors or files.")],
        project: Project = None,
        outcome: Annotated[
            Literal["success", "partial", "failure", "unknown"] | None,
            Field(description="Only sessions that ended this way."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many sessions to return at most.")] = 10,
        max_tokens: MaxTokens = 1500,
    ) -> SessionList:
        """Past sessions whose prompts, steps and errors hold the query's words: one line each.

        Outcome is one of success, partial, failure, unknown. Read one with get_session.
        """
        words = text_arg("query", query)
        where = optional_text("project", project)
        result = optional_text("outcome", outcome)
        budget = clamp_budget(max_tokens)
        return self.indexed(lambda index: search_sessions(index, words, where, result, limit, budget), SessionList)

    def get_session(
        self,
        session_id: SessionId,
        detail: Annotated[
            Literal["brief", "steps", "full"],
            Field(description="brief: the headline; steps: one line per step; full: steps with thoughts and results."),
        ] = "brief",
        from_step: Annotated[
            int, Field(ge=0, description="The first step to show; pass the last answer's next_step for the next page.")
        ] = 0,
        max_tokens: MaxTokens = 1500,
    ) -> SessionDetail:
        """One session: its headline (brief), its steps (steps), or steps with thoughts and results (full).

        Long sessions come in pages: pass the answer's next_step as from_step.
        """
        wanted = text_arg("session_id", session_id, 200)
        arguments = {"session_id": wanted, "detail": detail, "from_step": from_step, "budget": clamp_budget(max_tokens)}
        answer = self.live.call("session_detail", arguments)
        assert isinstance(answer, SessionDetail)
        return answer

    def list_patterns(
        self,
        project: Project = None,
        min_severity: Annotated[
            Literal["low", "medium", "high", "critical"] | None,
            Field(description="Only patterns at least this severe."),
        ] = None,
        max_tokens: MaxTokens = 1500,
    ) -> PatternList:
        """Recurring failure patterns (seen in two or more sessions), most severe first.

        min_severity is one of low, medium, high, critical.
        """
        where = optional_text("project", project)
        floor = optional_text("min_severity", min_severity)
        budget = clamp_budget(max_tokens)
        return self.indexed(lambda index: list_patterns(index, where, floor, budget), PatternList)

    def record_feedback(
        self,
        target_id: Annotated[
            str, Field(description="The id the miner gave: a session id, a skill (S-…) or a replay (R-…).")
        ],
        verdict: Annotated[
            Literal["good", "bad", "helpful", "harmful"],
            Field(
                description="good if following it helped, bad if it made things worse (helpful and harmful: the same)."
            ),
        ],
        note: Annotated[str | None, Field(description="One line on what happened, for the user's review.")] = None,
    ) -> FeedbackReceipt:
        """Say whether a session, skill (S-…) or replay (R-…) the miner gave you helped or harmed.

        It feeds session scores, skill counters and the ranking of later answers.
        """
        arguments = {
            "target_id": text_arg("target_id", target_id, 200),
            "verdict": verdict,
            "note": optional_text("note", note),
        }
        answer = self.live.call("record_feedback", arguments, writable=True, wait_seconds=3.0)
        assert isinstance(answer, FeedbackReceipt)
        return answer

    def review_skill(
        self,
        skill_id: SkillId,
        decision: Annotated[
            Literal["approve", "reject", "retire"], Field(description="What the user decided for the skill.")
        ],
        user_said: Annotated[
            str, Field(description="The user's answer in this conversation, word for word; it is recorded.")
        ],
        reason: Annotated[str | None, Field(description="Why, in the user's terms, if they gave a reason.")] = None,
    ) -> SkillReview:
        """Approve, reject or retire a mined skill, only after the user said so in this conversation.

        Ask the user first and wait for their answer; pass it word for word as user_said (it is
        recorded in the skill's history). Never call this on your own judgement.
        """
        arguments = {
            "skill_id": text_arg("skill_id", skill_id, 200),
            "decision": decision,
            "user_said": text_arg("user_said", user_said, MAX_ITEM),
            "reason": optional_text("reason", reason),
        }
        answer = self.live.call("review_skill", arguments, writable=True, wait_seconds=3.0)
        assert isinstance(answer, SkillReview)
        return answer


TOOL_NAMES = (
    "find_replay_for_stuck_step",
    "list_skills",
    "get_skill",
    "search_sessions",
    "get_session",
    "list_patterns",
    "record_feedback",
    "review_skill",
)
WRITING = {"record_feedback", "review_skill"}
TITLES = {
    "find_replay_for_stuck_step": "Find what got past this error before",
    "list_skills": "List mined skills",
    "get_skill": "Show one skill",
    "search_sessions": "Search past sessions",
    "get_session": "Show one past session",
    "list_patterns": "List recurring failures",
    "record_feedback": "Say whether a suggestion helped",
    "review_skill": "Record the user's review of a skill",
}


def live_tools(
    paths: Paths | None = None,
    *,
    wait_seconds: float = 0.5,
    first_wait_seconds: float = 3.0,
) -> Tools:
    """The tools over the data home in `paths` (default: the one the environment names).

    The store is read in child processes, so the server never carries DuckDB's memory. The
    index starts from the one saved beside the store, and is saved again after each read of it
    (after the answer, once a front serves the tools: `mcp_server.tasks.serving`).
    """
    paths = paths or resolve()
    live: PatientIndex = patient_index(
        paths,
        ChildSource(paths.database),
        wait_seconds=wait_seconds,
        first_wait_seconds=first_wait_seconds,
        on_refresh=_hint_writer(paths),
        saved=True,
    )
    project_dir = os.environ.get("CLAUDE_PROJECT_DIR")
    return Tools(live, lambda: live_session(paths.projects, project_dir))
