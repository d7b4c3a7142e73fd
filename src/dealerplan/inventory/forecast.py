"""Weekly demand forecasts for the Monday factory order (每周一向厂家订车).

Pure functions over plain sequences, so they are tested without the database. Weeks are ISO
weeks starting on Monday, dated in the store's time zone by the caller.

Method: statsforecast's AutoETS (the best exponential-smoothing model by AICc, seasonal only once
two full years of weeks exist). A series that is short or sparse (most weeks without a sale, as
a single trim in a single colour usually is) gets the mean of the last 13 weeks instead: ETS on
such a series is barely distinguishable from that mean, and the mean cannot run away. Seasonal
naive needs a year of history and a week's sales of one trim × colour are mostly 0 or 1, so it
is a poor default; it is kept as a yardstick in the backtest.
"""

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SEASON_WEEKS = 52
#: Histories shorter than this get the recent mean.
MIN_ETS_WEEKS = 16
#: Below this share of weeks with a sale a series counts as sparse and gets the recent mean.
MIN_ETS_SALE_SHARE = 0.5
#: The recent mean looks back one quarter.
RECENT_WEEKS = 13

ETS = "ets"
RECENT_MEAN = "recent_mean"
SEASONAL_NAIVE = "seasonal_naive"
NAIVE = "naive"
NO_HISTORY = "no_history"


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s ISO week."""
    return day - datetime.timedelta(days=day.weekday())


def week_starts(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every Monday from ``first``'s week to ``last``'s week, both included."""
    start, end = week_start(first), week_start(last)
    return [start + datetime.timedelta(weeks=i) for i in range((end - start).days // 7 + 1)]


def weekly_counts(
    events: Iterable[datetime.date | tuple[datetime.date, float]],
    first: datetime.date,
    last: datetime.date,
) -> list[float]:
    """Zero-filled weekly totals from ``first``'s week to ``last``'s; events outside are ignored.

    An event is a date (one unit) or ``(date, weight)`` for a fractional unit.
    """
    weeks = week_starts(first, last)
    index = {monday: i for i, monday in enumerate(weeks)}
    counts = [0.0] * len(weeks)
    for event in events:
        day, weight = event if isinstance(event, tuple) else (event, 1.0)
        i = index.get(week_start(day))
        if i is not None:
            counts[i] += weight
    return counts


# -- the simple methods ------------------------------------------------------------------------


def naive(history: Sequence[float], horizon: int) -> list[float]:
    return [float(history[-1]) if history else 0.0] * horizon


def seasonal_naive(
    history: Sequence[float], horizon: int, season: int = SEASON_WEEKS
) -> list[float] | None:
    """Last year's same weeks; None when there is not a full season of history."""
    if len(history) < season:
        return None
    base = len(history) - season
    return [float(history[base + h % season]) for h in range(horizon)]


def recent_mean(history: Sequence[float], horizon: int, window: int = RECENT_WEEKS) -> list[float]:
    recent = history[-window:]
    level = sum(recent) / len(recent) if recent else 0.0
    return [float(level)] * horizon


def ets(history: Sequence[float], horizon: int) -> list[float] | None:
    """AutoETS forecast, never negative; None when the model cannot be fitted."""
    # Imported here, not at the top: start-up and pages that never forecast skip ~1.5 s.
    import numpy as np
    from statsforecast.models import AutoETS

    y = np.asarray(history, dtype=float)
    if len(y) < 4 or not y.any():
        return None
    season = SEASON_WEEKS if len(y) >= 2 * SEASON_WEEKS else 1
    try:
        mean = AutoETS(season_length=season).forecast(y=y, h=horizon)["mean"]
    except Exception:  # a degenerate series the optimiser refuses; the caller falls back
        return None
    values = [max(float(v), 0.0) for v in mean]
    return values if all(math.isfinite(v) for v in values) else None


# -- the chosen method ------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    values: tuple[float, ...]
    method: str

    @property
    def total(self) -> float:
        return sum(self.values)


def is_sparse(history: Sequence[float]) -> bool:
    if len(history) < MIN_ETS_WEEKS:
        return True
    return sum(1 for v in history if v > 0) < MIN_ETS_SALE_SHARE * len(history)


def forecast(history: Sequence[float], horizon: int) -> Forecast:
    """Weekly demand for the next ``horizon`` weeks, with the method that produced it."""
    if not any(history):
        return Forecast((0.0,) * horizon, NO_HISTORY)
    if not is_sparse(history):
        values = ets(history, horizon)
        if values is not None:
            return Forecast(tuple(values), ETS)
    return Forecast(tuple(recent_mean(history, horizon)), RECENT_MEAN)


def forecast_many(histories: dict, horizon: int) -> dict:
    """``forecast`` for each value of a ``{key: history}`` mapping."""
    return {key: forecast(history, horizon) for key, history in histories.items()}


def demand_over(weekly: Sequence[float], weeks: float) -> float:
    """Demand over a fractional number of weeks: whole weeks plus a share of the next one."""
    whole = min(int(weeks), len(weekly))
    total = float(sum(weekly[:whole]))
    part = weeks - int(weeks)
    if part > 0 and whole < len(weekly):
        total += part * float(weekly[whole])
    return total


# -- accuracy ---------------------------------------------------------------------------------


def mase_scale(train: Sequence[float]) -> float:
    """In-sample mean absolute error of the one-step naive forecast (MASE's denominator)."""
    if len(train) < 2:
        return 0.0
    return sum(abs(train[i] - train[i - 1]) for i in range(1, len(train))) / (len(train) - 1)


@dataclass(frozen=True)
class BacktestScore:
    method: str
    mase: float | None  # mean over (series, origin) pairs; None when nothing could be scored
    scored: int  # forecasts that entered the mean
    skipped: int  # the method had no forecast, or the series had no movement to scale by


def rolling_origin_backtest(
    histories: Iterable[Sequence[float]],
    methods: dict,
    *,
    weeks: int = 26,
    horizon: int = 4,
) -> list[BacktestScore]:
    """Rolling-origin evaluation: from each of the last ``weeks`` origins, forecast ``horizon``
    weeks with every method on the history before the origin, and average the MASE.

    ``methods`` maps a name to ``f(history, horizon) -> list | None``.
    """
    sums = dict.fromkeys(methods, 0.0)
    scored = dict.fromkeys(methods, 0)
    skipped = dict.fromkeys(methods, 0)
    for history in histories:
        n = len(history)
        for origin in range(max(n - weeks, 2), n - horizon + 1):
            train, actual = history[:origin], history[origin : origin + horizon]
            scale = mase_scale(train)
            for name, method in methods.items():
                predicted = method(train, horizon) if scale > 0 else None
                if predicted is None:
                    skipped[name] += 1
                    continue
                mae = sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / horizon
                sums[name] += mae / scale
                scored[name] += 1
    return [
        BacktestScore(
            method=name,
            mase=sums[name] / scored[name] if scored[name] else None,
            scored=scored[name],
            skipped=skipped[name],
        )
        for name in methods
    ]


def chosen(history: Sequence[float], horizon: int) -> list[float]:
    return list(forecast(history, horizon).values)


BACKTEST_METHODS = {
    "chosen": chosen,
    ETS: ets,
    RECENT_MEAN: recent_mean,
    SEASONAL_NAIVE: seasonal_naive,
    NAIVE: naive,
}
