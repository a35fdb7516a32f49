"""Capping stored text without keeping part of a secret the cut runs through."""

from __future__ import annotations

from trajectory_miner.redaction import Redactor
from trajectory_miner.textcap import cap, clip, summarise_input

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
