"""The order page's cards: each section posts to its own URL, refuses in the user's language,
and another consultant's or store's order is a 404 on every one of them."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from dealerplan.orders.models import AccessoryLine, SalesOrder
from tests.factories import CustomerFactory, DealFactory, PaymentFactory, TrimFactory
from tests.orders.factories_orders import ALL_TICKED, allocated_order, order_for

NOON = datetime.datetime(2026, 11, 20, 4, tzinfo=datetime.UTC)
SECTION_URLS = (
    "order_loan_apply",
    "order_loan_approve",
    "order_loan_disburse",
    "order_loan_reject",
    "order_insurance",
    "order_registration",
    "order_checklist",
    "order_accessories",
    "order_trade_in",
)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon_in_shanghai():
    with time_machine.travel(NOON, tick=False):
        yield


def post(client, name, order, data=None):
    return client.post(reverse(f"orders:{name}", args=[order.pk]), data or {}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def lines_data(*lines, initial=0):
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "30",
    }
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


class TestScope:
    def test_every_section_of_a_colleagues_or_other_stores_order_is_404(self, login, personas):
        theirs = allocated_order(personas.colleague, financing="loan")
        far = allocated_order(personas.other_consultant, financing="loan")
        consultant, manager = login(personas.consultant), None
        for name in SECTION_URLS:
            assert post(consultant, name, theirs).status_code == 404, name
        manager = login(personas.sales_manager)
        for name in SECTION_URLS:
            assert post(manager, name, far).status_code == 404, name
            assert manager.get(reverse(f"orders:{name}", args=[far.pk])).status_code == 404
        far.refresh_from_db()
        assert (far.loan_status, far.insurance_company, far.plate_number) == ("", "", "")

    def test_creating_an_order_from_someone_elses_deal_is_404(self, login, personas):
        deal = DealFactory(customer=CustomerFactory(owner=personas.colleague))
        url = reverse("orders:order_from_deal", args=[deal.pk])
        assert login(personas.consultant).post(url).status_code == 404
        far = DealFactory(customer=CustomerFactory(owner=personas.other_consultant))
        url = reverse("orders:order_from_deal", args=[far.pk])
        assert login(personas.sales_manager).post(url).status_code == 404
        assert not SalesOrder.objects.exists()


class TestSections:
    def test_consultant_fills_in_insurance_plate_checklist_and_trade_in(self, login, personas):
        order = allocated_order(personas.consultant)
        client = login(personas.consultant)
        response = post(
            client,
            "order_insurance",
            order,
            {"company": "中国人保", "premium": "5632.18", "commission": "844.83"},
        )
        assert messages_of(response) == [gettext("Insurance recorded.")]
        response = post(
            client,
            "order_registration",
            order,
            {"plate_number": "京ad 12345", "registration_date": "2026-11-20"},
        )
        assert messages_of(response) == [gettext("Plate recorded.")]
        post(client, "order_checklist", order, {name: "on" for name in ALL_TICKED})
        response = post(
            client, "order_trade_in", order, {"vehicle": "2016款 卡罗拉", "value": "30000"}
        )
        assert messages_of(response) == [gettext("Trade-in saved.")]
        order.refresh_from_db()
        assert (order.plate_number, order.insurance_commission, order.trade_in_value) == (
            "京AD12345",
            Decimal("844.83"),
            Decimal("30000.00"),
        )
        assert order.checklist_completed_at is not None
        page = response.text
        assert "京AD12345" in page and "¥70,000.00" in page  # what is still owed

    def test_bad_plate_is_refused_with_the_example_and_nothing_saved(self, login, personas):
        order = allocated_order(personas.consultant)
        response = post(
            login(personas.consultant),
            "order_registration",
            order,
            {"plate_number": "京A1234", "registration_date": "2026-11-20"},
        )
        assert response.status_code == 200 and "京A12345" in messages_of(response)[0]
        assert SalesOrder.objects.get(pk=order.pk).plate_number == ""

    def test_refusals_come_in_the_users_language(self, login, personas):
        order = allocated_order(personas.consultant)
        client = login(personas.consultant)
        response = post(
            client, "order_insurance", order, {"company": "平安", "premium": "1", "commission": "2"}
        )
        assert messages_of(response) == [gettext("The commission cannot exceed the premium.")]
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        response = post(client, "order_loan_apply", order, {"lender": "x", "amount": "1"})
        assert any("Applied on" in m for m in messages_of(response))

    def test_loan_steps_show_the_next_button_and_finance_disburses(self, login, personas):
        order = allocated_order(personas.consultant, financing="loan")
        PaymentFactory(order=order, kind="down_payment", amount=Decimal("40000.00"))
        client = login(personas.consultant)
        page = client.get(order.get_absolute_url()).text
        assert 'id="step-loan-apply"' in page and 'id="step-loan-approve"' not in page
        post(
            client,
            "order_loan_apply",
            order,
            {"lender": "大众汽车金融", "amount": "60000", "commission": "1200", "on": "2026-11-20"},
        )
        page = client.get(order.get_absolute_url()).text
        assert 'id="step-loan-approve"' in page and 'id="step-loan-reject"' in page
        post(client, "order_loan_approve", order, {"on": "2026-11-20"})
        page = client.get(order.get_absolute_url()).text
        assert 'id="step-loan-disburse"' not in page  # money is finance's
        response = post(client, "order_loan_disburse", order, {"on": "2026-11-20"})
        assert messages_of(response) == [gettext("Only finance and managers can record payments.")]
        finance = login(personas.finance)
        assert 'id="step-loan-disburse"' in finance.get(order.get_absolute_url()).text
        response = post(finance, "order_loan_disburse", order, {"on": "2026-11-20"})
        assert messages_of(response) == [gettext("Loan disbursed; the payment is recorded.")]
        order.refresh_from_db()
        assert order.loan_status == "disbursed" and order.payments.count() == 2
        assert "data-receivable>¥0.00<" in response.text

    def test_illegal_loan_step_by_post_is_refused(self, login, personas):
        order = allocated_order(personas.consultant, financing="loan")
        response = post(
            login(personas.consultant), "order_loan_approve", order, {"on": "2026-11-20"}
        )
        assert messages_of(response) == [gettext("Only an applied loan can be approved.")]
        assert SalesOrder.objects.get(pk=order.pk).loan_status == ""

    def test_accessory_formset_replaces_the_lines(self, login, personas):
        order = allocated_order(personas.consultant)
        client = login(personas.consultant)
        response = post(
            client,
            "order_accessories",
            order,
            lines_data(
                {"name": "隔热膜", "price": "3200", "cost": "1280"},
                {"name": "脚垫", "price": "0.07", "cost": ""},
            ),
        )
        assert messages_of(response) == [gettext("Accessories saved.")]
        order.refresh_from_db()
        assert (order.accessories_amount, order.total) == (Decimal("3200.07"), Decimal("103200.07"))
        post(
            client,
            "order_accessories",
            order,
            lines_data(
                {"name": "隔热膜", "price": "3200", "cost": "1280"},
                {"name": "脚垫", "price": "0.07", "cost": "0", "DELETE": "on"},
                {"name": "", "price": "", "cost": ""},
                initial=2,
            ),
        )
        assert list(AccessoryLine.objects.values_list("name", flat=True)) == ["隔热膜"]
        response = post(
            client, "order_accessories", order, lines_data({"name": "膜", "price": "-5"})
        )
        assert response.status_code == 200 and messages_of(response)
        assert AccessoryLine.objects.count() == 1

    def test_finance_cannot_tick_the_checklist_of_a_delivered_order(self, login, personas):
        order = allocated_order(personas.consultant, status="delivered", **ALL_TICKED)
        page = login(personas.finance).get(order.get_absolute_url()).text
        assert reverse("orders:order_checklist", args=[order.pk]) not in page
        response = post(login(personas.finance), "order_checklist", order, {})
        assert "不能再修改" in messages_of(response)[0] or "no longer" in messages_of(response)[0]
        assert SalesOrder.objects.get(pk=order.pk).customer_signed_off


class TestPages:
    def test_detail_shows_every_card_and_the_gross_profit_composition(self, login, personas):
        order = allocated_order(personas.consultant, financing="loan", cost="88000.00")
        AccessoryLine.objects.create(order=order, name="底盘装甲", price=Decimal("1500"), cost=0)
        page = login(personas.consultant).get(order.get_absolute_url()).text
        for card in (
            "section-gross-profit",
            "section-accessories",
            "section-loan",
            "section-insurance",
            "section-registration",
            "section-trade-in",
            "section-checklist",
        ):
            assert f'id="{card}"' in page, card
        assert "底盘装甲" in page and "¥12,000.00" in page  # vehicle margin

    def test_unknown_vehicle_cost_is_said_on_the_page(self, login, personas):
        page = login(personas.consultant).get(order_for(personas.consultant).get_absolute_url())
        assert gettext("Vehicle cost not known until a vehicle is allocated; counted as 0.") in (
            page.text
        )
        assert 'id="section-loan"' not in page.text  # a cash order has no loan card

    def test_detail_query_count_does_not_grow_with_lines_and_payments(self, login, personas):
        order = allocated_order(personas.consultant)
        client = login(personas.consultant)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(order.get_absolute_url()).status_code == 200
            return len(ctx.captured_queries)

        def add(n):
            for i in range(n):
                AccessoryLine.objects.create(order=order, name=f"精品{i}", price=1, cost=0)
                PaymentFactory(order=order, amount=Decimal("1.00"))

        add(2)
        few = count_queries()
        add(20)
        assert count_queries() == few

    def test_draft_edit_form_leaves_accessories_to_their_lines(self, login, personas):
        order = order_for(personas.consultant)
        page = login(personas.consultant).get(reverse("orders:order_edit", args=[order.pk]))
        assert 'name="accessories_amount"' not in page.text
        assert 'name="vehicle_price"' in page.text

    def test_deal_page_has_a_create_order_button_that_makes_a_draft(self, login, personas):
        trim = TrimFactory()
        customer = CustomerFactory(owner=personas.consultant, intended_trim=trim)
        deal = DealFactory(customer=customer, amount=Decimal("130000.00"))
        client = login(personas.consultant)
        page = client.get(deal.get_absolute_url()).text
        assert reverse("orders:order_from_deal", args=[deal.pk]) in page
        response = client.post(reverse("orders:order_from_deal", args=[deal.pk]), follow=True)
        order = SalesOrder.objects.get()
        assert response.redirect_chain[-1][0] == order.get_absolute_url()
        assert order.deal == deal and order.total == Decimal("130000.00")
        response = client.post(reverse("orders:order_from_deal", args=[deal.pk]), follow=True)
        assert response.redirect_chain[-1][0] == deal.get_absolute_url()
        assert SalesOrder.objects.count() == 1

    def test_lost_deal_has_no_create_order_button(self, login, personas):
        deal = DealFactory(customer=CustomerFactory(owner=personas.consultant), status="lost")
        page = login(personas.consultant).get(deal.get_absolute_url()).text
        assert reverse("orders:order_from_deal", args=[deal.pk]) not in page

    def test_order_list_finds_a_plate(self, login, personas):
        order = allocated_order(personas.consultant, plate_number="京N66A88")
        other = allocated_order(personas.consultant)
        page = login(personas.consultant).get(reverse("orders:order_list"), {"q": "n66a"}).text
        assert order.number in page and other.number not in page
