"""Dashboards: figures worked out by hand, scope by role and store, fixed queries, the export."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities.choices import ActivityKind, TrafficKind
from dealerplan.orders.choices import OrderStatus
from dealerplan.reports import dashboards
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    PaymentFactory,
    SalesOrderFactory,
    TrafficEntryFactory,
    UserFactory,
    VehicleFactory,
)
from tests.reports.factories_reports import OCTOBER, at, month_plan

TODAY = datetime.date(2026, 10, 15)
NOW = at(TODAY, 10)
URL = "/reports/dashboard/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def order(owner, day, total, gross_profit, *, customer=None, **extra):
    customer = customer or CustomerFactory(
        owner=owner, created_at=at(day - datetime.timedelta(days=90))
    )
    return SalesOrderFactory(
        customer=customer,
        order_date=day,
        total=Decimal(total),
        gross_profit=Decimal(gross_profit),
        status=extra.pop("status", OrderStatus.CONFIRMED),
        **extra,
    )


@pytest.fixture
def sales(personas):
    """October: the consultant sells two cars, the colleague one, the other store one; one
    cancelled order of the consultant does not count."""
    month_plan(
        personas.store,
        OCTOBER,
        consultant=personas.consultant,
        lines=[
            ("units", 4, 5),
            ("revenue", "600000.00", "750000.00"),
            ("gross_profit", 40000, 50000),
        ],
    )
    month_plan(
        personas.store,
        OCTOBER,
        lines=[
            ("units", 10, 12),
            ("revenue", "1500000.00", "1800000.00"),
            ("gross_profit", 90000, 100000),
        ],
    )
    month_plan(personas.other_store, OCTOBER, lines=[("units", 99, 99)])
    order(personas.consultant, datetime.date(2026, 10, 3), "150000.00", "10000.00")
    order(personas.consultant, datetime.date(2026, 10, 9), "100000.50", "5000.25")
    order(
        personas.consultant,
        datetime.date(2026, 10, 10),
        "90000.00",
        "1.00",
        status=OrderStatus.CANCELLED,
    )
    order(personas.colleague, datetime.date(2026, 10, 5), "200000.00", "12000.00")
    order(personas.other_consultant, datetime.date(2026, 10, 6), "777777.77", "7777.77")


def rows_of(chart):
    return {row[chart.columns[0].key]: row for row in chart.rows}


@pytest.mark.django_db
class TestFigures:
    def test_consultant_month_counts_only_their_orders_against_their_plan(self, personas, sales):
        board = dashboards.build_dashboard(personas.consultant, OCTOBER, TODAY)
        plan = board.chart("plan")
        units, revenue, profit = plan.rows
        assert (units["actual"], units["quota"], units["goal"]) == (Decimal(2), 4, 5)
        assert units["of_quota"] == Decimal("50.0")
        assert units["of_goal"] == Decimal("40.0")
        assert revenue["actual"] == Decimal("250000.50")
        assert revenue["of_quota"] == Decimal("41.7")
        assert profit["actual"] == Decimal("15000.25")

    def test_store_plan_is_the_stores_orders_against_the_store_plan(self, personas, sales):
        board = dashboards.build_dashboard(personas.sales_manager, OCTOBER, TODAY)
        units, revenue, profit = board.chart("plan").rows
        assert (units["actual"], units["quota"]) == (Decimal(3), Decimal(10))
        assert revenue["actual"] == Decimal("450000.50")
        assert profit["actual"] == Decimal("27000.25")
        assert profit["of_quota"] == Decimal("30.0")

    def test_ranking_orders_consultants_by_units_then_revenue(self, personas, sales):
        board = dashboards.build_dashboard(personas.sales_manager, OCTOBER, TODAY)
        ranking = board.chart("ranking")
        assert [row["name"] for row in ranking.rows] == [
            personas.consultant.display_name,
            personas.colleague.display_name,
        ]
        assert ranking.rows[0]["revenue"] == Decimal("250000.50")
        assert ranking.rows[1]["gross_profit"] == Decimal("12000.00")

    def test_funnel_counts_traffic_cards_test_drives_orders_deliveries(self, personas):
        me = personas.consultant
        walk_in = CustomerFactory(owner=me, created_at=at(datetime.date(2026, 10, 2)))
        TrafficEntryFactory(
            consultant=me,
            customer=walk_in,
            test_drive=True,
            arrived_at=at(datetime.date(2026, 10, 2), 10),
        )
        TrafficEntryFactory(
            consultant=me, kind=TrafficKind.CALL_IN, arrived_at=at(datetime.date(2026, 10, 3))
        )
        TrafficEntryFactory(consultant=me, arrived_at=at(datetime.date(2026, 9, 30)))  # September
        # the same drive logged as an activity an hour later counts once
        ActivityFactory(
            customer=walk_in,
            kind=ActivityKind.TEST_DRIVE,
            done_at=at(datetime.date(2026, 10, 2), 11),
        )
        other = CustomerFactory(owner=me, created_at=at(datetime.date(2026, 10, 8)))
        ActivityFactory(
            customer=other, kind=ActivityKind.TEST_DRIVE, done_at=at(datetime.date(2026, 10, 9))
        )
        order(me, datetime.date(2026, 10, 9), "120000.00", "3000.00", customer=other)
        order(
            me,
            datetime.date(2026, 9, 20),
            "130000.00",
            "3000.00",
            customer=walk_in,
            status=OrderStatus.DELIVERED,
            delivery_date=datetime.date(2026, 10, 12),
        )
        TrafficEntryFactory(
            consultant=personas.colleague, arrived_at=at(datetime.date(2026, 10, 4))
        )
        TrafficEntryFactory(
            consultant=personas.other_consultant, arrived_at=at(datetime.date(2026, 10, 4))
        )

        mine = rows_of(dashboards.build_dashboard(me, OCTOBER, TODAY).chart("funnel"))
        counts = [row["count"] for row in mine.values()]
        assert counts == [2, 2, 2, 1, 1]
        store = dashboards.build_dashboard(personas.sales_manager, OCTOBER, TODAY).chart("funnel")
        assert [row["count"] for row in store.rows] == [3, 2, 2, 1, 1]
        assert store.rows[1]["rate"] == Decimal("66.7")

    def test_conversion_trend_has_one_row_per_month_with_rates(self, personas):
        me = personas.consultant
        for day in (
            datetime.date(2026, 9, 3),
            datetime.date(2026, 9, 4),
            datetime.date(2026, 9, 5),
            datetime.date(2026, 9, 6),
        ):
            TrafficEntryFactory(consultant=me, arrived_at=at(day))
        CustomerFactory(owner=me, created_at=at(datetime.date(2026, 9, 3)))
        board = dashboards.build_dashboard(me, OCTOBER, TODAY)
        trend = board.chart("conversion")
        assert [row["month"] for row in trend.rows] == [
            "2026-05",
            "2026-06",
            "2026-07",
            "2026-08",
            "2026-09",
            "2026-10",
        ]
        september = trend.rows[4]
        assert (september["traffic"], september["cards"]) == (4, 1)
        assert september["card_rate"] == Decimal("25.0")
        assert trend.rows[5]["card_rate"] is None
        manager = dashboards.build_dashboard(personas.sales_manager, OCTOBER, TODAY)
        assert len(manager.chart("conversion").rows) == 12

    def test_revenue_trend_sums_each_months_orders_to_the_fen(self, personas, sales):
        order(personas.colleague, datetime.date(2026, 8, 30), "99999.99", "0.01")
        board = dashboards.build_dashboard(personas.general_manager, OCTOBER, TODAY)
        months = rows_of(board.chart("revenue"))
        assert months["2026-10"]["revenue"] == Decimal("450000.50")
        assert months["2026-10"]["orders"] == 3
        assert months["2026-08"]["gross_profit"] == Decimal("0.01")
        assert (
            dashboards.build_dashboard(personas.sales_manager, OCTOBER, TODAY).chart("revenue")
            is None
        )

    def test_stock_aging_counts_cars_in_stock_per_bucket(self, personas):
        for days in (0, 30, 31, 75, 200):
            VehicleFactory(store=personas.store, arrival_date=TODAY - datetime.timedelta(days=days))
        VehicleFactory(store=personas.store, status="reserved", arrival_date=TODAY)
        VehicleFactory(store=personas.other_store, arrival_date=TODAY)
        chart = dashboards.build_dashboard(personas.sales_manager, OCTOBER, TODAY).chart(
            "stock_aging"
        )
        assert [row["count"] for row in chart.rows] == [2, 1, 1, 1]

    def test_receivables_are_what_orders_still_owe_by_age(self, personas):
        recent = order(personas.consultant, datetime.date(2026, 10, 1), "100000.00", "1.00")
        PaymentFactory(order=recent, amount=Decimal("30000.01"))
        order(personas.consultant, datetime.date(2026, 7, 1), "50000.00", "1.00")
        order(personas.colleague, datetime.date(2026, 10, 1), "80000.00", "1.00")
        mine = dashboards.build_dashboard(personas.consultant, OCTOBER, TODAY).chart("receivables")
        assert [(row["orders"], row["amount"]) for row in mine.rows] == [
            (1, Decimal("69999.99")),
            (0, Decimal("0.00")),
            (0, Decimal("0.00")),
            (1, Decimal("50000.00")),
        ]
        store = dashboards.build_dashboard(personas.sales_manager, OCTOBER, TODAY).chart(
            "receivables"
        )
        assert store.rows[0]["amount"] == Decimal("149999.99")

    def test_each_role_gets_its_layout(self, personas):
        names = {
            user.username: [c.name for c in dashboards.build_dashboard(user, OCTOBER, TODAY).charts]
            for user in (personas.consultant, personas.sales_manager, personas.general_manager)
        }
        assert names["consultant"] == ["plan", "funnel", "receivables", "conversion"]
        assert "ranking" in names["sales_manager"] and "revenue" not in names["sales_manager"]
        assert "revenue" in names["gm"] and "stock_aging" in names["gm"]


@pytest.mark.django_db
class TestScope:
    def test_consultant_page_shows_no_colleague_or_other_store_figures(
        self, login, personas, sales
    ):
        page = login(personas.consultant).get(URL).content.decode()
        assert "250000.50" in page
        assert "200000.00" not in page and "450000.50" not in page
        assert "777777.77" not in page and personas.colleague.display_name not in page

    def test_manager_page_never_shows_another_store(self, login, personas, sales):
        page = login(personas.sales_manager).get(URL).content.decode()
        assert "450000.50" in page
        assert "777777.77" not in page and personas.other_consultant.display_name not in page

    def test_a_manager_cannot_switch_to_another_store(self, login, personas, sales):
        page = login(personas.sales_manager).get(f"{URL}?store={personas.other_store.pk}")
        assert page.status_code == 200
        assert "777777.77" not in page.content.decode()

    def test_group_manager_sees_all_stores_or_one(self, login, personas, sales):
        client = login(personas.group_manager)
        assert "1,227,778.27" in client.get(URL).content.decode()
        one = client.get(f"{URL}?store={personas.other_store.pk}").content.decode()
        assert "777777.77" in one and "450000.50" not in one

    def test_an_unknown_store_is_a_404(self, login, personas):
        client = login(personas.group_manager)
        assert client.get(f"{URL}?store=999999").status_code == 404
        assert client.get(f"{URL}?store=abc").status_code == 404

    def test_anonymous_users_are_sent_to_log_in(self, client):
        assert client.get(URL).status_code == 302


@pytest.mark.django_db
class TestPage:
    def test_each_chart_has_its_data_table_toggle_and_download(self, login, personas, sales):
        page = login(personas.sales_manager).get(URL).content.decode()
        for name in ("plan", "funnel", "ranking", "conversion", "receivables"):
            assert f'id="dash-data-{name}"' in page
            assert f'data-dash-toggle="{name}"' in page
            assert f"chart={name}" in page
        assert "dealerplan/dashboards.js" in page
        assert "<script>" not in page  # no inline script without the nonce

    def test_the_sidebar_and_the_hub_link_the_dashboard(self, login, personas):
        client = login(personas.consultant)
        assert reverse("reports:dashboard") in client.get(reverse("reports:hub")).content.decode()
        assert 'href="/reports/dashboard/"' in client.get(reverse("reports:hub")).content.decode()

    def test_a_bad_month_falls_back_to_this_month(self, login, personas):
        response = login(personas.consultant).get(f"{URL}?month=13-2026")
        assert response.status_code == 200
        assert response.context["dashboard"].month == OCTOBER


@pytest.mark.django_db
class TestExport:
    def test_a_charts_workbook_holds_the_same_figures(self, login, personas, sales):
        response = login(personas.sales_manager).get(f"{URL}?export=xlsx&chart=ranking")
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith('dashboard-ranking-2026-10.xlsx"')
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.values)
        assert rows[1] == (personas.consultant.display_name, 2, 250000.5, 15000.25)
        assert rows[2][0] == personas.colleague.display_name
        assert len(rows) == 3

    def test_a_consultants_workbook_is_their_own(self, login, personas, sales):
        response = login(personas.consultant).get(f"{URL}?export=xlsx&chart=plan")
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert list(sheet.values)[2][1] == 250000.5

    def test_an_unknown_chart_is_a_404(self, login, personas):
        assert login(personas.consultant).get(f"{URL}?export=xlsx&chart=nope").status_code == 404
        # the ranking is not on a consultant's dashboard
        assert login(personas.consultant).get(f"{URL}?export=xlsx&chart=ranking").status_code == 404


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(address)
    assert response.status_code == 200
    return len(context.captured_queries)


def add_rows(personas, number):
    for index in range(number):
        person = UserFactory(
            username=f"extra{number}_{index}", store=personas.store, team=personas.consultant.team
        )
        for who in (person, personas.consultant):
            customer = CustomerFactory(owner=who, created_at=at(datetime.date(2026, 10, 2)))
            TrafficEntryFactory(
                consultant=who,
                customer=customer,
                test_drive=True,
                arrived_at=at(datetime.date(2026, 9, 2)),
            )
            ActivityFactory(
                customer=customer,
                kind=ActivityKind.TEST_DRIVE,
                done_at=at(datetime.date(2026, 10, 3)),
            )
            paid = order(who, datetime.date(2026, 10, 4), "100000.00", "100.00", customer=customer)
            PaymentFactory(order=paid)
            order(
                who,
                datetime.date(2026, 9, 4),
                "100000.00",
                "100.00",
                co_consultant=personas.colleague,
                co_share=Decimal("0.5"),
            )
            VehicleFactory(
                store=personas.store, arrival_date=TODAY - datetime.timedelta(days=40 * index)
            )


@pytest.mark.django_db
@pytest.mark.parametrize("who", ("consultant", "sales_manager", "general_manager", "group_manager"))
@pytest.mark.parametrize("export", ("", "&export=xlsx&chart=plan"))
def test_query_count_does_not_grow_with_rows(
    login, personas, sales, django_assert_num_queries, who, export
):
    client = login(getattr(personas, who))
    address = f"{URL}?month=2026-10{export}"
    add_rows(personas, 1)
    few = count_queries(client, address)
    add_rows(personas, 5)
    with django_assert_num_queries(few):
        response = client.get(address)
    assert response.status_code == 200
