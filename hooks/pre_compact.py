"""PreCompact hook: runs before the context is compacted.

It spools the event so the turns before the summary are stored promptly.

Runs as `python3 -S`; the shared behaviour is described in `_hookio`.
"""

import _hookio

_hookio.run("PreCompact")
