"""Every list's fast export holds exactly what django-tables2's ``as_values()`` would export.

The fast path reads ``values_list`` rows; the table stays the single place that says which
columns a list has. These tests build each list as its users see it and compare both row by
row, so a new column that customises its value without an export reader fails here.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from dealerplan.core.table_export import export_rows
from dealerplan.deals.models import PipelineKind
from dealerplan.inventory.models import FactoryOrder, FactoryOrderLine, VehicleStatus
from tests.factories import (
    ColorFactory,
    CustomerFactory,
    DealFactory,
    SalesOrderFactory,
    TrafficEntryFactory,
    TrimFactory,
    VehicleFactory,
)

NOW = datetime.datetime(2026, 11, 30, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def normalise(value):
    """tables2 writes dates as ISO text and empty cells as None; compare the meaning."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value in (None, "—") else value


def export_table(path, user):
    request = RequestFactory().get(path)
    request.user = user
    match = resolve(request.path)
    view = match.func.view_class(**getattr(match.func, "view_initkwargs", {}))
    view.setup(request, *match.args, **match.kwargs)
    return view.export_table()


def both(path, user):
    fast = [[normalise(v) for v in row] for row in export_rows(export_table(path, user))]
    slow = [[normalise(v) for v in row] for row in export_table(path, user).as_values()]
    return fast, slow


@pytest.fixture
def store_data(personas):
    store, me, colleague = personas.store, personas.consultant, personas.colleague
    for index, owner in enumerate([me, me, colleague]):
        # Each row gets its own creation time: lists sort newest first, and a tie would let
        # the database return the two reads in different orders.
        created = time_machine.travel(NOW - datetime.timedelta(minutes=10 - index), tick=False)
        created.start()
        customer = CustomerFactory(
            owner=owner,
            store=store,
            intention_level="HAB"[index],
            phone=f"1381234800{index}",
            next_follow_up_at=NOW + datetime.timedelta(days=index - 1),
            source="online" if index else "walk_in",
        )
        DealFactory(
            customer=customer,
            pipeline__kind=PipelineKind.FLEET if index else PipelineKind.RETAIL,
            amount=Decimal("33333.33"),
            expected_close_date=datetime.date(2026, 12, index + 1),
            contract_date=datetime.date(2026, 12, 10 - index) if index else None,
            bid_date=datetime.date(2026, 11, 1),
        )
        SalesOrderFactory(customer=customer, plate_number="京A12345" if index == 1 else "")
        TrafficEntryFactory(
            store=store,
            consultant=owner,
            customer=customer if index else None,
            visitor_phone=f"1391234500{index}",
            test_drive=bool(index),
        )
        created.stop()
    CustomerFactory(owner=None, store=store, pool_since=NOW - datetime.timedelta(days=40))
    VehicleFactory(
        store=store, status=VehicleStatus.IN_STOCK, arrival_date=datetime.date(2026, 7, 1)
    )
    VehicleFactory(
        store=store, status=VehicleStatus.ORDERED, arrival_date=None, cost=Decimal("0.07")
    )
    VehicleFactory(store=store, status=VehicleStatus.IN_STOCK)
    order = FactoryOrder.objects.create(
        store=store,
        week_start=datetime.date(2026, 11, 30),
        submitted_by=personas.sales_manager,
        submitted_at=NOW,
        status="submitted",
    )
    FactoryOrderLine.objects.create(
        order=order, trim=TrimFactory(), color=ColorFactory(), forecast_qty="7.3", ordered_qty=3
    )
    FactoryOrder.objects.create(store=store, week_start=datetime.date(2026, 11, 23))
    return personas


LISTS = [
    ("/customers/", "consultant"),
    ("/customers/", "sales_manager"),
    ("/customers/", "finance"),
    ("/customers/pool/", "sales_manager"),
    ("/deals/", "sales_manager"),
    ("/deals/tracking/", "sales_manager"),
    ("/orders/", "sales_manager"),
    ("/orders/", "consultant"),
    ("/inventory/", "sales_manager"),
    ("/inventory/factory-orders/history/", "sales_manager"),
    ("/traffic/", "sales_manager"),
    ("/traffic/", "consultant"),
]


@pytest.mark.parametrize(("path", "persona"), LISTS)
def test_the_fast_export_equals_the_tables_own_values(store_data, path, persona):
    fast, slow = both(path, getattr(store_data, persona))
    assert len(slow) > 1, "the list must have rows for the comparison to mean anything"
    assert fast == slow


def test_phones_of_other_consultants_customers_stay_masked_in_the_fast_export(store_data):
    rows = list(export_rows(export_table("/customers/", store_data.finance)))
    phone = rows[0].index("电话")
    phones = {row[phone] for row in rows[1:]}
    assert {"138****8000", "138****8001", "138****8002"} <= phones
    assert all("****" in shown for shown in phones)


def test_dates_and_money_come_out_as_real_values_not_text(store_data):
    rows = list(export_rows(export_table("/inventory/", store_data.sales_manager)))
    header = rows[0]
    costs = {row[header.index("成本")] for row in rows[1:]}
    assert Decimal("0.07") in costs
    arrivals = [row[header.index("到店日期")] for row in rows[1:]]
    assert datetime.date(2026, 7, 1) in arrivals


def test_the_query_count_does_not_grow_with_the_rows(store_data):
    def count():
        table = export_table("/deals/", store_data.sales_manager)
        with CaptureQueriesContext(connection) as queries:
            rows = list(export_rows(table))
        return len(rows), len(queries)

    rows_before, before = count()
    for _ in range(5):
        DealFactory(customer=CustomerFactory(owner=store_data.consultant, store=store_data.store))
    rows_after, after = count()
    assert rows_after == rows_before + 5
    assert after == before


def test_a_column_that_customises_its_value_without_an_export_reader_is_refused(store_data):
    import django_tables2 as tables

    class Shouting(tables.Column):
        def value(self, value):
            return str(value).upper()

    class Table(tables.Table):
        name = Shouting()

    from dealerplan.customers.models import Customer

    table = Table(Customer.objects.all())
    with pytest.raises(ImproperlyConfigured, match="export_reader"):
        next(iter(export_rows(table)))
