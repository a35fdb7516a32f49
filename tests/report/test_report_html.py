"""The page: escaped, self-contained, and carrying the report's numbers on its figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from tests.report.corpus import HOSTILE_PROJECT, HOSTILE_PROMPT
from tests.report.figures import json_figures, page_figures, read_page
from trajectory_miner.report import empty_report, gather, render
from trajectory_miner.report.charts import nice_ceiling, outcome_bars, score_line
from trajectory_miner.report.data import ReportData
from trajectory_miner.report.style import CSS
from trajectory_miner.store import open_store

NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)


def small_report(database: Path) -> ReportData:
    with open_store(database, read_only=True) as store:
        return gather(store, now=NOW)


def test_every_string_from_the_store_is_escaped(small_store: Path) -> None:
    page = render(small_report(small_store))
    reader = read_page(page)
    assert "script" not in reader.tags and "img" not in reader.tags
    assert reader.event_attributes == []
    text = "".join(reader.text)
    assert HOSTILE_PROMPT.split(" fix")[0] in text
    assert "cause of P-001 <b>bold</b>" in text
    assert 'title="' + HOSTILE_PROJECT.replace("<", "&lt;").replace(">", "&gt;") + '"' in page


def test_the_page_needs_nothing_from_the_network(small_store: Path) -> None:
    reader = read_page(render(small_report(small_store)))
    assert not set(reader.tags) & {"script", "link", "img", "iframe", "object", "embed", "image", "use"}
    assert not [name for name, _ in reader.attributes if name in ("src", "srcset", "xlink:href")]
    links = [value for name, value in reader.attributes if name == "href"]
    assert links and all(link.startswith("#session-") for link in links)
    assert not re.search(r"url\(|@import|@font-face", CSS)


def test_figures_on_the_page_carry_the_report_numbers(small_store: Path) -> None:
    report = small_report(small_store)
    shown = page_figures(render(report))
    expected = json_figures(orjson.loads(report.model_dump_json()))
    assert shown == expected
    assert shown["headline"]["sessions"] == 4
    assert shown["outcome_bars"][("2026-10-12", "unscored")] == 1


def test_an_empty_store_gets_a_page_that_says_how_to_fill_it() -> None:
    page = render(empty_report(NOW))
    reader = read_page(page)
    assert [f[1]["data-figure"] for f in reader.figures] == ["empty"]
    assert "svg" not in reader.tags
    assert "No sessions yet" in page and "trajectory-miner ingest" in page


def test_a_filtered_report_without_sessions_names_its_scope() -> None:
    page = render(empty_report(NOW, project="/work/<x>", since=datetime(2026, 1, 2, tzinfo=UTC)))
    assert "No sessions in this scope" in page
    assert "/work/&lt;x&gt;" in page and "2026-01-02" in page


def test_a_score_line_breaks_where_a_week_has_no_score() -> None:
    weeks = [date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)]
    svg = score_line("task_completion", weeks, [0.5, 0.7, None, 0.9])
    [path] = re.findall(r'<path d="([^"]+)"', svg)
    # One stroke over the first two weeks, a new one after the gap.
    assert path.count("M") == 2 and path.count("L") == 1
    assert len(re.findall(r"<circle", svg)) == 3


def test_stacked_bar_heights_follow_the_counts() -> None:
    svg = outcome_bars([date(2026, 10, 5)], [{"success": 6, "failure": 2}], ("success", "failure"))
    heights = {o: float(h) for o, h in re.findall(r'data-outcome="(\w+)"[^>]*height="([\d.]+)"', svg)}
    assert heights["success"] == pytest.approx(3 * heights["failure"], rel=0.01)


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (18, 20), (53, 100), (120, 200)])
def test_axis_tops_are_round_numbers_at_least_the_peak(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling
