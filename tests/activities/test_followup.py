"""The follow-up rhythm: pure date arithmetic."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.activities.followup import Rhythm, next_follow_up

SH = ZoneInfo("Asia/Shanghai")
AT = datetime.datetime(2026, 11, 16, 15, 30, tzinfo=SH)  # a Monday afternoon


@pytest.mark.parametrize(("level", "days"), [("H", 2), ("A", 7), ("B", 14), ("C", 30), ("O", 7)])
def test_default_interval_per_level_lands_at_ten_in_the_morning(level, days):
    due = next_follow_up(level=level, tier="other", contacted_at=AT)
    assert due == datetime.datetime(2026, 11, 16, 10, 0, tzinfo=SH) + datetime.timedelta(days=days)


@pytest.mark.parametrize("level", ["F", "D"])
def test_lost_and_plain_owners_have_no_automatic_follow_up(level):
    assert next_follow_up(level=level, tier="other", contacted_at=AT) is None


def test_vip_owner_is_visited_monthly_and_tier_one_every_two_months():
    assert next_follow_up(level="D", tier="vip", contacted_at=AT).date() == datetime.date(
        2026, 12, 16
    )
    assert next_follow_up(level="D", tier="tier1", contacted_at=AT).date() == datetime.date(
        2027, 1, 15
    )
    assert next_follow_up(level="D", tier="tier2", contacted_at=AT) is None


def test_the_nearer_of_level_and_tier_wins():
    assert next_follow_up(level="C", tier="vip", contacted_at=AT).date() == datetime.date(
        2026, 12, 16
    )
    assert next_follow_up(level="H", tier="vip", contacted_at=AT).date() == datetime.date(
        2026, 11, 18
    )


def test_store_rhythm_overrides_defaults():
    rhythm = Rhythm(level_days={"H": 1, "A": 3, "B": 10, "C": 20, "O": 5})
    assert next_follow_up(level="A", tier="other", contacted_at=AT, rhythm=rhythm).date() == (
        datetime.date(2026, 11, 19)
    )


def test_a_late_evening_contact_counts_on_its_local_day():
    late = datetime.datetime(2026, 11, 16, 23, 50, tzinfo=SH)  # 15:50 UTC, same local day
    assert next_follow_up(level="H", tier="other", contacted_at=late).date() == datetime.date(
        2026, 11, 18
    )


@settings(max_examples=200, derandomize=True)
@given(
    contacted=st.datetimes(
        min_value=datetime.datetime(2020, 1, 1),
        max_value=datetime.datetime(2035, 1, 1),
        timezones=st.just(datetime.UTC),
    ),
    level=st.sampled_from("HABCO"),
    tier=st.sampled_from(["vip", "tier1", "tier2", "other"]),
    days=st.lists(st.integers(min_value=1, max_value=120), min_size=5, max_size=5),
)
def test_next_follow_up_is_always_later_on_a_whole_day_at_ten(contacted, level, tier, days):
    rhythm = Rhythm(level_days=dict(zip("HABCO", days, strict=True)))
    due = next_follow_up(level=level, tier=tier, contacted_at=contacted, rhythm=rhythm)
    assert due > contacted
    assert due.astimezone(SH).time() == datetime.time(10, 0)
    interval = rhythm.interval(level, tier)
    assert (due.astimezone(SH).date() - contacted.astimezone(SH).date()).days == interval
