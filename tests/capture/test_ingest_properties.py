"""Property tests: whatever the lines, ingest never raises, and how a file is read does not matter."""

import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.store_snapshot import snapshot
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.store import open_store

TOOL_IDS = st.sampled_from(["t1", "t2", "t3"])
TEXT = st.text(max_size=40)


def _user_prompt(text: str) -> dict[str, object]:
    return {"type": "user", "sessionId": "s", "uuid": f"p-{text}", "message": {"role": "user", "content": text}}


def _tool_use(tool_id: str, command: str) -> dict[str, object]:
    block = {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": command}}
    return {
        "type": "assistant",
        "sessionId": "s",
        "uuid": f"a-{tool_id}",
        "message": {"id": f"m-{tool_id}", "content": [block], "usage": {"input_tokens": 1, "output_tokens": 2}},
    }


def _tool_result(tool_id: str, text: str, is_error: bool) -> dict[str, object]:
    block = {"type": "tool_result", "tool_use_id": tool_id, "content": text, "is_error": is_error}
    return {"type": "user", "sessionId": "s", "uuid": f"r-{tool_id}", "message": {"role": "user", "content": [block]}}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)

VALID_LINES = st.one_of(
    st.builds(_user_prompt, TEXT),
    st.builds(_tool_use, TOOL_IDS, TEXT),
    st.builds(_tool_result, TOOL_IDS, TEXT, st.booleans()),
    st.builds(lambda kind: {"type": kind, "sessionId": "s"}, st.sampled_from(["progress", "mystery", "system"])),
).map(lambda entry: orjson.dumps(entry))

BROKEN_LINES = st.one_of(
    JSON_VALUES.map(lambda v: orjson.dumps(v)),
    st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")),
    st.builds(
        lambda kind, msg: orjson.dumps({"type": kind, "message": msg}),
        st.sampled_from(["user", "assistant"]),
        JSON_VALUES,
    ),
)

LINES = st.lists(st.one_of(VALID_LINES, BROKEN_LINES), max_size=25)


def _ingest(db: Path, path: Path) -> None:
    with open_store(db) as store:
        ingest_paths(store, [path], Config(), redact=lambda text: text)


def _picture(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with open_store(db, read_only=True) as store:
        return snapshot(store)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LINES, cut=st.integers(min_value=0, max_value=25))
def test_any_lines_ingest_without_raising_and_halves_equal_once(lines: list[bytes], cut: int) -> None:
    data = b"".join(line + b"\n" for line in lines)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        whole = root / "a" / "project" / "s.jsonl"
        whole.parent.mkdir(parents=True)
        whole.write_bytes(data)
        _ingest(root / "once.duckdb", whole)
        _ingest(root / "once.duckdb", whole)

        parts = root / "b" / "project" / "s.jsonl"
        parts.parent.mkdir(parents=True)
        first = b"".join(line + b"\n" for line in lines[:cut])
        parts.write_bytes(first)
        _ingest(root / "halves.duckdb", parts)
        parts.write_bytes(data)
        _ingest(root / "halves.duckdb", parts)

        assert _picture(root / "halves.duckdb") == _picture(root / "once.duckdb")
