"""Training datasets from high-confidence successful trajectories, with a manifest and a schema.

`export_dataset` writes one chat-format example per successful step of every session whose
score card says `success` with an overall score of at least `min_score`: the system prompt, the
state (the request and what was done so far) as the user message, and the next tool call as the
assistant message. With `pairs`, it also writes preference pairs (see `export.pairs`) beside
it. Every record passes through the redactor again before it is written. A manifest beside the
file records the sessions that went in, the filters, the counts and the schema version; the
record shapes are in `dataset.schema.json`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field

from trajectory_miner import __version__
from trajectory_miner.export.manifest import write_atomically
from trajectory_miner.export.pairs import preference_pairs
from trajectory_miner.export.render import SYSTEM_PROMPT, action_text, state_text
from trajectory_miner.export.selection import Selected, select_sessions
from trajectory_miner.model import Session
from trajectory_miner.redaction.redactor import DEFAULT_REDACTOR, Redactor
from trajectory_miner.sessions import load_sessions
from trajectory_miner.store import Store

SCHEMA_VERSION = "1"
DEFAULT_MIN_SCORE = 0.85
CHUNK = 200


class DatasetReport(BaseModel):
    """What an export of a dataset wrote."""

    path: str
    pairs_path: str | None = None
    manifest_path: str
    schema_version: str = SCHEMA_VERSION
    min_score: float
    sessions_selected: int = 0
    sessions: int = 0
    examples: int = 0
    pairs: int = 0
    pair_sessions: int = 0
    session_ids: list[str] = Field(default_factory=list)
    pair_session_ids: list[str] = Field(default_factory=list)


def dataset_schema() -> dict[str, Any]:
    """The JSON Schema of the dataset's records and manifest (`dataset.schema.json`)."""
    text = resources.files("trajectory_miner.export").joinpath("dataset.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = orjson.loads(text)
    return schema


def session_examples(session: Session, chosen: Selected) -> Iterator[dict[str, Any]]:
    """One next-action example per step that worked, in the order the steps were taken."""
    for turn in session.turns:
        for step in turn.steps:
            if step.is_error:
                continue
            action, cut = action_text(step)
            yield {
                "messages": [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": state_text(session, turn, step.step_index)},
                    {"role": "assistant", "content": action},
                ],
                "metadata": {
                    "schema_version": SCHEMA_VERSION,
                    "kind": "next_action",
                    "session_id": session.session_id,
                    "turn_index": turn.turn_index,
                    "step_index": step.step_index,
                    "tool_use_id": step.tool_use_id,
                    "tool_name": step.tool_name,
                    "project": session.project,
                    "model": session.model,
                    "outcome": "success",
                    "overall": chosen.overall,
                    "outcome_confidence": chosen.outcome_confidence,
                    "scorer_version": chosen.scorer_version,
                    "truncated": cut,
                },
            }


class _JsonlWriter:
    """Writes records to a temporary file and moves it into place when all went well."""

    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self.redactor = redactor
        self.count = 0
        self.digest = hashlib.sha256()
        self._temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")

    def write_all(self, records: Iterable[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Session text: readable by the user alone, like everything in the data home.
            fd = os.open(self._temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                for record in records:
                    line = orjson.dumps(self.redactor.redact_json(record)) + b"\n"
                    handle.write(line)
                    self.digest.update(line)
                    self.count += 1
            os.replace(self._temporary, self.path)
        finally:
            self._temporary.unlink(missing_ok=True)


def _examples(store: Store, selected: list[Selected], used: list[str]) -> Iterator[dict[str, Any]]:
    by_id = {s.session_id: s for s in selected}
    ids = list(by_id)
    for start in range(0, len(ids), CHUNK):
        for session in load_sessions(store, ids[start : start + CHUNK]):
            wrote = False
            for example in session_examples(session, by_id[session.session_id]):
                wrote = True
                yield example
            if wrote:
                used.append(session.session_id)


def sibling(path: Path, suffix: str) -> Path:
    """A file beside `path` named after it: `train.jsonl` with `.pairs.jsonl` is `train.pairs.jsonl`."""
    return path.with_name(path.stem + suffix) if path.suffix else path.with_name(path.name + suffix)


def export_dataset(
    store: Store,
    path: Path,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    pairs: bool = False,
    redactor: Redactor | None = None,
) -> DatasetReport:
    """Write the examples (and with `pairs` the preference pairs) and their manifest."""
    redactor = redactor or DEFAULT_REDACTOR
    selected = select_sessions(store, min_score)
    used: list[str] = []
    examples = _JsonlWriter(path, redactor)
    examples.write_all(_examples(store, selected, used))
    manifest_path = sibling(path, ".manifest.json")
    report = DatasetReport(
        path=str(path),
        manifest_path=str(manifest_path),
        min_score=min_score,
        sessions_selected=len(selected),
        sessions=len(used),
        examples=examples.count,
        session_ids=sorted(used),
    )
    files: dict[str, dict[str, Any]] = {"examples": _file_entry(path, examples)}
    if pairs:
        pairs_path = sibling(path, ".pairs.jsonl")
        pair_sessions: set[str] = set()
        writer = _JsonlWriter(pairs_path, redactor)
        writer.write_all(preference_pairs(store, selected, pair_sessions, SCHEMA_VERSION))
        report.pairs_path = str(pairs_path)
        report.pairs = writer.count
        report.pair_sessions = len(pair_sessions)
        report.pair_session_ids = sorted(pair_sessions)
        files["pairs"] = _file_entry(pairs_path, writer)
    _write_manifest(manifest_path, report, files)
    return report


def _file_entry(path: Path, writer: _JsonlWriter) -> dict[str, Any]:
    return {"name": path.name, "records": writer.count, "sha256": writer.digest.hexdigest()}


def _write_manifest(path: Path, report: DatasetReport, files: dict[str, dict[str, Any]]) -> None:
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "kind": "trajectory-miner-dataset",
        "created_at": datetime.now(UTC).isoformat(),
        "tool_version": __version__,
        "filters": {
            "outcome": "success",
            "min_score": report.min_score,
            "include_sidechains": False,
            "pairs": report.pairs_path is not None,
        },
        "counts": {
            "sessions_selected": report.sessions_selected,
            "sessions": report.sessions,
            "examples": report.examples,
            "pairs": report.pairs,
            "pair_sessions": report.pair_sessions,
        },
        "files": files,
        "sessions": report.session_ids,
        "pair_sessions": report.pair_session_ids,
    }
    write_atomically(path, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
