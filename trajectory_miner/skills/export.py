"""Writing approved skills as `<dir>/<name>/SKILL.md`, safely and only when something changed.

The target folder keeps a small manifest (`.trajectory-miner-export.json`) with the name and
the SHA-256 of every file this exporter wrote there. A file whose bytes still match is ours
to update or remove; a file that differs was edited by hand and is left alone (and reported).
Every write goes to a temporary file in the same folder first and is renamed into place, so
a reader never sees half a file. Names are checked before any path is built from them, and a
skill folder that is a symbolic link is refused, so nothing is written outside the target.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from trajectory_miner.mining.items import Skill, load_skills
from trajectory_miner.redaction.redactor import Redactor
from trajectory_miner.skills.lifecycle import (
    change_status,
    check_transition,
    find_skill,
    save_skill,
)
from trajectory_miner.skills.skillmd import MAX_NAME, NAME_PATTERN, base_name, render, unique_name
from trajectory_miner.store import Store
from trajectory_miner.utc import stored

MANIFEST = ".trajectory-miner-export.json"
SKILL_FILE = "SKILL.md"
ACTIVE = ("approved", "exported")

Action = Literal["written", "updated", "unchanged", "edited", "kept", "removed", "refused"]
Redact = Callable[[str], str]


class ExportError(RuntimeError):
    """The target folder cannot be used (not a folder, or its manifest is unreadable)."""


class ManifestEntry(BaseModel):
    """What the exporter wrote for one skill in one folder."""

    name: str
    sha256: str


class Manifest(BaseModel):
    """Every file the exporter wrote in one folder, by skill id."""

    format: int = 1
    skills: dict[str, ManifestEntry] = Field(default_factory=dict)


class ExportItem(BaseModel):
    """What happened to one skill's file."""

    skill_id: str
    name: str
    path: str
    action: Action
    note: str = ""


class ExportReport(BaseModel):
    """The outcome of one export into one folder."""

    directory: str
    items: list[ExportItem] = Field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for item in self.items if item.action == action)

    @property
    def changed(self) -> bool:
        return any(item.action in ("written", "updated", "removed") for item in self.items)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write bytes to a temporary file beside `path`, then rename it into place."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_manifest(root: Path) -> Manifest:
    """The folder's manifest; an empty one when there is none.

    Raises:
        ExportError: the manifest exists but cannot be read.
    """
    path = root / MANIFEST
    if not path.exists():
        return Manifest()
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise ExportError(f"cannot read {path}: fix or remove it before exporting again") from exc


def write_manifest(root: Path, manifest: Manifest) -> None:
    body = json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    atomic_write(root / MANIFEST, body.encode("utf-8"))


def _prepare_root(directory: Path) -> Path:
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    return directory.resolve()


def _unsafe(root: Path, name: str) -> str:
    """Why a skill folder name cannot be used in `root`, or an empty string when it can."""
    if not NAME_PATTERN.match(name) or len(name) > MAX_NAME:
        return f"the name {name!r} is not a safe folder name"
    folder = root / name
    if folder.is_symlink():
        return f"{folder} is a symbolic link; the exporter writes only real folders inside {root}"
    if folder.exists() and not folder.is_dir():
        return f"{folder} exists and is not a folder"
    if (folder / SKILL_FILE).is_symlink():
        return f"{folder / SKILL_FILE} is a symbolic link"
    if folder.exists() and folder.resolve().parent != root:
        return f"{folder} resolves outside {root}"
    return ""


class _Run:
    """One export into one folder: the manifest, the names in use, and what was done."""

    def __init__(self, store: Store, root: Path, redact: Redact, now: datetime) -> None:
        self.store = store
        self.root = root
        self.redact = redact
        self.now = now
        self.manifest = read_manifest(root)
        self.dirty = False
        self.taken = {p.name for p in root.iterdir() if not p.name.startswith(".")}
        self.taken |= {entry.name for entry in self.manifest.skills.values()}

    def item(self, skill: Skill, name: str, action: Action, note: str = "") -> ExportItem:
        return ExportItem(
            skill_id=skill.id, name=name, path=str(self.root / name / SKILL_FILE), action=action, note=note
        )

    def export(self, skill: Skill) -> ExportItem:
        entry = self.manifest.skills.get(skill.id)
        name = entry.name if entry else self._new_name(skill)
        self.taken.add(name)
        problem = _unsafe(self.root, name)
        if problem:
            return self.item(skill, name, "refused", problem)
        data = render(skill, name, self.redact).encode("utf-8")
        wanted = digest(data)
        path = self.root / name / SKILL_FILE
        if path.exists():
            on_disk = digest(path.read_bytes())
            if on_disk == wanted:
                action: Action = "unchanged"
            elif entry is not None and entry.sha256 == on_disk:
                atomic_write(path, data)
                action = "updated"
            else:
                note = "edited by hand since it was exported; left as is (move it away to export it again)"
                return self.item(skill, name, "edited", note)
        else:
            path.parent.mkdir(exist_ok=True)
            atomic_write(path, data)
            action = "written"
        if entry is None or entry.sha256 != wanted:
            self.manifest.skills[skill.id] = ManifestEntry(name=name, sha256=wanted)
            self.dirty = True
        self._record(skill, name, wanted)
        return self.item(skill, name, action)

    def _new_name(self, skill: Skill) -> str:
        """A free name; or the base name when its file is exactly what this skill renders to
        (a file written before the manifest was lost)."""
        base = base_name(skill, self.redact)
        path = self.root / base / SKILL_FILE
        ours = base in self.taken and not _unsafe(self.root, base) and path.is_file()
        if ours and path.read_bytes() == render(skill, base, self.redact).encode("utf-8"):
            return base
        return unique_name(base, self.taken)

    def _record(self, skill: Skill, name: str, sha: str) -> None:
        """Mark the skill exported under its name, and note where it went.

        The skill keeps the name of its first export; a suffixed name it got in another
        folder is recorded in `skill_exports` only.
        """
        first = skill.status == "approved"
        if first:
            skill, _ = change_status(self.store, skill.id, "exported", f"exported to {self.root}", self.now)
        if skill.name != name and (first or not skill.name):
            save_skill(self.store, skill.model_copy(update={"name": name}), self.now)
        known = self.store.scalar(
            "SELECT sha256 FROM skill_exports WHERE skill_id = ? AND directory = ? AND name = ?",
            [skill.id, str(self.root), name],
        )
        if known != sha:
            self.store.execute(
                "INSERT OR REPLACE INTO skill_exports VALUES (?, ?, ?, ?, ?)",
                [skill.id, str(self.root), name, sha, stored(self.now)],
            )

    def withdraw(self, skill: Skill, remove: bool) -> ExportItem | None:
        """The file of a skill no longer approved: kept, or removed when asked and unedited."""
        entry = self.manifest.skills[skill.id]
        path = self.root / entry.name / SKILL_FILE
        problem = _unsafe(self.root, entry.name)
        if problem:
            return self.item(skill, entry.name, "refused", problem)
        if not path.exists():
            if remove:
                self._forget(skill, entry.name)
            return None
        if not remove:
            note = f"{skill.status}; file kept (export with --remove-retired to remove it)"
            return self.item(skill, entry.name, "kept", note)
        if digest(path.read_bytes()) != entry.sha256:
            return self.item(skill, entry.name, "edited", "edited by hand; left in place")
        path.unlink()
        if not any(path.parent.iterdir()):
            path.parent.rmdir()
        self._forget(skill, entry.name)
        return self.item(skill, entry.name, "removed", f"{skill.status}; file removed")

    def _forget(self, skill: Skill, name: str) -> None:
        del self.manifest.skills[skill.id]
        self.dirty = True
        self.store.execute("DELETE FROM skill_exports WHERE skill_id = ? AND directory = ?", [skill.id, str(self.root)])


def export_skills(
    store: Store,
    directory: Path,
    *,
    redact: Redact | None = None,
    remove_retired: bool = False,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
) -> ExportReport:
    """Write every approved or exported skill into `directory`; withdraw the files of retired ones.

    Approved skills become exported. Text passes through `redact` (by default a `Redactor`
    with no extra patterns) before it is written. With `only` (ids or names), just those
    skills are exported, and each must be approved or exported already.

    Raises:
        SkillNotFound: a skill in `only` does not exist.
        TransitionError: a skill in `only` is not approved or exported.
        ExportError: the directory is not a folder or its manifest cannot be read.
    """
    wanted = _chosen(store, only)
    root = _prepare_root(directory)
    run = _Run(store, root, redact or Redactor(), now or datetime.now(UTC))
    report = ExportReport(directory=str(root))
    for skill in load_skills(store):
        if wanted is not None and skill.id not in wanted:
            continue
        if skill.status in ACTIVE:
            report.items.append(run.export(skill))
        elif skill.id in run.manifest.skills:
            withdrawn = run.withdraw(skill, remove_retired)
            if withdrawn is not None:
                report.items.append(withdrawn)
    if run.dirty:
        write_manifest(root, run.manifest)
    return report


def _chosen(store: Store, only: Sequence[str] | None) -> set[str] | None:
    if only is None:
        return None
    chosen: set[str] = set()
    for key in only:
        skill = find_skill(store, key)
        if skill.status != "exported":
            check_transition(skill, "exported")
        chosen.add(skill.id)
    return chosen


def skill_exports(store: Store, skill_id: str) -> list[tuple[str, str, datetime]]:
    """Where a skill was exported: folder, file name and when, by folder."""
    rows: list[tuple[str, str, datetime]] = store.query(
        "SELECT directory, name, exported_at FROM skill_exports WHERE skill_id = ? ORDER BY directory", [skill_id]
    )
    return rows
