"""How much a failure belongs to failing sessions: lift and a one-sided Fisher's exact test.

Both compare the share of failing sessions that show a pattern with the share of succeeding
sessions that do. Lift is smoothed and withheld on tiny groups, so one session cannot make
a pattern look ten times likelier; the p-value says how surprising the split would be if the
pattern had nothing to do with failing.
"""

from __future__ import annotations

import math
from functools import lru_cache

# Below this many sessions in either group, a rate is too noisy to compare.
MIN_GROUP = 3


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def lift(hits_failing: int, failing: int, hits_succeeding: int, succeeding: int) -> float | None:
    """Rate among failing sessions over rate among succeeding ones, smoothed; None on tiny groups.

    Half a session is added to each count (and one to each total) so that a pattern absent
    from succeeding sessions gets a large but finite lift.
    """
    if failing < MIN_GROUP or succeeding < MIN_GROUP:
        return None
    rate_failing = (hits_failing + 0.5) / (failing + 1)
    rate_succeeding = (hits_succeeding + 0.5) / (succeeding + 1)
    return round(rate_failing / rate_succeeding, 3)


# Mining asks for the same small tables again and again (a pattern in two sessions, both failing).
@lru_cache(maxsize=4096)
def fisher_greater(hits_failing: int, failing: int, hits_succeeding: int, succeeding: int) -> float | None:
    """One-sided Fisher's exact test: the chance of at least this many hits among failing sessions.

    The 2x2 table is [[hits_failing, failing - hits_failing], [hits_succeeding, succeeding -
    hits_succeeding]]; under the null hypothesis the hits fall on the two groups at random,
    so the hits among failing sessions follow a hypergeometric distribution.
    """
    if failing <= 0 or succeeding <= 0:
        return None
    if not (0 <= hits_failing <= failing and 0 <= hits_succeeding <= succeeding):
        raise ValueError("hits must lie between 0 and their group's size")
    total = failing + succeeding
    hits = hits_failing + hits_succeeding
    low = max(hits_failing, hits - succeeding)
    high = min(hits, failing)
    others = total - hits
    base = _log_choose(total, failing)
    terms = [_log_choose(hits, k) + _log_choose(others, failing - k) - base for k in range(low, high + 1)]
    if not terms:
        return 1.0
    peak = max(terms)
    p = math.exp(peak) * sum(math.exp(t - peak) for t in terms)
    return min(1.0, max(0.0, p))
