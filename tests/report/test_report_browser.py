"""The report in headless Chromium: its charts draw real shapes and it shows the CLI's figures.

The scenario transcripts recorded with the real `claude` CLI are ingested, scored and mined;
`trajectory-miner report --json` writes the page and prints its figures. A copy of the page
with a measuring script appended is loaded offline, and the DOM Chromium built is compared
with the JSON. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.report.chromium import dump_dom, find_chromium
from tests.report.corpus import HOSTILE_PROMPT
from tests.report.figures import json_figures, page_figures, read_page
from trajectory_miner.cli import main

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

# Appended to a copy of the page only: the report itself has no scripts. It records the
# rendered size of every chart and of each shape in it, and how many resources were fetched.
MEASURE = """
<script>
(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {w: r.width, h: r.height}; };
  const charts = [...document.querySelectorAll("svg.chart")].map((svg) => ({
    figure: svg.dataset.figure,
    dimension: svg.dataset.dimension || null,
    size: box(svg),
    shapes: [...svg.querySelectorAll("rect, path, circle")].map((el) => ({tag: el.tagName, ...box(el)})),
  }));
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({charts, resources: performance.getEntriesByType("resource").length});
  document.body.appendChild(out);
})();
</script>
"""


def write_report(capsys: pytest.CaptureFixture[str], out: Path) -> dict[str, Any]:
    code = main(["report", "--json", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    report: dict[str, Any] = json.loads(printed)
    return report


def rendered(page: Path, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """The DOM Chromium built from the page, and what the measuring script recorded."""
    measured = tmp_path / "measured.html"
    measured.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    dom = dump_dom(CHROMIUM, measured)
    return dom, json.loads(read_page(dom).measured)


def drawn(shape: dict[str, Any]) -> bool:
    """Whether a shape covers any pixels (a level line has no height but has a width)."""
    if shape["tag"] == "path":
        return shape["w"] > 0 or shape["h"] > 0
    return shape["w"] > 0 and shape["h"] > 0


def test_scenario_report_draws_its_charts_and_shows_the_cli_figures(
    scenario_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    report = write_report(capsys, page)
    dom, measured = rendered(page, tmp_path)

    assert page_figures(dom) == json_figures(report)
    assert report["headline"]["sessions"] >= 10 and report["patterns"], "the scenarios should give patterns"

    charts = measured["charts"]
    assert measured["resources"] == 0
    kinds = [c["figure"] for c in charts]
    assert kinds.count("outcome-bars") == 1 and kinds.count("tool-bars") == 1
    assert kinds.count("score-line") >= 5
    for chart in charts:
        assert chart["size"]["w"] > 100 and chart["size"]["h"] > 50, chart["figure"]
        assert any(drawn(s) for s in chart["shapes"]), f"{chart['figure']} {chart['dimension']} drew nothing"
    bars = next(c for c in charts if c["figure"] == "outcome-bars")
    drawn_bars = [s for s in bars["shapes"] if s["tag"] == "rect" and drawn(s)]
    assert len(drawn_bars) == sum(1 for w in report["weeks"] for n in w["outcomes"].values() if n)
    tools = next(c for c in charts if c["figure"] == "tool-bars")
    failing = [t for t in report["tools"] if t["errors"]]
    # One track per tool, and a coloured bar over it for each tool that ever failed.
    assert len([s for s in tools["shapes"] if drawn(s)]) == len(report["tools"]) + len(failing)


def test_strings_from_the_store_stay_text_in_the_browser(
    small_store: Path, isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "miner.duckdb").write_bytes(small_store.read_bytes())
    page = tmp_path / "report.html"
    write_report(capsys, page)
    assert CHROMIUM is not None
    dom = read_page(dump_dom(CHROMIUM, page))
    assert "script" not in dom.tags and "img" not in dom.tags and dom.event_attributes == []
    assert HOSTILE_PROMPT.split(" fix")[0] in "".join(dom.text)
