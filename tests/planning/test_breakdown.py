"""Breakdowns always add up: property tests and the seed plan's own numbers."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.planning.breakdown import DEFAULT_SEASONALITY, FEN, UNIT, split, split_target

weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=40)
money = st.decimals(min_value=0, max_value=10**10, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, derandomize=True)
@given(total=st.integers(min_value=0, max_value=10**6), weights=weights)
def test_units_split_sums_exactly_in_whole_units(total, weights):
    parts = split(Decimal(total), weights, UNIT)
    assert sum(parts) == total
    assert all(p == p.to_integral_value() and p >= 0 for p in parts)
    assert len(parts) == len(weights)


@settings(max_examples=300, derandomize=True)
@given(total=money, weights=weights)
def test_money_split_sums_exactly_to_the_fen(total, weights):
    parts = split(total, weights, FEN)
    assert sum(parts) == total
    assert all(p == p.quantize(FEN) and p >= 0 for p in parts)


@settings(max_examples=300, derandomize=True)
@given(total=st.integers(min_value=0, max_value=10**5), weights=weights)
def test_each_part_is_within_one_quantum_of_its_exact_share(total, weights):
    parts = split(Decimal(total), weights, UNIT)
    weight_sum = sum(weights) or len(weights)
    shares = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, shares, strict=True):
        exact = Decimal(total) * weight / weight_sum
        assert abs(part - exact) < 1


@settings(max_examples=300, derandomize=True)
@given(quota=money, extra=money, weights=weights)
def test_quota_and_goal_split_together_keep_goal_above_quota(quota, extra, weights):
    parts = split_target(quota, quota + extra, weights, FEN)
    assert sum(q for q, _ in parts) == quota
    assert sum(g for _, g in parts) == quota + extra
    assert all(g >= q for q, g in parts)


def test_zero_weights_split_equally():
    assert split(Decimal(10), [0, 0, 0, 0], UNIT) == [3, 3, 2, 2]


def test_ties_go_to_the_earlier_part():
    assert split(Decimal(1), [1, 1, 1], UNIT) == [1, 0, 0]


@pytest.mark.parametrize(
    ("total", "weights", "quantum"),
    [(Decimal("1.5"), [1], UNIT), (Decimal("-1"), [1], UNIT), (Decimal("1.001"), [1], FEN)],
)
def test_totals_off_the_quantum_are_refused(total, weights, quantum):
    with pytest.raises(ValueError):
        split(total, weights, quantum)


def test_default_curve_is_a_whole_year_summing_to_100():
    assert len(DEFAULT_SEASONALITY) == 12 and sum(DEFAULT_SEASONALITY) == 100


def test_seed_example_quota_and_goal_over_months_and_ten_consultants():
    """篇七: 任务 5,600,000, 目标 7,000,000; by the default curve, then over 10 consultants."""
    months = split_target(Decimal("5600000.00"), Decimal("7000000.00"), DEFAULT_SEASONALITY, FEN)
    assert sum(q for q, _ in months) == Decimal("5600000.00")
    assert sum(g for _, g in months) == Decimal("7000000.00")
    assert months[11] == (Decimal("683200.00"), Decimal("854000.00"))  # December, 12.2 %
    for quota, goal in months:
        people = split_target(quota, goal, [1] * 10, FEN)
        assert sum(q for q, _ in people) == quota and sum(g for _, g in people) == goal
        assert max(q for q, _ in people) - min(q for q, _ in people) <= FEN
