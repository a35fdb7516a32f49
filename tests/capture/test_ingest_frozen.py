"""Ingest stores what it stored when its tables were frozen in `fixtures/ingest_frozen.json`.

Three corpora are read: the transcripts among the fixtures, one made by `bench/corpus_gen.py`
from a fixed seed, and the shared corpus of real transcripts (when it is there). For each, a
digest of every stored table, sorted, is frozen, the parser state kept per file included, so a
change to how records are built, pooled or written that changes one byte of what the store
holds, or of the state a later read resumes from, is caught. Redaction is left out: it has its
own frozen answers. A corpus whose bytes have changed since it was frozen is not compared.
When a change is meant to change what is stored, write the file again with
`python tests/test_ingest_frozen.py` and say why in the change.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.store import open_store

REPO = Path(__file__).resolve().parents[2]
FROZEN = REPO / "tests" / "fixtures" / "ingest_frozen.json"
TABLES = ("sessions", "turns", "steps", "events", "responses", "files")
_WHEN = {"updated_at", "ingested_at"}
_GEN_SEED, _GEN_SESSIONS = 7, 24


def _fixture_corpus(into: Path) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "transcripts", into)


def _generated_corpus(into: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    import corpus_gen  # type: ignore[import-not-found]  # noqa: PLC0415 - a bench script, not a package

    corpus_gen.generate(into, _GEN_SESSIONS, _GEN_SEED)


def _shared_corpus(into: Path) -> None:
    source = REPO.parent / "shared" / "corpus"
    if not source.is_dir():
        pytest.skip("the shared corpus is not here")
    shutil.copytree(source, into)


CORPORA: dict[str, Callable[[Path], None]] = {
    "fixtures": _fixture_corpus,
    "generated": _generated_corpus,
    "shared": _shared_corpus,
}


def _digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", errors="surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:24]


def _input_digest(root: Path) -> str:
    files = sorted(root.rglob("*.jsonl"))
    return _digest(f"{p.relative_to(root).as_posix()}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in files)


def _value(value: Any, root: str) -> str:
    # Paths are stored absolute: the corpus's own folder is left out of them.
    return repr(value.replace(root, "<root>") if isinstance(value, str) else value)


def stored_digests(make: Callable[[Path], None]) -> dict[str, Any]:
    """The digest of a corpus's bytes, and of each table after ingesting it (no redaction)."""
    with tempfile.TemporaryDirectory(prefix="tm-frozen-") as tmp:
        root = Path(tmp).resolve() / "corpus"
        make(root)
        with open_store(Path(tmp) / "m.duckdb") as store:
            ingest_paths(store, [root], Config(), redact=lambda text: text)
            tables: dict[str, str] = {}
            for table in TABLES:
                names = [
                    r[0]
                    for r in store.query(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                        " ORDER BY ordinal_position",
                        [table],
                    )
                    if r[0] not in _WHEN
                ]
                rows = store.query(f"SELECT {', '.join(names)} FROM {table}")
                lines = sorted("\t".join(_value(v, str(root)) for v in row) for row in rows)
                tables[table] = f"{len(lines)} rows {_digest(lines)}"
        return {"input": _input_digest(root), "tables": tables}


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_ingest_stores_the_tables_it_stored_when_they_were_frozen(corpus: str) -> None:
    frozen = json.loads(FROZEN.read_text(encoding="utf-8"))[corpus]
    now = stored_digests(CORPORA[corpus])
    if now["input"] != frozen["input"]:
        pytest.skip(f"the {corpus} corpus has changed since it was frozen")
    assert now["tables"] == frozen["tables"]


if __name__ == "__main__":
    answers = {name: stored_digests(make) for name, make in sorted(CORPORA.items())}
    FROZEN.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n", encoding="utf-8")
