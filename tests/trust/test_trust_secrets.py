"""No planted secret survives the product: store file, spool, reports, exports and the data home.

The planted-secrets corpus (one secret per kind and location), one session a kind with a secret
of that kind in each place a transcript carries text (a key of a tool input, a branch and a
skill name among them), and secret-laden copies of the mining story go through the hooks'
spool, ingest, scoring, mining, skill approval and export, the HTML report, the mining report
and both dataset exports. Then every byte the product wrote
is scanned, the database file after a CHECKPOINT (and its text columns, which DuckDB may keep
compressed), for every planted value.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from hooks.simulate import HOOKS_DIR, hook_python, payload
from secrets_corpus import SECRET_KINDS, PlantedSecret, leaks_in, scan_files, write_corpus
from trustkit import EXTRA_KINDS, files_under, plant_every_kind, plant_in_mining_sessions, run_cli

from trajectory_miner.mining import mine
from trajectory_miner.mining.items import load_skills
from trajectory_miner.paths import resolve
from trajectory_miner.scoring import rescore_sessions
from trajectory_miner.skills.lifecycle import approve
from trajectory_miner.store import Store, open_store


def _fire_stop_hooks(planted: list[PlantedSecret], env: dict[str, str]) -> None:
    """The Stop hook of every planted session, as Claude Code runs it (the hooks only spool here)."""
    for path in sorted({p.path for p in planted}):
        body = payload("Stop", path.stem, path, "/tmp/planted-secrets")
        process = subprocess.run(
            [hook_python(), "-S", str(HOOKS_DIR / "stop.py")],
            input=json.dumps(body).encode(),
            env=env,
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert process.returncode == 0 and not process.stdout


def _text_columns(store: Store) -> list[str]:
    """Every text value in every table, lists and JSON included, as the product reads them back."""
    texts: list[str] = []
    tables = [r[0] for r in store.query("SELECT table_name FROM duckdb_tables() WHERE NOT temporary")]
    for table in tables:
        for row in store.query(f'SELECT * FROM "{table}"'):
            texts.extend(str(value) for value in row if value is not None)
    return texts


@pytest.mark.slow
def test_no_planted_secret_survives_anywhere_the_product_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = resolve()
    planted = write_corpus(paths.projects) + plant_in_mining_sessions(paths.projects)
    planted += plant_every_kind(paths.projects, SECRET_KINDS + tuple(EXTRA_KINDS))
    transcripts = sorted({p.path for p in planted})
    # The scan can see the secrets where they are: every planted value is in the transcripts.
    assert {p.value for hits in scan_files(transcripts, planted).values() for p in hits} == {p.value for p in planted}
    env = {k: v for k, v in os.environ.items() if k not in ("TRAJECTORY_MINER_PYTHON", "CLAUDE_PLUGIN_DATA")}
    _fire_stop_hooks(planted, env)
    spooled = files_under(paths.spool_dir)
    assert spooled and scan_files(spooled, planted) == {}

    assert run_cli(["ingest", "--from-spool", "--quiet"], capsys)[0] == 0
    with open_store(paths.database) as store:
        assert store.scalar("SELECT count(*) FROM sessions") == len(transcripts)
        rescore_sessions(store)
        mined = mine(store)
        for skill in load_skills(store):
            if skill.status == "candidate":
                approve(store, skill.id)
    assert mined.patterns and mined.skills and mined.replays

    exports = tmp_path / "exports"
    commands = [
        ["mine", "--json"],
        ["skills", "export", "--dir", str(exports / "skills")],
        ["report", "--out", str(exports / "report.html")],
        ["report"],
        ["export", "parquet", str(exports / "parquet")],
        ["export", "dataset", str(exports / "dataset.jsonl"), "--pairs", "--min-score", "0"],
        ["hints"],
    ]
    for argv in commands:
        code, _out, err = run_cli(argv, capsys)
        assert code == 0, (argv, err)
    assert list((exports / "skills").rglob("SKILL.md"))

    with open_store(paths.database) as store:
        store.execute("CHECKPOINT")
        stored_texts = _text_columns(store)
    written = files_under(paths.home) + files_under(exports)
    assert paths.database in written and any(p.suffix == ".html" for p in written)

    leaks = {str(path): sorted({p.kind for p in hits}) for path, hits in scan_files(written, planted).items()}
    in_columns = sorted({p.kind for text in stored_texts for p in leaks_in(text, planted)})
    assert leaks == {}
    assert in_columns == []
