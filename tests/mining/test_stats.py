from fractions import Fraction
from math import comb

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trajectory_miner.mining.stats import MIN_GROUP, fisher_greater, lift


def exact_tail(a: int, n_f: int, b: int, n_s: int) -> Fraction:
    """P(X >= a) for X hypergeometric, summed term by term in exact arithmetic."""
    hits, total = a + b, n_f + n_s
    return sum(
        (Fraction(comb(hits, k) * comb(total - hits, n_f - k), comb(total, n_f)) for k in range(a, min(hits, n_f) + 1)),
        Fraction(0),
    )


def test_fisher_of_the_tea_tasting_table_is_seventeen_seventieths() -> None:
    assert fisher_greater(3, 4, 1, 4) == pytest.approx(17 / 70)


@given(st.data())
def test_fisher_equals_the_exact_hypergeometric_tail(data: st.DataObject) -> None:
    n_f = data.draw(st.integers(1, 40))
    n_s = data.draw(st.integers(1, 40))
    a = data.draw(st.integers(0, n_f))
    b = data.draw(st.integers(0, n_s))
    assert fisher_greater(a, n_f, b, n_s) == pytest.approx(float(exact_tail(a, n_f, b, n_s)), rel=1e-9, abs=1e-12)


def test_fisher_is_one_when_no_failing_session_shows_the_pattern() -> None:
    assert fisher_greater(0, 10, 7, 10) == pytest.approx(1.0)


def test_fisher_is_withheld_without_both_groups_and_refuses_impossible_counts() -> None:
    assert fisher_greater(2, 3, 0, 0) is None
    with pytest.raises(ValueError):
        fisher_greater(5, 3, 0, 3)


def test_lift_is_withheld_when_either_group_is_too_small() -> None:
    assert lift(2, MIN_GROUP - 1, 0, 50) is None
    assert lift(2, 50, 0, MIN_GROUP - 1) is None
    assert lift(2, MIN_GROUP, 0, MIN_GROUP) is not None


def test_lift_of_a_pattern_absent_from_succeeding_sessions_is_large_but_finite() -> None:
    value = lift(10, 10, 0, 10)
    assert value is not None
    assert 10 < value < 100


def test_lift_is_near_one_when_both_groups_show_the_pattern_equally() -> None:
    value = lift(20, 100, 20, 100)
    assert value == pytest.approx(1.0)
    higher = lift(40, 100, 20, 100)
    assert higher is not None and higher > 1.9
