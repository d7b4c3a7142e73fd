"""My Day: the consultant's home page."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities import my_day
from dealerplan.activities.models import Activity, ActivityQuota
from dealerplan.activities.my_day import build_my_day
from tests.factories import ActivityFactory, CustomerFactory, DealFactory, VehicleFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=SH)  # Wednesday morning
MY_DAY = "/my-day/"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def due(days: float) -> datetime.datetime:
    return NOW + datetime.timedelta(days=days)


@pytest.mark.django_db
class TestDueList:
    def test_overdue_first_then_today_each_hottest_first(self, personas, frozen):
        c = personas.consultant
        today_c = CustomerFactory(
            owner=c, name="今天C", intention_level="C", next_follow_up_at=due(0.1)
        )
        today_h = CustomerFactory(
            owner=c, name="今天H", intention_level="H", next_follow_up_at=due(0.2)
        )
        late_b = CustomerFactory(
            owner=c, name="逾期B", intention_level="B", next_follow_up_at=due(-3)
        )
        late_a = CustomerFactory(
            owner=c, name="逾期A", intention_level="A", next_follow_up_at=due(-1)
        )
        CustomerFactory(owner=c, name="明天", intention_level="H", next_follow_up_at=due(1))
        CustomerFactory(owner=c, name="战败", intention_level="F", next_follow_up_at=due(-1))
        CustomerFactory(owner=personas.colleague, name="同事的", next_follow_up_at=due(-1))
        day = build_my_day(c)
        assert [x.name for x in day.due] == [late_a.name, late_b.name, today_h.name, today_c.name]
        assert (day.overdue_total, day.due_total) == (2, 4)

    def test_quota_counts_calls_today_and_visits_this_week(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        ActivityFactory.create_batch(3, customer=customer, kind="call", done_at=due(-0.01))
        ActivityFactory(customer=customer, kind="call", done_at=due(-1))  # yesterday
        ActivityFactory.create_batch(2, customer=customer, kind="visit", done_at=due(-1.5))  # Mon
        ActivityFactory(customer=customer, kind="visit", done_at=due(-3))  # last week
        ActivityQuota.objects.create(
            store=personas.store, role="consultant", calls_per_day=40, visits_per_week=15
        )
        day = build_my_day(personas.consultant)
        assert (day.calls_today, day.quota.calls_per_day) == (3, 40)
        assert (day.visits_this_week, day.quota.visits_per_week) == (2, 15)

    def test_default_quota_is_thirty_calls_and_twenty_visits(self, personas, frozen):
        day = build_my_day(personas.consultant)
        assert (day.quota.calls_per_day, day.quota.visits_per_week) == (30, 20)

    def test_key_dates_and_aged_stock(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        DealFactory(
            customer=customer, title="招投标项目", bid_date=NOW.date() + datetime.timedelta(days=3)
        )
        DealFactory(
            customer=customer, title="远期项目", bid_date=NOW.date() + datetime.timedelta(days=30)
        )
        VehicleFactory(store=personas.store, arrival_date=NOW.date() - datetime.timedelta(days=120))
        VehicleFactory(store=personas.store, arrival_date=NOW.date() - datetime.timedelta(days=10))
        day = build_my_day(personas.consultant)
        assert [k.deal.title for k in day.key_dates] == ["招投标项目"]
        assert day.aged_stock == 1

    def test_planned_today_and_important_items(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, name="王总")
        ActivityFactory(
            customer=customer, kind="visit", status="planned", done_at=None, planned_at=due(0.25)
        )
        ActivityFactory(
            customer=customer,
            kind="call",
            status="planned",
            done_at=None,
            planned_at=due(2),
            is_important=True,
            notes="报价单",
        )
        day = build_my_day(personas.consultant)
        assert [a.kind for a in day.planned_today] == ["visit"]
        assert [a.notes for a in day.important] == ["报价单"]

    def test_due_list_is_capped_but_totals_count_every_due_customer(
        self, personas, frozen, monkeypatch
    ):
        monkeypatch.setattr(my_day, "DUE_LIMIT", 3)
        c = personas.consultant
        for hours in (-50, -40, -30, -20):
            CustomerFactory(owner=c, intention_level="B", next_follow_up_at=due(hours / 24))
        CustomerFactory.create_batch(2, owner=c, intention_level="H", next_follow_up_at=due(0.1))
        day = build_my_day(c)
        assert len(day.due) == 3
        assert (day.overdue_total, day.due_total) == (4, 6)

    def test_nothing_due_counts_zero(self, personas, frozen):
        CustomerFactory(owner=personas.consultant, next_follow_up_at=due(2))
        day = build_my_day(personas.consultant)
        assert (day.due, day.overdue_total, day.due_total) == ([], 0, 0)

    def test_planned_today_is_capped_in_time_order_and_counts_the_rest(
        self, personas, frozen, monkeypatch
    ):
        monkeypatch.setattr(my_day, "PLANNED_LIMIT", 2)
        customer = CustomerFactory(owner=personas.consultant)
        for hours in (5, 1, 3):
            ActivityFactory(
                customer=customer,
                status="planned",
                done_at=None,
                planned_at=due(hours / 24),
                location=f"{hours}点",
            )
        ActivityFactory(
            customer=customer, status="planned", done_at=None, planned_at=due(1), location="明天"
        )
        day = build_my_day(personas.consultant)
        assert [a.location for a in day.planned_today] == ["1点", "3点"]
        assert (day.planned_total, day.planned_more) == (3, 1)


@pytest.mark.django_db
class TestMyDayPage:
    def test_page_shows_due_customers_and_morning_hint(self, login, personas, frozen):
        CustomerFactory(owner=personas.consultant, name="张三", next_follow_up_at=due(-1))
        page = login(personas.consultant).get(MY_DAY).text
        assert "张三" in page
        assert "上午" in page

    def test_more_planned_than_shown_links_to_the_calendar(
        self, login, personas, frozen, monkeypatch
    ):
        monkeypatch.setattr(my_day, "PLANNED_LIMIT", 1)
        customer = CustomerFactory(owner=personas.consultant)
        ActivityFactory.create_batch(
            3, customer=customer, status="planned", done_at=None, planned_at=due(0.1)
        )
        client = login(personas.consultant)
        page = client.get(MY_DAY).text
        assert page.count("?planned=") == 1
        more = page[page.index('id="planned-more"') :].split("</a>")[0]
        assert f'href="{reverse("calendar:week")}"' in more and "2" in more
        monkeypatch.setattr(my_day, "PLANNED_LIMIT", 3)
        assert 'id="planned-more"' not in client.get(MY_DAY).text

    def test_due_rows_link_to_the_customer_and_its_log_and_plan_forms(
        self, login, personas, frozen
    ):
        customer = CustomerFactory(owner=personas.consultant, next_follow_up_at=due(-1))
        page = login(personas.consultant).get(MY_DAY).text
        log = reverse("activities:log_activity", args=[customer.pk])
        assert f'href="{customer.get_absolute_url()}"' in page
        assert f'hx-get="{log}?kind=call"' in page and f'hx-get="{log}?kind=visit"' in page
        assert f'hx-get="{reverse("activities:plan_activity", args=[customer.pk])}"' in page
        assert 'aria-label="记录电话"' in page

    def test_query_count_is_the_same_for_10_and_500_due_items(self, login, personas, frozen):
        client = login(personas.consultant)

        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(MY_DAY).status_code == 200
            return len(ctx.captured_queries)

        CustomerFactory.create_batch(10, owner=personas.consultant, next_follow_up_at=due(-1))
        few = queries()
        CustomerFactory.create_batch(490, owner=personas.consultant, next_follow_up_at=due(-1))
        assert queries() == few

    def test_quick_log_from_a_row_with_htmx(self, login, personas, frozen):
        customer = CustomerFactory(
            owner=personas.consultant, intention_level="A", next_follow_up_at=due(-1)
        )
        client = login(personas.consultant)
        url = reverse("activities:log_activity", args=[customer.pk])
        form = client.get(url, {"kind": "call"}, HTTP_HX_REQUEST="true")
        assert form.status_code == 200 and "<form" in form.text and "<html" not in form.text
        response = client.post(
            url,
            {"kind": "call", "outcome": "reached", "notes": "约周六试驾", "new_level": "H"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert f'id="due-{customer.pk}"' in response.text and 'hx-swap-oob="true"' in response.text
        customer.refresh_from_db()
        assert customer.intention_level == "H"
        assert customer.next_follow_up_at.date() == datetime.date(2026, 11, 20)

    def test_quick_log_errors_stay_in_the_row_form(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        response = login(personas.consultant).post(
            reverse("activities:log_activity", args=[customer.pk]),
            {"kind": "call", "next_follow_up_at": "2026-11-01T10:00"},
            HTTP_HX_REQUEST="true",
        )
        assert response["HX-Retarget"] == f"#work-{customer.pk}"
        assert "之后" in response.text
        assert not Activity.objects.exists()

    def test_full_page_log_redirects_back_with_a_message(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="B")
        client = login(personas.consultant)
        url = reverse("activities:log_activity", args=[customer.pk])
        response = client.post(url, {"kind": "visit", "next": MY_DAY})
        assert response.status_code == 302 and response["Location"] == MY_DAY
        response = client.post(url, {"kind": "visit", "next": "https://evil.example.com/"})
        assert response["Location"] == customer.get_absolute_url()

    def test_plan_a_visit_from_the_page(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        response = login(personas.consultant).post(
            reverse("activities:plan_activity", args=[customer.pk]),
            {"kind": "visit", "planned_at": "2026-11-19T14:30", "location": "国贸"},
        )
        assert response.status_code == 302
        activity = Activity.objects.get()
        assert activity.status == "planned"
        assert activity.planned_at == datetime.datetime(2026, 11, 19, 14, 30, tzinfo=SH)

    @pytest.mark.parametrize("view", ["activities:log_activity", "activities:plan_activity"])
    def test_colleagues_and_other_stores_customers_are_404(self, login, personas, frozen, view):
        colleague_customer = CustomerFactory(owner=personas.colleague)
        other_store_customer = CustomerFactory(owner=personas.other_consultant)
        client = login(personas.consultant)
        for customer in (colleague_customer, other_store_customer):
            assert client.get(reverse(view, args=[customer.pk])).status_code == 404
            assert (
                client.post(reverse(view, args=[customer.pk]), {"kind": "call"}).status_code == 404
            )
        assert not Activity.objects.exists()

    def test_completing_someone_elses_planned_activity_is_404(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        planned = ActivityFactory(
            customer=customer,
            owner=personas.colleague,
            status="planned",
            done_at=None,
            planned_at=due(1),
        )
        response = login(personas.consultant).post(
            reverse("activities:log_activity", args=[customer.pk]),
            {"kind": "call", "planned": planned.pk},
        )
        assert response.status_code == 404
        planned.refresh_from_db()
        assert planned.status == "planned"

    def test_anonymous_is_sent_to_login(self, client, personas):
        customer = CustomerFactory(owner=personas.consultant)
        for url in (MY_DAY, reverse("activities:log_activity", args=[customer.pk])):
            response = client.get(url)
            assert response.status_code == 302 and reverse("login") in response["Location"]
