"""Forgetting sessions: rows, sidechains, mined items, the parser state, the file's bytes, the command."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.hooks.simulate import append_turn, turn_entries
from trajectory_miner.admin.forget import (
    SESSION_TABLES,
    ForgetError,
    files_mentioning,
    forget_sessions,
    rewrite_store,
    select_sessions,
)
from trajectory_miner.capture.forgotten import (
    drop_forgotten,
    forgotten_file,
    forgotten_ids,
    read_forgotten_file,
    scrub_state,
)
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.cli import main
from trajectory_miner.config import Config
from trajectory_miner.feedback.verdicts import record_feedback
from trajectory_miner.mining import mine
from trajectory_miner.mining.items import (
    Incident,
    Pattern,
    Replay,
    Skill,
    StepRef,
    load_incidents,
    load_patterns,
    load_replays,
    load_skills,
    save_items,
)
from trajectory_miner.paths import resolve
from trajectory_miner.scoring import rescore_sessions
from trajectory_miner.scoring.card import DIMENSIONS, DimensionScore, Scorecard, save_scorecards
from trajectory_miner.store import Store, StoreError, open_store
from trajectory_miner.transcript.parser import TranscriptParser
from trajectory_miner.transcript.records import ParsedBatch

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
EVERY_ENTRY = FIXTURES / "project-every-entry"
EVERY_ID = "11111111-aaaa-4bbb-8ccc-000000000001"
MINING = sorted(FIXTURES.glob("mining_*.jsonl"))
FIXED_A = "c15521b1-b3dc-450a-9daa-37e51b591d75"
PER_SESSION = ("sessions", "turns", "steps", "events", "responses", "scores", "dimension_scores", "miner_features")


def _same(text: str) -> str:
    return text


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "m.duckdb") as opened:
        yield opened


def counts(store: Store, table: str) -> dict[str, int]:
    rows = store.query(f"SELECT session_id, count(*) FROM {table} GROUP BY session_id")
    return dict(rows)


def ingest(store: Store, *paths: Path) -> None:
    ingest_paths(store, list(paths), Config(), redact=_same)


def card(session_id: str, outcome: str, score: float) -> Scorecard:
    return Scorecard(
        session_id=session_id,
        scorer_version="test",
        overall=score,
        outcome=outcome,  # type: ignore[arg-type]
        dimensions={d: DimensionScore(name=d, score=score) for d in DIMENSIONS},
    )


def test_forgetting_a_session_removes_its_rows_and_its_sidechains_and_keeps_every_other_session(
    store: Store,
) -> None:
    ingest(store, EVERY_ENTRY, *MINING)
    rescore_sessions(store)
    mine(store)
    record_feedback(store, EVERY_ID, "bad", "the sidechain went nowhere")
    record_feedback(store, FIXED_A, "good")
    before = {table: counts(store, table) for table in PER_SESSION}
    forgotten = select_sessions(store, session=EVERY_ID[:8])
    assert forgotten == [EVERY_ID, f"{EVERY_ID}/agent-abc123"]
    assert before["turns"][f"{EVERY_ID}/agent-abc123"] > 0

    report = forget_sessions(store, forgotten)

    for table in PER_SESSION:
        after = counts(store, table)
        assert not set(after) & set(forgotten), table
        assert after == {sid: n for sid, n in before[table].items() if sid not in forgotten}, table
    assert report.rows["turns"] == sum(before["turns"][sid] for sid in forgotten)
    assert store.query("SELECT target_id FROM feedback") == [(FIXED_A,)]
    assert forgotten_ids(store) == frozenset(forgotten)


def _items(store: Store) -> None:
    ref = {"turn_index": 0, "step_index": 1}
    save_items(
        store,
        "patterns",
        [
            Pattern(
                id="P-001",
                cluster_key="sig:shared",
                frequency=3,
                sessions=["a", "b", "c"],
                example_sessions=["a", "b"],
                failing_sessions=2,
                succeeding_sessions=1,
                evidence=[StepRef(session_id=s, **ref) for s in ("a", "b", "c")],
            ),
            Pattern(id="P-002", cluster_key="sig:only-a", frequency=1, sessions=["a"], example_sessions=["a"]),
        ],
    )
    save_items(
        store,
        "incidents",
        [
            Incident(id="I-001", cluster_key="sig:a-once", session_id="a"),
            Incident(id="I-002", cluster_key="sig:b-once", session_id="b"),
        ],
    )
    save_items(
        store,
        "skills",
        [
            Skill(
                id="S-001",
                cluster_key="fix:a",
                name="fix-only-a",
                description="d",
                trigger="t",
                source_sessions=["a"],
                support=1,
                status="exported",
            ),
            Skill(
                id="S-002", cluster_key="fix:ab", description="d", trigger="t", source_sessions=["a", "b"], support=2
            ),
        ],
    )
    save_items(
        store,
        "replays",
        [
            Replay(
                id="R-001",
                cluster_key="r:ab",
                stuck_session="a",
                stuck_at=StepRef(session_id="a", **ref),
                successful_session="b",
            ),
            Replay(
                id="R-002",
                cluster_key="r:bc",
                stuck_session="b",
                stuck_at=StepRef(session_id="b", **ref),
                successful_session="c",
            ),
        ],
    )
    save_scorecards(store, [card("a", "failure", 0.2), card("b", "failure", 0.3), card("c", "success", 0.9)])
    now = datetime(2026, 1, 1)
    store.execute("INSERT INTO skill_exports VALUES ('S-001', '/home/u/.claude/skills', 'fix-only-a', 'x', ?)", [now])
    store.execute("INSERT INTO skill_events VALUES ('S-001', ?, 'approved', 'exported', '')", [now])
    store.execute("INSERT INTO skill_uses VALUES ('S-002', 'a', 'loaded', true, ?)", [now])
    store.execute("INSERT INTO skill_uses VALUES ('S-002', 'c', 'loaded', false, ?)", [now])
    record_feedback(store, "S-001", "good", target_kind="skill")
    record_feedback(store, "R-001", "good", target_kind="replay")
    record_feedback(store, "R-002", "bad", target_kind="replay")


def test_items_only_forgotten_sessions_supported_go_and_shared_items_lose_just_those_sessions(store: Store) -> None:
    _items(store)

    report = forget_sessions(store, ["a"])

    (shared,) = load_patterns(store)
    assert shared.id == "P-001"
    assert (shared.sessions, shared.frequency, shared.example_sessions) == (["b", "c"], 2, ["b"])
    assert [r.session_id for r in shared.evidence] == ["b", "c"]
    assert (shared.failing_sessions, shared.succeeding_sessions) == (1, 1)
    assert [i.id for i in load_incidents(store)] == ["I-002"]
    assert [r.id for r in load_replays(store)] == ["R-002"]
    (skill,) = load_skills(store)
    assert (skill.id, skill.source_sessions, skill.support) == ("S-002", ["b"], 1)
    assert (skill.uses, skill.successes) == (1, 0)
    assert store.query("SELECT count(*) FROM skill_exports UNION ALL SELECT count(*) FROM skill_events") == [(0,), (0,)]
    assert store.query("SELECT target_id FROM feedback") == [("R-002",)]
    assert report.removed_items == {
        "patterns": ["P-002"],
        "incidents": ["I-001"],
        "replays": ["R-001"],
        "skills": ["S-001"],
    }
    assert report.updated_items == {"patterns": ["P-001"], "skills": ["S-002"]}
    assert report.exported_skills == ["/home/u/.claude/skills/fix-only-a"]


def test_forgetting_then_mining_again_finds_nothing_of_the_forgotten_session(store: Store) -> None:
    ingest(store, *MINING)
    rescore_sessions(store)
    first = mine(store)
    assert any(FIXED_A in s.source_sessions for s in first.skills)

    forget_sessions(store, [FIXED_A])
    again = mine(store)

    mentioned = json.dumps(again.model_dump(mode="json"))
    assert FIXED_A not in mentioned
    stored = [
        row[0]
        for table in ("patterns", "incidents", "skills", "replays")
        for row in store.query(f"SELECT data FROM {table}")
    ]
    assert not [data for data in stored if FIXED_A in data]


def test_forgetting_drops_the_saved_retrieval_index_that_held_the_session(store: Store) -> None:
    from trajectory_miner.retrieval.saved import current_index, saved_path

    ingest(store, *MINING)
    current_index(store)
    saved = saved_path(store.path)
    assert FIXED_A.encode() in saved.read_bytes()

    forget_sessions(store, [FIXED_A])

    assert not saved.exists()
    assert FIXED_A not in current_index(store).sessions
    assert FIXED_A.encode() not in saved.read_bytes()


def test_an_unchanged_forgotten_transcript_is_not_read_back(store: Store) -> None:
    ingest(store, EVERY_ENTRY)
    forget_sessions(store, select_sessions(store, session=EVERY_ID))

    ingest(store, EVERY_ENTRY)

    assert store.scalar("SELECT count(*) FROM sessions") == 0
    assert store.scalar("SELECT count(*) FROM turns") == 0


def test_a_forgotten_session_stays_forgotten_while_its_transcript_grows(store: Store, tmp_path: Path) -> None:
    transcript = tmp_path / "projects" / "-work-demo" / "77777777-aaaa-4bbb-8ccc-000000000007.jsonl"
    sid = transcript.stem
    append_turn(transcript, sid, "/work/demo", 0)
    ingest(store, transcript)
    forget_sessions(store, [sid])

    append_turn(transcript, sid, "/work/demo", 1)
    append_turn(transcript, sid, "/work/demo", 2, fail=True)
    ingest(store, transcript)

    assert store.scalar("SELECT count(*) FROM sessions") == 0
    assert store.scalar("SELECT count(*) FROM turns") == 0
    state = store.scalar("SELECT state FROM files")
    assert "Prompt number" not in state


def test_the_parser_state_kept_for_a_forgotten_transcript_holds_none_of_its_text(store: Store, tmp_path: Path) -> None:
    transcript = tmp_path / "open-turn.jsonl"
    sid = "88888888-aaaa-4bbb-8ccc-000000000008"
    # The turn is still open: its prompt and its pending tool call live in the parser state.
    entries = turn_entries(sid, "/work/demo", 0)[:2]
    entries[0]["message"]["content"] = "please deploy with the unusual-canary-phrase"
    transcript.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    ingest(store, transcript)
    assert "unusual-canary-phrase" in store.scalar("SELECT state FROM files")

    report = forget_sessions(store, [sid])

    state = store.scalar("SELECT state FROM files")
    assert "unusual-canary-phrase" not in state
    assert store.scalar("SELECT offset_bytes FROM files") == transcript.stat().st_size
    assert report.transcripts == 1


def test_drop_forgotten_takes_out_forgotten_sessions_and_their_sidechains_only() -> None:
    lines = [json.dumps(e).encode() + b"\n" for sid in ("keep-1", "gone-1") for e in turn_entries(sid, "/work/demo", 0)]
    side = {**turn_entries("gone-1", "/work/demo", 1)[0], "isSidechain": True, "agentId": "x1", "uuid": "side-1"}
    parser = TranscriptParser("t.jsonl", None, redact=_same, result_cap=4000, default_session="keep-1")
    batch = parser.feed([*lines, json.dumps(side).encode() + b"\n"])
    assert set(batch.sessions) == {"keep-1", "gone-1", "gone-1/agent-x1"}

    dropped = drop_forgotten(batch, frozenset({"gone-1"}))

    assert dropped == 2
    assert set(batch.sessions) == {"keep-1"}
    for records in (batch.turns, batch.steps, batch.events, batch.responses):
        assert {key[0] for key in records} <= {"keep-1"}
    assert batch.turns and batch.steps and batch.responses
    assert drop_forgotten(ParsedBatch(), frozenset()) == 0


def test_scrub_state_removes_only_the_cursors_of_forgotten_sessions() -> None:
    state = json.dumps({"default_session": "a", "cursors": {"a": {"thought": "secret"}, "a/agent-1": {}, "b": {}}})

    scrubbed = json.loads(scrub_state(state, frozenset({"a"})))

    assert scrubbed == {"default_session": "a", "cursors": {"b": {}}}
    assert scrub_state(state, frozenset({"z"})) == state
    assert scrub_state("", frozenset({"a"})) == ""


def test_rewriting_the_store_leaves_no_byte_of_the_forgotten_text_in_the_file(tmp_path: Path) -> None:
    database = tmp_path / "m.duckdb"
    canary = "canary-" + "qZ7vL2xR9pK4mW8nT3bY6cF1hJ5dG0sA" * 3
    transcript = tmp_path / "p" / "99999999-aaaa-4bbb-8ccc-000000000009.jsonl"
    entries = turn_entries(transcript.stem, "/work/demo", 0)
    entries[0]["message"]["content"] = f"remember {canary} for me"
    transcript.parent.mkdir()
    transcript.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    with open_store(database) as opened:
        ingest(opened, transcript, *MINING)
        opened.execute("CHECKPOINT")
    assert canary.encode() in database.read_bytes()

    with open_store(database) as opened:
        forget_sessions(opened, [transcript.stem])
        opened.execute("CHECKPOINT")
    # A checkpoint alone leaves the deleted rows in the file's free blocks.
    assert canary.encode() in database.read_bytes()
    rewrite_store(database)

    assert canary.encode() not in database.read_bytes()
    assert not database.with_name(database.name + ".rewrite").exists()
    assert database.stat().st_mode & 0o777 == 0o600
    with open_store(database) as opened:
        assert opened.scalar("SELECT count(*) FROM sessions") == len(MINING)
        assert opened.scalar("SELECT count(*) FROM forgotten_sessions") == 1
        with pytest.raises(Exception, match="(?i)constraint|duplicate"):
            opened.execute("INSERT INTO sessions SELECT * FROM sessions LIMIT 1")


def test_sessions_are_chosen_by_project_or_by_last_activity_before_a_date(store: Store) -> None:
    ingest(store, *MINING, EVERY_ENTRY)

    shop = select_sessions(store, project="/home/dev/work/shop")
    early = select_sessions(store, before=datetime(2026, 3, 4, tzinfo=UTC))

    assert sorted(shop) == sorted(
        r[0] for r in store.query("SELECT session_id FROM sessions WHERE project = '/home/dev/work/shop'")
    )
    assert len(shop) == 3
    assert early == ["db5b5fab-8f4d-4e27-9da1-494c73cf256d", "87751d4c-a850-4e2c-84dc-da6a797d76de"]
    assert select_sessions(store, project="demo") == [EVERY_ID, f"{EVERY_ID}/agent-abc123"]


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({"session": "no-such-session"}, "no session matches 'no-such-session'"),
        ({"project": "/nowhere"}, "no sessions of project '/nowhere'"),
        ({"before": datetime(2000, 1, 1, tzinfo=UTC)}, "no sessions before 2000-01-01"),
        ({"session": "x", "project": "y"}, "exactly one"),
        ({}, "exactly one"),
    ],
)
def test_choosing_nothing_or_too_much_is_refused(store: Store, choice: dict[str, object], message: str) -> None:
    ingest(store, *MINING)
    with pytest.raises(ForgetError, match=message):
        select_sessions(store, **choice)  # type: ignore[arg-type]


def test_files_mentioning_finds_reports_naming_a_session_in_full_or_shortened(tmp_path: Path) -> None:
    (tmp_path / "full.json").write_text(f'{{"s": "{FIXED_A}"}}', encoding="utf-8")
    (tmp_path / "short.md").write_text(f"- examples: `{FIXED_A[:13]}`", encoding="utf-8")
    (tmp_path / "other.md").write_text("- examples: `db5b5fab-8f4d`", encoding="utf-8")

    found = files_mentioning(tmp_path, [FIXED_A])

    assert [p.name for p in found] == ["full.json", "short.md"]


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def home_with_sessions(isolated_home: Path) -> Path:
    projects = resolve().projects
    for path in MINING:
        shutil.copy(path, projects / path.name)
    assert main(["ingest", "--quiet"]) == 0
    assert main(["mine", "--json"]) == 0
    return isolated_home


def stored_ids() -> set[str]:
    with open_store(resolve().database, read_only=True) as opened:
        return {r[0] for r in opened.query("SELECT session_id FROM sessions")}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_forget_without_yes_refuses_when_nobody_can_answer(
    home_with_sessions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    capsys.readouterr()

    code = main(["forget", FIXED_A[:8]])

    err = capsys.readouterr().err
    assert code == 2
    assert "without confirmation: add --yes" in err and len(err.strip().splitlines()) == 1
    assert FIXED_A in stored_ids()


@pytest.mark.parametrize(("answer", "kept"), [("n\n", True), ("\n", True), ("y\n", False)])
def test_forget_on_a_terminal_asks_first(
    home_with_sessions: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    kept: bool,
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    capsys.readouterr()

    code = main(["forget", FIXED_A[:8]])

    assert "Forget 1 session(s)" in capsys.readouterr().err
    assert code == (1 if kept else 0)
    assert (FIXED_A in stored_ids()) is kept


def test_forget_with_yes_removes_the_session_and_the_reports_that_name_it(
    home_with_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = resolve().reports_dir
    written = sorted(p.name for p in reports.iterdir())
    assert any(name.endswith(".md") for name in written)
    capsys.readouterr()

    code = main(["forget", FIXED_A, "--yes", "--json"])

    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["sessions"] == [FIXED_A]
    assert sorted(Path(p).name for p in out["reports_removed"]) == written
    assert FIXED_A not in stored_ids()
    assert not list(reports.iterdir())
    assert not resolve().database.with_name("miner.duckdb.rewrite").exists()


def test_forget_a_whole_project_and_sessions_before_a_date(
    home_with_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forget", "--project", "/home/ana/code/storefront", "--yes"]) == 0
    assert main(["forget", "--before", "2026-03-04", "--yes"]) == 0

    out = capsys.readouterr().out
    assert "forgot 2 session(s)" in out and "forgot 1 session(s)" in out
    assert len(stored_ids()) == len(MINING) - 3


def test_a_forget_whose_rewrite_failed_is_flagged_by_doctor_and_finished_later(
    home_with_sessions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAJECTORY_MINER_PYTHON", sys.executable)

    def refuse(path: Path, wait_seconds: float = 0.0) -> None:
        raise StoreError(f"the store {path} is in use by another process")

    with monkeypatch.context() as patch:
        patch.setattr("trajectory_miner.admin.forget.rewrite_store", refuse)
        failed = main(["forget", FIXED_A, "--yes"])
    err = capsys.readouterr().err
    doctor_code = main(["doctor", "--json"])
    flagged = json.loads(capsys.readouterr().out)
    finished = main(["forget", "--finish"])
    capsys.readouterr()
    healthy = main(["doctor", "--json"])
    after = json.loads(capsys.readouterr().out)

    assert failed == 1 and "run `trajectory-miner forget --finish` to try again" in err
    store_check = next(c for c in flagged["checks"] if c["name"] == "store")
    assert doctor_code == 1 and store_check["fix"] == "run `trajectory-miner forget --finish` to rewrite it"
    assert finished == 0 and healthy == 0
    assert next(c for c in after["checks"] if c["name"] == "store")["level"] == "ok"
    assert FIXED_A not in stored_ids()
    assert main(["forget", "--finish", FIXED_A]) == 2


def test_the_forgotten_list_is_kept_private_beside_the_store_and_a_fresh_store_honours_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_store(home / "miner.duckdb") as first:
        ingest(first, EVERY_ENTRY, *MINING)
        forget_sessions(first, [EVERY_ID])
    listed = forgotten_file(home / "miner.duckdb")
    assert listed.stat().st_mode & 0o777 == 0o600
    assert read_forgotten_file(home / "miner.duckdb") == {EVERY_ID, f"{EVERY_ID}/agent-abc123"}

    with open_store(home / "rebuilt.duckdb") as fresh:
        ingest(fresh, EVERY_ENTRY, *MINING)
        stored = {r[0] for r in fresh.query("SELECT DISTINCT split_part(session_id, '/', 1) FROM turns")}
        assert EVERY_ID not in stored and FIXED_A in stored
        assert {r[0] for r in fresh.query("SELECT session_id FROM forgotten_sessions")} >= {EVERY_ID}


def test_ids_only_the_table_holds_are_written_to_the_list(tmp_path: Path) -> None:
    database = tmp_path / "home" / "miner.duckdb"
    with open_store(database) as store:
        store.execute("INSERT INTO forgotten_sessions VALUES ('older-forget', now()::TIMESTAMP)")
        assert "older-forget" in forgotten_ids(store)
    assert read_forgotten_file(database) == {"older-forget"}


def test_every_table_keyed_by_session_is_cleared_by_forget(store: Store) -> None:
    """A table added later with a session column must be in the list forget clears, or a
    forgotten session's text would outlive it there."""
    keyed = {
        table
        for (table,) in store.query(
            "SELECT table_name FROM information_schema.columns"
            " WHERE column_name = 'session_id' AND table_schema = 'main'"
        )
    }
    kept_on_purpose = {"forgotten_sessions"}
    assert keyed - kept_on_purpose == {table for table, _ in SESSION_TABLES}
