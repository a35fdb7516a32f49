"""SessionEnd hook: runs when the session ends.

It spools the event so the last turns are stored. Claude Code allows all SessionEnd
hooks 1.5 s together; this one takes a few tens of milliseconds.

Runs as `python3 -S`; the shared behaviour is described in `_hookio`.
"""

import _hookio

_hookio.run("SessionEnd")
