import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.inventory import forecast as fc

MONDAY = datetime.date(2026, 11, 30)


class TestWeeks:
    def test_week_starts_on_monday(self):
        assert fc.week_start(datetime.date(2026, 12, 6)) == MONDAY  # a Sunday
        assert fc.week_start(MONDAY) == MONDAY

    def test_iso_week_across_new_year_starts_in_december(self):
        # 2027-01-01 is a Friday: its ISO week began on Monday 2026-12-28.
        assert fc.week_start(datetime.date(2027, 1, 1)) == datetime.date(2026, 12, 28)

    def test_weekly_counts_are_zero_filled_and_ignore_days_outside(self):
        first, last = datetime.date(2026, 11, 2), datetime.date(2026, 11, 29)
        days = [
            datetime.date(2026, 11, 2),
            datetime.date(2026, 11, 8),  # Sunday, same week
            datetime.date(2026, 11, 23),
            datetime.date(2026, 10, 30),  # before
            datetime.date(2026, 11, 30),  # after
        ]
        assert fc.weekly_counts(days, first, last) == [2.0, 0.0, 0.0, 1.0]

    def test_weekly_counts_add_fractional_weights(self):
        day = datetime.date(2026, 11, 4)
        assert fc.weekly_counts([(day, 0.25), day], day, day) == [1.25]


class TestSimpleMethods:
    def test_naive_repeats_the_last_week(self):
        assert fc.naive([1, 4, 2], 3) == [2.0, 2.0, 2.0]

    def test_seasonal_naive_needs_a_full_season(self):
        assert fc.seasonal_naive([1.0] * 51, 4) is None
        history = [float(i) for i in range(60)]
        assert fc.seasonal_naive(history, 3) == [8.0, 9.0, 10.0]

    def test_recent_mean_uses_the_last_quarter(self):
        history = [10.0] * 20 + [1.0] * 13
        assert fc.recent_mean(history, 2) == [1.0, 1.0]


class TestChosenForecast:
    def test_no_sales_forecasts_zero(self):
        result = fc.forecast([0.0] * 30, 4)
        assert result.values == (0.0,) * 4
        assert result.method == fc.NO_HISTORY

    def test_sparse_series_gets_the_recent_mean(self):
        history = [0.0, 0.0, 1.0, 0.0] * 10
        result = fc.forecast(history, 3)
        assert result.method == fc.RECENT_MEAN
        assert result.values == pytest.approx((3 / 13,) * 3)

    def test_short_series_gets_the_recent_mean(self):
        assert fc.forecast([2.0, 3.0, 2.0], 2).method == fc.RECENT_MEAN

    def test_dense_series_gets_ets_close_to_its_level(self):
        history = [5.0, 6.0, 4.0, 5.0, 6.0, 5.0, 4.0, 6.0] * 4
        result = fc.forecast(history, 4)
        assert result.method == fc.ETS
        assert all(4.0 <= v <= 6.0 for v in result.values)

    def test_ets_follows_a_rising_trend(self):
        history = [float(i) for i in range(1, 31)]
        values = fc.forecast(history, 3).values
        assert values[0] > 25

    def test_forecast_many_keeps_the_keys(self):
        result = fc.forecast_many({"a": [1.0] * 20, "b": [0.0] * 20}, 2)
        assert set(result) == {"a", "b"}


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=5), max_size=fc.MIN_ETS_WEEKS - 1),
    st.integers(min_value=1, max_value=8),
)
def test_short_history_forecast_is_never_negative_and_as_long_as_asked(history, horizon):
    # Short histories take the recent-mean path (no model fit), so this stays fast.
    result = fc.forecast([float(v) for v in history], horizon)
    assert len(result.values) == horizon
    assert all(v >= 0 for v in result.values)


class TestDemandOver:
    def test_whole_and_part_weeks(self):
        assert fc.demand_over([1.0, 2.0, 3.0], 2.5) == pytest.approx(4.5)

    def test_horizon_longer_than_forecast_stops_at_its_end(self):
        assert fc.demand_over([1.0, 1.0], 5) == 2.0


class TestBacktest:
    def test_mase_scale_is_mean_absolute_step(self):
        assert fc.mase_scale([1.0, 3.0, 2.0]) == pytest.approx(1.5)
        assert fc.mase_scale([4.0]) == 0.0

    def test_perfect_method_scores_zero_and_naive_scores_by_its_error(self):
        history = [1.0, 2.0] * 10

        def oracle(train, horizon):
            return [1.0 if (len(train) + h) % 2 == 0 else 2.0 for h in range(horizon)]

        scores = {
            s.method: s
            for s in fc.rolling_origin_backtest(
                [history], {"oracle": oracle, "naive": fc.naive}, weeks=6, horizon=2
            )
        }
        assert scores["oracle"].mase == 0
        assert scores["oracle"].scored == 5  # origins 14..18
        assert scores["naive"].mase == pytest.approx(0.5)

    def test_method_without_a_forecast_is_skipped_not_scored(self):
        scores = fc.rolling_origin_backtest(
            [[1.0, 2.0] * 10], {"sn": fc.seasonal_naive}, weeks=6, horizon=2
        )
        assert scores[0].mase is None and scores[0].skipped == 5

    def test_flat_history_has_no_scale_and_is_skipped(self):
        scores = fc.rolling_origin_backtest([[0.0] * 20], {"naive": fc.naive}, weeks=6, horizon=2)
        assert scores[0].scored == 0
