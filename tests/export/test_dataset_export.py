import hashlib
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from export.pools import (
    EVERY_ENTRY,
    EVERY_ENTRY_SESSION,
    JEST_STUCK_A,
    MODULE_FIXED,
    MODULE_STUCK,
    filled,
    plant_cards,
    session_of,
)

from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.export import dataset_schema, export_dataset
from trajectory_miner.export.render import SYSTEM_PROMPT, VALUE_CHARS, action_text
from trajectory_miner.model import Step
from trajectory_miner.sessions import load_session


def lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def validator(definition: str) -> jsonschema.Draft202012Validator:
    schema = dataset_schema()
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"})


def test_the_schema_file_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(dataset_schema())


def test_examples_pairs_and_manifest_validate_against_the_documented_schema(tmp_path: Path) -> None:
    with filled(tmp_path / "s.duckdb", [MODULE_STUCK, MODULE_FIXED, EVERY_ENTRY]) as store:
        plant_cards(store, {session_of(store, MODULE_FIXED): ("success", 0.9)})
        report = export_dataset(store, tmp_path / "train.jsonl", pairs=True)
    examples, pairs = lines(tmp_path / "train.jsonl"), lines(tmp_path / "train.pairs.jsonl")
    assert examples and pairs and (report.examples, report.pairs) == (len(examples), len(pairs))
    # They hold session text: readable by the user alone.
    assert {(tmp_path / name).stat().st_mode & 0o777 for name in ("train.jsonl", "train.pairs.jsonl")} == {0o600}
    whole = jsonschema.Draft202012Validator(dataset_schema())
    for record in examples:
        validator("example").validate(record)
        whole.validate(record)
    for record in pairs:
        validator("pair").validate(record)
        whole.validate(record)
    validator("manifest").validate(orjson.loads((tmp_path / "train.manifest.json").read_bytes()))
    with pytest.raises(jsonschema.ValidationError):
        validator("example").validate({**examples[0], "messages": examples[0]["messages"][:2]})


def test_only_sessions_scored_success_at_the_threshold_go_in(tmp_path: Path) -> None:
    with filled(tmp_path / "s.duckdb", [MODULE_STUCK, MODULE_FIXED, JEST_STUCK_A, EVERY_ENTRY]) as store:
        good, fair, failed = (session_of(store, MODULE_FIXED), EVERY_ENTRY_SESSION, session_of(store, JEST_STUCK_A))
        plant_cards(store, {good: ("success", 0.9), fair: ("success", 0.8), failed: ("failure", 0.95)})
        plant_cards(store, {session_of(store, MODULE_STUCK): ("partial", 0.99)})
        strict = export_dataset(store, tmp_path / "strict.jsonl")
        loose = export_dataset(store, tmp_path / "loose.jsonl", min_score=0.75)
        good_steps = [s for s in load_session(store, good).steps() if not s.is_error]  # type: ignore[union-attr]
    assert strict.session_ids == [good]
    assert {e["metadata"]["session_id"] for e in lines(tmp_path / "strict.jsonl")} == {good}
    assert strict.examples == len(good_steps)
    assert sorted(loose.session_ids) == sorted([good, fair])
    manifest = orjson.loads((tmp_path / "loose.manifest.json").read_bytes())
    assert manifest["sessions"] == sorted([good, fair])
    assert manifest["filters"] == {"outcome": "success", "min_score": 0.75, "include_sidechains": False, "pairs": False}
    assert manifest["counts"]["examples"] == loose.examples
    data = (tmp_path / "loose.jsonl").read_bytes()
    assert manifest["files"]["examples"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_an_example_is_the_state_before_a_step_and_that_step_as_the_reply(tmp_path: Path) -> None:
    with filled(tmp_path / "s.duckdb", [MODULE_FIXED]) as store:
        sid = session_of(store, MODULE_FIXED)
        plant_cards(store, {sid: ("success", 0.9)})
        export_dataset(store, tmp_path / "train.jsonl")
        session = load_session(store, sid)
    assert session is not None
    failed, fixed = session.steps()
    (example,) = lines(tmp_path / "train.jsonl")
    system, user, assistant = example["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert user["content"].startswith(f"Request: {session.turns[0].prompt}")
    assert signature_family(failed.error_signature or "") in user["content"].splitlines()[-1]
    assert orjson.loads(assistant["content"]) == {"tool": fixed.tool_name, "input": fixed.input}
    meta = example["metadata"]
    assert (meta["session_id"], meta["step_index"], meta["tool_use_id"]) == (sid, fixed.step_index, fixed.tool_use_id)


def test_pairs_prefer_what_got_past_a_stuck_point_over_what_did_not(tmp_path: Path) -> None:
    with filled(tmp_path / "s.duckdb", [MODULE_STUCK, MODULE_FIXED]) as store:
        stuck, fixed = session_of(store, MODULE_STUCK), session_of(store, MODULE_FIXED)
        plant_cards(store, {stuck: ("failure", 0.3), fixed: ("success", 0.9)})
        report = export_dataset(store, tmp_path / "train.jsonl", pairs=True)
        fix_step = load_session(store, fixed).steps()[1]  # type: ignore[union-attr]
        stuck_steps = load_session(store, stuck).steps()  # type: ignore[union-attr]
    pairs = lines(tmp_path / "train.pairs.jsonl")
    assert pairs and sorted(report.pair_session_ids) == sorted([stuck, fixed])
    failed_at = [s.step_index for s in stuck_steps if s.is_error]
    for pair in pairs:
        meta = pair["metadata"]
        assert meta["signature"] == "ModuleNotFoundError: No module named 'helpers'"
        assert orjson.loads(pair["chosen"][0]["content"])["input"] == fix_step.input
        assert meta["rejected"]["session_id"] == meta["session_id"] == stuck
        assert meta["step_index"] in failed_at and meta["rejected"]["step_index"] == meta["step_index"] + 1
        assert pair["prompt"][1]["content"].splitlines()[-1].endswith(meta["signature"])
        assert pair["chosen"] != pair["rejected"]


def test_a_long_tool_input_is_cut_and_flagged() -> None:
    step = Step(
        session_id="s",
        tool_use_id="t",
        step_index=0,
        turn_index=0,
        tool_name="Write",
        input={"file_path": "a.py", "content": "x" * (VALUE_CHARS * 3)},
    )
    text, cut = action_text(step)
    assert cut and len(text) < VALUE_CHARS + 200
    assert orjson.loads(text)["input"]["file_path"] == "a.py"
    short = step.model_copy(update={"input": {"file_path": "a.py", "content": "x"}})
    assert action_text(short) == (orjson.dumps({"tool": "Write", "input": short.input}).decode(), False)
