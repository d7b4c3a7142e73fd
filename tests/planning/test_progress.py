"""Plan vs actual: the month's orders against each consultant's quota, paced by working days."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities.choices import TrafficKind
from dealerplan.planning import services
from dealerplan.planning.progress import month_progress
from tests.factories import SalesOrderFactory, TrafficEntryFactory, UserFactory

NOV = datetime.date(2026, 11, 1)
TODAY = datetime.date(2026, 11, 16)  # Monday: the 11th of November's 21 working days


@pytest.fixture(autouse=True)
def _fresh_funnel_history():
    """The store's measured funnel history is cached; ids repeat between tests."""
    cache.clear()
    yield
    cache.clear()


def plan_november(personas, people):
    preview = services.preview_breakdown(
        personas.store, 2026, {"units": (Decimal(240), Decimal(300))}, consultants=people
    )
    services.save_breakdown(personas.sales_manager, personas.store, 2026, preview)


@pytest.mark.django_db
class TestMonthProgress:
    def test_actuals_from_orders_and_pace_by_working_days(self, personas):
        plan_november(personas, [personas.consultant, personas.colleague])
        for day in (3, 5, 9):
            SalesOrderFactory(
                customer__owner=personas.consultant,
                order_date=datetime.date(2026, 11, day),
                total=Decimal("150000.00"),
                gross_profit=Decimal("6000.00"),
            )
        SalesOrderFactory(
            customer__owner=personas.consultant,
            order_date=datetime.date(2026, 11, 10),
            status="cancelled",
        )
        SalesOrderFactory(
            customer__owner=personas.colleague, order_date=datetime.date(2026, 10, 30)
        )
        progress = month_progress(personas.sales_manager, NOV, TODAY)
        assert (progress.workdays_total, progress.workdays_elapsed) == (21, 11)
        mine = next(r for r in progress.rows if r.plan.consultant == personas.consultant)
        units = mine.cells["units"]
        assert units.actual == 3
        assert mine.cells["revenue"].actual == Decimal("450000.00")
        # projected month end = 3 × 21 / 11 = 5.73, shown to a tenth of a unit
        assert units.quota.projected == Decimal("5.7")
        store = progress.store_row.cells["units"]
        assert store.actual == 3

    def test_consultant_sees_only_their_own_row(self, personas):
        plan_november(personas, [personas.consultant, personas.colleague])
        progress = month_progress(personas.consultant, NOV, TODAY)
        assert [r.plan.consultant for r in progress.rows] == [personas.consultant]
        assert progress.store_row is None

    def test_other_store_is_not_shown(self, personas):
        plan_november(personas, [personas.consultant])
        progress = month_progress(personas.other_manager, NOV, TODAY)
        assert progress.rows == [] and progress.store_row is None


@pytest.mark.django_db
class TestProgressPage:
    def test_page_renders_chart_data_and_table(self, login, personas):
        plan_november(personas, [personas.consultant, personas.colleague])
        with time_machine.travel(datetime.datetime(2026, 11, 16, 10, 0), tick=False):
            page = login(personas.sales_manager).get(reverse("planning:progress"))
        assert page.status_code == 200
        assert 'id="progress-data"' in page.text and personas.colleague.display_name in page.text

    def test_query_count_does_not_grow_with_consultants(self, login, personas):
        client = login(personas.sales_manager)
        people = [personas.consultant]
        plan_november(personas, people)

        def queries():
            cache.clear()  # the uncached path: measuring the store's history too
            with CaptureQueriesContext(connection) as ctx:
                client.get(reverse("planning:progress"), {"month": "2026-11"})
            return len(ctx.captured_queries)

        few = queries()
        people += [UserFactory(username=f"p{i}", store=personas.store) for i in range(12)]
        plan_november(personas, people)
        assert queries() == few

    def test_month_without_plan_says_so(self, login, personas):
        page = login(personas.consultant).get(reverse("planning:progress"), {"month": "2030-01"})
        assert page.status_code == 200 and "还没有" in page.text


@pytest.mark.django_db
def test_progress_page_shows_what_the_goal_needs(login, personas):
    plan_november(personas, [personas.consultant, personas.colleague])
    with time_machine.travel(datetime.datetime(2026, 11, 16, 10, 0), tick=False):
        page = login(personas.sales_manager).get(reverse("planning:progress")).text
    assert "本月需要" in page and "每天电话" in page


@pytest.mark.django_db
def test_team_rows_add_up_their_consultants(personas):
    plan_november(personas, [personas.consultant, personas.colleague])
    SalesOrderFactory(customer__owner=personas.consultant, order_date=datetime.date(2026, 11, 3))
    SalesOrderFactory(customer__owner=personas.colleague, order_date=datetime.date(2026, 11, 4))
    progress = month_progress(personas.sales_manager, NOV, TODAY)
    (team,) = progress.team_rows
    members = progress.rows
    assert team.label == personas.consultant.team.name
    assert team.cells["units"].actual == 2
    assert team.cells["units"].line.quota == sum(r.cells["units"].line.quota for r in members)
    assert month_progress(personas.consultant, NOV, TODAY).team_rows == []


@pytest.mark.django_db
def test_a_shared_sale_is_credited_by_share_and_adds_up_exactly(personas):
    plan_november(personas, [personas.consultant, personas.colleague])
    SalesOrderFactory(
        customer__owner=personas.consultant,
        order_date=datetime.date(2026, 11, 3),
        total=Decimal("100000.01"),
        gross_profit=Decimal("3000.03"),
        co_consultant=personas.colleague,
        co_share=Decimal("0.50"),
    )
    progress = month_progress(personas.sales_manager, NOV, TODAY)
    rows = {r.plan.consultant: r.cells for r in progress.rows}
    mine, theirs = rows[personas.consultant], rows[personas.colleague]
    assert mine["units"].actual == theirs["units"].actual == Decimal("0.50")
    assert mine["revenue"].actual + theirs["revenue"].actual == Decimal("100000.01")
    assert mine["gross_profit"].actual + theirs["gross_profit"].actual == Decimal("3000.03")
    assert progress.store_row.cells["revenue"].actual == Decimal("100000.01")
    own = month_progress(personas.colleague, NOV, TODAY)
    assert own.rows[0].cells["revenue"].actual == theirs["revenue"].actual


@pytest.mark.django_db
def test_the_stores_funnel_history_is_measured_once_then_kept_a_quarter_hour(login, personas):
    """The last three whole months' rates and walk-ins are read once, reused by later views,
    and a late entry for those months shows once the kept figures expire (15 minutes)."""
    plan_november(personas, [personas.consultant, personas.colleague])
    client = login(personas.sales_manager)

    def visit(minute):
        moment = datetime.datetime(2026, 11, 16, 10, minute, tzinfo=datetime.UTC)
        with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("planning:progress"))
        return page.context["funnel"], len(ctx.captured_queries)

    first, measured = visit(0)
    for day in (6, 7, 8):  # three October walk-ins: one more a month for the two consultants
        TrafficEntryFactory(
            consultant=personas.consultant,
            kind=TrafficKind.WALK_IN,
            arrived_at=datetime.datetime(2026, 10, day, 3, 0, tzinfo=datetime.UTC),
        )
    kept, cached = visit(10)
    assert cached < measured
    assert kept.need == first.need and kept.rates == first.rates
    later, _ = visit(16)
    assert later.need.walk_in_traffic == first.need.walk_in_traffic + 1
