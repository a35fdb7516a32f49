"""The hooks' JSON reading and writing: the fast private path, and the public one behind it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.simulate import hook_module

hookio = hook_module("_hookio")

PAYLOAD = {
    "session_id": "44444444-aaaa-4bbb-8ccc-000000000004",
    "transcript_path": "/home/u/.claude/projects/-work-démo/44444444.jsonl",
    "cwd": "/work/démo ✓",
    "hook_event_name": "Stop",
    "stop_hook_active": False,
    "nested": {"list": [1, 2.5, None, True, "x\ty"]},
}
RAW = json.dumps(PAYLOAD).encode("utf-8")


def _raise(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("the private API changed")


BROKEN_FAST_PATHS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "scanner raises": lambda mp: mp.setattr("_json.make_scanner", _raise),
    "module missing": lambda mp: mp.setitem(sys.modules, "_json", None),
    "returns garbage": lambda mp: mp.setattr(hookio, "_fast_parse", lambda text: ("not", "an object")),
    "returns nothing": lambda mp: mp.setattr(hookio, "_fast_parse", lambda text: None),
    "stops iteration": lambda mp: mp.setattr(hookio, "_fast_parse", lambda text: next(iter(()))),
}


def test_the_fast_path_reads_a_payload_as_the_json_module_does() -> None:
    assert hookio.parse_payload(RAW) == json.loads(RAW)


@pytest.mark.parametrize("breakage", BROKEN_FAST_PATHS, ids=str)
def test_any_failure_of_the_fast_path_falls_back_to_the_json_module(
    breakage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    BROKEN_FAST_PATHS[breakage](monkeypatch)
    assert hookio.parse_payload(RAW) == PAYLOAD


@pytest.mark.parametrize("breakage", BROKEN_FAST_PATHS, ids=str)
@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"[1, 2]", "payload is a list, not an object"),
        (b'{"a": 1} trailing', "Extra data"),
        (b"{not json", "Expecting property name"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_a_bad_payload_is_a_value_error_whichever_path_reads_it(
    breakage: str, raw: bytes, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    BROKEN_FAST_PATHS[breakage](monkeypatch)
    with pytest.raises(ValueError, match=said):
        hookio.parse_payload(raw)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda mp: mp.setattr("_json.encode_basestring_ascii", _raise),
        lambda mp: mp.setattr("_json.encode_basestring_ascii", lambda text: 42),
        lambda mp: mp.setattr("_json.encode_basestring_ascii", lambda text: text),
        lambda mp: mp.setitem(sys.modules, "_json", None),
    ],
    ids=["raises", "not text", "unquoted", "module missing"],
)
def test_spool_lines_stay_valid_json_when_the_fast_encoder_fails(
    breakage: Callable[[pytest.MonkeyPatch], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = hookio.spool_line("Stop", PAYLOAD)
    breakage(monkeypatch)
    line = hookio.spool_line("Stop", PAYLOAD)
    written, wanted = json.loads(line), json.loads(expected)
    assert {k: v for k, v in written.items() if k != "at"} == {k: v for k, v in wanted.items() if k != "at"}
    assert written["cwd"] == PAYLOAD["cwd"] and line.isascii()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=6))
def test_both_paths_read_any_object_the_same(value: dict[str, Any]) -> None:
    raw = json.dumps(value).encode("utf-8")
    fast = hookio.parse_payload(raw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hookio, "_fast_parse", _raise)
        slow = hookio.parse_payload(raw)
    assert fast == slow == json.loads(raw)
