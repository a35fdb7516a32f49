"""The miner over the sessions recorded with the real CLI, scored by the real scorer."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.mining import mine
from trajectory_miner.mining.report import MiningReport
from trajectory_miner.store import Store, open_store

SCENARIOS = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
STUCK = ("recurring_module_error_stuck_a", "recurring_module_error_stuck_b", "recurring_module_error_stuck_c")
# The stuck sessions whose missing module other sessions got past (`stuck_b` misses another one).
JOINED = ("recurring_module_error_stuck_a", "recurring_module_error_stuck_c")
FIXED = ("recurring_module_error_fixed_a", "recurring_module_error_fixed_b")
ONE_OFF = "incident_bad_config_json"
LATE = "recurring_module_error_stuck_c"

pytestmark = pytest.mark.skipif(
    not (SCENARIOS / "labels.json").exists() or not all((SCENARIOS / f"{n}.jsonl").exists() for n in (*STUCK, *FIXED)),
    reason="the recorded scenario set is not there",
)


@dataclass
class Recorded:
    store: Store
    ids: dict[str, str]

    def add(self, paths: list[Path]) -> None:
        from trajectory_miner.scoring import rescore_sessions

        ingest_paths(self.store, paths, Config(), redact=lambda t: t)
        rescore_sessions(self.store)
        for sid, path in self.store.query("SELECT session_id, transcript_path FROM sessions WHERE NOT is_sidechain"):
            self.ids[Path(path).stem] = sid

    def names(self, ids: list[str]) -> list[str]:
        by_id = {sid: name for name, sid in self.ids.items()}
        return sorted(by_id[i] for i in ids)


def _files(but: str = "") -> list[Path]:
    labels = json.loads((SCENARIOS / "labels.json").read_text(encoding="utf-8"))
    return [SCENARIOS / name for name in sorted(labels) if (SCENARIOS / name).exists() and Path(name).stem != but]


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[Recorded]:
    with open_store(tmp_path / "m.duckdb") as store:
        found = Recorded(store, {})
        found.add(_files())
        yield found


def _planted(report: MiningReport) -> list:  # type: ignore[type-arg]
    return [p for p in report.patterns if "ModuleNotFoundError" in p.root_cause_cluster]


def test_missing_modules_got_past_the_same_way_are_one_pattern_and_another_module_is_not(recorded: Recorded) -> None:
    # `helpers` and `common` are both got past by running the script as a module; `textkit`
    # is another module no session got past, so it stays an incident of its own.
    report = mine(recorded.store)
    (pattern,) = _planted(report)
    assert recorded.names(pattern.sessions) == sorted(JOINED + FIXED)
    assert "'<name>'" in pattern.cluster_key
    assert "import_error" in pattern.failure_types
    assert pattern.failing_sessions == 2 and pattern.succeeding_sessions == 2
    assert pattern.p_value is not None and pattern.lift is not None
    assert len(pattern.self_questions) == 5


def test_the_one_off_config_error_is_an_incident(recorded: Recorded) -> None:
    report = mine(recorded.store)
    one_off = recorded.ids[ONE_OFF]
    assert [i for i in report.incidents if i.session_id == one_off and "JSONDecodeError" in i.signature]
    assert not any(one_off in p.sessions for p in report.patterns)


def test_the_replay_of_each_stuck_session_points_at_the_module_run_that_worked(recorded: Recorded) -> None:
    report = mine(recorded.store)
    fixed = {recorded.ids[n] for n in FIXED}
    skills = {s.id: s for s in report.skills}
    for name in JOINED:
        (replay,) = [r for r in report.replays if r.stuck_session == recorded.ids[name]]
        assert "ModuleNotFoundError" in replay.signature
        assert any(step.startswith("Run `python -m <module>`") for step in replay.next_steps)
        if replay.successful_pattern in skills:
            assert set(skills[replay.successful_pattern].source_sessions) <= fixed
        else:
            assert replay.successful_session in fixed
            assert replay.successful_pattern.startswith(replay.successful_session + "#")


def test_ids_are_stable_and_a_new_session_is_the_only_one_read_again(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        recorded = Recorded(store, {})
        recorded.add(_files(but=LATE))
        first = mine(store)
        again = mine(store)
        recorded.add([SCENARIOS / f"{LATE}.jsonl"])
        third = mine(store)
    assert {p.cluster_key: p.id for p in first.patterns} == {p.cluster_key: p.id for p in again.patterns}
    assert again.sessions_processed == 0
    assert third.sessions_processed == 1
    assert _planted(third)[0].id == _planted(first)[0].id and _planted(third)[0].frequency == 4
