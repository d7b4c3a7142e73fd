"""月访客户计划表: VIP monthly, tier 1 every two months, spread over the working days."""

import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.planning import visitplan
from dealerplan.planning.workdays import workdays_in_month
from tests.factories import ActivityFactory, CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 29, 20, 0, tzinfo=SHANGHAI)
DECEMBER = datetime.date(2026, 12, 1)


def at(day, hour=15):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('planning:visit_plan')}?{query}"


def visited(customer, days_ago):
    ActivityFactory(
        customer=customer,
        kind=ActivityKind.VISIT,
        done_at=at(DECEMBER) - datetime.timedelta(days=days_ago),
    )


@given(
    count=st.integers(0, 80),
    days=st.lists(st.dates(DECEMBER, datetime.date(2026, 12, 31)), unique=True, max_size=23),
)
def test_spread_places_everything_evenly_in_order(count, days):
    days = sorted(days)
    placed = visitplan.spread(list(range(count)), days)
    if not days:
        assert placed == []
        return
    assert [item for item, _day in placed] == list(range(count))
    per_day = [sum(1 for _i, d in placed if d == day) for day in days]
    assert max(per_day) - min(per_day) <= 1
    assert [d for _i, d in placed] == sorted(d for _i, d in placed)


def test_a_tier1_account_is_due_after_two_months_by_the_months_end():
    end = datetime.date(2026, 12, 31)
    assert visitplan.tier1_due(None, end, 60)
    assert visitplan.tier1_due(datetime.date(2026, 10, 15), end, 60)
    assert not visitplan.tier1_due(datetime.date(2026, 11, 20), end, 60)


def test_parse_month():
    assert visitplan.parse_month("2026-12") == DECEMBER
    assert visitplan.parse_month("2026-13") is None
    assert visitplan.parse_month("") is None


@pytest.mark.django_db
def test_every_vip_and_the_due_tier1_accounts_are_spread_over_working_days(personas, frozen):
    me = personas.consultant
    vips = [CustomerFactory(owner=me, account_tier="vip", intention_level="D") for _i in range(4)]
    visited(vips[0], 5)  # visited recently, still due once this month
    due_tier1 = CustomerFactory(owner=me, account_tier="tier1")
    visited(due_tier1, 50)
    fresh_tier1 = CustomerFactory(owner=me, account_tier="tier1")
    visited(fresh_tier1, 10)
    CustomerFactory(owner=me, account_tier="tier2")
    CustomerFactory(owner=me, account_tier="vip", intention_level="F")
    plan = visitplan.build_visit_plan(me, DECEMBER)
    rows = plan.rows
    assert {r.customer.pk for r in rows} == {*(v.pk for v in vips), due_tier1.pk}
    workdays = workdays_in_month(2026, 12)
    assert all(r.proposed_on in workdays for r in rows)
    assert len({r.proposed_on for r in rows}) == 5  # five visits on five different days


@pytest.mark.django_db
def test_a_planned_or_done_visit_keeps_its_date(personas, frozen):
    me = personas.consultant
    vip = CustomerFactory(owner=me, account_tier="vip")
    ActivityFactory(
        customer=vip,
        kind=ActivityKind.VISIT,
        status=ActivityStatus.PLANNED,
        done_at=None,
        planned_at=at(datetime.date(2026, 12, 9)),
    )
    row = visitplan.build_visit_plan(me, DECEMBER).rows[0]
    assert row.status == visitplan.STATUS_PLANNED
    assert row.date == datetime.date(2026, 12, 9)


@pytest.mark.django_db
def test_managers_see_their_store_and_never_another_store(personas, login, frozen):
    CustomerFactory(owner=personas.consultant, account_tier="vip", name="本店甲")
    CustomerFactory(owner=personas.colleague, account_tier="vip", name="本店乙")
    CustomerFactory(owner=personas.other_consultant, account_tier="vip", name="外店丙")
    response = login(personas.sales_manager).get(url(month="2026-12"))
    assert "本店甲" in response.text and "本店乙" in response.text
    assert "外店丙" not in response.text
    mine = login(personas.consultant).get(url(month="2026-12"))
    assert "本店甲" in mine.text
    assert "本店乙" not in mine.text and "外店丙" not in mine.text


@pytest.mark.django_db
def test_the_export_has_chinese_headers_and_the_scoped_rows(personas, login, frozen):
    CustomerFactory(owner=personas.consultant, account_tier="vip", name="本店甲")
    CustomerFactory(owner=personas.other_consultant, account_tier="vip", name="外店丙")
    response = login(personas.consultant).get(url(month="2026-12", export="xlsx"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "销售顾问"
    assert [r[2] for r in rows[1:]] == ["本店甲"]


@pytest.mark.django_db
def test_the_page_keeps_a_fixed_number_of_queries(personas, login, frozen):
    client = login(personas.sales_manager)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(month="2026-12")).status_code == 200
        return len(ctx)

    CustomerFactory(owner=personas.consultant, account_tier="vip")
    few = count()
    for i in range(12):
        owner = personas.consultant if i % 2 else personas.colleague
        customer = CustomerFactory(owner=owner, account_tier="vip" if i % 3 else "tier1")
        visited(customer, 70)
    assert count() == few


@pytest.mark.django_db
def test_plan_these_visits_creates_the_missing_ones_at_half_past_two(personas, login, frozen):
    me = personas.consultant
    vips = [CustomerFactory(owner=me, account_tier="vip") for _i in range(3)]
    ActivityFactory(
        customer=vips[0],
        kind=ActivityKind.VISIT,
        status=ActivityStatus.PLANNED,
        done_at=None,
        planned_at=at(datetime.date(2026, 12, 9)),
    )
    client = login(me)
    page = client.get(url(month="2026-12"))
    assert 'name="month"' in page.text  # the button is there
    client.post(reverse("planning:visit_plan"), {"month": "2026-12"})
    planned = Activity.objects.filter(kind=ActivityKind.VISIT, status=ActivityStatus.PLANNED)
    assert planned.count() == 3
    assert {
        a.planned_at.astimezone(SHANGHAI).time() for a in planned.exclude(customer=vips[0])
    } == {datetime.time(14, 30)}
    # Pressing again plans nothing more.
    client.post(reverse("planning:visit_plan"), {"month": "2026-12"})
    assert planned.count() == 3


@pytest.mark.django_db
def test_planning_when_no_working_day_is_left_says_so_and_writes_nothing(personas, login):
    CustomerFactory(owner=personas.consultant, account_tier="vip")
    late = datetime.datetime(2026, 12, 31, 18, 0, tzinfo=SHANGHAI)
    with time_machine.travel(late, tick=False):
        response = login(personas.consultant).post(
            reverse("planning:visit_plan"), {"month": "2026-12"}, follow=True
        )
    assert not Activity.objects.exists()
    assert "未安排" in response.text or "Nothing was planned" in response.text


@pytest.mark.django_db
def test_a_manager_gets_no_plan_button_for_consultants_accounts(personas, login, frozen):
    CustomerFactory(owner=personas.consultant, account_tier="vip")
    client = login(personas.sales_manager)
    assert 'name="month"' not in client.get(url(month="2026-12")).text
    client.post(reverse("planning:visit_plan"), {"month": "2026-12"})
    assert not Activity.objects.exists()
