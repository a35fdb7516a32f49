"""The report page's stylesheet, inlined so the page needs nothing from the network."""

from __future__ import annotations

CSS = """
:root {
  --text: #1f2933; --muted: #66727f; --line: #e3e7ec; --soft: #eef1f5;
  --bg: #f6f7f9; --card: #ffffff; --accent: #3f6fd8;
  color-scheme: light;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-font-smoothing: antialiased;
}
main { max-width: 1120px; margin: 0 auto; padding: 44px 28px 64px; }
header h1 { font-size: 28px; line-height: 1.2; margin: 0 0 6px; font-weight: 650; letter-spacing: -0.015em; }
.sub { color: var(--muted); margin: 0; }
.sub strong { color: var(--text); font-weight: 600; }
h2 { font-size: 18px; margin: 0 0 2px; font-weight: 620; letter-spacing: -0.005em; }
.lede { color: var(--muted); margin: 0 0 12px; font-size: 14px; max-width: 75ch; }
section { margin-top: 40px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 20px 22px; }
.metrics {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 14px; margin-top: 28px;
}
.metric { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px 14px; }
.metric-label {
  font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.05em;
}
.metric-value {
  font-size: 32px; font-weight: 650; line-height: 1.15; margin: 6px 0 4px;
  font-variant-numeric: tabular-nums; letter-spacing: -0.02em;
}
.metric-note { font-size: 13px; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(310px, 1fr)); gap: 14px 22px; }
.cell-head { display: flex; justify-content: space-between; align-items: baseline; font-size: 14px; font-weight: 600; }
.cell-note { font-size: 12px; color: var(--muted); margin-bottom: 2px; }
.eyebrow { font-size: 12px; font-weight: 600; color: var(--accent); text-transform: uppercase; letter-spacing: 0.08em; }
.cell-head b { font-size: 18px; font-variant-numeric: tabular-nums; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.spark { display: inline-block; vertical-align: middle; margin-top: 4px; }
.tick { font-size: 10px; fill: #8a96a3; font-variant-numeric: tabular-nums; }
.label { font-size: 12.5px; fill: #323f4b; }
.strong { font-weight: 600; }
tspan.muted { fill: #8a96a3; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; color: var(--muted); margin-bottom: 10px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 6px; }
.legend b { color: var(--text); font-weight: 600; margin-left: 2px; }
.table-wrap { overflow-x: auto; margin: -6px -8px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th {
  text-align: left; font-size: 11.5px; font-weight: 600; color: var(--muted); text-transform: uppercase;
  letter-spacing: 0.05em; padding: 6px 8px 8px; border-bottom: 1px solid var(--line); white-space: nowrap;
}
td { padding: 10px 8px; border-bottom: 1px solid var(--soft); vertical-align: top; }
tbody tr:last-child td { border-bottom: none; }
tbody tr:target td { background: #fff8e1; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.ids a { text-decoration: none; }
.ids { white-space: nowrap; }
.ids code { display: inline-block; margin: 0 4px 4px 0; overflow-wrap: normal; }
.examples code { display: inline-block; margin: 0 4px 4px 0; }
.clamp { max-width: 48ch; overflow-wrap: anywhere; }
.request { min-width: 24ch; max-width: 48ch; overflow-wrap: anywhere; }
.project {
  display: inline-block; max-width: 24ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  vertical-align: top;
}
code {
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  background: var(--soft); padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere;
}
a { color: var(--accent); }
.muted { color: var(--muted); }
.small { font-size: 12.5px; }
.none { color: var(--muted); margin: 4px 0; font-size: 14px; }
.chip {
  display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: var(--soft); color: var(--muted); white-space: nowrap;
}
.chip.success { background: #e2f3ea; color: #1d7a50; }
.chip.partial { background: #fbf0d9; color: #8a5a00; }
.chip.failure { background: #fbe4e4; color: #a32d2d; }
.chip.sev-critical { background: #a32d2d; color: #fff; }
.chip.sev-high { background: #fbe4e4; color: #a32d2d; }
.chip.sev-medium { background: #fbf0d9; color: #8a5a00; }
.chip.st-exported, .chip.st-approved { background: #e2f3ea; color: #1d7a50; }
.chip.st-candidate { background: #e6edfb; color: #2f56ad; }
.empty { margin-top: 28px; padding: 28px 30px; }
.empty h2 { font-size: 20px; margin-bottom: 8px; }
.empty ol { padding-left: 20px; margin: 10px 0 0; }
.empty li { margin: 6px 0; }
footer { margin-top: 48px; text-align: center; }
"""
