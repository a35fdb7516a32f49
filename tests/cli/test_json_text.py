"""A report printed from the JSON text it was saved as reads the same as one printed from the model."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from trajectory_miner.cli.output import print_json, print_json_text


class _Item(BaseModel):
    title: str
    score: float
    tags: list[str]


class _Report(BaseModel):
    name: str
    items: list[_Item]
    share: float | None = None


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["\x9b2J", "\x1b]0;x\x07", "\x85", "\x7f", "é\u2028"]
)
reports = st.builds(
    _Report,
    name=text,
    items=st.lists(
        st.builds(
            _Item,
            title=text,
            score=st.floats(allow_nan=False, allow_infinity=False, width=64),
            tags=st.lists(text, max_size=3),
        ),
        max_size=3,
    ),
    share=st.none() | st.floats(min_value=0, max_value=1),
)


def _controls(out: str) -> list[str]:
    return sorted({ch for ch in out if (ord(ch) < 32 and ch not in "\n") or 0x7F <= ord(ch) <= 0x9F})


@settings(max_examples=80, deadline=None)
@given(report=reports)
def test_the_saved_text_prints_as_the_model_does(report: _Report) -> None:
    with redirect_stdout(io.StringIO()) as printed:
        print_json(report)
    from_model = printed.getvalue()
    with redirect_stdout(io.StringIO()) as printed:
        print_json_text(report.model_dump_json(indent=2) + "\n")
    from_text = printed.getvalue()

    assert json.loads(from_text) == json.loads(from_model) == report.model_dump(mode="json")
    assert _controls(from_text) == []
    assert from_text.endswith("}\n") and not from_text.endswith("\n\n")
