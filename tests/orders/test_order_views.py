"""Order pages: list, detail, add/edit drafts, and each next step through its own URL."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.inventory.models import Vehicle
from dealerplan.orders import services
from dealerplan.orders.models import CHECKLIST_FIELDS, Payment, SalesOrder
from tests.factories import (
    CustomerFactory,
    PaymentFactory,
    SalesOrderFactory,
    TrimFactory,
    VehicleFactory,
)
from tests.view_suite import ScopedViewSuite, export_rows

DAY = datetime.date(2026, 11, 20)


class TestOrderViews(ScopedViewSuite):
    model = SalesOrder
    list_url_name = "orders:order_list"
    detail_url_name = "orders:order_detail"
    add_url_name = "orders:order_add"
    edit_url_name = "orders:order_edit"
    admin_change_url_name = "admin:orders_salesorder_change"
    label_attr = "number"

    def make_record(self, owner):
        return SalesOrderFactory(customer=CustomerFactory(owner=owner))

    def valid_form_data(self, personas):
        customer = CustomerFactory(owner=personas.consultant, name="下单客户")
        return {
            "customer": customer.pk,
            "trim": TrimFactory().pk,
            "order_date": "2026-11-20",
            "vehicle_price": "139900",
            "discount": "5000",
            "accessories_amount": "2000.50",
            "financing": "cash",
            "co_share": "0",
        }


def messages_of(response) -> list[str]:
    """The messages shown on the page a step redirected to (follow=True)."""
    return [str(m) for m in response.context["messages"]]


def order_for(owner, trim=None, **extra):
    return SalesOrderFactory(
        customer=CustomerFactory(owner=owner),
        trim=trim or TrimFactory(),
        vehicle_price=Decimal("100000.00"),
        discount=Decimal("0"),
        accessories_amount=Decimal("0"),
        total=Decimal("100000.00"),
        **extra,
    )


@pytest.mark.django_db
class TestOrderAdd:
    def post(self, client, customer, **overrides):
        data = {
            "customer": customer.pk,
            "trim": TrimFactory().pk,
            "order_date": "2026-11-20",
            "vehicle_price": "139900",
            "discount": "5000",
            "accessories_amount": "2000.50",
            "financing": "cash",
            "co_share": "0",
        }
        data.update(overrides)
        return client.post(reverse("orders:order_add") + f"?customer={customer.pk}", data)

    def test_order_from_a_customer_is_numbered_and_totalled(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, name="王先生")
        client = login(personas.consultant)
        page = client.get(reverse("orders:order_add"), {"customer": customer.pk})
        assert page.status_code == 200 and "王先生" in page.text
        response = self.post(client, customer)
        order = SalesOrder.objects.get()
        assert response["Location"] == order.get_absolute_url()
        assert order.number == "SO202611-0001"
        assert order.total == Decimal("136900.50")
        assert order.consultant == personas.consultant and order.store == personas.store
        self.post(client, customer)
        assert SalesOrder.objects.order_by("-pk").first().number == "SO202611-0002"

    def test_manager_order_goes_to_the_customers_owner(self, login, personas):
        customer = CustomerFactory(owner=personas.colleague)
        self.post(login(personas.sales_manager), customer)
        assert SalesOrder.objects.get().consultant == personas.colleague

    def test_negative_money_gets_a_chinese_field_error(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = self.post(login(personas.consultant), customer, discount="-1")
        assert response.status_code == 200
        assert "大于或等于" in str(response.context["form"].errors["discount"])
        assert not SalesOrder.objects.exists()

    def test_discount_above_the_price_is_refused_in_chinese(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = self.post(login(personas.consultant), customer, discount="200000")
        assert "折扣" in str(response.context["form"].errors["discount"])
        assert not SalesOrder.objects.exists()

    def test_colleagues_customer_is_404_and_cannot_be_ordered(self, login, personas):
        customer = CustomerFactory(owner=personas.colleague)
        client = login(personas.consultant)
        assert client.get(reverse("orders:order_add"), {"customer": customer.pk}).status_code == 404
        response = client.post(
            reverse("orders:order_add"),
            {
                "customer": customer.pk,
                "trim": TrimFactory().pk,
                "order_date": "2026-11-20",
                "vehicle_price": "1",
                "discount": "0",
                "accessories_amount": "0",
                "financing": "cash",
                "co_share": "0",
            },
        )
        assert response.status_code == 200 and "customer" in response.context["form"].errors
        assert not SalesOrder.objects.exists()

    def test_only_drafts_can_be_edited(self, login, personas):
        order = order_for(personas.consultant, status="confirmed")
        response = login(personas.consultant).get(
            reverse("orders:order_edit", args=[order.pk]), follow=True
        )
        assert response.redirect_chain == [(order.get_absolute_url(), 302)]
        assert "草稿" in messages_of(response)[0]

    def test_editing_a_draft_recomputes_the_total(self, login, personas):
        order = order_for(personas.consultant)
        response = login(personas.consultant).post(
            reverse("orders:order_edit", args=[order.pk]),
            {
                "trim": order.trim_id,
                "order_date": "2026-11-20",
                "vehicle_price": "120000",
                "discount": "1000",
                "accessories_amount": "0",
                "financing": "loan",
                "co_share": "0",
            },
        )
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.total == Decimal("119000.00") and order.financing == "loan"


@pytest.mark.django_db
class TestOrderList:
    def test_filters_by_vin_and_status_and_exports_outstanding(self, login, personas):
        trim = TrimFactory()
        vehicle = VehicleFactory(store=personas.store, trim=trim)
        sold = order_for(personas.consultant, trim, vehicle=vehicle, status="allocated")
        PaymentFactory(order=sold, amount=Decimal("30000.00"))
        other = order_for(personas.consultant, trim)
        client = login(personas.consultant)
        page = client.get(reverse("orders:order_list"), {"q": vehicle.vin[-6:]}).text
        assert sold.number in page and other.number not in page
        page = client.get(reverse("orders:order_list"), {"status": "draft"}).text
        assert other.number in page and sold.number not in page
        rows = export_rows(client.get(reverse("orders:order_list"), {"export": "xlsx"}))
        by_number = {row[0]: row for row in rows[1:]}
        assert by_number[sold.number][-1] == 70000
        assert by_number[other.number][-1] == 100000

    def test_consultant_has_no_consultant_filter_manager_has(self, login, personas):
        page = login(personas.consultant).get(reverse("orders:order_list")).text
        assert 'name="consultant"' not in page
        page = login(personas.sales_manager).get(reverse("orders:order_list")).text
        assert 'name="consultant"' in page

    @pytest.mark.parametrize("user", ["consultant", "sales_manager"])
    def test_list_query_count_does_not_grow_with_rows(self, login, personas, user):
        trim = TrimFactory()
        client = login(getattr(personas, user))

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("orders:order_list")).status_code == 200
            return len(ctx.captured_queries)

        def make(n):
            for _ in range(n):
                order = order_for(personas.consultant, trim)
                order.vehicle = VehicleFactory(store=personas.store, trim=trim)
                order.save()
                PaymentFactory(order=order)

        make(3)
        few = count_queries()
        make(30)
        assert count_queries() == few


@pytest.mark.django_db
class TestOrderSteps:
    def post(self, client, name, order, data=None):
        return client.post(reverse(f"orders:{name}", args=[order.pk]), data or {}, follow=True)

    def test_every_step_of_a_colleagues_or_other_stores_order_is_404(self, login, personas):
        mine = login(personas.consultant)
        theirs = order_for(personas.colleague)
        for name in ("order_allocate", "order_payment", "order_invoice", "order_deliver"):
            assert self.post(mine, name, theirs).status_code == 404, name
        assert self.post(mine, "order_cancel", theirs, {"reason": "x"}).status_code == 404
        for name in ("order_detail", "order_edit"):
            assert mine.get(reverse(f"orders:{name}", args=[theirs.pk])).status_code == 404
        far = order_for(personas.other_consultant)
        manager = login(personas.sales_manager)
        for name in (
            "order_allocate",
            "order_payment",
            "order_invoice",
            "order_deliver",
            "order_cancel",
        ):
            assert self.post(manager, name, far).status_code == 404, name
            assert manager.get(reverse(f"orders:{name}", args=[far.pk])).status_code == 404

    def test_detail_shows_payments_and_the_receivable(self, login, personas):
        order = order_for(personas.consultant)
        PaymentFactory(order=order, amount=Decimal("5000.00"))
        page = login(personas.consultant).get(order.get_absolute_url()).text
        assert "¥5,000.00" in page and "¥95,000.00" in page
        assert 'id="step-payment"' not in page and 'id="step-cancel"' not in page

    def test_allocate_offers_the_trims_stock_and_reserves_it(self, login, personas):
        trim = TrimFactory()
        order = order_for(personas.consultant, trim)
        car = VehicleFactory(store=personas.store, trim=trim)
        other_trim_car = VehicleFactory(store=personas.store)
        client = login(personas.consultant)
        page = client.get(order.get_absolute_url()).text
        assert car.vin in page and other_trim_car.vin not in page
        response = self.post(client, "order_allocate", order, {"vehicle": car.pk})
        assert response.redirect_chain == [(order.get_absolute_url(), 302)]
        assert messages_of(response) == ["已分配车辆。"]
        order.refresh_from_db()
        car.refresh_from_db()
        assert order.vehicle == car and order.status == "allocated" and car.status == "reserved"

    def test_allocating_a_taken_vehicle_is_refused_in_chinese(self, login, personas):
        trim = TrimFactory()
        car = VehicleFactory(store=personas.store, trim=trim)
        order_for(personas.colleague, trim, vehicle=car, status="allocated")
        order = order_for(personas.consultant, trim)
        response = self.post(
            login(personas.consultant), "order_allocate", order, {"vehicle": car.pk}
        )
        assert response.status_code == 200
        assert f"车辆 {car.vin}" in messages_of(response)[0]
        order.refresh_from_db()
        assert order.vehicle is None and order.status == "draft"

    @time_machine.travel(datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC), tick=False)
    def test_finance_records_a_payment_which_confirms_the_order(self, login, personas):
        order = order_for(personas.consultant)
        client = login(personas.finance)
        assert 'id="step-payment"' in client.get(order.get_absolute_url()).text
        response = self.post(
            client,
            "order_payment",
            order,
            {"kind": "deposit", "method": "wechat", "amount": "5000", "received_on": "2026-11-20"},
        )
        assert messages_of(response) == ["已记录收款。"]
        order.refresh_from_db()
        assert order.status == "confirmed" and services.receivable(order) == Decimal("95000.00")

    def test_refund_above_what_was_paid_is_refused_in_chinese(self, login, personas):
        order = order_for(personas.consultant)
        response = self.post(
            login(personas.finance),
            "order_payment",
            order,
            {"kind": "refund", "method": "cash", "amount": "10", "received_on": "2026-11-20"},
        )
        assert "退款" in messages_of(response)[0]
        assert not Payment.objects.exists()

    def test_consultant_cannot_post_a_payment(self, login, personas):
        order = order_for(personas.consultant)
        response = self.post(
            login(personas.consultant),
            "order_payment",
            order,
            {"kind": "deposit", "method": "cash", "amount": "5000", "received_on": "2026-11-20"},
        )
        assert response.status_code == 200
        assert "财务" in messages_of(response)[0]
        assert not Payment.objects.exists()

    def test_invoice_is_recorded_and_a_blank_number_refused(self, login, personas):
        order = order_for(personas.consultant)
        client = login(personas.consultant)
        response = self.post(
            client, "order_invoice", order, {"number": " ", "date": "2026-11-20", "amount": "1"}
        )
        assert "发票号" in messages_of(response)[0]
        order.refresh_from_db()
        assert order.invoice_number == ""
        response = self.post(
            client,
            "order_invoice",
            order,
            {"number": "FP001", "date": "2026-11-20", "amount": "100000"},
        )
        assert messages_of(response) == ["已记录发票。"]
        order.refresh_from_db()
        assert order.invoice_number == "FP001" and order.invoice_amount == Decimal("100000")

    def test_delivery_needs_payment_then_hands_the_car_over(self, login, personas):
        car = VehicleFactory(store=personas.store, status="reserved")
        order = order_for(
            personas.consultant,
            car.trim,
            vehicle=car,
            status="allocated",
            invoice_number="FP1",
            invoice_date=DAY,
            invoice_amount=Decimal("100000"),
            **dict.fromkeys(CHECKLIST_FIELDS, True),
        )
        client = login(personas.consultant)
        response = self.post(client, "order_deliver", order, {"on": "2026-11-21"})
        assert "未付" in messages_of(response)[0] or "欠" in messages_of(response)[0]
        order.refresh_from_db()
        assert order.status == "allocated"
        PaymentFactory(order=order, amount=Decimal("100000.00"))
        response = self.post(client, "order_deliver", order, {"on": "2026-11-21"})
        assert messages_of(response) == ["订单已交车。"]
        order.refresh_from_db()
        assert order.status == "delivered" and order.delivery_date == datetime.date(2026, 11, 21)
        assert Vehicle.objects.get(pk=car.pk).status == "delivered"

    def test_manager_cancels_with_a_reason_and_the_car_returns(self, login, personas):
        car = VehicleFactory(store=personas.store, status="reserved")
        order = order_for(personas.consultant, car.trim, vehicle=car, status="allocated")
        client = login(personas.sales_manager)
        assert 'id="step-cancel"' in client.get(order.get_absolute_url()).text
        response = self.post(client, "order_cancel", order, {"reason": ""})
        assert "原因" in messages_of(response)[0]
        order.refresh_from_db()
        assert order.status == "allocated"
        response = self.post(client, "order_cancel", order, {"reason": "客户放弃"})
        assert messages_of(response) == ["订单已取消。"]
        order.refresh_from_db()
        assert order.status == "cancelled" and order.cancel_reason == "客户放弃"
        assert Vehicle.objects.get(pk=car.pk).status == "in_stock"

    def test_consultant_cannot_cancel(self, login, personas):
        order = order_for(personas.consultant)
        response = self.post(login(personas.consultant), "order_cancel", order, {"reason": "x"})
        assert response.status_code == 200
        assert "经理" in messages_of(response)[0]
        order.refresh_from_db()
        assert order.status == "draft"

    def test_refusal_is_shown_in_english_after_switching(self, login, personas):
        order = order_for(personas.consultant)
        client = login(personas.consultant)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        response = client.post(
            reverse("orders:order_cancel", args=[order.pk]), {"reason": "x"}, follow=True
        )
        assert "Only managers can cancel an order." in response.text


@pytest.mark.django_db
def test_an_order_with_a_vehicle_is_not_allocated_again(login, personas):
    trim = TrimFactory()
    first = VehicleFactory(store=personas.store, trim=trim, status="reserved")
    second = VehicleFactory(store=personas.store, trim=trim)
    order = order_for(personas.consultant, trim, vehicle=first, status="confirmed")
    client = login(personas.consultant)
    assert 'id="step-allocate"' not in client.get(order.get_absolute_url()).text
    response = client.post(
        reverse("orders:order_allocate", args=[order.pk]), {"vehicle": second.pk}, follow=True
    )
    assert messages_of(response) == ["该订单已分配车辆。"]
    order.refresh_from_db()
    assert order.vehicle == first
