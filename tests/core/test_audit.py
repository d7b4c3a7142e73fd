"""The audit trail answers who changed what, when, from where, and what it was before."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from simple_history.models import HistoricalRecords

from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.customers.services import recompute_tiers
from dealerplan.planning.services import lock_plan
from tests.api.factories_api import PlanFactory, api_client
from tests.factories import CustomerFactory, SalesOrderFactory

pytestmark = pytest.mark.django_db

OFFICE_IP = "203.0.113.7"
# 02:30 UTC is 10:30 in Shanghai.
MORNING = datetime.datetime(2026, 11, 20, 2, 30, tzinfo=datetime.UTC)


def history_url(obj, **query):
    meta = obj._meta
    url = reverse("history:object", args=[meta.app_label, meta.model_name, obj.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def customer_form(customer, **changes):
    data = {
        "kind": customer.kind,
        "name": customer.name,
        "phone": customer.phone,
        "source": customer.source or "walk_in",
        "intention_level": customer.intention_level,
        "account_tier": customer.account_tier,
        "budget": "",
    }
    data.update(changes)
    return data


class TestWhoWhenWhere:
    def test_form_edit_records_user_time_address_and_before_after(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, intention_level="B")
        client = login(personas.consultant)
        with time_machine.travel(MORNING, tick=False):
            response = client.post(
                reverse("customers:customer_edit", args=[customer.pk]),
                customer_form(customer, intention_level="A"),
                REMOTE_ADDR=OFFICE_IP,
            )
        assert response.status_code == 302
        latest, previous = customer.history.order_by("-history_id")[:2]
        assert latest.history_user == personas.consultant
        assert latest.ip_address == OFFICE_IP
        assert latest.history_date == MORNING
        changes = {c.field: (c.old, c.new) for c in latest.diff_against(previous).changes}
        assert changes["intention_level"] == ("B", "A")

    def test_api_edit_records_the_token_user_and_address(self, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = api_client(personas.sales_manager).patch(
            reverse("api:customer-detail", args=[customer.pk]),
            {"owner": personas.colleague.pk},
            format="json",
            REMOTE_ADDR="198.51.100.20",
        )
        assert response.status_code == 200, response.content
        latest = customer.history.latest("history_id")
        assert latest.history_user == personas.sales_manager
        assert latest.ip_address == "198.51.100.20"
        assert latest.owner_id == personas.colleague.pk

    def test_changes_outside_a_request_have_no_user_or_address(self, personas):
        customer = CustomerFactory(owner=personas.consultant)
        customer.intention_level = "C"
        customer.save()
        latest = customer.history.latest("history_id")
        assert latest.history_user is None and latest.ip_address is None


class TestBulkServicesLeaveHistory:
    def test_tier_recompute_writes_a_history_row_per_changed_customer(self, personas):
        buyer = CustomerFactory(owner=personas.consultant)
        idle = CustomerFactory(owner=personas.consultant)
        today = datetime.date(2026, 11, 20)
        SalesOrderFactory(
            customer=buyer,
            vehicle_price=Decimal("320000.00"),
            discount=Decimal("0"),
            accessories_amount=Decimal("0"),
            total=Decimal("320000.00"),
            status="delivered",
            order_date=today - datetime.timedelta(days=3),
        )
        Customer.objects.filter(pk=buyer.pk).update(account_tier="other")
        before = {c.pk: c.history.count() for c in (buyer, idle)}

        request = RequestFactory().post("/", REMOTE_ADDR=OFFICE_IP)
        request.user = personas.sales_manager
        HistoricalRecords.context.request = request
        try:
            assert recompute_tiers(personas.store, today=today) == 1
        finally:
            del HistoricalRecords.context.request

        latest = buyer.history.latest("history_id")
        assert buyer.history.count() == before[buyer.pk] + 1
        assert idle.history.count() == before[idle.pk]
        assert latest.account_tier == "tier1"
        assert latest.history_type == "~"
        assert latest.history_user == personas.sales_manager
        assert latest.ip_address == OFFICE_IP
        assert latest.history_change_reason

    def test_locking_a_plan_leaves_history_on_every_locked_plan(self, personas):
        year = PlanFactory(consultant=None, store=personas.store, period_type="year")
        month = PlanFactory(consultant=None, store=personas.store, parent=year)
        lock_plan(personas.sales_manager, year)
        for plan in (year, month):
            assert plan.history.latest("history_id").status == "locked"


class TestHistoryPage:
    def test_manager_sees_who_changed_level_and_owner_and_when(self, login, personas):
        personas.consultant.last_name, personas.consultant.first_name = "王", "小明"
        personas.consultant.save()
        with time_machine.travel(MORNING - datetime.timedelta(days=1)):
            customer = CustomerFactory(owner=personas.consultant, intention_level="B")
        with time_machine.travel(MORNING, tick=False):
            login(personas.consultant).post(
                reverse("customers:customer_edit", args=[customer.pk]),
                customer_form(customer, intention_level="H"),
                REMOTE_ADDR=OFFICE_IP,
            )
        customer.refresh_from_db()
        api_client(personas.sales_manager).patch(
            reverse("api:customer-detail", args=[customer.pk]),
            {"owner": personas.colleague.pk},
            format="json",
        )
        client = login(personas.sales_manager)

        level = client.get(history_url(customer, field="intention_level"))
        assert level.status_code == 200
        page = level.content.decode()
        assert "王小明" in page and OFFICE_IP in page
        assert "2026-11-20 10:30" in page  # Asia/Shanghai
        with translation.override("zh-hans"):
            labels = str(IntentionLevel.B.label), str(IntentionLevel.H.label)
        assert f"{labels[0]}</span>" in page and labels[1] in page
        entries = level.context["history"].entries
        assert [c.name for e in entries for c in e.changes if e.kind == "~"] == ["intention_level"]

        owner = client.get(history_url(customer, field="owner")).context["history"].entries
        change = owner[0].changes[0]
        assert owner[0].user == personas.sales_manager
        assert (change.before, change.after) == (
            str(personas.consultant),
            str(personas.colleague),
        )

    def test_detail_page_shows_the_history_card_with_a_link(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, intention_level="B")
        client = login(personas.consultant)
        client.post(
            reverse("customers:customer_edit", args=[customer.pk]),
            customer_form(customer, intention_level="A"),
        )
        page = client.get(reverse("customers:customer_detail", args=[customer.pk]))
        html = page.content.decode()
        card = html[html.index('id="history"') :]
        assert history_url(customer) in card
        with translation.override("zh-hans"):
            assert str(Customer._meta.get_field("intention_level").verbose_name) in card

    def test_another_stores_history_is_404(self, login, personas):
        theirs = CustomerFactory(owner=personas.other_consultant)
        assert login(personas.sales_manager).get(history_url(theirs)).status_code == 404

    def test_a_colleagues_customer_history_is_404_for_a_consultant(self, login, personas):
        theirs = CustomerFactory(owner=personas.colleague)
        assert login(personas.consultant).get(history_url(theirs)).status_code == 404

    def test_unknown_or_unscoped_models_are_404(self, login, personas):
        client = login(personas.group_manager)
        assert client.get("/history/customers/nothing/1/").status_code == 404
        assert client.get("/history/sessions/session/1/").status_code == 404

    def test_anonymous_is_sent_to_login(self, client, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = client.get(history_url(customer))
        assert response.status_code == 302

    def test_query_count_stays_fixed_as_history_grows(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        client = login(personas.sales_manager)

        def grow(n):
            for i in range(n):
                customer.intention_level = "ABC"[i % 3]
                customer.owner = (personas.consultant, personas.colleague)[i % 2]
                customer.save()

        def count(url):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            return len(ctx)

        grow(3)
        detail = reverse("customers:customer_detail", args=[customer.pk])
        small = (count(history_url(customer)), count(detail))
        grow(60)
        assert (count(history_url(customer)), count(detail)) == small
        page = client.get(history_url(customer))
        assert len(page.context["history"].entries) == 50
        assert page.context["history"].page.has_next()
