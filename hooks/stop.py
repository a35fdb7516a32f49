"""Stop hook: runs when Claude finishes answering, so the transcript has grown.

It spools the event and starts the ingester when none runs.

Runs as `python3 -S`; the shared behaviour is described in `_hookio`.
"""

import _hookio

_hookio.run("Stop")
