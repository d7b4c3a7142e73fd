"""Funnel back-calculation on hand-computed figures, and rates measured from a built month."""

import dataclasses
import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from dealerplan.activities.choices import ActivityKind, ActivityStatus, Outcome, TrafficKind
from dealerplan.orders.choices import OrderStatus
from dealerplan.planning.funnel import (
    DEFAULT_RATES,
    RATE_NAMES,
    Need,
    Rates,
    back_calculate,
    compare_to_quota,
    measure_rates,
    months_back,
)
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    SalesOrderFactory,
    TrafficEntryFactory,
)

D = Decimal
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

MEASURED = Rates(
    traffic_to_card=D("0.8"),
    card_to_test_drive=D("0.4"),
    test_drive_to_order=D("0.25"),
    order_to_delivery=D("1"),
    call_to_appointment=D("0.1"),
    appointment_show=D("0.75"),
)


# -- back_calculate -----------------------------------------------------------------------------


def test_ten_units_at_the_default_rates():
    # orders       ⌈10 / 0.95⌉  = ⌈10.53⌉  = 11
    # test drives  ⌈11 / 0.3⌉   = ⌈36.67⌉  = 37
    # cards        ⌈37 / 0.5⌉   = 74
    # traffic      ⌈74 / 0.6⌉   = ⌈123.33⌉ = 124
    # appointments ⌈124 / 0.7⌉  = ⌈177.14⌉ = 178
    # calls        ⌈178 / 0.08⌉ = 2225
    # per day      ⌈2225 / 22⌉  = ⌈101.14⌉ = 102;  per week ⌈124 / 4.4⌉ = ⌈28.18⌉ = 29
    need = back_calculate(10, DEFAULT_RATES, workdays=22, weeks=D("4.4"))
    assert need == Need(
        unit_goal=10,
        orders=11,
        test_drives=37,
        cards=74,
        traffic=124,
        walk_in_traffic=0,
        appointments=178,
        calls=2225,
        workdays=22,
        weeks=D("4.4"),
        calls_per_day=102,
        visits_per_week=29,
    )


def test_walk_in_traffic_is_not_booked_by_phone():
    # same funnel down to 124 visits; 100 walk in by themselves, 24 must be booked:
    # appointments ⌈24 / 0.7⌉ = ⌈34.29⌉ = 35; calls ⌈35 / 0.08⌉ = ⌈437.5⌉ = 438;
    # per day ⌈438 / 22⌉ = ⌈19.91⌉ = 20
    need = back_calculate(10, DEFAULT_RATES, workdays=22, weeks=D("4.4"), walk_in_traffic=100)
    assert (need.traffic, need.appointments, need.calls, need.calls_per_day) == (124, 35, 438, 20)
    # More walk-ins than the goal needs: nothing to book.
    plenty = back_calculate(10, DEFAULT_RATES, workdays=22, weeks=D("4.4"), walk_in_traffic=500)
    assert (plenty.appointments, plenty.calls, plenty.calls_per_day) == (0, 0, 0)


def test_exact_steps_are_not_rounded_up():
    # orders 4 / 1 = 4; test drives 4 / 0.25 = 16; cards 16 / 0.4 = 40; traffic 40 / 0.8 = 50;
    # appointments ⌈50 / 0.75⌉ = ⌈66.67⌉ = 67; calls 67 / 0.1 = 670;
    # per day ⌈670 / 21⌉ = ⌈31.9⌉ = 32; per week ⌈50 / 4.2⌉ = ⌈11.9⌉ = 12
    need = back_calculate(4, MEASURED, workdays=21, weeks=D("4.2"))
    assert (need.orders, need.test_drives, need.cards, need.traffic) == (4, 16, 40, 50)
    assert (need.appointments, need.calls) == (67, 670)
    assert (need.calls_per_day, need.visits_per_week) == (32, 12)


def test_a_zero_goal_needs_nothing():
    need = back_calculate(0, DEFAULT_RATES, workdays=22, weeks=D("4.4"))
    assert (need.orders, need.traffic, need.calls, need.calls_per_day) == (0, 0, 0, 0)
    assert compare_to_quota(need) == []


@pytest.mark.parametrize(
    ("goal", "kwargs"),
    [
        (-1, {"workdays": 22, "weeks": D("4.4")}),
        (10, {"workdays": 0, "weeks": D("4.4")}),
        (10, {"workdays": 22, "weeks": D(0)}),
        (10, {"workdays": 22, "weeks": D("4.4"), "walk_in_traffic": -1}),
    ],
)
def test_impossible_inputs_are_refused(goal, kwargs):
    with pytest.raises(ValueError):
        back_calculate(goal, DEFAULT_RATES, **kwargs)


@pytest.mark.parametrize("value", [D(0), D("1.01"), D("-0.1")])
def test_a_rate_outside_zero_to_one_is_refused(value):
    with pytest.raises(ValueError, match="traffic_to_card"):
        dataclasses.replace(DEFAULT_RATES, traffic_to_card=value)


def test_a_float_rate_is_refused():
    with pytest.raises(TypeError):
        dataclasses.replace(DEFAULT_RATES, appointment_show=0.7)


rate_values = st.integers(min_value=1, max_value=100).map(lambda n: D(n) / 100)


@given(
    rates=st.builds(Rates, **{name: rate_values for name in RATE_NAMES}),
    goals=st.lists(st.integers(min_value=0, max_value=500), min_size=2, max_size=2),
    walk_ins=st.integers(min_value=0, max_value=300),
    workdays=st.integers(min_value=1, max_value=26),
)
def test_a_bigger_goal_never_needs_less(rates, goals, walk_ins, workdays):
    small, big = sorted(goals)
    weeks = D(workdays) / 5
    a = back_calculate(small, rates, workdays=workdays, weeks=weeks, walk_in_traffic=walk_ins)
    b = back_calculate(big, rates, workdays=workdays, weeks=weeks, walk_in_traffic=walk_ins)
    for name in ("orders", "test_drives", "cards", "traffic", "appointments", "calls"):
        assert getattr(a, name) <= getattr(b, name)
    assert a.calls_per_day <= b.calls_per_day
    assert a.visits_per_week <= b.visits_per_week
    assert b.orders >= big  # every step needs at least as many inputs as outputs


# -- compare_to_quota ---------------------------------------------------------------------------


def test_ten_units_at_default_rates_are_beyond_both_quotas():
    # calls: 2225 needed; 30 × 22 = 660 → 102 a day, 72 short a day, 2225 - 660 = 1565 a month
    # visits: 124 needed; 20 × 4.4 = 88 → 29 a week, 9 short a week, 124 - 88 = 36 a month
    need = back_calculate(10, DEFAULT_RATES, workdays=22, weeks=D("4.4"))
    calls, visits = compare_to_quota(need, calls_per_day=30, visits_per_week=20)
    assert (calls.code, calls.needed, calls.quota, calls.short, calls.month_short) == (
        "calls",
        102,
        30,
        72,
        1565,
    )
    assert (visits.code, visits.needed, visits.quota, visits.short, visits.month_short) == (
        "visits",
        29,
        20,
        9,
        36,
    )


def test_only_the_short_quota_is_warned_about():
    # calls 670 > 30 × 21 = 630: 32 a day, 2 short, 40 over the month
    # visits 50 ≤ 20 × 4.2 = 84: enough
    need = back_calculate(4, MEASURED, workdays=21, weeks=D("4.2"))
    [warning] = compare_to_quota(need, workdays=21, weeks=D("4.2"))
    assert (warning.code, warning.needed, warning.short, warning.month_short) == (
        "calls",
        32,
        2,
        40,
    )


def test_a_need_exactly_at_the_quota_is_not_warned_about():
    need = dataclasses.replace(
        back_calculate(4, MEASURED, workdays=22, weeks=D("4.4")), calls=660, traffic=88
    )
    assert compare_to_quota(need, calls_per_day=30, visits_per_week=20) == []
    one_more = dataclasses.replace(need, calls=661, traffic=89)
    calls, visits = compare_to_quota(one_more, calls_per_day=30, visits_per_week=20)
    assert (calls.needed, calls.short, calls.month_short) == (31, 1, 1)  # ⌈661 / 22⌉ = 31
    assert (visits.needed, visits.short, visits.month_short) == (21, 1, 1)  # ⌈89 / 4.4⌉ = 21


def test_a_store_with_its_own_quota_is_compared_with_it():
    need = back_calculate(4, MEASURED, workdays=21, weeks=D("4.2"))  # 670 calls
    assert compare_to_quota(need, calls_per_day=40) == []  # 40 × 21 = 840


def test_warning_messages_read_in_the_users_language():
    need = back_calculate(10, DEFAULT_RATES, workdays=22, weeks=D("4.4"))
    calls, visits = compare_to_quota(need)
    assert calls.message == (
        "完成目标每天需要打 102 个电话，每天 30 个的指标还差 72 个（全月差 1565 个电话）。"
    )
    assert "29" in str(visits) and "36" in str(visits)
    with translation.override("en"):
        assert calls.message == (
            "The goal needs 102 calls a day; the quota of 30 a day is 72 short "
            "(1565 calls over the month)."
        )
        assert str(visits) == (
            "The goal needs 29 customer visits a week; the quota of 20 a week is 9 short "
            "(36 visits over the month)."
        )


# -- measure_rates ------------------------------------------------------------------------------


def local(month, day, hour=10, minute=0):
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = local(5, 10, 12)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def test_months_back_covers_whole_months_before_today():
    assert months_back(datetime.date(2026, 5, 10), 3) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 5, 1),
    )
    assert months_back(datetime.date(2026, 1, 31), 1) == (
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
    )
    assert months_back(datetime.date(2026, 2, 1), 14) == (
        datetime.date(2024, 12, 1),
        datetime.date(2026, 2, 1),
    )
    with pytest.raises(ValueError):
        months_back(TODAY, 0)


@pytest.fixture
def april(personas):
    """April 2026 in the consultant's store, with noise that must not count.

    traffic → card: 40 first-time walk-ins (F); 30 carry a card opened in April → 30/40 = 0.75
    card → test drive: 50 cards opened in April (those 30 plus 20 phone leads); test drives:
        13 phone leads with a done test-drive activity (one of them drove twice),
        2 walk-in customers with both an activity and the walk-in "test drive" flag (once each),
        3 walk-in customers with the flag only, and 2 anonymous walk-ins with the flag
        → 13 + 2 + 3 + 2 = 20; 20/50 = 0.4
    test drive → order: 5 orders dated April (not draft) / 20 test drives = 0.25
    order → delivery: only 3 settled orders (2 delivered, 1 cancelled) < 20 → default 0.95
    call → appointment: 200 done calls, 20 of them "appointment made" → 0.1
    show: of the 20 booked customers (cards from March), 12 walked in (S) within 14 days of
        the call (one on 3 May, after the period) and 3 had a done reception; 5 did not come
        (walked in before the call, 15 days after it, a reception only planned, nothing, and
        a colleague's customer coming instead) → 15/20 = 0.75
    """
    store, me = personas.store, personas.consultant

    def card(created, **kwargs):
        return CustomerFactory(owner=me, created_at=created, **kwargs)

    def walk_in(arrived, **kwargs):
        kwargs.setdefault("visit_type", "F")
        return TrafficEntryFactory(
            consultant=me, kind=TrafficKind.WALK_IN, arrived_at=arrived, **kwargs
        )

    def done(customer, kind, when, **kwargs):
        return ActivityFactory(customer=customer, kind=kind, done_at=when, **kwargs)

    walk_in_cards = [card(local(4, 1 + i % 28, 9)) for i in range(30)]
    for i, customer in enumerate(walk_in_cards):
        walk_in(local(4, 1 + i % 28, 10), customer=customer, test_drive=i < 5)
    for customer in walk_in_cards[:2]:
        done(customer, ActivityKind.TEST_DRIVE, local(4, 1, 11))
    walk_in(local(4, 1, 0, 5))  # anonymous, just after midnight on 1 April: counts
    for i in range(9):
        walk_in(local(4, 2 + i, 15), test_drive=i < 2)

    phone_leads = [card(local(4, 1 + i, 9), source="phone_in") for i in range(20)]
    for customer in phone_leads[:13]:
        done(customer, ActivityKind.TEST_DRIVE, local(4, 20, 14))
    done(phone_leads[0], ActivityKind.TEST_DRIVE, local(4, 25, 14))  # drove twice: once
    ActivityFactory(
        customer=phone_leads[13],
        kind=ActivityKind.TEST_DRIVE,
        status=ActivityStatus.PLANNED,
        done_at=None,
        planned_at=local(4, 28, 10),
    )
    done(phone_leads[14], ActivityKind.TEST_DRIVE, local(3, 31, 23, 50))  # March: no

    for status in ("confirmed", "confirmed", "delivered", "delivered", "cancelled"):
        SalesOrderFactory(
            customer=phone_leads[0], status=status, order_date=datetime.date(2026, 4, 15)
        )
    SalesOrderFactory(  # a draft is not an order yet
        customer=phone_leads[1], status=OrderStatus.DRAFT, order_date=datetime.date(2026, 4, 8)
    )
    for day in (datetime.date(2026, 3, 31), datetime.date(2026, 5, 1)):
        SalesOrderFactory(customer=phone_leads[1], status=OrderStatus.DELIVERED, order_date=day)

    booked = [card(local(3, 1 + i, 9)) for i in range(20)]
    for i, customer in enumerate(booked):
        call_day = 28 if i == 0 else 1 + i
        done(customer, ActivityKind.CALL, local(4, call_day, 9), outcome=Outcome.APPOINTMENT)
    repeat = {"visit_type": "S"}
    walk_in(local(5, 3, 10), customer=booked[0], **repeat)  # after the period, in the window
    walk_in(local(4, 2, 9) + datetime.timedelta(days=13, hours=23), customer=booked[1], **repeat)
    for i in range(2, 12):
        walk_in(local(4, 1 + i + 2, 15), customer=booked[i], **repeat)
    for i in range(12, 15):
        done(booked[i], ActivityKind.RECEPTION, local(4, 1 + i, 16))
    walk_in(local(4, 16, 8), customer=booked[15], **repeat)  # an hour before the 09:00 call
    walk_in(local(5, 2, 10), customer=booked[16], **repeat)  # 15 days after the call
    ActivityFactory(
        customer=booked[17],
        kind=ActivityKind.RECEPTION,
        status=ActivityStatus.PLANNED,
        done_at=None,
        planned_at=local(4, 20, 10),
    )
    # booked[18]: nothing. booked[19] only rang back (a call-in is not a showroom visit) and a
    # colleague's customer came in instead.
    TrafficEntryFactory(
        consultant=me, kind=TrafficKind.CALL_IN, arrived_at=local(4, 21), customer=booked[19]
    )
    walk_in(local(4, 21, 11), customer=CustomerFactory(owner=personas.colleague), **repeat)

    ActivityFactory.create_batch(
        180, customer=phone_leads[19], kind=ActivityKind.CALL, done_at=local(4, 10, 9)
    )
    ActivityFactory(
        customer=phone_leads[19],
        kind=ActivityKind.CALL,
        status=ActivityStatus.PLANNED,
        done_at=None,
        planned_at=local(4, 11, 9),
    )
    done(phone_leads[19], ActivityKind.CALL, local(3, 31, 9), outcome=Outcome.APPOINTMENT)
    done(phone_leads[19], ActivityKind.CALL, local(4, 11, 9), is_archived=True)

    # Another store, archived, or outside April: never counted.
    stranger = personas.other_consultant
    TrafficEntryFactory(consultant=stranger, arrived_at=local(4, 3), test_drive=True)
    CustomerFactory(owner=stranger, created_at=local(4, 3))
    walk_in(local(4, 5), is_archived=True)
    walk_in(local(3, 31, 23, 30))
    walk_in(local(5, 1, 0, 10))
    card(local(4, 9), is_archived=True)
    return store


def test_rates_are_measured_from_the_stores_month(april, django_assert_num_queries):
    with django_assert_num_queries(5):
        rates = measure_rates(april.pk, months=1, today=TODAY)
    assert rates.as_dict() == {
        "order_to_delivery": D("0.95"),  # default: 3 settled orders
        "test_drive_to_order": D("0.25"),  # 5 / 20
        "card_to_test_drive": D("0.4"),  # 20 / 50
        "traffic_to_card": D("0.75"),  # 30 / 40
        "appointment_show": D("0.75"),  # 15 / 20
        "call_to_appointment": D("0.1"),  # 20 / 200
    }
    assert rates.fallbacks == frozenset({"order_to_delivery"})
    assert rates.samples == {
        "traffic_to_card": 40,
        "card_to_test_drive": 50,
        "test_drive_to_order": 20,
        "order_to_delivery": 3,
        "call_to_appointment": 200,
        "appointment_show": 20,
    }
    assert (rates.period_start, rates.period_end) == (
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
    )


def test_a_longer_period_takes_in_the_earlier_months(april):
    # February to April adds the March appointment call (201 calls, 21 appointments) and the
    # March test drive of a card opened in April (21 test drives over 70 cards: the 20 booked
    # customers' cards opened in March join the 50).
    rates = measure_rates(april.pk, months=3, today=TODAY)
    assert rates.samples["call_to_appointment"] == 201
    assert rates.call_to_appointment == D(21) / D(201)
    assert rates.samples["card_to_test_drive"] == 70
    assert rates.samples["test_drive_to_order"] == 21
    assert rates.period_start == datetime.date(2026, 2, 1)


def test_another_store_sees_none_of_it(april, personas):
    rates = measure_rates(personas.other_store.pk, months=1, today=TODAY)
    assert rates.fallbacks == frozenset(RATE_NAMES)


def test_a_store_without_data_gets_the_defaults(personas, django_assert_num_queries):
    with django_assert_num_queries(5):
        rates = measure_rates(personas.store.pk, today=TODAY)
    assert rates.as_dict() == DEFAULT_RATES.as_dict()
    assert rates.fallbacks == frozenset(RATE_NAMES)
    assert set(rates.samples.values()) == {0}


def test_a_zero_rate_falls_back_and_a_rate_above_one_is_capped(personas):
    # 20 cards opened in April, every one test-drove, plus 5 older customers who did:
    # 25 / 20 → capped at 1. No order from 25 test drives: 0 is no basis for a plan → default.
    # 25 calls without a single appointment: 0 → default; no appointments → default show.
    me = personas.consultant
    for i in range(20):
        customer = CustomerFactory(owner=me, created_at=local(4, 1 + i))
        ActivityFactory(customer=customer, kind=ActivityKind.TEST_DRIVE, done_at=local(4, 2 + i))
    for i in range(5):
        customer = CustomerFactory(owner=me, created_at=local(3, 1 + i))
        ActivityFactory(customer=customer, kind=ActivityKind.TEST_DRIVE, done_at=local(4, 2 + i))
    ActivityFactory.create_batch(
        25,
        customer=customer,
        kind=ActivityKind.CALL,
        outcome=Outcome.NO_ANSWER,
        done_at=local(4, 9),
    )
    rates = measure_rates(personas.store.pk, months=1, today=TODAY)
    assert rates.card_to_test_drive == 1
    assert rates.test_drive_to_order == DEFAULT_RATES.test_drive_to_order
    assert rates.call_to_appointment == DEFAULT_RATES.call_to_appointment
    assert rates.fallbacks == frozenset(
        {
            "traffic_to_card",
            "test_drive_to_order",
            "order_to_delivery",
            "call_to_appointment",
            "appointment_show",
        }
    )


def test_measured_rates_feed_the_back_calculation(april):
    # 4 units at the April rates: orders ⌈4 / 0.95⌉ = 5; test drives 5 / 0.25 = 20;
    # cards 20 / 0.4 = 50; traffic ⌈50 / 0.75⌉ = 67; appointments ⌈67 / 0.75⌉ = 90;
    # calls 90 / 0.1 = 900 → ⌈900 / 22⌉ = 41 a day, beyond the 30 (11 short, 240 a month)
    rates = measure_rates(april.pk, months=1, today=TODAY)
    need = back_calculate(4, rates, workdays=22, weeks=D("4.4"))
    assert (need.orders, need.test_drives, need.cards, need.traffic) == (5, 20, 50, 67)
    assert (need.appointments, need.calls, need.calls_per_day) == (90, 900, 41)
    [calls] = compare_to_quota(need)
    assert (calls.code, calls.short, calls.month_short) == ("calls", 11, 240)
