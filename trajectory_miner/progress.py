"""The one shape of progress callback that long work (ingest, scoring, mining, the report) accepts.

It is called as `progress(done, total, what)`, e.g. `(120, 4000, "scoring")`; the CLI draws a
line from it, and everything else passes None.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]
