"""Tests for dealerplan.planning.workdays (pure; no database)."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.planning.workdays import (
    SOURCE_LABELS,
    MonthWeek,
    count_workdays,
    is_workday,
    source_for,
    weeks_of_month,
    workdays_between,
    workdays_in_month,
)

DETERMINISTIC = settings(derandomize=True, max_examples=200, database=None, deadline=None)

# Published State Council arrangement for 2026, as chinese_calendar 1.11.0 ships it.
NATIONAL_DAY_2026 = date(2026, 10, 1)
SPRING_FESTIVAL_MAKEUP_SATURDAY_2026 = date(2026, 2, 14)  # 调休上班 before 春节 (Feb 15–23)
NATIONAL_DAY_MAKEUP_SATURDAY_2026 = date(2026, 10, 10)  # 调休上班 after 国庆

# Beyond chinese_calendar: the holidays-package fallback.
NEW_YEAR_2027 = date(2027, 1, 1)
NATIONAL_DAY_2027 = date(2027, 10, 1)
ORDINARY_WEDNESDAY_2027 = date(2027, 3, 10)
ORDINARY_SATURDAY_2027 = date(2027, 3, 13)

dates_2024_2030 = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


# --- the three sources --------------------------------------------------------------------------


def test_national_day_2026_is_not_a_workday():
    assert is_workday(NATIONAL_DAY_2026) is False
    assert source_for(NATIONAL_DAY_2026) == "chinese_calendar"


@pytest.mark.parametrize(
    "day", [SPRING_FESTIVAL_MAKEUP_SATURDAY_2026, NATIONAL_DAY_MAKEUP_SATURDAY_2026]
)
def test_make_up_saturday_2026_from_chinese_calendar_is_a_workday(day):
    assert day.weekday() == 5
    assert is_workday(day) is True
    assert source_for(day) == "chinese_calendar"


def test_spring_festival_2026_weekdays_are_days_off():
    # Tue 2026-02-17 is 春节 (Chinese New Year's Day); Mon 2026-02-23 is still in the break.
    assert is_workday(date(2026, 2, 17)) is False
    assert is_workday(date(2026, 2, 23)) is False


def test_new_year_2027_beyond_chinese_calendar_falls_back_to_holidays_without_crashing():
    assert NEW_YEAR_2027.weekday() == 4  # a Friday: only the holiday rule makes it a day off
    assert is_workday(NEW_YEAR_2027) is False
    assert source_for(NEW_YEAR_2027) == "holidays"


def test_national_day_2027_is_not_a_workday():
    assert is_workday(NATIONAL_DAY_2027) is False
    assert source_for(NATIONAL_DAY_2027) == "holidays"


def test_ordinary_wednesday_2027_is_a_workday():
    assert ORDINARY_WEDNESDAY_2027.weekday() == 2
    assert is_workday(ORDINARY_WEDNESDAY_2027) is True


def test_ordinary_saturday_2027_is_a_day_off_without_override():
    assert is_workday(ORDINARY_SATURDAY_2027) is False


@pytest.mark.parametrize("year", [2027, 2030, 2035, 2050])
def test_unknown_future_year_never_crashes(year):
    days = workdays_in_month(year, 6)
    assert 18 <= len(days) <= 23
    assert {source_for(day) for day in days} == {"holidays"}


def test_override_makes_a_2027_saturday_a_workday():
    overrides = {ORDINARY_SATURDAY_2027: True}
    assert is_workday(ORDINARY_SATURDAY_2027, overrides) is True
    assert source_for(ORDINARY_SATURDAY_2027, overrides) == "override"


def test_override_makes_a_2027_weekday_a_holiday():
    overrides = {ORDINARY_WEDNESDAY_2027: False}
    assert is_workday(ORDINARY_WEDNESDAY_2027, overrides) is False
    assert source_for(ORDINARY_WEDNESDAY_2027, overrides) == "override"


def test_override_wins_over_chinese_calendar():
    overrides = {NATIONAL_DAY_2026: True, SPRING_FESTIVAL_MAKEUP_SATURDAY_2026: False}
    assert is_workday(NATIONAL_DAY_2026, overrides) is True
    assert is_workday(SPRING_FESTIVAL_MAKEUP_SATURDAY_2026, overrides) is False


def test_override_for_another_day_leaves_the_day_to_the_calendar():
    overrides = {ORDINARY_SATURDAY_2027: True}
    assert is_workday(NATIONAL_DAY_2027, overrides) is False
    assert source_for(NATIONAL_DAY_2027, overrides) == "holidays"


def test_override_is_counted_in_month_and_range():
    base = count_workdays(date(2027, 3, 1), date(2027, 3, 31))
    overrides = {
        ORDINARY_SATURDAY_2027: True,
        ORDINARY_WEDNESDAY_2027: False,
        date(2027, 4, 1): True,
    }
    assert count_workdays(date(2027, 3, 1), date(2027, 3, 31), overrides) == base
    assert ORDINARY_SATURDAY_2027 in workdays_in_month(2027, 3, overrides)
    assert ORDINARY_WEDNESDAY_2027 not in workdays_in_month(2027, 3, overrides)


def test_datetime_is_refused_because_its_day_depends_on_the_time_zone():
    with pytest.raises(TypeError, match="localdate"):
        is_workday(datetime(2027, 3, 10, 18, 0))


def test_source_labels_are_translated_for_every_source():
    assert set(SOURCE_LABELS) == {"override", "chinese_calendar", "holidays"}
    with translation.override("en"):
        english = {str(label) for label in SOURCE_LABELS.values()}
    with translation.override("zh-hans"):
        chinese = {str(label) for label in SOURCE_LABELS.values()}
    assert "Set by the store" in english
    assert chinese.isdisjoint(english)


# --- months and ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month"),
    [(2025, 3), (2025, 6), (2026, 3), (2026, 7), (2026, 11), (2027, 3), (2027, 8), (2030, 11)],
)
def test_ordinary_month_has_20_to_23_workdays(year, month):
    assert 20 <= len(workdays_in_month(year, month)) <= 23


@pytest.mark.parametrize(
    ("year", "month", "ordinary_month"),
    [(2026, 10, 11), (2026, 2, 3), (2027, 10, 11), (2027, 2, 3)],
)
def test_national_day_and_spring_festival_months_have_fewer_workdays(year, month, ordinary_month):
    holiday_month = len(workdays_in_month(year, month))
    assert holiday_month < 20
    assert holiday_month < len(workdays_in_month(year, ordinary_month))


def test_workdays_between_is_inclusive_of_both_ends():
    # Mon 2027-03-08 .. Fri 2027-03-12: an ordinary working week.
    days = workdays_between(date(2027, 3, 8), date(2027, 3, 12))
    assert days == [date(2027, 3, 8) + timedelta(days=i) for i in range(5)]
    assert count_workdays(date(2027, 3, 10), date(2027, 3, 10)) == 1


def test_reversed_range_is_empty():
    assert workdays_between(date(2027, 3, 12), date(2027, 3, 8)) == []
    assert count_workdays(date(2027, 3, 12), date(2027, 3, 8)) == 0


def test_range_across_the_chinese_calendar_boundary_mixes_sources():
    days = workdays_between(date(2026, 12, 28), date(2027, 1, 8))
    assert date(2026, 12, 31) in days
    assert NEW_YEAR_2027 not in days
    assert date(2027, 1, 4) in days
    assert {source_for(day) for day in days} == {"chinese_calendar", "holidays"}


def test_invalid_month_is_refused():
    with pytest.raises(ValueError, match="month"):
        workdays_in_month(2027, 13)
    with pytest.raises(ValueError, match="month"):
        weeks_of_month(2027, 0)


# --- weeks --------------------------------------------------------------------------------------


def test_weeks_of_month_are_iso_weeks_starting_monday():
    # March 2027 starts on a Monday and ends on a Wednesday: weeks 9..13, last one partial.
    weeks = weeks_of_month(2027, 3)
    assert [(w.iso_year, w.iso_week) for w in weeks] == [(2027, n) for n in range(9, 14)]
    assert weeks[0].days[0] == date(2027, 3, 1)
    assert len(weeks[0].days) == 7
    assert weeks[-1].days == (date(2027, 3, 29), date(2027, 3, 30), date(2027, 3, 31))


def test_week_straddling_new_year_keeps_its_iso_year():
    # 2027-01-01 is a Friday in ISO week 53 of 2026.
    first = weeks_of_month(2027, 1)[0]
    assert first == MonthWeek(2026, 53, (date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)))


# --- properties ---------------------------------------------------------------------------------


@DETERMINISTIC
@given(start=dates_2024_2030, length=st.integers(min_value=0, max_value=120))
def test_count_workdays_equals_sum_of_is_workday(start, length):
    end = min(start + timedelta(days=length), date(2030, 12, 31))
    expected = sum(is_workday(start + timedelta(days=i)) for i in range((end - start).days + 1))
    assert count_workdays(start, end) == expected


@DETERMINISTIC
@given(a=dates_2024_2030, b=dates_2024_2030)
def test_workdays_between_is_sorted_unique_and_within_range(a, b):
    start, end = min(a, b), max(a, b)
    if (end - start).days > 200:
        end = start + timedelta(days=200)
    days = workdays_between(start, end)
    assert days == sorted(set(days))
    assert all(start <= day <= end for day in days)
    assert all(is_workday(day) for day in days)


@DETERMINISTIC
@given(
    start=dates_2024_2030,
    flips=st.dictionaries(dates_2024_2030, st.booleans(), max_size=10),
)
def test_overrides_are_always_obeyed(start, flips):
    end = start + timedelta(days=60)
    days = set(workdays_between(start, end, flips))
    for day, value in flips.items():
        if start <= day <= end:
            assert (day in days) is value
            assert source_for(day, flips) == "override"


@DETERMINISTIC
@given(year=st.integers(min_value=2024, max_value=2030), month=st.integers(1, 12))
def test_weeks_of_month_cover_every_date_of_the_month_exactly_once(year, month):
    weeks = weeks_of_month(year, month)
    covered = [day for week in weeks for day in week.days]
    first = date(year, month, 1)
    next_month = date(year + month // 12, month % 12 + 1, 1)
    assert covered == [first + timedelta(days=i) for i in range((next_month - first).days)]
    for week in weeks:
        assert week.days
        assert {d.isocalendar()[:2] for d in week.days} == {(week.iso_year, week.iso_week)}
        assert all(d.month == month for d in week.days)
    assert 4 <= len(weeks) <= 6
