"""Plan-versus-actual arithmetic and the contribution split, on hand-computed figures."""

import itertools
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from dealerplan.planning.pace import MONEY, UNITS, PaceStatus, contribution, pace

D = Decimal


# -- pace ---------------------------------------------------------------------------------------


def test_mid_month_at_the_steady_pace_is_on_track():
    # 20 units over 22 working days, 11 elapsed, 10 sold:
    # expected 20 × 11/22 = 10.0; projected 10 × 22/11 = 20.0; needed (20-10)/11 = 0.909 → 0.9
    result = pace(D(20), D(10), workdays_total=22, workdays_elapsed=11, quantum=UNITS)
    assert result.expected == D("10.0")
    assert result.ahead_by == D("0.0")
    assert result.projected == D("20.0")
    assert result.achievement == D("0.5000")
    assert result.projected_ratio == D("1.0000")
    assert result.needed_per_day == D("0.9")
    assert result.status == PaceStatus.ON_TRACK


def test_revenue_behind_plan_reports_the_shortfall_to_the_fen():
    # 1,000,000.00 over 20 days, 10 elapsed, 400,000.00 in:
    # expected 500,000.00; ahead_by -100,000.00; projected 400,000 × 20/10 = 800,000.00;
    # needed (1,000,000 - 400,000)/10 = 60,000.00 a day
    result = pace(D("1000000.00"), D("400000.00"), workdays_total=20, workdays_elapsed=10)
    assert result.expected == D("500000.00")
    assert result.ahead_by == D("-100000.00")
    assert result.behind_by == D("100000.00")
    assert result.projected == D("800000.00")
    assert result.achievement == D("0.4000")
    assert result.projected_ratio == D("0.8000")
    assert result.needed_per_day == D("60000.00")
    assert result.status == PaceStatus.BEHIND


def test_units_ahead_of_plan_project_a_fractional_month_end():
    # 22 units, 5 of 22 days, 8 sold: expected 22 × 5/22 = 5.0; ahead by 3.0;
    # projected 8 × 22/5 = 35.2; projected ratio 35.2/22 = 1.6; needed (22-8)/17 = 0.82 → 0.8
    result = pace(D(22), D(8), workdays_total=22, workdays_elapsed=5, quantum=UNITS)
    assert result.expected == D("5.0")
    assert result.ahead_by == D("3.0")
    assert result.behind_by == 0
    assert result.projected == D("35.2")
    assert result.projected_ratio == D("1.6000")
    assert result.needed_per_day == D("0.8")
    assert result.status == PaceStatus.AHEAD


def test_money_is_rounded_half_up_to_the_fen():
    # 100,000.00 over 22 days, 7 elapsed, 33,333.33 in:
    # expected 100,000 × 7/22 = 31,818.1818 → 31,818.18
    # ahead_by 33,333.33 - 31,818.1818 = 1,515.1482 → 1,515.15
    # projected 33,333.33 × 22/7 = 733,333.26/7 = 104,761.8943 → 104,761.89;
    # ratio 104,761.8943/100,000 = 1.047619 → 1.0476; needed (100,000 - 33,333.33)/15 = 4,444.44
    result = pace(D("100000.00"), D("33333.33"), workdays_total=22, workdays_elapsed=7)
    assert result.expected == D("31818.18")
    assert result.ahead_by == D("1515.15")
    assert result.projected == D("104761.89")
    assert result.needed_per_day == D("4444.44")
    assert result.projected_ratio == D("1.0476")
    assert result.achievement == D("0.3333")
    assert result.status == PaceStatus.ON_TRACK  # 104.8 % is inside the 5 % band
    # 1.00 × 1/8 = 0.125 exactly: half up gives 0.13 (banker's rounding would give 0.12)
    assert pace(D("1.00"), D(0), workdays_total=8, workdays_elapsed=1).expected == D("0.13")


@pytest.mark.parametrize(
    ("actual", "status"),
    [
        # expected to date 500,000.00: the band is 475,000.00 … 525,000.00, both ends included
        (D("474999.99"), PaceStatus.BEHIND),
        (D("475000.00"), PaceStatus.ON_TRACK),
        (D("525000.00"), PaceStatus.ON_TRACK),
        (D("525000.01"), PaceStatus.AHEAD),
    ],
)
def test_status_uses_a_five_percent_band_around_expected_to_date(actual, status):
    result = pace(D("1000000.00"), actual, workdays_total=20, workdays_elapsed=10)
    assert result.status == status


def test_zero_target_has_no_ratio_and_any_sale_is_ahead():
    nothing = pace(D(0), D(0), workdays_total=22, workdays_elapsed=10, quantum=UNITS)
    assert nothing.achievement is None
    assert nothing.projected_ratio is None
    assert nothing.status == PaceStatus.ON_TRACK
    assert nothing.needed_per_day == D("0.0")
    bonus = pace(D(0), D(2), workdays_total=22, workdays_elapsed=10, quantum=UNITS)
    assert bonus.achievement is None
    assert bonus.projected == D("4.4")  # 2 × 22/10
    assert bonus.status == PaceStatus.AHEAD


def test_before_the_first_working_day_the_projection_is_the_actual():
    empty = pace(D(10), D(0), workdays_total=22, workdays_elapsed=0, quantum=UNITS)
    assert empty.expected == D("0.0")
    assert empty.projected == D("0.0")
    assert empty.status == PaceStatus.ON_TRACK
    assert empty.needed_per_day == D("0.5")  # 10 / 22 = 0.45 → 0.5
    # An order signed on the weekend before the first working day:
    early = pace(D(10), D(1), workdays_total=22, workdays_elapsed=0, quantum=UNITS)
    assert early.projected == D("1.0")
    assert early.status == PaceStatus.AHEAD


def test_on_the_last_day_the_projection_is_the_actual_and_nothing_remains():
    # 20 units, all 21 days elapsed: expected 20.0; 18 sold is 90 % → behind; 19 is 95 % → on track
    short = pace(D(20), D(18), workdays_total=21, workdays_elapsed=21, quantum=UNITS)
    assert short.expected == D("20.0")
    assert short.projected == D("18.0")
    assert short.projected_ratio == D("0.9000")
    assert short.needed_per_day is None
    assert short.status == PaceStatus.BEHIND
    close = pace(D(20), D(19), workdays_total=21, workdays_elapsed=21, quantum=UNITS)
    assert close.status == PaceStatus.ON_TRACK


def test_status_label_is_translated():
    result = pace(D(20), D(2), workdays_total=20, workdays_elapsed=10, quantum=UNITS)
    assert result.status_label == "落后计划"
    with translation.override("en"):
        assert result.status_label == "Behind plan"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"target": D(-1), "workdays_total": 20, "workdays_elapsed": 1}, ValueError),
        ({"target": D(10), "workdays_total": 0, "workdays_elapsed": 0}, ValueError),
        ({"target": D(10), "workdays_total": 20, "workdays_elapsed": 21}, ValueError),
        ({"target": D(10), "workdays_total": 20, "workdays_elapsed": -1}, ValueError),
        ({"target": 10.0, "workdays_total": 20, "workdays_elapsed": 1}, TypeError),
    ],
)
def test_impossible_inputs_are_refused(kwargs, error):
    target = kwargs.pop("target")
    with pytest.raises(error):
        pace(target, D(1), **kwargs)


@given(
    actual=st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    target=st.decimals(min_value=0, max_value=10**9, places=2),
    days=st.integers(min_value=1, max_value=31),
)
def test_projection_at_the_end_of_the_period_equals_the_actual(actual, target, days):
    result = pace(target, actual, workdays_total=days, workdays_elapsed=days, quantum=MONEY)
    assert result.projected == actual
    assert result.needed_per_day is None


# -- contribution -------------------------------------------------------------------------------


def test_a_shared_unit_is_split_in_hundredths():
    assert contribution(D(1), {"wang": D("0.5"), "li": D("0.5")}) == {
        "wang": D("0.50"),
        "li": D("0.50"),
    }


def test_a_seventy_thirty_split_of_money():
    # 139,900.00 × 0.7 = 97,930.00; × 0.3 = 41,970.00
    parts = contribution(D("139900.00"), {1: D("0.7"), 2: D("0.3")})
    assert parts == {1: D("97930.00"), 2: D("41970.00")}


def test_the_left_over_fen_goes_to_the_earlier_consultant_on_a_tie():
    # 100.01 / 2 = 50.005 each: both round down to 50.00, the one fen left goes to the first
    parts = contribution(D("100.01"), {"wang": D("0.5"), "li": D("0.5")})
    assert parts == {"wang": D("50.01"), "li": D("50.00")}
    assert sum(parts.values()) == D("100.01")


def test_the_left_over_fen_goes_to_the_largest_remainder():
    # 10.00 × 0.333 = 3.330, × 0.333 = 3.330, × 0.334 = 3.340: sums to 10.00, nothing left over
    # 1.00 × (0.125, 0.125, 0.75) = 0.125, 0.125, 0.75 → floors 0.12, 0.12, 0.75; one fen left,
    # the tie between the first two goes to the first
    assert contribution(D("1.00"), {"a": D("0.125"), "b": D("0.125"), "c": D("0.75")}) == {
        "a": D("0.13"),
        "b": D("0.12"),
        "c": D("0.75"),
    }
    # 0.10 × (0.35, 0.65) = 0.035, 0.065 → floors 0.03, 0.06; remainders .5 and .5 → first
    # 0.07 × (0.3, 0.7) = 0.021, 0.049 → floors 0.02, 0.04; remainders .1 and .9 → second
    assert contribution(D("0.07"), {"a": D("0.3"), "b": D("0.7")}) == {
        "a": D("0.02"),
        "b": D("0.05"),
    }


def test_a_negative_gross_profit_is_split_with_its_sign():
    parts = contribution(D("-1000.01"), {"wang": D("0.5"), "li": D("0.5")})
    assert parts == {"wang": D("-500.01"), "li": D("-500.00")}


@pytest.mark.parametrize(
    "shares",
    [
        {"wang": D("0.7"), "li": D("0.2")},  # 0.9
        {"wang": D("0.7"), "li": D("0.4")},  # 1.1
        {"wang": D("1.2"), "li": D("-0.2")},  # sums to 1 but negative
        {},
    ],
)
def test_shares_that_do_not_add_up_to_one_are_refused(shares):
    with pytest.raises(ValueError, match="share"):
        contribution(D("100.00"), shares)


def test_a_total_finer_than_the_fen_or_a_float_is_refused():
    with pytest.raises(ValueError):
        contribution(D("100.005"), {"wang": D(1)})
    with pytest.raises(TypeError):
        contribution(D("100.00"), {"wang": 0.5, "li": 0.5})


@st.composite
def shares_summing_to_one(draw):
    """1 to 5 shares in basis points: cuts of 0…10,000, so the shares add up to exactly 1."""
    count = draw(st.integers(min_value=1, max_value=5))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 10_000]
    return {
        f"c{i}": D(high - low) / 10_000 for i, (low, high) in enumerate(itertools.pairwise(bounds))
    }


@given(
    total=st.decimals(min_value=-(10**8), max_value=10**8, places=2),
    shares=shares_summing_to_one(),
)
def test_contribution_parts_always_sum_exactly_to_the_total(total, shares):
    parts = contribution(total, shares)
    assert sum(parts.values()) == total
    assert list(parts) == list(shares)
    for key, part in parts.items():
        assert part % D("0.01") == 0
        assert abs(part - total * shares[key]) < D("0.01")
