"""The Markdown mining report reads as written: no escape marks in prose, no swallowed
placeholders, no empty sections."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from trajectory_miner.mining import report as report_module
from trajectory_miner.mining.items import Incident, Pattern, Replay, SelfQuestion, Skill, StepRef
from trajectory_miner.mining.report import MiningReport, OpenQuestion, render_markdown

WHEN = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
CODE_SPAN = re.compile(r"(`+).+?\1")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def found_report() -> MiningReport:
    """A report with one of everything, its texts full of Markdown's special characters."""
    pattern = Pattern(
        id="P-001",
        cluster_key="p",
        frequency=3,
        failure_types=["runtime_error"],
        root_cause_cluster="cat: <path>: No such file or directory | grep",
        affected_targets=["<path>/<file>", "scripts/__init__.py"],
        example_sessions=["s1", "s2"],
        self_questions=[
            SelfQuestion(question="symptom or root cause?", answer="open", explanation="seen <n> times | twice"),
        ],
    )
    skill = Skill(
        id="S-001",
        cluster_key="s",
        name="run <pkg> as a module",
        description="Run scripts under <path> as modules; *never* edit __init__ files",
        trigger="ModuleNotFoundError: No module named <q>",
        steps=["cd <<path>>", "python -m <pkg>.<script>", "rm -f *.pyc", "run `make <target>` again"],
        context_requirements=["a package at <path>"],
    )
    replay = Replay(
        id="R-001",
        cluster_key="r",
        stuck_session="57uck000-0000-4000",
        stuck_at=StepRef(session_id="57uck000-0000-4000", turn_index=1, step_index=4),
        stuck_reason="tried <n> times | gave up",
        successful_pattern="S-001 | python -m <pkg>",
        confidence=0.8,
    )
    return MiningReport(
        generated_at=WHEN,
        sessions=4,
        patterns=[pattern],
        incidents=[Incident(id="I-001", cluster_key="i", session_id="1nc1d3n7-0000", signature="KeyError: <q> | x")],
        skills=[skill],
        replays=[replay],
        open_questions=[OpenQuestion(pattern_id="P-001", question="Is <path> the cause?", explanation="a | b")],
    )


def sections(text: str) -> dict[str, list[str]]:
    """The lines under each `##` heading that are not blank."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = found.setdefault(line, [])
        elif current is not None and line.strip():
            current.append(line)
    return found


def test_a_report_that_found_nothing_leaves_its_empty_sections_out() -> None:
    text = render_markdown(MiningReport(generated_at=WHEN, sessions=3))
    headings = list(sections(text))
    assert not any(h.startswith(("## Patterns", "## Incidents", "## Replays", "## Open questions")) for h in headings)
    assert all(lines for lines in sections(text).values())
    assert "0 patterns, 0 incidents" in text
    assert "Fisher" not in text
    assert not text.endswith("\n\n")


def test_a_report_with_findings_has_every_section_and_nothing_empty() -> None:
    text = render_markdown(found_report())
    headings = [h.split(" (")[0] for h in sections(text)]
    assert headings == ["## Patterns", "## Incidents", "## Skill candidates", "## Replays", "## Open questions"]
    assert all(lines for lines in sections(text).values())


def test_placeholders_and_emphasis_marks_are_shown_as_written() -> None:
    text = render_markdown(found_report())
    for line in text.splitlines():
        prose = CODE_SPAN.sub("", line)
        # Outside inline code, `<path>` would be read as a tag and `*x*` or `__x__` as emphasis.
        assert "<" not in prose and "*" not in prose and "__" not in prose, line
    for shown in ("`<path>`", "`<<path>>`", "`*.pyc`", "`make <target>`", "`__init__`", "`<pkg>.<script>`"):
        assert shown in text


def test_pipes_are_escaped_in_table_cells_only() -> None:
    text = render_markdown(found_report())
    rows = [line for line in text.splitlines() if line.startswith("|")]
    prose = [line for line in text.splitlines() if not line.startswith("|")]
    assert not any("\\|" in line for line in prose)
    assert "### P-001 — low: cat: `<path>`: No such file or directory | grep" in text
    assert "- P-001: Is `<path>` the cause? — a | b" in text
    widths = {len(UNESCAPED_PIPE.findall(row)) for row in rows if not row.startswith("|---")}
    assert widths == {4, 7}
    assert any("tried `<n>` times \\| gave up" in row for row in rows)


@given(st.text(alphabet=st.sampled_from(list("ab_*<`> .,)\n\t|")), max_size=60))
def test_text_without_markup_is_left_as_it_is_and_any_other_marked_word_by_word(text: str) -> None:
    plain = report_module._WORD.sub(report_module._marked, text)
    assert report_module._marked_words(text) == plain
