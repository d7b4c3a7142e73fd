"""An order's life: allocation (one VIN, one order), payments, invoice, delivery, cancellation."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from dealerplan.customers.models import LevelChange
from dealerplan.inventory.models import Vehicle
from dealerplan.orders import services
from dealerplan.orders.models import CHECKLIST_FIELDS as CHECKLIST
from dealerplan.orders.models import Payment, SalesOrder
from tests.factories import CustomerFactory, SalesOrderFactory, TrimFactory, VehicleFactory

DAY = datetime.date(2026, 11, 20)


def order_for(owner, trim, total="139900.00", **extra):
    return SalesOrderFactory(
        customer=CustomerFactory(owner=owner),
        trim=trim,
        vehicle_price=Decimal(total),
        discount=Decimal("0"),
        accessories_amount=Decimal("0"),
        total=Decimal(total),
        **extra,
    )


@pytest.fixture
def trim(db):
    return TrimFactory()


@pytest.mark.django_db
class TestAllocation:
    def test_allocating_reserves_the_vehicle(self, personas, trim):
        order = order_for(personas.consultant, trim)
        vehicle = VehicleFactory(store=personas.store, trim=trim)
        services.allocate_vehicle(user=personas.consultant, order=order, vehicle=vehicle)
        vehicle.refresh_from_db()
        order.refresh_from_db()
        assert (order.status, order.vehicle, vehicle.status) == ("allocated", vehicle, "reserved")

    def test_a_vin_goes_to_one_order_only_with_a_clear_message(self, personas, trim):
        first, second = order_for(personas.consultant, trim), order_for(personas.colleague, trim)
        vehicle = VehicleFactory(store=personas.store, trim=trim)
        services.allocate_vehicle(user=personas.consultant, order=first, vehicle=vehicle)
        with pytest.raises(ValidationError) as error:
            services.allocate_vehicle(user=personas.colleague, order=second, vehicle=vehicle)
        assert error.value.code == "vin_taken" and vehicle.vin in str(error.value)
        second.refresh_from_db()
        assert second.vehicle is None and second.status == "draft"

    def test_another_stores_vehicle_or_another_trim_is_refused(self, personas, trim):
        order = order_for(personas.consultant, trim)
        with pytest.raises(ValidationError):
            services.allocate_vehicle(
                user=personas.consultant,
                order=order,
                vehicle=VehicleFactory(store=personas.other_store, trim=trim),
            )
        with pytest.raises(ValidationError):
            services.allocate_vehicle(
                user=personas.consultant, order=order, vehicle=VehicleFactory(store=personas.store)
            )
        order.refresh_from_db()
        assert order.vehicle is None

    def test_a_colleagues_order_cannot_be_touched(self, personas, trim):
        order = order_for(personas.colleague, trim)
        with pytest.raises(PermissionDenied):
            services.allocate_vehicle(
                user=personas.consultant,
                order=order,
                vehicle=VehicleFactory(store=personas.store, trim=trim),
            )


@pytest.mark.django_db
class TestPaymentsAndDelivery:
    def pay(self, user, order, amount, kind="balance"):
        return services.receive_payment(
            user=user,
            order=order,
            kind=kind,
            method="transfer",
            amount=Decimal(amount),
            received_on=DAY,
        )

    def test_receivable_is_exact_to_the_fen_with_awkward_amounts(self, personas, trim):
        order = order_for(personas.consultant, trim, total="123456.78")
        for amount in ("0.01", "33333.33", "33333.33", "33333.34", "0.10"):
            self.pay(personas.finance, order, amount)
        self.pay(personas.finance, order, "0.03", kind="refund")
        # 0.01 + 33,333.33 + 33,333.33 + 33,333.34 + 0.10 - 0.03 refunded = 100,000.08
        assert str(services.paid_amount(order)) == "100000.08"
        assert str(services.receivable(order)) == "23456.70"

    def test_delivery_needs_invoice_and_full_payment_or_a_disbursed_loan(self, personas, trim):
        order = order_for(personas.consultant, trim, total="100000.00")
        vehicle = VehicleFactory(store=personas.store, trim=trim)
        services.allocate_vehicle(user=personas.consultant, order=order, vehicle=vehicle)
        with pytest.raises(ValidationError, match=r"发票|invoice"):
            services.deliver_order(user=personas.consultant, order=order)
        services.record_invoice(
            user=personas.consultant,
            order=order,
            number="No.0001",
            date=DAY,
            amount=Decimal("100000.00"),
        )
        self.pay(personas.finance, order, "30000.00", kind="down_payment")
        with pytest.raises(ValidationError):
            services.deliver_order(user=personas.consultant, order=order)
        SalesOrder.objects.filter(pk=order.pk).update(loan_status="disbursed")
        with pytest.raises(ValidationError) as error:
            services.deliver_order(user=personas.consultant, order=order, on=DAY)
        assert error.value.code == "checklist_incomplete"
        services.update_checklist(personas.consultant, order, **dict.fromkeys(CHECKLIST, True))
        services.deliver_order(user=personas.consultant, order=order, on=DAY)
        order.refresh_from_db()
        vehicle.refresh_from_db()
        customer = order.customer
        customer.refresh_from_db()
        assert (order.status, vehicle.status, customer.intention_level) == (
            "delivered",
            "delivered",
            "D",
        )
        assert LevelChange.objects.filter(customer=customer, to_level="D").exists()
        assert order.history.count() >= 4  # every transition is in the audit trail

    def test_cancellation_needs_a_reason_and_releases_the_vehicle(self, personas, trim):
        order = order_for(personas.consultant, trim)
        vehicle = VehicleFactory(store=personas.store, trim=trim)
        services.allocate_vehicle(user=personas.consultant, order=order, vehicle=vehicle)
        with pytest.raises(PermissionDenied):
            services.cancel_order(user=personas.consultant, order=order, reason="客户变卦")
        with pytest.raises(ValidationError):
            services.cancel_order(user=personas.sales_manager, order=order, reason=" ")
        services.cancel_order(user=personas.sales_manager, order=order, reason="客户资金问题")
        vehicle.refresh_from_db()
        assert vehicle.status == "in_stock"
        again = order_for(personas.colleague, trim)
        services.allocate_vehicle(user=personas.colleague, order=again, vehicle=vehicle)

    def test_finance_works_on_its_own_store_only(self, personas, trim):
        mine = order_for(personas.consultant, trim)
        theirs = order_for(personas.other_consultant, trim)
        self.pay(personas.finance, mine, "5000.00", kind="deposit")
        with pytest.raises(PermissionDenied):
            self.pay(personas.finance, theirs, "5000.00", kind="deposit")
        Payment.objects.create(
            order=theirs, kind="deposit", method="cash", amount=Decimal("1.00"), received_on=DAY
        )
        visible = Payment.objects.visible_to(personas.finance)
        assert {p.order_id for p in visible} == {mine.pk}

    def test_consultants_do_not_take_payments(self, personas, trim):
        with pytest.raises(PermissionDenied):
            self.pay(personas.consultant, order_for(personas.consultant, trim), "1.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_allocations_of_one_vin_give_exactly_one_winner(personas, trim):
    vehicle = VehicleFactory(store=personas.store, trim=trim)
    orders = [order_for(personas.sales_manager, trim) for _ in range(20)]
    results, barrier = [], threading.Barrier(20)

    def attempt(order):
        try:
            barrier.wait()
            services.allocate_vehicle(user=personas.sales_manager, order=order, vehicle=vehicle)
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1 and results.count("vin_taken") == 19
    assert SalesOrder.objects.filter(vehicle=vehicle).count() == 1
    assert Vehicle.objects.get(pk=vehicle.pk).status == "reserved"


@pytest.mark.django_db
def test_an_order_that_has_a_vehicle_does_not_take_a_second_one(personas, trim):
    order = order_for(personas.consultant, trim)
    first = VehicleFactory(store=personas.store, trim=trim)
    second = VehicleFactory(store=personas.store, trim=trim)
    SalesOrder.objects.filter(pk=order.pk).update(vehicle=first, status="confirmed")
    with pytest.raises(ValidationError) as error:
        services.allocate_vehicle(user=personas.consultant, order=order, vehicle=second)
    assert error.value.code == "order_has_vehicle"
    second.refresh_from_db()
    assert second.status == "in_stock"
