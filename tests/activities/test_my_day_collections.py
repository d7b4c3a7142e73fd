"""My Day collection reminders (催收): money still owed on delivered and week-old orders."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealerplan.activities.my_day import build_my_day
from dealerplan.core.choices import Role
from dealerplan.orders import services
from dealerplan.orders.collections import STORE_LIMIT, collection_reminders
from dealerplan.orders.models import Payment
from tests.factories import CustomerFactory, SalesOrderFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=SH)
TODAY = NOW.date()
MY_DAY = "/my-day/"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def order(owner, total, status, ordered_days_ago, paid=(), **fields):
    sale = SalesOrderFactory(
        customer=CustomerFactory(owner=owner),
        total=Decimal(total),
        status=status,
        order_date=ago(ordered_days_ago),
        **fields,
    )
    for kind, amount in paid:
        Payment.objects.create(
            order=sale, kind=kind, method="transfer", amount=Decimal(amount), received_on=TODAY
        )
    return sale


def owing(personas):
    """The consultant's orders, each a case for the reminder rules."""
    c = personas.consultant
    return {
        "delivered": order(
            c,
            "33333.33",
            "delivered",
            30,
            [("deposit", "0.07"), ("loan", "30000.00")],
            delivery_date=ago(3),
        ),
        "allocated_old": order(c, "100000.01", "allocated", 8, [("deposit", "5000.00")]),
        "confirmed_old": order(
            c, "120000.00", "confirmed", 20, [("deposit", "20000.00"), ("refund", "0.01")]
        ),
        "confirmed_fresh": order(c, "90000.00", "confirmed", 7, [("deposit", "1000.00")]),
        "paid_up": order(c, "500.00", "delivered", 40, [("balance", "500.00")]),
        "trade_in_covers": order(
            c,
            "80000.00",
            "delivered",
            40,
            [("balance", "50000.00")],
            trade_in_value=Decimal("30000.00"),
        ),
        "cancelled": order(c, "900.00", "cancelled", 30),
        "draft": order(c, "700.00", "draft", 30),
        "colleague": order(personas.colleague, "200000.00", "allocated", 30),
        "other_store": order(personas.other_consultant, "300000.00", "delivered", 30),
    }


@pytest.mark.django_db
class TestReminders:
    def test_consultant_sees_own_overdue_deliveries_first_then_due_balances(self, personas):
        cases = owing(personas)
        result = collection_reminders(personas.consultant, TODAY)
        shown = [(r.order.pk, r.owed, r.overdue, r.days) for r in result.reminders]
        assert shown == [
            (cases["delivered"].pk, Decimal("3333.26"), True, 3),
            (cases["confirmed_old"].pk, Decimal("100000.01"), False, 20),
            (cases["allocated_old"].pk, Decimal("95000.01"), False, 8),
        ]
        assert (result.count, result.owed) == (3, Decimal("198333.28"))
        assert not result.store_wide and result.more == 0

    def test_amounts_are_what_the_order_services_say_is_owed(self, personas):
        owing(personas)
        for reminder in collection_reminders(personas.consultant, TODAY).reminders:
            assert reminder.owed == services.receivable(reminder.order)

    def test_an_order_is_due_only_once_it_is_more_than_a_week_old(self, personas):
        fresh = order(personas.consultant, "1000.00", "confirmed", 7)
        assert collection_reminders(personas.consultant, TODAY).reminders == []
        fresh.order_date = ago(8)
        fresh.save(update_fields=["order_date"])
        assert [r.order for r in collection_reminders(personas.consultant, TODAY).reminders] == [
            fresh
        ]

    def test_manager_sees_the_stores_largest_balances(self, personas):
        cases = owing(personas)
        result = collection_reminders(personas.sales_manager, TODAY)
        assert result.store_wide
        assert [r.order.pk for r in result.reminders] == [
            cases["delivered"].pk,
            cases["colleague"].pk,
            cases["confirmed_old"].pk,
            cases["allocated_old"].pk,
        ]
        assert (result.count, result.owed) == (4, Decimal("398333.28"))

    def test_manager_list_is_capped_but_counts_every_order(self, personas):
        for n in range(STORE_LIMIT + 3):
            order(personas.colleague, f"{1000 + n}.01", "confirmed", 10)
        result = collection_reminders(personas.finance, TODAY)
        assert len(result.reminders) == STORE_LIMIT and result.count == STORE_LIMIT + 3
        assert result.more == 3
        assert result.reminders[0].owed == Decimal(f"{1000 + STORE_LIMIT + 2}.01")
        assert result.owed == sum(
            (Decimal(f"{1000 + n}.01") for n in range(STORE_LIMIT + 3)), Decimal("0")
        )

    def test_other_store_and_roles_without_receivables_see_nothing(self, personas):
        owing(personas)
        other = collection_reminders(personas.other_manager, TODAY)
        assert [r.order.consultant for r in other.reminders] == [personas.other_consultant]
        marketing = UserFactory(store=personas.store, role=Role.MARKETING)
        assert collection_reminders(marketing, TODAY).reminders == []


@pytest.mark.django_db
class TestMyDayCard:
    def test_build_my_day_carries_the_reminders(self, personas, frozen):
        cases = owing(personas)
        day = build_my_day(personas.consultant)
        assert day.collections.reminders[0].order == cases["delivered"]

    def test_card_shows_amount_link_and_red_overdue(self, login, personas, frozen):
        cases = owing(personas)
        text = login(personas.consultant).get(MY_DAY).text
        assert 'id="collect-heading"' in text
        assert cases["delivered"].get_absolute_url() in text
        assert "¥3,333.26" in text and "¥95,000.01" in text
        row = text.split(f'id="collect-{cases["delivered"].pk}"')[1].split("</li>")[0]
        assert "text-danger" in row
        assert f'id="collect-{cases["colleague"].pk}"' not in text
        assert f'id="collect-{cases["confirmed_fresh"].pk}"' not in text

    def test_no_card_when_nothing_is_owed(self, login, personas, frozen):
        order(personas.consultant, "500.00", "delivered", 40, [("balance", "500.00")])
        assert 'id="collect-heading"' not in login(personas.consultant).get(MY_DAY).text

    def test_manager_card_names_the_consultant(self, login, personas, frozen):
        cases = owing(personas)
        text = login(personas.sales_manager).get(MY_DAY).text
        row = text.split(f'id="collect-{cases["colleague"].pk}"')[1].split("</li>")[0]
        assert personas.colleague.display_name in row and "¥200,000.00" in row
        assert f'id="collect-{cases["other_store"].pk}"' not in text

    @pytest.mark.parametrize("who", ["consultant", "sales_manager"])
    def test_query_count_does_not_grow_with_orders_owing(self, login, personas, frozen, who):
        client = login(getattr(personas, who))

        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(MY_DAY).status_code == 200
            return len(ctx.captured_queries)

        owing(personas)
        few = queries()
        for n in range(25):
            order(personas.consultant, "1000.03", "delivered", 20, [("deposit", "0.01")])
            order(personas.consultant, "2000.07", "allocated", 9 + n)
        assert queries() == few
