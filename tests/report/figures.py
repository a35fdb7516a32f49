"""Reading the report's numbers back: off the page's `data-*` attributes, and out of its JSON.

Both readers return the same shape, so a test can say the page shows exactly what
`trajectory-miner report --json` prints.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

HEADLINE = ("sessions", "success_rate", "mean_overall", "tool_error_rate", "tokens")


def _number(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


class PageReader(HTMLParser):
    """Every element with a `data-figure`, every tag name, and the text of `<pre id=measured>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: list[tuple[str, dict[str, str]]] = []
        self.tags: list[str] = []
        self.event_attributes: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.measured = ""
        self._in_measured = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        self.event_attributes += [k for k in found if k.startswith("on")]
        self.attributes += list(found.items())
        if "data-figure" in found:
            self.figures.append((tag, found))
        self._in_measured = tag == "pre" and found.get("id") == "measured"

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_measured = False

    def handle_data(self, data: str) -> None:
        if self._in_measured:
            self.measured += data
        else:
            self.text.append(data)


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def page_figures(html: str) -> dict[str, Any]:
    """The figures the page shows, by kind."""
    result: dict[str, Any] = {
        "headline": {},
        "outcome_bars": {},
        "outcome_totals": {},
        "score_points": {},
        "latest": {},
        "tools": {},
        "patterns": [],
        "skills": [],
        "sessions": {"lowest": [], "recent": []},
    }
    line = ""
    for _, a in read_page(html).figures:
        kind, value = a["data-figure"], _number(a.get("data-value"))
        if kind in HEADLINE:
            result["headline"][kind] = value
        elif kind == "outcome-bar":
            result["outcome_bars"][(a["data-week"], a["data-outcome"])] = value
        elif kind == "outcome-total":
            result["outcome_totals"][a["data-outcome"]] = value
        elif kind == "score-line":
            line = a["data-dimension"]
        elif kind == "latest-score":
            result["latest"][a["data-dimension"]] = value
        elif kind == "tool":
            result["tools"][a["data-tool"]] = (float(a["data-calls"]), float(a["data-errors"]), value)
        elif kind == "pattern":
            result["patterns"].append((a["data-id"], float(a["data-frequency"]), value))
        elif kind == "skill":
            row = (a["data-id"], float(a["data-uses"]), float(a["data-successes"]), float(a["data-support"]), value)
            result["skills"].append(row)
        elif kind == "session":
            result["sessions"][a["data-table"]].append((a["data-session"], a["data-outcome"] or None, value))
        elif kind == "score-point":
            result["score_points"][(line, a["data-week"])] = value
    return result


def json_figures(report: dict[str, Any]) -> dict[str, Any]:
    """The figures `report --json` printed, in the shape of `page_figures`."""
    weeks = report["weeks"]
    series = {"overall": [w["overall"] for w in weeks]}
    series |= {d: [w["dimensions"][d] for w in weeks] for d in report["dimensions"]}
    latest = {name: next((v for v in reversed(values) if v is not None), None) for name, values in series.items()}
    shown = {name for name, value in latest.items() if value is not None}
    return {
        "headline": {k: _float(report["headline"][k]) for k in HEADLINE},
        "outcome_bars": {(w["week"], outcome): float(n) for w in weeks for outcome, n in w["outcomes"].items() if n},
        "outcome_totals": {k: float(n) for k, n in report["outcome_totals"].items() if n},
        "score_points": {
            (name, w["week"]): float(v)
            for name, values in series.items()
            if name in shown
            for w, v in zip(weeks, values, strict=True)
            if v is not None
        },
        "latest": {name: _float(value) for name, value in latest.items()} if weeks else {},
        "tools": {t["tool"]: (float(t["calls"]), float(t["errors"]), float(t["error_rate"])) for t in report["tools"]},
        "patterns": [(p["id"], float(p["frequency"]), _float(p["lift"])) for p in report["patterns"]],
        "skills": [
            (s["id"], float(s["uses"]), float(s["successes"]), float(s["support"]), _float(s["use_success_rate"]))
            for s in report["skills"]
        ],
        "sessions": {
            table: [(r["session_id"], r["outcome"], _float(r["overall"])) for r in report[f"{table}_sessions"]]
            for table in ("lowest", "recent")
        },
    }


def _float(value: float | int | None) -> float | None:
    return None if value is None else float(value)
