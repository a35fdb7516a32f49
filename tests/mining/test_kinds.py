"""Mining reads failures as `analysis.failures.judge` does: the same table, the same verdicts."""

from __future__ import annotations

from typing import Any

import pytest
from analysis.table_rows import failure_table, params

from trajectory_miner.analysis.signatures import error_signature, exit_code, signature_family
from trajectory_miner.mining.kinds import canonical_family, failure_signature
from trajectory_miner.mining.loader import StepRow

ROWS: list[dict[str, Any]] = failure_table()["rows"]


def step_row(row: dict[str, Any]) -> StepRow:
    """A table row as the miner loads it: the signature ingest stored, the one-line summary."""
    command = " ".join(row["command"].split())
    stored = error_signature(row["tool"], row["output"], row["command"]) if row["is_error"] else ""
    code = row.get("exit_code", exit_code(row["output"]) if row["is_error"] else 0 if row["tool"] == "Bash" else None)
    summary = command if row["tool"] == "Bash" else row["tool"]
    output = row["output"]
    return StepRow(0, 0, "toolu_1", row["tool"], summary, row["is_error"], stored, [], output, len(output), code)


@pytest.mark.parametrize("row", params(ROWS, [r["name"] for r in ROWS]))
def test_a_step_is_a_failure_to_mine_exactly_when_judge_says_it_failed(row: dict[str, Any]) -> None:
    signature = failure_signature(step_row(row))
    assert bool(signature) == row["failed"]
    if row["failed"] and "specific" in row:
        assert signature_family(signature) == row["specific"]


def test_a_generic_family_names_the_program_or_else_the_tool() -> None:
    assert canonical_family("Bash|exit1|Exit code <n> @ make") == "Exit code <n> @ make"
    assert canonical_family("Read|error|failed") == "failed @ Read"
    assert canonical_family("Bash|exit1|KeyError: 'plum'", "git checkout") == "KeyError: 'plum'"
