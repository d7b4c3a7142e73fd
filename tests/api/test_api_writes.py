"""Writes through the API obey the same service rules as the pages, with the same messages."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.customers.models import Customer, LevelChange
from dealerplan.deals.models import StageChange
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle
from dealerplan.orders.models import Payment, SalesOrder
from dealerplan.planning.choices import PeriodType, PlanStatus
from tests.api.factories_api import PlanFactory
from tests.deals.factories_deals import default_stages, make_deal
from tests.factories import (
    ColorFactory,
    CustomerFactory,
    SalesOrderFactory,
    TrafficEntryFactory,
    TrimFactory,
    VehicleFactory,
    vin_for,
)

NOW = datetime.datetime(2026, 5, 14, 2, 30, tzinfo=datetime.UTC)  # 10:30 in Shanghai


def post(client, name, data, *args):
    return client.post(reverse(name, args=args), data, format="json")


def patch(client, name, data, *args):
    return client.patch(reverse(name, args=args), data, format="json")


@pytest.mark.django_db
class TestCustomers:
    def test_consultant_creates_own_customer_with_normalised_phone(self, api, personas):
        response = post(
            api(personas.consultant),
            "api:customer-list",
            {"name": "张三", "phone": "138 1234 8000", "intention_level": "H"},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["phone"] == "13812348000"
        assert body["owner"] == personas.consultant.pk
        assert body["store"] == personas.store.pk
        customer = Customer.objects.get(pk=body["id"])
        assert LevelChange.objects.filter(customer=customer, to_level="H").exists()

    def test_invalid_phone_is_400_with_the_chinese_message(self, api, personas):
        response = post(
            api(personas.consultant), "api:customer-list", {"name": "张三", "phone": "12345"}
        )
        assert response.status_code == 400
        assert response.json() == {
            "phone": ["请输入有效的手机号（以 1 开头的 11 位数字）或带区号的固定电话号码。"]
        }
        assert not Customer.objects.exists()

    def test_phone_already_in_the_store_is_400_with_the_forms_message(self, api, personas):
        CustomerFactory(owner=personas.colleague, phone="13812348000")
        response = post(
            api(personas.consultant),
            "api:customer-list",
            {"name": "张三", "phone": "+86 138-1234-8000"},
        )
        assert response.status_code == 400
        assert response.json() == {"phone": ["该电话号码已属于本店的一位客户。"]}

    def test_consultant_cannot_create_a_customer_in_another_store(self, api, personas):
        response = post(
            api(personas.consultant),
            "api:customer-list",
            {"name": "张三", "phone": "13812348000", "store": personas.other_store.pk},
        )
        assert response.status_code == 400
        assert "store" in response.json()
        assert not Customer.objects.exists()

    def test_consultant_cannot_hand_a_card_to_a_colleague(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = patch(
            api(personas.consultant),
            "api:customer-detail",
            {"owner": personas.colleague.pk},
            customer.pk,
        )
        assert response.status_code == 403
        customer.refresh_from_db()
        assert customer.owner == personas.consultant

    def test_manager_reassigns_and_a_hand_set_tier_is_kept(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = patch(
            api(personas.sales_manager),
            "api:customer-detail",
            {"owner": personas.colleague.pk, "account_tier": "vip"},
            customer.pk,
        )
        assert response.status_code == 200, response.content
        customer.refresh_from_db()
        assert customer.owner == personas.colleague
        assert customer.tier_overridden

    def test_finance_cannot_create_customers(self, api, personas):
        response = post(
            api(personas.finance), "api:customer-list", {"name": "张三", "phone": "13812348000"}
        )
        assert response.status_code == 403
        assert not Customer.objects.exists()

    def test_nothing_is_deleted_through_the_api(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant)
        client = api(personas.sales_manager)
        response = client.delete(reverse("api:customer-detail", args=[customer.pk]))
        assert response.status_code == 405
        assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen")
class TestActivities:
    def test_logging_a_call_moves_the_customers_follow_up(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant, intention_level="A")
        response = post(
            api(personas.consultant),
            "api:activity-list",
            {"customer": customer.pk, "kind": "call", "outcome": "reached", "notes": "约周六试驾"},
        )
        assert response.status_code == 201, response.content
        assert response.json()["done_at"] == "2026-05-14T10:30:00+08:00"
        customer.refresh_from_db()
        assert customer.last_contact_at == NOW
        assert customer.next_follow_up_at > NOW

    def test_lost_level_needs_a_managers_approval(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = post(
            api(personas.consultant),
            "api:activity-list",
            {"customer": customer.pk, "kind": "call", "new_level": "F"},
        )
        assert response.status_code == 400
        assert response.json() == {"new_level": ["战败（F）需要经理审批，请提交战败申请。"]}
        assert not Activity.objects.exists()

    def test_planning_a_visit_puts_it_in_the_diary(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = post(
            api(personas.consultant),
            "api:activity-plan",
            {"customer": customer.pk, "kind": "visit", "planned_at": "2026-05-15T14:00:00+08:00"},
        )
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "planned"
        assert response.json()["planned_at"] == "2026-05-15T14:00:00+08:00"


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen")
class TestTraffic:
    def test_walk_in_opens_a_lead_card_for_its_consultant(self, api, personas):
        response = post(
            api(personas.consultant),
            "api:traffic-entry-list",
            {
                "kind": "walk_in",
                "arrived_at": "2026-05-14T10:00:00+08:00",
                "visitor_name": "李四",
                "visitor_phone": "13912345678",
                "open_card": True,
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["visitor_phone"] == "13912345678"
        assert body["visit_type"] == "F"
        card = Customer.objects.get(pk=body["customer"])
        assert card.owner == personas.consultant and card.intention_level == "B"

    def test_phone_is_masked_for_anyone_but_its_consultant_and_managers(self, api, personas):
        TrafficEntryFactory(consultant=personas.consultant, visitor_phone="13812348000")
        rows = api(personas.finance).get(reverse("api:traffic-entry-list")).json()["results"]
        assert rows[0]["visitor_phone"] == "138****8000"
        rows = api(personas.consultant).get(reverse("api:traffic-entry-list")).json()["results"]
        assert rows[0]["visitor_phone"] == "13812348000"

    def test_a_colleagues_card_is_only_said_to_be_linked(self, api, personas):
        card = CustomerFactory(owner=personas.colleague, phone="13812348000")
        TrafficEntryFactory(consultant=personas.consultant, customer=card)
        rows = api(personas.consultant).get(reverse("api:traffic-entry-list")).json()["results"]
        assert rows[0]["customer"] is None and rows[0]["customer_linked"] is True
        rows = api(personas.sales_manager).get(reverse("api:traffic-entry-list")).json()["results"]
        assert rows[0]["customer"] == card.pk

    def test_departure_before_arrival_is_refused(self, api, personas):
        response = post(
            api(personas.consultant),
            "api:traffic-entry-list",
            {
                "kind": "walk_in",
                "arrived_at": "2026-05-14T10:00:00+08:00",
                "left_at": "2026-05-14T09:00:00+08:00",
            },
        )
        assert response.status_code == 400
        assert response.json() == {"left_at": ["离店时间必须晚于到店时间。"]}
        assert not TrafficEntry.objects.exists()

    def test_departed_action_records_the_time(self, api, personas):
        entry = TrafficEntryFactory(
            consultant=personas.consultant, arrived_at=NOW - datetime.timedelta(hours=1)
        )
        response = post(api(personas.consultant), "api:traffic-entry-departed", {}, entry.pk)
        assert response.status_code == 200, response.content
        assert response.json()["left_at"] == "2026-05-14T10:30:00+08:00"


@pytest.mark.django_db
class TestDeals:
    def test_consultants_deal_is_their_own_and_starts_its_stage_history(self, api, personas):
        stage = default_stages(personas.store)["意向"]
        customer = CustomerFactory(owner=personas.consultant)
        response = post(
            api(personas.consultant),
            "api:deal-list",
            {
                "title": "速腾 2 台",
                "customer": customer.pk,
                "owner": personas.colleague.pk,
                "pipeline": stage.pipeline_id,
                "stage": stage.pk,
                "amount": "279800.00",
                "units": 2,
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["owner"] == personas.consultant.pk
        assert body["amount"] == "279800.00"
        assert StageChange.objects.filter(deal_id=body["id"], to_stage=stage).exists()

    def test_move_to_a_won_stage_closes_the_deal(self, api, personas):
        deal = make_deal(personas.consultant)
        won = default_stages(personas.store)["订单"]
        response = post(api(personas.consultant), "api:deal-move", {"stage": won.pk}, deal.pk)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "won"
        assert response.json()["next_follow_up_at"] is None

    def test_stage_of_another_pipeline_is_refused(self, api, personas):
        deal = make_deal(personas.consultant)
        fleet_stage = default_stages(personas.store)["投标"]
        response = post(
            api(personas.consultant), "api:deal-move", {"stage": fleet_stage.pk}, deal.pk
        )
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["该阶段属于另一个销售流程。"]}


@pytest.mark.django_db
class TestVehicles:
    def vehicle_data(self, **extra):
        return {
            "vin": vin_for(4711).lower(),
            "trim": TrimFactory().pk,
            "color": ColorFactory().pk,
            "arrival_date": "2026-05-01",
            "cost": "120000.00",
            **extra,
        }

    def test_manager_adds_a_car_with_the_vin_normalised(self, api, personas):
        response = post(api(personas.sales_manager), "api:vehicle-list", self.vehicle_data())
        assert response.status_code == 201, response.content
        assert response.json()["vin"] == vin_for(4711)
        assert response.json()["store"] == personas.store.pk

    def test_bad_check_digit_is_refused(self, api, personas):
        vin = vin_for(4711)
        wrong = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]
        response = post(
            api(personas.sales_manager), "api:vehicle-list", self.vehicle_data(vin=wrong)
        )
        assert response.status_code == 400
        assert "vin" in response.json()
        assert not Vehicle.objects.exists()

    def test_consultant_cannot_add_stock(self, api, personas):
        response = post(api(personas.consultant), "api:vehicle-list", self.vehicle_data())
        assert response.status_code == 403

    def test_sold_is_set_by_an_order_not_by_hand(self, api, personas):
        vehicle = VehicleFactory(store=personas.store)
        response = patch(
            api(personas.sales_manager), "api:vehicle-detail", {"status": "sold"}, vehicle.pk
        )
        assert response.status_code == 400
        assert list(response.json()) == ["status"]
        vehicle.refresh_from_db()
        assert vehicle.status == VehicleStatus.IN_STOCK


@pytest.mark.django_db
class TestOrders:
    def test_consultant_creates_a_draft_order_with_money_as_strings(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant)
        trim = TrimFactory()
        response = post(
            api(personas.consultant),
            "api:order-list",
            {
                "customer": customer.pk,
                "trim": trim.pk,
                "vehicle_price": "139900.00",
                "discount": "5000.00",
                "accessories_amount": "2000.50",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "draft" and body["number"]
        assert body["total"] == "136900.50"
        assert body["receivable"] == "136900.50"
        assert body["order_date"] == timezone.localdate().isoformat()

    def test_discount_above_price_is_refused(self, api, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = post(
            api(personas.consultant),
            "api:order-list",
            {
                "customer": customer.pk,
                "trim": TrimFactory().pk,
                "vehicle_price": "1000.00",
                "discount": "2000.00",
            },
        )
        assert response.status_code == 400
        assert response.json() == {"discount": ["折扣不能超过车价加精品加装金额。"]}
        assert not SalesOrder.objects.exists()

    def test_a_vin_is_allocated_to_one_order_only(self, api, personas):
        first = SalesOrderFactory(customer=CustomerFactory(owner=personas.consultant))
        second = SalesOrderFactory(
            customer=CustomerFactory(owner=personas.consultant), trim=first.trim
        )
        vehicle = VehicleFactory(store=personas.store, trim=first.trim)
        client = api(personas.consultant)

        ok = post(client, "api:order-allocate-vehicle", {"vehicle": vehicle.pk}, first.pk)
        assert ok.status_code == 200, ok.content
        assert ok.json()["status"] == "allocated" and ok.json()["vin"] == vehicle.vin
        refused = post(client, "api:order-allocate-vehicle", {"vehicle": vehicle.pk}, second.pk)
        assert refused.status_code == 400
        assert refused.json() == {"non_field_errors": [f"车辆 {vehicle.vin} 已分配给其他订单。"]}
        vehicle.refresh_from_db()
        assert vehicle.status == VehicleStatus.RESERVED

    def test_finance_receives_a_payment_and_a_draft_is_confirmed(self, api, personas):
        order = SalesOrderFactory(customer=CustomerFactory(owner=personas.consultant))
        response = post(
            api(personas.finance),
            "api:order-receive-payment",
            {
                "kind": "deposit",
                "method": "wechat",
                "amount": "5000.00",
                "received_on": "2026-05-14",
            },
            order.pk,
        )
        assert response.status_code == 201, response.content
        assert response.json()["amount"] == "5000.00"
        order.refresh_from_db()
        assert order.status == "confirmed"

    def test_consultant_cannot_receive_payments(self, api, personas):
        order = SalesOrderFactory(customer=CustomerFactory(owner=personas.consultant))
        response = post(
            api(personas.consultant),
            "api:order-receive-payment",
            {"kind": "deposit", "method": "cash", "amount": "5000.00", "received_on": "2026-05-14"},
            order.pk,
        )
        assert response.status_code == 403
        assert not Payment.objects.exists()


@pytest.mark.django_db
class TestPlans:
    def test_manager_locks_a_year_plan_and_its_months(self, api, personas):
        year = PlanFactory(
            store=personas.store,
            period_type=PeriodType.YEAR,
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
        )
        month = PlanFactory(consultant=personas.consultant, parent=year)
        response = post(api(personas.sales_manager), "api:plan-lock", {}, year.pk)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "locked"
        month.refresh_from_db()
        assert month.status == PlanStatus.LOCKED

    def test_consultant_cannot_lock_their_plan(self, api, personas):
        plan = PlanFactory(consultant=personas.consultant)
        response = post(api(personas.consultant), "api:plan-lock", {}, plan.pk)
        assert response.status_code == 403
        plan.refresh_from_db()
        assert plan.status == PlanStatus.DRAFT

    def test_revision_needs_a_reason(self, api, personas):
        plan = PlanFactory(store=personas.store, status=PlanStatus.LOCKED)
        response = post(api(personas.sales_manager), "api:plan-revise", {"reason": " "}, plan.pk)
        assert response.status_code == 400
        plan.refresh_from_db()
        assert plan.revision == 1 and plan.status == PlanStatus.LOCKED


def test_money_fields_are_decimal_strings():
    from dealerplan.orders.api import OrderSerializer

    field = OrderSerializer().fields["total"]
    assert field.to_representation(Decimal("1.5")) == "1.50"
