"""Capping stored text without keeping part of a secret the cut runs through."""

from __future__ import annotations

import orjson

from trajectory_miner.redaction.redactor import Redactor
from trajectory_miner.textcap import cap, cap_json, clip, summarise_input

KEY = "sk-ant-api03-Zq8XrT5vLm2NwPb7Kc4HdYs9FgJe6UaRt3Qp"
redact = Redactor()


def test_a_secret_the_head_cut_runs_through_is_redacted_not_half_kept() -> None:
    text = "x" * 2650 + " token " + KEY + " " + "y" * 8000
    capped = cap(text, 4000, redact)
    assert "characters cut" in capped
    assert "sk-ant-api03" not in capped
    assert KEY[:20] not in capped


def test_a_secret_the_tail_cut_runs_through_is_redacted_not_half_kept() -> None:
    text = "y" * 8000 + " " + KEY + " " + "x" * 1320
    capped = cap(text, 4000, redact)
    assert KEY[-20:] not in capped


def test_clip_redacts_a_secret_the_limit_runs_through() -> None:
    text = "a" * 189 + " " + KEY
    clipped = clip(text, 200, redact)
    assert len(clipped) == 200
    assert "sk-ant" not in clipped


def test_short_text_is_kept_whole_and_redacted() -> None:
    assert cap(f"key {KEY}", 4000, redact) == "key [REDACTED:anthropic_key]"
    assert clip("plain words", 200, redact) == "plain words"


def test_a_summary_cut_through_a_secret_keeps_none_of_it() -> None:
    command = "echo " + "z" * 180 + " " + KEY
    summary = summarise_input("Bash", {"command": command}, redact)
    assert len(summary) <= 200
    assert "sk-ant" not in summary


def _nested(depth: int) -> dict[str, object]:
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    assert isinstance(value, dict)
    return value


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, dict) and value:
        value = next(iter(value.values()))
        depth += 1
    return depth


def test_an_input_nested_a_thousand_deep_is_cut_to_a_bounded_depth_with_a_marker() -> None:
    capped = cap_json({"command": "make", "options": _nested(1_000)}, redact)
    assert capped["command"] == "make"
    assert 10 < _depth(capped["options"]) < 50
    assert "nested deeper than" in orjson.dumps(capped).decode()


def test_capping_keeps_the_order_of_keys_and_items_at_every_level() -> None:
    tool_input = {"z": 1, "a": [3, {"y": 2, "b": "x"}, 1], "m": {"q": None, "c": True}}
    assert cap_json(tool_input, redact) == tool_input
    assert list(cap_json(tool_input, redact)) == ["z", "a", "m"]
    assert list(cap_json(tool_input, redact)["a"][1]) == ["y", "b"]


def test_keys_are_redacted_and_an_object_keeps_its_first_two_hundred_keys() -> None:
    capped = cap_json({KEY: "value", **{f"k{i}": i for i in range(300)}}, redact)
    assert KEY not in capped and "[REDACTED:anthropic_key]" in capped
    assert len(capped) == 201 and capped["…"] == "[101 more keys cut]"


def test_a_summary_of_an_input_too_deep_to_write_as_json_names_its_keys() -> None:
    summary = summarise_input("Custom", {"options": _nested(1_000), "mode": 1})
    assert summary == '["options","mode"]'
