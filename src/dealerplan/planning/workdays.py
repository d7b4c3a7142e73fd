"""Chinese working days, for breaking targets down to weeks and days.

Pure functions: no database, no request. Where a day's status comes from, in order:

1. ``overrides`` — a plain mapping ``{date: is_workday}``. The store's ``WorkdayOverride`` rows
   become this mapping, e.g.
   ``dict(WorkdayOverride.objects.filter(store=store).values_list("date", "is_workday"))``.
   A manager enters the make-up working days (调休上班) and the extra days off that the State
   Council announces each November for the coming year.
2. ``chinese_calendar`` — the published State Council arrangement, holidays and make-up working
   days included. Release 1.11.0 knows 2004–2026 and raises ``NotImplementedError`` outside.
3. The ``holidays`` package's China rules — Monday to Friday, minus the statutory public holidays
   (with their "observed" days) that the package computes for any year. This fallback cannot know
   the make-up working Saturdays and Sundays of a year that has not been announced (it only knows
   them for years the package ships data for), so until a manager enters them as overrides those
   weekend days count as days off. An unknown year therefore never crashes: it degrades to a close
   estimate that the overrides make exact.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Final, Literal, NamedTuple

import chinese_calendar
import holidays
from django.utils.translation import gettext_lazy as _

Source = Literal["override", "chinese_calendar", "holidays"]

SOURCE_OVERRIDE: Final = "override"
SOURCE_CHINESE_CALENDAR: Final = "chinese_calendar"
SOURCE_HOLIDAYS: Final = "holidays"

#: Human explanation of each source, for the UI (e.g. a tooltip on a day in the plan calendar).
SOURCE_LABELS: Final = {
    SOURCE_OVERRIDE: _("Set by the store"),
    SOURCE_CHINESE_CALENDAR: _("Official holiday arrangement"),
    SOURCE_HOLIDAYS: _("Estimated from statutory holidays; make-up working days not yet known"),
}

Overrides = Mapping[date, bool] | None


class MonthWeek(NamedTuple):
    """One ISO week (Monday start) as it falls inside a month."""

    iso_year: int
    iso_week: int
    days: tuple[date, ...]  # only the dates of that month, in order


def _check_date(day: object) -> date:
    # datetime is a subclass of date; a UTC datetime's .date() can be the wrong local day, and a
    # datetime key never matches a date key in the overrides, so refuse it outright.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(
            f"expected a datetime.date, got {type(day).__name__}; "
            "convert with django.utils.timezone.localdate() first"
        )
    return day


@functools.lru_cache(maxsize=64)
def _china_holidays(year: int) -> holidays.HolidayBase:
    """The ``holidays`` China public holidays of one year (built once per year)."""
    return holidays.country_holidays("CN", years=year)


def _fallback_is_workday(day: date) -> bool:
    cn = _china_holidays(day.year)
    # Only days the package itself lists for this year; the set also carries other years.
    if day in getattr(cn, "weekend_workdays", ()):
        return True
    return day.weekday() < 5 and day not in cn


def _status(day: date, overrides: Overrides) -> tuple[bool, Source]:
    _check_date(day)
    if overrides:
        value = overrides.get(day)
        if value is not None:
            return bool(value), SOURCE_OVERRIDE
    try:
        return bool(chinese_calendar.is_workday(day)), SOURCE_CHINESE_CALENDAR
    except NotImplementedError:
        return _fallback_is_workday(day), SOURCE_HOLIDAYS


def is_workday(day: date, overrides: Overrides = None) -> bool:
    """Whether ``day`` is a working day: override, else chinese_calendar, else ``holidays``."""
    return _status(day, overrides)[0]


def source_for(day: date, overrides: Overrides = None) -> Source:
    """Where ``day``'s status comes from: ``"override"``, ``"chinese_calendar"`` or ``"holidays"``.

    Without ``overrides`` it is never ``"override"``. See ``SOURCE_LABELS`` for display text.
    """
    return _status(day, overrides)[1]


def _days(start: date, end: date):
    # Ordinals rather than repeated timedelta addition: no OverflowError near date.max.
    for ordinal in range(start.toordinal(), end.toordinal() + 1):
        yield date.fromordinal(ordinal)


def workdays_between(start: date, end: date, overrides: Overrides = None) -> list[date]:
    """The working days from ``start`` to ``end``, both inclusive, in order.

    An empty list when ``end`` is before ``start`` (like ``range``).
    """
    _check_date(start)
    _check_date(end)
    return [day for day in _days(start, end) if is_workday(day, overrides)]


def count_workdays(start: date, end: date, overrides: Overrides = None) -> int:
    """How many working days from ``start`` to ``end``, both inclusive (0 if ``end < start``)."""
    return len(workdays_between(start, end, overrides))


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)


def workdays_in_month(year: int, month: int, overrides: Overrides = None) -> list[date]:
    """The working days of one calendar month, in order."""
    first, last = _month_bounds(year, month)
    return workdays_between(first, last, overrides)


def weeks_of_month(year: int, month: int) -> list[MonthWeek]:
    """The ISO weeks (Monday start) that touch the month, each with that month's dates in it.

    The first and last weeks are usually partial: a week that straddles two months appears in both
    months, each time with only its own month's dates, so weekly targets per month stay exact.
    """
    first, last = _month_bounds(year, month)
    weeks: list[MonthWeek] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        sunday = monday + timedelta(days=6)
        iso_year, iso_week, _weekday = monday.isocalendar()
        days = tuple(_days(max(monday, first), min(sunday, last)))
        weeks.append(MonthWeek(iso_year, iso_week, days))
        monday += timedelta(days=7)
    return weeks
