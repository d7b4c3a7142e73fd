"""The proposed week plan: pure slotting and choosing, then the page and accepting it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.planning import weekplan
from dealerplan.planning.models import WorkdayOverride
from dealerplan.planning.weekplan import CALL, VISIT, Candidate, propose_week
from tests.factories import ActivityFactory, CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Sunday 29 November 2026, evening: "next week" is 2026-W49, Monday 30 Nov to Sunday 6 Dec.
NOW = datetime.datetime(2026, 11, 29, 20, 0, tzinfo=SHANGHAI)
MONDAY = datetime.date(2026, 11, 30)
WEEK = [MONDAY + datetime.timedelta(days=i) for i in range(5)]


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


# --- pure functions --------------------------------------------------------------------------


def test_call_slots_are_six_minutes_apart_from_nine_and_before_noon():
    slots = weekplan.call_slots(30)
    assert slots[0] == datetime.time(9, 0)
    assert slots[1] == datetime.time(9, 6)
    assert slots[-1] == datetime.time(11, 54)
    assert all(slot < datetime.time(12, 0) for slot in weekplan.call_slots(200))


def test_visit_slots_run_from_two_to_half_past_five():
    slots = weekplan.visit_slots()
    assert slots[0] == datetime.time(14, 0)
    assert all(datetime.time(14, 0) <= s <= datetime.time(17, 30) for s in slots)
    assert len(slots) == 5


def test_visits_per_week_are_spread_evenly_over_the_days():
    assert weekplan.visits_per_day(12, 5) == [3, 3, 2, 2, 2]
    assert weekplan.visits_per_day(40, 5) == [5, 5, 5, 5, 5]  # capped by afternoon slots


def test_overdue_hot_leads_come_before_due_ones_tier_visits_and_old_leads():
    day = WEEK[0]
    cands = [
        Candidate(1, level="C", last_contact_at=datetime.datetime(2026, 1, 1)),
        Candidate(2, level="B", due_on=day),
        Candidate(3, level="H", due_on=day - datetime.timedelta(days=3)),
        Candidate(4, level="A", due_on=day - datetime.timedelta(days=3)),
        Candidate(5, level="B", tier="vip", visit_every_days=30),
    ]
    days = propose_week(days=[day], candidates=cands, calls_per_day=10, visits_per_week=0)
    assert [item.candidate.customer_id for item in days[0].calls] == [3, 4, 2, 5, 1]
    assert [item.reason for item in days[0].calls[:3]] == ["overdue", "overdue", "due"]


def test_a_customer_due_later_in_the_week_waits_for_that_day():
    later = Candidate(1, level="H", due_on=WEEK[2])
    days = propose_week(days=WEEK, candidates=[later], calls_per_day=5, visits_per_week=0)
    assert [len(d.calls) for d in days] == [0, 0, 1, 0, 0]


def test_lost_customers_and_excluded_ones_are_never_proposed():
    cands = [Candidate(1, level="F", due_on=WEEK[0]), Candidate(2, level="H", due_on=WEEK[0])]
    days = propose_week(
        days=WEEK, candidates=cands, calls_per_day=5, visits_per_week=5, exclude={2}
    )
    assert all(not d.items for d in days)


def test_a_day_of_visits_stays_in_one_or_two_neighbouring_districts():
    def vip(pk, district, lat, lon):
        return Candidate(
            pk, tier="vip", visit_every_days=30, district=district, latitude=lat, longitude=lon
        )

    ranked = [
        vip(1, "朝阳区", 39.92, 116.48),
        vip(2, "大兴区", 39.73, 116.34),
        vip(3, "东城区", 39.93, 116.42),
        vip(4, "朝阳区", 39.95, 116.50),
        vip(5, "大兴区", 39.72, 116.33),
        vip(6, "东城区", 39.92, 116.41),
    ]
    chosen = weekplan.choose_visits(ranked, 4)
    # 朝阳 first (best candidate), then the nearest district 东城 rather than far-off 大兴.
    assert {c.district for c in chosen} == {"朝阳区", "东城区"}
    assert chosen[0].customer_id == 1


def test_nearest_neighbour_order_visits_the_closest_next():
    a = Candidate(1, latitude=0.0, longitude=0.0)
    far = Candidate(2, latitude=0.0, longitude=1.0)
    near = Candidate(3, latitude=0.0, longitude=0.1)
    nowhere = Candidate(4)
    assert [c.customer_id for c in weekplan.nearest_neighbour_order([a, far, near, nowhere])] == [
        1,
        3,
        2,
        4,
    ]


candidate_strategy = st.builds(
    Candidate,
    customer_id=st.integers(1, 60),
    level=st.sampled_from(["H", "A", "B", "C", "O", "D", "F"]),
    tier=st.sampled_from(["vip", "tier1", "tier2", "other"]),
    district=st.sampled_from(["", "朝阳区", "海淀区", "东城区", "大兴区"]),
    latitude=st.one_of(st.none(), st.floats(39.5, 40.5)),
    longitude=st.one_of(st.none(), st.floats(116.0, 117.0)),
    due_on=st.one_of(st.none(), st.dates(MONDAY - datetime.timedelta(days=20), WEEK[-1])),
    last_visit_on=st.one_of(st.none(), st.dates(MONDAY - datetime.timedelta(days=120), MONDAY)),
    visit_every_days=st.sampled_from([None, 30, 60]),
)


@settings(max_examples=150, deadline=None)
@given(
    candidates=st.lists(candidate_strategy, max_size=60, unique_by=lambda c: c.customer_id),
    days=st.lists(st.sampled_from(WEEK), max_size=5, unique=True),
    calls_per_day=st.integers(0, 40),
    visits_per_week=st.integers(0, 30),
    exclude=st.sets(st.integers(1, 60), max_size=10),
)
def test_a_proposal_never_double_books_and_keeps_to_hours_quotas_and_days(
    candidates, days, calls_per_day, visits_per_week, exclude
):
    proposal = propose_week(
        days=days,
        candidates=candidates,
        calls_per_day=calls_per_day,
        visits_per_week=visits_per_week,
        exclude=exclude,
    )
    items = [item for day in proposal for item in day.items]
    slots = [(item.day, item.time) for item in items]
    assert len(slots) == len(set(slots))  # no slot booked twice
    ids = [item.candidate.customer_id for item in items]
    assert len(ids) == len(set(ids))  # nobody twice in the week
    assert not set(ids) & exclude
    assert all(item.candidate.level != "F" for item in items)
    assert {item.day for item in items} <= set(days)  # only the given working days
    assert all(item.time < datetime.time(12) for item in items if item.kind == CALL)
    assert all(
        datetime.time(14) <= item.time <= datetime.time(17, 30)
        for item in items
        if item.kind == VISIT
    )
    assert all(len(day.calls) <= calls_per_day for day in proposal)
    assert sum(len(day.visits) for day in proposal) <= visits_per_week
    assert all(len(day.districts) <= 2 for day in proposal)


def test_parse_week_accepts_iso_weeks_only():
    assert weekplan.parse_week("2026-W49") == (2026, 49)
    assert weekplan.parse_week("2026-w05") == (2026, 5)
    assert weekplan.parse_week("2026-W54") is None
    assert weekplan.parse_week("next") is None
    assert weekplan.default_week(datetime.date(2026, 11, 29)) == (2026, 49)


# --- database and pages ----------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def week_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('planning:week_plan')}?{query}"


def proposed_ids(plan):
    return {item.candidate.customer_id for day in plan.days for item in day.items}


@pytest.mark.django_db
def test_the_plan_skips_lost_archived_and_already_planned_customers(personas, frozen):
    me = personas.consultant
    due = CustomerFactory(owner=me, intention_level="H", next_follow_up_at=at(MONDAY))
    lost = CustomerFactory(owner=me, intention_level="F", next_follow_up_at=at(MONDAY))
    archived = CustomerFactory(owner=me, is_archived=True, next_follow_up_at=at(MONDAY))
    planned = CustomerFactory(owner=me, intention_level="A", next_follow_up_at=at(MONDAY))
    ActivityFactory(
        customer=planned, status=ActivityStatus.PLANNED, done_at=None, planned_at=at(WEEK[3])
    )
    others = CustomerFactory(owner=personas.colleague, next_follow_up_at=at(MONDAY))
    plan = weekplan.build_week_plan(me, me, 2026, 49)
    ids = proposed_ids(plan)
    assert due.pk in ids
    assert not ids & {lost.pk, archived.pk, planned.pk, others.pk}
    assert plan.already_planned == 1


@pytest.mark.django_db
def test_a_vip_not_visited_for_a_month_gets_an_afternoon_visit(personas, frozen):
    me = personas.consultant
    vip = CustomerFactory(owner=me, account_tier="vip", intention_level="D", district="朝阳区")
    ActivityFactory(
        customer=vip, kind=ActivityKind.VISIT, done_at=at(MONDAY) - datetime.timedelta(days=45)
    )
    recent = CustomerFactory(owner=me, account_tier="vip", intention_level="D")
    ActivityFactory(
        customer=recent, kind=ActivityKind.VISIT, done_at=at(MONDAY) - datetime.timedelta(days=3)
    )
    plan = weekplan.build_week_plan(me, me, 2026, 49)
    visits = [item for day in plan.days for item in day.visits]
    assert [item.candidate.customer_id for item in visits] == [vip.pk]
    assert visits[0].time >= datetime.time(14)
    assert recent.pk not in proposed_ids(plan)


@pytest.mark.django_db
def test_only_working_days_are_planned_including_a_store_day_off(personas, frozen):
    me = personas.consultant
    WorkdayOverride.objects.create(store=personas.store, date=WEEK[2], is_workday=False)
    for _i in range(3):
        CustomerFactory(owner=me, intention_level="B")
    plan = weekplan.build_week_plan(me, me, 2026, 49)
    assert [d.day for d in plan.days] == [WEEK[0], WEEK[1], WEEK[3], WEEK[4]]


@pytest.mark.django_db
def test_the_page_shows_the_proposal_by_day(personas, login, frozen):
    me = personas.consultant
    CustomerFactory(owner=me, name="张急客", intention_level="H", next_follow_up_at=at(MONDAY))
    response = login(me).get(reverse("planning:week_plan"))
    assert response.status_code == 200
    assert "2026-W49" in response.text
    assert "张急客" in response.text
    assert "09:00" in response.text


@pytest.mark.django_db
def test_the_page_keeps_a_fixed_number_of_queries(personas, login, frozen):
    me = personas.consultant
    client = login(me)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(week_url(week="2026-W49")).status_code == 200
        return len(ctx)

    CustomerFactory(owner=me, intention_level="H", next_follow_up_at=at(MONDAY))
    few = count()
    for i in range(15):
        customer = CustomerFactory(
            owner=me,
            intention_level="A",
            account_tier="vip" if i % 3 == 0 else "other",
            district="海淀区",
            next_follow_up_at=at(MONDAY),
        )
        ActivityFactory(
            customer=customer,
            kind=ActivityKind.VISIT,
            done_at=at(MONDAY, 9) - datetime.timedelta(days=90),
        )
    assert count() == few


@pytest.mark.django_db
def test_a_consultant_asking_for_a_colleague_gets_404(personas, login, frozen):
    client = login(personas.consultant)
    assert client.get(week_url(consultant=personas.colleague.pk)).status_code == 404
    assert client.get(week_url(consultant="x")).status_code == 404


@pytest.mark.django_db
def test_a_manager_views_a_consultant_of_the_store_but_not_of_another(personas, login, frozen):
    CustomerFactory(owner=personas.consultant, name="李客户", next_follow_up_at=at(MONDAY))
    client = login(personas.sales_manager)
    response = client.get(week_url(consultant=personas.consultant.pk))
    assert response.status_code == 200
    assert "李客户" in response.text
    assert "disabled" in response.text  # a manager cannot accept for the consultant
    assert client.get(week_url(consultant=personas.other_consultant.pk)).status_code == 404
    other = login(personas.other_manager)
    assert other.get(week_url(consultant=personas.consultant.pk)).status_code == 404


@pytest.mark.django_db
def test_accepting_plans_the_ticked_items_in_one_go(personas, login, frozen):
    me = personas.consultant
    first = CustomerFactory(owner=me, intention_level="H", next_follow_up_at=at(MONDAY))
    second = CustomerFactory(owner=me, intention_level="A", next_follow_up_at=at(MONDAY))
    plan = weekplan.build_week_plan(me, me, 2026, 49)
    keys = [item.key for day in plan.days for item in day.items]
    chosen = [k for k in keys if k.startswith(f"{first.pk}|")]
    response = login(me).post(
        reverse("planning:week_plan"), {"week": "2026-W49", "item": chosen}, follow=True
    )
    assert response.status_code == 200
    planned = Activity.objects.filter(owner=me, status=ActivityStatus.PLANNED)
    assert list(planned.values_list("customer", flat=True)) == [first.pk]
    assert timezone_local(planned.get().planned_at) == datetime.datetime(2026, 11, 30, 9, 0)
    assert second.pk not in planned.values_list("customer", flat=True)
    # Accepting again is refused rather than doubling the diary.
    again = login(me).post(
        reverse("planning:week_plan"), {"week": "2026-W49", "item": chosen}, follow=True
    )
    assert "已" in again.text or "Already" in again.text
    assert planned.count() == 1


def timezone_local(moment):
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


@pytest.mark.django_db
def test_one_item_in_the_past_plans_nothing_and_says_why(personas, login):
    me = personas.consultant
    first = CustomerFactory(owner=me, name="赵甲", intention_level="H")
    second = CustomerFactory(owner=me, name="钱乙", intention_level="H")
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, 30, tzinfo=SHANGHAI), tick=False):
        response = login(me).post(
            reverse("planning:week_plan"),
            {
                "week": "2026-W49",
                "item": [f"{first.pk}|call|2026-12-02T09:00", f"{second.pk}|call|2026-12-01T09:00"],
            },
            follow=True,
        )
    assert not Activity.objects.filter(owner=me).exists()
    assert "钱乙" in response.text
    assert "未安排" in response.text or "Nothing was planned" in response.text


@pytest.mark.django_db
def test_accepting_someone_elses_customer_plans_nothing(personas, login, frozen):
    mine = CustomerFactory(owner=personas.consultant)
    theirs = CustomerFactory(owner=personas.colleague)
    login(personas.consultant).post(
        reverse("planning:week_plan"),
        {
            "week": "2026-W49",
            "item": [f"{mine.pk}|call|2026-11-30T09:00", f"{theirs.pk}|call|2026-11-30T09:06"],
        },
    )
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_a_manager_cannot_accept_into_a_diary(personas, login, frozen):
    customer = CustomerFactory(owner=personas.consultant)
    response = login(personas.sales_manager).post(
        reverse("planning:week_plan"),
        {"week": "2026-W49", "item": [f"{customer.pk}|call|2026-11-30T09:00"]},
    )
    assert response.status_code == 403
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_the_page_speaks_english_when_asked(personas, client, login, frozen):
    login(personas.consultant)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("planning:week_plan"))
    assert "Week plan" in response.text


def test_an_account_due_a_visit_waits_for_an_afternoon_rather_than_a_call():
    vips = [
        Candidate(pk, tier="vip", visit_every_days=30, district=district)
        for pk, district in ((1, "朝阳区"), (2, "海淀区"), (3, "大兴区"))
    ]
    days = propose_week(days=WEEK[:2], candidates=vips, calls_per_day=10, visits_per_week=4)
    assert [item.kind for item in days[0].items] == [VISIT, VISIT]  # two districts on Monday
    assert [item.kind for item in days[1].items] == [VISIT]
