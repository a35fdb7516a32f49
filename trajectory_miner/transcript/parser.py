"""Streaming, tolerant parser of Claude Code transcript JSONL.

The parser turns lines into records of the trajectory model (turns, steps, events, API
responses and session facts; see `records`). It keeps a small state per session between calls, so a file
can be read in pieces from the byte offset where the last read stopped and give the same
records as one read of the whole file. Malformed lines and unknown entry types are counted
and skipped; nothing in a real file makes it raise. A line that fails in any other way (nested
past what the JSON reader takes, or tripping an error nothing expects) is skipped too and
handed back in `ParsedBatch.quarantined`, with why, for ingest to record. Work per line is
bounded whatever it holds: long texts are capped before they are redacted, nesting is cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson

from trajectory_miner import textcap
from trajectory_miner.analysis.signatures import error_signature, exit_code
from trajectory_miner.transcript.kinds import EventKind, TurnKind
from trajectory_miner.transcript.records import (
    Cursor,
    EventRecord,
    ParsedBatch,
    ParseState,
    Response,
    SessionFacts,
    StepRecord,
    TurnRecord,
    Usage,
)

Redact = Callable[[str], str]

INTERRUPT_TEXTS = ("[Request interrupted by user]", "[Request interrupted by user for tool use]")

# Entry types that carry no trajectory of their own; skipped without being counted as unknown.
KNOWN_METADATA_TYPES = frozenset(
    {
        "attachment",
        "queue-operation",
        "last-prompt",
        "atis-latch",
        "tools-used",
        "cost-state",
        "api-request",
        "api-request-shape",
        "api-request-blob",
        "file-history-snapshot",
        "file-history-delta",
        "progress",
        "mode",
        "permission-mode",
        "custom-title",
        "agent-name",
        "pr-link",
    }
)

_MAX_PENDING = 512
_MAX_NESTING = 8
_REASON_CAP = 200
_NAME_CAP = 200
_MAX_NAMES = 1024
_PATH_CAP = 4096
_THOUGHT_CAP = 600
_PROMPT_CAP = 4000
_META_CAP = 200
_MAX_TIMES = 4096
SKILL_BODY_MARKER = "Base directory for this skill"
SKILL_BODY_CAP = 4000


def _identity(text: str) -> str:
    return text


def _parse_time(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _text_of(content: Any, depth: int = 0) -> str:
    """Plain text of a message or tool-result content (a string or a list of blocks).

    Tool results nested in tool results are read `_MAX_NESTING` levels down, no further.
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for block in content:
        if isinstance(block, dict):
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif kind == "image":
                parts.append("[image]")
            elif kind == "tool_result" and depth < _MAX_NESTING:
                parts.append(_text_of(block.get("content"), depth + 1))
        elif isinstance(block, str):
            parts.append(block)
    return "\n".join(parts)


def _between(text: str, start: str, end: str) -> str:
    if start not in text:
        return ""
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


class TranscriptParser:
    """Parses the lines of one transcript file into records."""

    def __init__(
        self,
        transcript_path: str,
        state: ParseState | None = None,
        *,
        redact: Redact = _identity,
        result_cap: int = 4000,
        default_session: str = "",
    ) -> None:
        self.path = transcript_path
        self.state = state or ParseState(default_session=default_session)
        self.redact = redact
        self.result_cap = result_cap
        self.batch = ParsedBatch()
        self._names: dict[str, str] = {}
        self._times: dict[str, datetime | None] = {}

    def feed(self, lines: Iterable[bytes | str]) -> ParsedBatch:
        """Parse lines and return the records they hold (the state moves on)."""
        self.batch = ParsedBatch()
        count = 0
        for index, line in enumerate(lines):
            count += 1
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                if any(word in str(exc) for word in ("depth", "recursion")):
                    # Valid JSON nested deeper than the reader goes: not a torn write, so it is told.
                    self._quarantine(index, "nested deeper than the JSON reader goes")
                elif line.strip():
                    self.batch.skipped_lines += 1
                continue
            if not isinstance(entry, dict):
                self.batch.skipped_lines += 1
                continue
            try:
                self._entry(entry)
            except (TypeError, ValueError, AttributeError, KeyError):
                # A well-formed line of an unexpected shape: counted, never fatal.
                self.batch.skipped_lines += 1
            except Exception as exc:  # noqa: BLE001 - whatever one line does, the others are read
                self._quarantine(index, self._reason(exc))
        # Counted here rather than per line: every assignment to a pydantic model is validated.
        self.batch.lines = count
        return self.batch

    def _timestamp(self, entry: dict[str, Any]) -> datetime | None:
        """An entry's time; one line's time is asked for several times, and lines repeat it."""
        raw = entry.get("timestamp")
        if not isinstance(raw, str):
            return None
        times = self._times
        if raw in times:
            return times[raw]
        if len(times) >= _MAX_TIMES:
            times.clear()
        at = times[raw] = _parse_time(raw)
        return at

    def _name(self, text: str) -> str:
        """A name a transcript gives (a tool, a skill, a branch): short, and redacted."""
        # Every line repeats its branch: a name is redacted once.
        known = self._names.get(text)
        if known is None:
            if len(self._names) >= _MAX_NAMES:
                self._names.clear()
            known = self._names[text] = textcap.clip(text, _NAME_CAP, self.redact)
        return known

    def _quarantine(self, index: int, reason: str) -> None:
        self.batch.skipped_lines += 1
        self.batch.quarantined.append((index, reason))

    def _reason(self, exc: Exception) -> str:
        """Why a line failed, in a line: the error's kind and its message, clipped and redacted
        (a message may quote the line)."""
        message = " ".join(str(exc).split())
        text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        return textcap.clip(text, _REASON_CAP, self.redact)

    # -- routing ---------------------------------------------------------------------------

    def _session_of(self, entry: dict[str, Any], *, trajectory: bool = True) -> str:
        """The session an entry belongs to, or "" when the file has not said yet.

        An entry that names no session belongs to the one the file's other lines name. Until
        a line has named one, a trajectory entry falls back to the file's own name, and
        metadata is passed over: it would make a session of the file's name with no turns.
        """
        sid = _str(entry.get("sessionId")) or self.state.file_session
        if not sid and trajectory:
            sid = self.state.default_session
        if not sid:
            return ""
        self._settle(sid)
        if entry.get("isSidechain") is True:
            agent = _str(entry.get("agentId"))
            return f"{sid}/agent-{agent}" if agent else f"{sid}/sidechain"
        return sid

    def _settle(self, sid: str) -> None:
        """Take `sid` as the file's session if none is yet, and give it the title that waited."""
        if self.state.file_session:
            return
        self.state.file_session = sid
        if self.state.pending_title:
            self._set_title(sid, self.state.pending_title)
            self.state.pending_title = ""

    def _facts(self, sid: str, entry: dict[str, Any]) -> SessionFacts:
        facts = self.batch.sessions.get(sid)
        if facts is None:
            facts = SessionFacts(session_id=sid, transcript_path=self.path)
            if "/" in sid:
                facts.parent_session_id = sid.split("/", 1)[0]
                facts.is_sidechain = True
                agent = _str(entry.get("agentId"))
                facts.agent_id = agent or None
            self.batch.sessions[sid] = facts
        at = self._timestamp(entry)
        if at is not None:
            if facts.started_at is None or at < facts.started_at:
                facts.started_at = at
            if facts.ended_at is None or at > facts.ended_at:
                facts.ended_at = at
        if not facts.cwd:
            cwd = _str(entry.get("cwd"))[:_PATH_CAP]
            if cwd:
                facts.cwd = cwd
                facts.project = cwd
        version = entry.get("version")
        if version and isinstance(version, str):
            facts.version = version[:_NAME_CAP]
        branch = entry.get("gitBranch")
        if branch and isinstance(branch, str):
            # A branch is named by whoever made it: it can hold a token.
            facts.git_branch = self._name(branch)
        return facts

    def _cursor(self, sid: str) -> Cursor:
        cursor = self.state.cursors.get(sid)
        if cursor is None:
            cursor = self.state.cursors[sid] = Cursor()
        return cursor

    def _entry(self, entry: dict[str, Any]) -> None:
        kind = entry.get("type")
        if kind == "user":
            sid = self._session_of(entry)
            if sid:
                self._facts(sid, entry)
                self._user(sid, entry)
        elif kind == "assistant":
            sid = self._session_of(entry)
            if sid:
                self._facts(sid, entry)
                self._assistant(sid, entry)
        elif kind == "system":
            sid = self._session_of(entry)
            if sid:
                self._facts(sid, entry)
                self._system(sid, entry)
        elif kind in ("summary", "ai-title", "custom-title"):
            self._title(entry)
        elif isinstance(kind, str) and kind in KNOWN_METADATA_TYPES:
            sid = self._session_of(entry, trajectory=False)
            if sid and kind != "queue-operation":
                self._facts(sid, entry)
        else:
            self.batch.unknown_entry_types[str(kind)] += 1

    def _title(self, entry: dict[str, Any]) -> None:
        title = _str(entry.get("aiTitle")) or _str(entry.get("customTitle")) or _str(entry.get("summary"))
        if not title:
            return
        clipped = textcap.clip(title, 200, self.redact)
        sid = _str(entry.get("sessionId")) or self.state.file_session
        if not sid:
            # Older files open with a summary naming no session: it waits for the first line that does.
            self.state.pending_title = clipped
            return
        self._settle(sid)
        self._set_title(sid, clipped)

    def _set_title(self, sid: str, title: str) -> None:
        facts = self.batch.sessions.get(sid) or SessionFacts(session_id=sid, transcript_path=self.path)
        facts.title = title
        self.batch.sessions[sid] = facts

    # -- user entries ----------------------------------------------------------------------

    def _event(self, sid: str, entry: dict[str, Any], kind: EventKind, detail: str = "", limit: int = 500) -> None:
        cursor = self._cursor(sid)
        uuid = _str(entry.get("uuid")) or f"{kind}@{_str(entry.get('timestamp'))}"
        step_index = cursor.step_index - 1 if cursor.step_index else -1
        self.batch.events[(sid, uuid, kind)] = EventRecord(
            session_id=sid,
            uuid=uuid,
            kind=kind,
            at=self._timestamp(entry),
            turn_index=cursor.turn_index,
            step_index=step_index,
            detail=textcap.clip(detail, limit, self.redact),
        )

    def _user(self, sid: str, entry: dict[str, Any]) -> None:
        message = entry.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if entry.get("isCompactSummary") is True:
            self._event(sid, entry, "compact_summary", _text_of(content), 300)
            return
        if entry.get("isMeta") is True:
            text = _text_of(content)
            # A loaded skill's body arrives as a meta entry; the scorer checks its steps were followed.
            limit = SKILL_BODY_CAP if SKILL_BODY_MARKER in text[:80] else _META_CAP
            self._event(sid, entry, "meta", text, limit)
            return
        blocks = content if isinstance(content, list) else []
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        for block in results:
            self._tool_result(sid, entry, block)
        text = _text_of([b for b in blocks if b not in results]) if blocks else _text_of(content)
        stripped = text.strip()
        if not stripped:
            return
        if any(stripped.startswith(marker) for marker in INTERRUPT_TEXTS):
            self._event(sid, entry, "interrupt", stripped, _META_CAP)
            turn = self._cursor(sid).turn
            if turn is not None:
                turn.interrupted = True
                self._touch_turn(sid, turn)
            return
        if "<local-command-stdout>" in stripped or "<local-command-caveat>" in stripped:
            self._event(sid, entry, "meta", stripped, _META_CAP)
            return
        if results:
            return
        self._new_turn(sid, entry, stripped)

    def _new_turn(self, sid: str, entry: dict[str, Any], text: str) -> None:
        cursor = self._cursor(sid)
        kind: TurnKind = "prompt"
        command = None
        if "<command-name>" in text:
            kind = "command"
            command = _between(text, "<command-name>", "</command-name>")
            arguments = _between(text, "<command-args>", "</command-args>")
            text = f"{command} {arguments}".strip()
            self._event(sid, entry, "slash_command", command)
        elif text.startswith("<task-notification>"):
            kind = "notification"
        cursor.turn_index += 1
        at = self._timestamp(entry)
        turn = TurnRecord(
            session_id=sid,
            turn_index=cursor.turn_index,
            uuid=_str(entry.get("uuid")) or f"turn-{cursor.turn_index}",
            kind=kind,
            prompt=textcap.clip(text, _PROMPT_CAP, self.redact),
            command_name=command,
            started_at=at,
            ended_at=at,
        )
        cursor.turn = turn
        cursor.thought = ""
        self._touch_turn(sid, turn)

    def _touch_turn(self, sid: str, turn: TurnRecord) -> None:
        self.batch.turns[(sid, turn.uuid)] = turn

    def _current_turn(self, sid: str, entry: dict[str, Any]) -> TurnRecord:
        cursor = self._cursor(sid)
        if cursor.turn is None:
            # Work with no prompt before it (a resumed or truncated file) gets an implicit turn.
            cursor.turn_index += 1
            cursor.turn = TurnRecord(
                session_id=sid,
                turn_index=cursor.turn_index,
                uuid=f"implicit-{cursor.turn_index}",
                kind="implicit",
                started_at=self._timestamp(entry),
            )
        return cursor.turn

    def _tool_result(self, sid: str, entry: dict[str, Any], block: dict[str, Any]) -> None:
        tool_use_id = _str(block.get("tool_use_id"))
        step = self._cursor(sid).pending.pop(tool_use_id, None)
        if step is None:
            return
        raw = _text_of(block.get("content"))
        structured = entry.get("toolUseResult")
        is_error = block.get("is_error") is True
        step.has_result = True
        step.is_error = is_error
        step.result_size = len(raw)
        step.result_text = textcap.cap(raw, self.result_cap, self.redact)
        step.ended_at = self._timestamp(entry)
        step.exit_code = exit_code(raw) if is_error else 0 if step.tool_name == "Bash" else None
        if is_error:
            step.error_signature = self.redact(error_signature(step.tool_name, raw, _str(step.input.get("command"))))
        if isinstance(structured, dict):
            self._structured_result(step, structured)
        if step.duration_ms is None and step.started_at and step.ended_at:
            step.duration_ms = max(0, int((step.ended_at - step.started_at).total_seconds() * 1000))
        self.batch.steps[(sid, step.tool_use_id)] = step
        turn = self._cursor(sid).turn
        if turn is not None and turn.turn_index == step.turn_index:
            turn.ended_at = step.ended_at or turn.ended_at
            self._touch_turn(sid, turn)

    def _structured_result(self, step: StepRecord, structured: dict[str, Any]) -> None:
        for key in ("durationMs", "totalDurationMs"):
            value = structured.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                step.duration_ms = int(value)
                break
        agent = structured.get("agentId")
        if isinstance(agent, str) and agent:
            step.subagent_id = agent
        if structured.get("interrupted") is True:
            step.is_error = True

    # -- assistant entries -----------------------------------------------------------------

    def _assistant(self, sid: str, entry: dict[str, Any]) -> None:
        message = entry.get("message")
        if not isinstance(message, dict):
            return
        content = message.get("content")
        if entry.get("isApiErrorMessage") is True:
            self._event(sid, entry, "api_error", _text_of(content))
            return
        self._response(sid, entry, message)
        if not isinstance(content, list):
            return
        cursor = self._cursor(sid)
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str) and block["text"].strip():
                # The thought waits in the parser state, which is stored: it is redacted already.
                cursor.thought = textcap.clip(block["text"], _THOUGHT_CAP, self.redact)
                turn = self._current_turn(sid, entry)
                turn.final_text = textcap.clip(block["text"], 2000, self.redact)
                turn.ended_at = self._timestamp(entry) or turn.ended_at
                self._touch_turn(sid, turn)
            elif kind == "thinking" and isinstance(block.get("thinking"), str) and not cursor.thought:
                cursor.thought = textcap.clip(block["thinking"], _THOUGHT_CAP, self.redact)
            elif kind == "tool_use":
                self._tool_use(sid, entry, block)

    def _response(self, sid: str, entry: dict[str, Any], message: dict[str, Any]) -> None:
        message_id = _str(message.get("id")) or _str(entry.get("requestId"))
        usage = message.get("usage")
        if not message_id or not isinstance(usage, dict):
            return
        if (sid, message_id) in self.batch.responses:
            return  # every line of one response repeats the same usage
        model = _str(message.get("model"))
        self.batch.responses[(sid, message_id)] = Response(
            session_id=sid,
            message_id=message_id,
            model="" if model == "<synthetic>" else model,
            at=self._timestamp(entry),
            usage=Usage(
                input=_int(usage.get("input_tokens")),
                output=_int(usage.get("output_tokens")),
                cache_read=_int(usage.get("cache_read_input_tokens")),
                cache_creation=_int(usage.get("cache_creation_input_tokens")),
            ),
        )

    def _tool_use(self, sid: str, entry: dict[str, Any], block: dict[str, Any]) -> None:
        tool_use_id = _str(block.get("id"))
        name = self._name(_str(block.get("name"))) or "unknown"
        if not tool_use_id:
            return
        raw_input = block.get("input")
        tool_input: dict[str, Any] = raw_input if isinstance(raw_input, dict) else {}
        cursor = self._cursor(sid)
        turn = self._current_turn(sid, entry)
        capped = textcap.cap_json(tool_input, self.redact)
        step = StepRecord(
            session_id=sid,
            tool_use_id=tool_use_id,
            step_index=cursor.step_index,
            turn_index=turn.turn_index,
            tool_name=name,
            input=capped,
            # Summed up from the redacted input: the summary joins lines, which would hide a
            # secret's line end or glue a wrapped token's halves with a space.
            summary=textcap.summarise_input(name, capped, self.redact),
            thought=cursor.thought,
            started_at=self._timestamp(entry),
            files=[textcap.clip(f, _PATH_CAP, self.redact) for f in textcap.files_of(name, tool_input)],
        )
        if name == "Skill":
            step.skill_name = self._name(_str(tool_input.get("skill")) or _str(tool_input.get("command"))) or None
            self._event(sid, entry, "skill", step.skill_name or "")
        elif name in ("Task", "Agent"):
            step.subagent_type = self._name(_str(tool_input.get("subagent_type"))) or "general-purpose"
            self._event(sid, entry, "subagent", step.subagent_type)
        cursor.step_index += 1
        cursor.thought = ""
        cursor.pending[tool_use_id] = step
        if len(cursor.pending) > _MAX_PENDING:
            cursor.pending.pop(next(iter(cursor.pending)))
        self.batch.steps[(sid, tool_use_id)] = step
        turn.ended_at = step.started_at or turn.ended_at
        self._touch_turn(sid, turn)

    # -- system entries --------------------------------------------------------------------

    def _system(self, sid: str, entry: dict[str, Any]) -> None:
        subtype = entry.get("subtype")
        if subtype == "compact_boundary":
            meta = entry.get("compactMetadata")
            detail = ""
            if isinstance(meta, dict):
                detail = f"trigger={meta.get('trigger')} pre_tokens={meta.get('preTokens')}"
            self._event(sid, entry, "compaction", detail)
        elif entry.get("level") == "error" or subtype == "api_error":
            self._event(sid, entry, "system_error", _str(entry.get("content")))


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
