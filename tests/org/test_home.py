"""The managers' home page: four counts of the store's customers."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=SH)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def at(hours: float) -> datetime.datetime:
    return NOW + datetime.timedelta(hours=hours)


def cards(client) -> dict:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    keys = ("customer_count", "open_lead_count", "overdue_count", "due_today_count")
    return {key: response.context[key] for key in keys}


@pytest.mark.django_db
class TestHome:
    def test_counts_the_stores_active_customers_open_leads_overdue_and_due_today(
        self, login, personas, frozen
    ):
        mine, colleague = personas.consultant, personas.colleague
        CustomerFactory(owner=mine, intention_level="H", next_follow_up_at=at(-30))  # overdue
        CustomerFactory(owner=colleague, intention_level="A", next_follow_up_at=at(-1))  # overdue
        CustomerFactory(owner=mine, intention_level="B", next_follow_up_at=at(3))  # due today
        CustomerFactory(owner=mine, intention_level="C", next_follow_up_at=at(14.9))  # 23:54 today
        CustomerFactory(owner=mine, intention_level="C", next_follow_up_at=at(15.1))  # tomorrow
        CustomerFactory(owner=mine, intention_level="O", next_follow_up_at=at(-5))  # ordered
        CustomerFactory(owner=mine, intention_level="F", next_follow_up_at=at(-5))  # lost
        CustomerFactory(owner=mine, intention_level="H", next_follow_up_at=at(-5), is_archived=True)
        CustomerFactory(
            owner=personas.other_consultant, intention_level="H", next_follow_up_at=at(-5)
        )
        assert cards(login(personas.sales_manager)) == {
            "customer_count": 7,
            "open_lead_count": 5,
            "overdue_count": 2,
            "due_today_count": 2,
        }

    def test_other_stores_manager_sees_only_their_store(self, login, personas, frozen):
        CustomerFactory(owner=personas.consultant, intention_level="H", next_follow_up_at=at(-1))
        assert cards(login(personas.other_manager)) == {
            "customer_count": 0,
            "open_lead_count": 0,
            "overdue_count": 0,
            "due_today_count": 0,
        }

    def test_consultants_are_sent_to_my_day(self, login, personas):
        response = login(personas.consultant).get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("activities:my_day")

    def test_counts_take_one_query_however_many_customers(self, login, personas, frozen):
        client = login(personas.sales_manager)

        def customer_queries() -> list[str]:
            with CaptureQueriesContext(connection) as ctx:
                cards(client)
            return [q["sql"] for q in ctx.captured_queries if "customers_customer" in q["sql"]]

        CustomerFactory.create_batch(3, owner=personas.consultant, next_follow_up_at=at(-1))
        assert len(customer_queries()) == 1
        CustomerFactory.create_batch(40, owner=personas.consultant, next_follow_up_at=at(2))
        assert len(customer_queries()) == 1
