"""The benchmark generator, at a tiny scale on the test database."""

import datetime
import importlib.util
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from django.db import models

from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.core.pinyin import initials
from dealerplan.customers.models import Customer
from dealerplan.deals.models import Deal
from dealerplan.inventory.models import Vehicle
from dealerplan.orders import services
from dealerplan.orders.collections import with_amount_owed
from dealerplan.orders.models import Payment, SalesOrder
from dealerplan.planning.models import Plan, PlanLine

SPEC = importlib.util.spec_from_file_location(
    "bench_generate", Path(__file__).resolve().parents[2] / "bench" / "generate.py"
)
generate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(generate)


TODAY = datetime.date(2026, 11, 15)
FEN = Decimal("0.01")


@pytest.fixture
def loaded(db):
    generator = generate.Generator(0.0002, seed=3, today=TODAY)
    return generator.run()


def test_tiny_scale_loads_every_kind_of_record(loaded):
    assert Customer.objects.count() == 200
    assert Activity.objects.count() == 2000
    assert TrafficEntry.objects.count() == 200
    assert Deal.objects.count() == 60
    assert SalesOrder.objects.count() == 30
    assert Vehicle.objects.count() == 12
    assert loaded["counts"]["customers.Customer"] == 200


def test_customers_are_searchable_by_pinyin_initials_and_phone_fragment(loaded):
    customer = Customer.objects.filter(kind="individual").order_by("pk").first()
    assert customer.search_text
    assert customer in Customer.objects.search(initials(customer.name))
    assert customer in Customer.objects.search(customer.phone[-6:])


def test_columns_not_generated_get_the_model_defaults(loaded):
    order = SalesOrder.objects.order_by("pk").first()
    assert order.insurance_premium == Decimal("0")
    assert order.insurance_company == "" and order.loan_commission == Decimal("0")
    assert order.documents_handed_over is False
    assert order.total == order.vehicle_price - order.discount + order.accessories_amount


def test_every_consultant_has_month_plans_with_lines(loaded):
    consultant_plans = Plan.objects.filter(scope="consultant", period_start="2026-11-01")
    assert consultant_plans.count() == 8
    assert PlanLine.objects.filter(plan__in=consultant_plans, series__isnull=True).count() == 24


def test_work_is_skewed_between_consultants(loaded):
    per_owner = sorted(
        Customer.objects.values("owner").annotate(n=models.Count("pk")).values_list("n", flat=True)
    )
    assert per_owner[-1] > 2 * per_owner[0]


def test_a_required_column_without_default_is_named(db):
    from django.db import connection

    writer = generate.Writer(connection, datetime.datetime.now(datetime.UTC))
    with pytest.raises(SystemExit, match=r"Customer\.name"):
        writer.write(Customer, {"id": [1], "store_id": [1], "phone": ["13800000000"]}, 1)


# -- payments ----------------------------------------------------------------------------------


def test_every_order_pays_the_way_a_dealership_records_it(loaded):
    orders = SalesOrder.objects.prefetch_related("payments").order_by("pk")
    assert Payment.objects.count() == loaded["counts"]["orders.Payment"] > len(orders)
    kinds_made = set(Payment.objects.values_list("kind", flat=True))
    assert {"deposit", "balance", "down_payment", "loan"} <= kinds_made
    for order in orders:
        payments = sorted(order.payments.all(), key=lambda p: (p.received_on, p.pk))
        kinds = [p.kind for p in payments]
        owed = services.receivable(order)
        for payment in payments:
            assert payment.amount > 0 and payment.amount == payment.amount.quantize(FEN)
            assert order.order_date <= payment.received_on <= TODAY
        assert Decimal("0") <= owed <= order.amount_due, order.number
        if order.status == "draft":
            assert kinds == []
            continue
        if order.status == "cancelled":
            assert kinds in ([], ["deposit", "refund"]) and owed == order.amount_due
            continue
        assert kinds[0] == "deposit" and kinds.count("deposit") == 1
        assert payments[0].received_on == order.order_date
        if order.status in ("confirmed", "allocated"):
            assert owed > 0 and "loan" not in kinds
        loan = [p for p in payments if p.kind == "loan"]
        if order.financing == "loan" and order.status == "delivered":
            assert order.loan_status == "disbursed" and "down_payment" in kinds
            assert [(p.amount, p.received_on) for p in loan] == [
                (order.loan_amount, order.loan_disbursed_on)
            ]
            assert order.loan_applied_on <= order.loan_approved_on <= order.loan_disbursed_on
            assert order.loan_disbursed_on <= order.delivery_date
        elif order.status == "delivered":
            assert loan == [] and "balance" in kinds and order.loan_status == ""
    delivered = [o for o in orders if o.status == "delivered"]
    assert sum(services.receivable(o) == 0 for o in delivered) >= len(delivered) * 0.8


def test_trade_ins_count_against_the_money_paid(loaded):
    traded = SalesOrder.objects.filter(trade_in_value__gt=0)
    assert traded.exists()
    for order in traded:
        assert order.trade_in_vehicle and order.trade_in_value <= order.total * Decimal("0.6")
        if order.status == "delivered" and services.receivable(order) == 0:
            assert services.paid_amount(order) == order.total - order.trade_in_value


def test_sql_amount_owed_agrees_with_the_services_on_generated_orders(loaded):
    for order in with_amount_owed(SalesOrder.objects.all()):
        assert order.amount_owed.quantize(FEN) == services.receivable(order)


def synthetic_orders(n=40_000, seed=5):
    """Orders shaped like the generator's: three years, the last 45 days still open."""
    rng = np.random.default_rng(seed)
    span = 1095
    day = rng.integers(0, span + 1, n)
    status = np.where(
        span - day > 45,
        "delivered",
        rng.choice(["draft", "confirmed", "allocated", "delivered"], n, p=[0.1, 0.4, 0.2, 0.3]),
    )
    status = np.where(rng.random(n) < 0.04, "cancelled", status)
    total = rng.integers(8_000_000, 30_000_000, n)  # fen
    due = total - generate.trade_ins(rng, total)
    financing = np.where(rng.random(n) < 0.4, "loan", "cash")
    return {
        "status": status,
        "financing": financing,
        "due_fen": due,
        "order_day": day,
        "delivery_day": np.minimum(day + 14, span),
        "today_day": span,
    }


def test_payment_plan_keeps_the_rules_over_many_orders():
    orders = synthetic_orders()
    plan = generate.plan_payments(np.random.default_rng(1), **orders)
    pay, status, due = plan["payments"], orders["status"], orders["due_fen"]
    n = len(status)
    assert (pay["amount"] > 0).all()
    assert (pay["day"] >= orders["order_day"][pay["order"]]).all()
    assert (pay["day"] <= orders["today_day"]).all()
    net = np.zeros(n, dtype=np.int64)
    np.add.at(net, pay["order"], np.where(pay["kind"] == "refund", -pay["amount"], pay["amount"]))
    owed = due - net
    assert (owed >= 0).all()  # never more than owed

    def of(kind):
        return np.bincount(pay["order"][pay["kind"] == kind], minlength=n)

    deposits, refunds = of("deposit"), of("refund")
    assert (np.bincount(pay["order"], minlength=n)[status == "draft"] == 0).all()
    for kept in ("confirmed", "allocated", "delivered"):
        assert (deposits[status == kept] == 1).all()
    cancelled = status == "cancelled"
    assert (refunds[cancelled] == deposits[cancelled]).all() and (net[cancelled] == 0).all()
    assert 0.5 < deposits[cancelled].mean() < 0.9
    live = (status == "confirmed") | (status == "allocated")
    assert (owed[live] > 0).all()
    beyond_deposit = (of("balance") + of("down_payment")) > 0
    age = orders["today_day"] - orders["order_day"]
    assert (beyond_deposit & live & (age > 14)).any()
    assert not (beyond_deposit & live & (age <= 14)).any()
    delivered = status == "delivered"
    share = (owed[delivered] > 0).mean()
    assert 0.02 <= share <= 0.04
    recent = delivered & (orders["today_day"] - orders["delivery_day"] <= 30)
    assert (owed[recent] > 0).mean() > 3 * share  # the newest deliveries owe more often
    loan = delivered & (orders["financing"] == "loan")
    assert (of("loan")[loan] == 1).all() and (of("down_payment")[loan] == 1).all()
    assert (of("loan")[~loan] == 0).all()
    disbursed = pay["kind"] == "loan"
    loan_paid = np.zeros(n, dtype=np.int64)
    loan_paid[pay["order"][disbursed]] = pay["amount"][disbursed]
    assert (loan_paid[loan] == plan["loan_fen"][loan]).all()
    assert (plan["loan_status"][loan] == "disbursed").all()
    assert (of("balance")[delivered & ~loan] == 1).all()


def test_payment_plan_is_reproducible_from_the_seed():
    orders = synthetic_orders(2_000)
    first = generate.plan_payments(np.random.default_rng(7), **orders)
    again = generate.plan_payments(np.random.default_rng(7), **orders)
    other = generate.plan_payments(np.random.default_rng(8), **orders)
    for key, value in first["payments"].items():
        assert (value == again["payments"][key]).all()
    assert not np.array_equal(first["payments"]["amount"], other["payments"]["amount"])
