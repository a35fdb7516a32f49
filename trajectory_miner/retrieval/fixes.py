"""What tells one fix from another, and one dead end from another.

Sessions repeat the same steps with other names, numbers and paths: two episodes got past an
error the same way when their fix steps are alike once those are left out, and two stuck
sessions tried the same thing when their attempts are. The keys are worked out once per item
and kept in a cache by the item's identity (the index's `fix_keys`), which a saved index
keeps with each item.
"""

from __future__ import annotations

import re
from functools import lru_cache

from trajectory_miner.analysis.signatures import normalise
from trajectory_miner.mining.items import Replay, Skill
from trajectory_miner.retrieval.episodes import Episode, fix_step

_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=65_536)
def alike(step: str) -> str:
    """A step line with what differs between two runs of one step left out: paths, ids and
    numbers (`normalise`), and the numbers inside names (`report_1`, `report_2`). Sessions
    repeat the same fixes, so the answers are kept."""
    return _DIGITS.sub("<n>", normalise(step))


def shared_fix(item: Episode | Replay | Skill, cache: dict[int, str]) -> str | None:
    """The key of the fix `item` shares with alike items (resolution, error family and the fix
    step, normalised); None for an item that is a fix of its own."""
    if not isinstance(item, Episode) or not item.worked_next:
        return None
    key = cache.get(id(item))
    if key is None:
        key = cache[id(item)] = f"{item.resolution}|{item.family}|{alike(fix_step(item).split(' — ', 1)[0])}"
    return key


def fix_key(item: Episode | Replay | Skill, cache: dict[int, str]) -> str:
    """What tells one fix from another: resolution, error family and the fix step, normalised."""
    key = shared_fix(item, cache)
    return key if key is not None else f"{type(item).__name__}|{id(item)}"


def tried_keys(episode: Episode, cache: dict[int, str]) -> list[str]:
    """The keys of what a stuck episode tried, one per line of `tried`: alike attempts (other
    names, numbers, paths) share one."""
    keys = cache.get(id(episode))
    if keys is None:
        keys = cache[id(episode)] = "\n".join(alike(line) for line in episode.tried)
    return keys.split("\n")
