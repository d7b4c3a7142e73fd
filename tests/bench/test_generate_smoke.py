"""The benchmark generator, at a tiny scale on the test database."""

import datetime
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import models

from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.core.pinyin import initials
from dealerplan.customers.models import Customer
from dealerplan.deals.models import Deal
from dealerplan.inventory.models import Vehicle
from dealerplan.orders.models import SalesOrder
from dealerplan.planning.models import Plan, PlanLine

SPEC = importlib.util.spec_from_file_location(
    "bench_generate", Path(__file__).resolve().parents[2] / "bench" / "generate.py"
)
generate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(generate)


@pytest.fixture
def loaded(db):
    generator = generate.Generator(0.0002, seed=3, today=datetime.date(2026, 11, 15))
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
    assert order.loan_status == ""
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
