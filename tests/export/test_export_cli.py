import json
from pathlib import Path

import pytest
from export.pools import JEST_STUCK_A, MODULE_FIXED, MODULE_STUCK

from trajectory_miner.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def session_ids(capsys: pytest.CaptureFixture[str]) -> set[str]:
    code, out, _ = run(capsys, "sessions", "--all", "--json")
    assert code == 0
    return {row["session_id"] for row in json.loads(out)}


def test_export_parquet_then_ingest_from_parquet_moves_every_session_to_another_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = tmp_path / "pool"
    assert run(capsys, "ingest", str(JEST_STUCK_A), str(MODULE_FIXED), "--quiet")[0] == 0
    mine = session_ids(capsys)
    code, out, _ = run(capsys, "export", "parquet", str(pool), "--json")
    assert code == 0 and json.loads(out)["sessions"] == len(mine) == 2
    code, out, _ = run(capsys, "export", "parquet", str(pool))
    assert code == 0 and out.startswith("nothing new to export")

    monkeypatch.setenv("TRAJECTORY_MINER_HOME", str(tmp_path / "other-home"))
    code, out, _ = run(capsys, "ingest", "--from-parquet", str(pool), "--json")
    report = json.loads(out)
    assert code == 0 and report["sessions_added"] == 2 and sorted(report["session_ids"]) == sorted(mine)
    assert session_ids(capsys) == mine
    code, out, _ = run(capsys, "ingest", "--from-parquet", str(pool))
    assert code == 0 and "0 added" in out and "2 unchanged" in out


def test_ingest_from_a_folder_without_exports_fails_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "ingest", "--from-parquet", str(tmp_path / "empty"))
    assert code == 2 and "no pooled export" in err
    code, _, err = run(capsys, "ingest", "--from-parquet", str(tmp_path / "missing"))
    assert code == 2 and "no such folder" in err


def test_export_dataset_writes_examples_pairs_and_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "ingest", str(MODULE_STUCK), str(MODULE_FIXED), "--quiet")[0] == 0
    target = tmp_path / "data" / "train.jsonl"
    code, out, _ = run(capsys, "export", "dataset", str(target), "--min-score", "0.5", "--pairs", "--json")
    report = json.loads(out)
    assert code == 0 and report["examples"] > 0 and report["pairs"] > 0
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "train.jsonl",
        "train.manifest.json",
        "train.pairs.jsonl",
    ]
    manifest = json.loads((target.parent / "train.manifest.json").read_text(encoding="utf-8"))
    assert manifest["filters"]["min_score"] == 0.5 and manifest["counts"]["pairs"] == report["pairs"]


def test_export_dataset_refuses_a_score_outside_zero_to_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "dataset", str(tmp_path / "t.jsonl"), "--min-score", "1.5"])
    assert exit_info.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err
