"""One definition of a failure, checked on a table of real results and their variants.

`failure_table.json` holds tool results taken from real transcripts (the shared corpus and
the recorded fixtures; `source` says where; user names, hosts and tokens in them replaced),
results written by hand in the same shapes, and variants of them that differ only in what
differs between runs (paths, lines, temp folders, shells), each with its verdict and, for a
failure, its family and specific signature. A result from a corpus source not licensed for
redistribution is kept as a reference into ../shared/corpus (see `table_rows`), without a
specific signature when that would quote the source's own words. `same` lists pairs that
must share a signature, `different` pairs that must not.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest
from analysis.table_rows import ABSENT, failure_table, has_text, params, runnable
from hypothesis import given, settings
from hypothesis import strategies as st

from trajectory_miner.analysis.failures import NotFailureKind, Verdict, judge
from trajectory_miner.analysis.signatures import family, is_generic, signature_family

TABLE: dict[str, Any] = failure_table()
ROWS: list[dict[str, Any]] = TABLE["rows"]
BY_NAME = {row["name"]: row for row in ROWS}


def pairs(key: str, sign: str) -> list[Any]:
    """The pairs of `same` or `different` as test parameters; a pair with a row whose text is in
    the absent corpus is skipped."""
    found = [(BY_NAME[one], BY_NAME[two]) for one, two in TABLE[key]]
    skip = pytest.mark.skip(reason=ABSENT)
    return [
        pytest.param(
            one["name"],
            two["name"],
            id=f"{one['name']}{sign}{two['name']}",
            marks=() if has_text(one) and has_text(two) else skip,
        )
        for one, two in found
    ]


def verdict(row: dict[str, Any]) -> Verdict:
    return judge(
        row["tool"],
        row["output"],
        is_error=row["is_error"],
        command=row["command"],
        exit_code=row.get("exit_code"),
        check_passed=row.get("check_passed"),
    )


def test_the_table_has_enough_rows_of_every_kind() -> None:
    assert len(ROWS) >= 60
    failing = [r for r in ROWS if r["failed"]]
    assert len(failing) >= 30 and len(ROWS) - len(failing) >= 20
    assert {r["kind"] for r in ROWS if not r["failed"]} >= set(get_args(NotFailureKind))
    assert {r["kind"] for r in failing} == {"error", "check", "hidden", "no_tool"}
    assert sum(1 for r in ROWS if r["source"].startswith(("corpus/", "tests/fixtures/"))) >= 30


def test_at_least_60_results_of_every_kind_run_without_the_corpus() -> None:
    own = [r for r in ROWS if "corpus" not in r]
    assert len(own) >= 60
    assert {r["kind"] for r in own} == {r["kind"] for r in ROWS}


@pytest.mark.parametrize("row", params(ROWS, [r["name"] for r in ROWS]))
def test_each_result_gets_its_verdict_family_and_signature(row: dict[str, Any]) -> None:
    found = verdict(row)
    assert (found.failed, found.kind) == (row["failed"], row["kind"])
    assert found.missing_tool == row.get("missing_tool")
    if row["failed"]:
        if "specific" in row:  # left out where it would quote a corpus source's own words
            assert signature_family(found.signature) == row["specific"]
        assert family(found.signature) == row["family"]
        assert is_generic(found.signature) == row["generic"]
    else:
        assert found.signature == ""


@pytest.mark.parametrize(("one", "two"), pairs("same", "="))
def test_one_failure_in_other_places_shares_its_signature(one: str, two: str) -> None:
    first, second = verdict(BY_NAME[one]), verdict(BY_NAME[two])
    assert first.failed and second.failed
    assert signature_family(first.signature) == signature_family(second.signature)


@pytest.mark.parametrize(("one", "two"), pairs("different", "≠"))
def test_two_failures_do_not_share_a_signature(one: str, two: str) -> None:
    first, second = verdict(BY_NAME[one]), verdict(BY_NAME[two])
    assert first.failed and second.failed
    assert signature_family(first.signature) != signature_family(second.signature)


def test_the_stored_signature_of_an_error_is_kept() -> None:
    row = BY_NAME["module-helpers-absolute-path"]
    stored = "Bash|exit1|ModuleNotFoundError: No module named 'helpers'"
    found = judge("Bash", row["output"][-40:], is_error=True, command=row["command"], signature=stored)
    assert found == Verdict(True, "error", stored)


def test_a_failing_check_is_a_failure_even_when_its_command_is_a_search() -> None:
    found = judge("Bash", "Exit code 1", is_error=True, command="pytest -q | grep FAILED", check_passed=False)
    assert found.failed and found.kind == "error"


def test_the_exit_code_given_decides_over_the_error_flag() -> None:
    assert judge("Bash", "boom", is_error=False, command="./run.sh", exit_code=3).failed
    assert not judge("Bash", "", is_error=False, command="grep -q x f", exit_code=1).failed


outputs = st.one_of(
    st.text(max_size=300),
    st.sampled_from([r["output"] for r in runnable(ROWS)]).flatmap(lambda o: st.text(max_size=40).map(lambda t: o + t)),
)
commands = st.one_of(st.text(max_size=120), st.sampled_from([r["command"] for r in runnable(ROWS)]))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Bash", "Read", "Edit", "Grep", ""]),
    outputs,
    st.booleans(),
    commands,
    st.one_of(st.none(), st.integers(-2, 300)),
    st.one_of(st.none(), st.booleans()),
)
def test_judge_never_raises_and_a_failure_always_has_a_signature(
    tool: str, output: str, is_error: bool, command: str, code: int | None, passed: bool | None
) -> None:
    found = judge(tool, output, is_error=is_error, command=command, exit_code=code, check_passed=passed)
    assert found.failed == bool(found.signature)
    assert found.failed or found.kind is None or found.kind in get_args(NotFailureKind)
