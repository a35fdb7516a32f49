"""SessionStart hook: runs when a session starts, resumes, is cleared or is compacted.

It spools the event like every hook and, when a marketplace install left no Python
environment, starts building one in the background (see `setup_env`).

Runs as `python3 -S`; the shared behaviour is described in `_hookio`.
"""

import _hookio
import setup_env

_hookio.run("SessionStart", setup_env.start_if_needed)
