"""The records of a pooled Parquet folder: one per export, never rewritten, and a manifest of them all.

Each export writes `_exports/<export_id>.json` last, after its Parquet files are in place, so a
record names only complete exports; readers take rows of recorded exports alone. Records are
never rewritten, so several stores can export into one folder (or a synced one) without
clobbering each other. `_manifest.json` lists every record; it is rebuilt from them after each
export, so a lost or conflicted manifest is repaired by the next export.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson
from pydantic import BaseModel, Field, ValidationError

LAYOUT_VERSION = 1
RECORDS_DIR = "_exports"
MANIFEST = "_manifest.json"
STAGING_DIR = "_staging"


class ExportRecord(BaseModel):
    """What one export of one store wrote."""

    layout_version: int = LAYOUT_VERSION
    export_id: str
    store_id: str
    exported_at: datetime
    tool_version: str
    sessions: dict[str, str] = Field(default_factory=dict, description="session id -> fingerprint")
    items: dict[str, dict[str, str]] = Field(default_factory=dict, description="table -> item id -> hash")
    rows: dict[str, int] = Field(default_factory=dict)
    files: dict[str, list[str]] = Field(default_factory=dict, description="table -> paths inside the folder")
    watermarks: dict[str, datetime | None] = Field(default_factory=dict)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old content or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_records(directory: Path) -> list[ExportRecord]:
    """Every readable export record in the folder, oldest first; unreadable ones are passed over."""
    records: list[ExportRecord] = []
    folder = directory / RECORDS_DIR
    if not folder.is_dir():
        return records
    for path in sorted(folder.glob("*.json")):
        try:
            records.append(ExportRecord.model_validate_json(path.read_bytes()))
        except (OSError, ValidationError):
            continue
    records.sort(key=lambda r: (r.exported_at, r.export_id))
    return records


def write_record(directory: Path, record: ExportRecord) -> Path:
    """Store a new record; an existing record is never replaced.

    Raises:
        FileExistsError: a record with this export id exists already.
    """
    path = directory / RECORDS_DIR / f"{record.export_id}.json"
    if path.exists():
        raise FileExistsError(f"export record {path} exists already")
    write_atomically(path, orjson.dumps(record.model_dump(mode="json"), option=orjson.OPT_INDENT_2))
    return path


def rebuild_manifest(directory: Path, records: Sequence[ExportRecord]) -> Path:
    """Write `_manifest.json` listing every record, with totals per store."""
    exports: Counter[str] = Counter()
    sessions: dict[str, set[str]] = defaultdict(set)
    last: dict[str, str] = {}
    for record in records:
        exports[record.store_id] += 1
        sessions[record.store_id].update(record.sessions)
        last[record.store_id] = record.export_id
    manifest = {
        "layout_version": LAYOUT_VERSION,
        "updated_at": datetime.now(UTC).isoformat(),
        "stores": {
            sid: {"exports": exports[sid], "sessions": len(sessions[sid]), "last_export": last[sid]}
            for sid in sorted(last)
        },
        "exports": [r.model_dump(mode="json") for r in records],
    }
    path = directory / MANIFEST
    write_atomically(path, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return path
