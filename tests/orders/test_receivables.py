"""Receivables aged 0–30, 31–60, 61–90 and over 90 days, exact to the fen, scoped."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.orders import services
from dealerplan.orders.models import Payment
from dealerplan.orders.receivables import aging_report, bucket_for
from tests.factories import CustomerFactory, SalesOrderFactory
from tests.view_suite import export_rows

TODAY = datetime.date(2026, 11, 30)


def order(owner, total, days_ago, paid=(), status="confirmed"):
    sale = SalesOrderFactory(
        customer=CustomerFactory(owner=owner),
        total=Decimal(total),
        status=status,
        order_date=TODAY - datetime.timedelta(days=days_ago),
    )
    for kind, amount in paid:
        Payment.objects.create(
            order=sale, kind=kind, method="transfer", amount=Decimal(amount), received_on=TODAY
        )
    return sale


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, ">90"),
    ],
)
def test_bucket_edges(days, bucket):
    assert bucket_for(days) == bucket


@pytest.mark.django_db
class TestAgingReport:
    def test_outstanding_amounts_and_buckets_add_up_exactly(self, personas):
        order(personas.consultant, "100000.01", 10, [("deposit", "5000.00"), ("balance", "0.01")])
        order(personas.consultant, "33333.33", 45, [("deposit", "10000.00"), ("refund", "0.33")])
        order(personas.colleague, "0.03", 120)
        order(personas.consultant, "500.00", 5, [("balance", "500.00")])  # paid in full
        order(personas.consultant, "900.00", 5, status="cancelled")
        report = aging_report(personas.sales_manager, TODAY)
        assert report.totals == {
            "0-30": Decimal("95000.00"),
            "31-60": Decimal("23333.66"),
            "61-90": Decimal("0.00"),
            ">90": Decimal("0.03"),
        }
        assert report.grand_total == Decimal("118333.69")
        assert sum(r.outstanding for r in report.rows) == report.grand_total

    def test_trade_in_counts_and_paid_up_or_overpaid_orders_are_left_out(self, personas):
        traded = order(personas.consultant, "100000.00", 3, [("deposit", "5000.00")])
        traded.trade_in_value = Decimal("33333.33")
        traded.save(update_fields=["trade_in_value"])
        covered = order(personas.consultant, "80000.00", 3, [("balance", "50000.00")])
        covered.trade_in_value = Decimal("30000.00")
        covered.save(update_fields=["trade_in_value"])
        order(personas.consultant, "500.00", 3, [("balance", "500.01")], status="delivered")
        report = aging_report(personas.consultant, TODAY)
        assert [(r.order, r.outstanding) for r in report.rows] == [(traded, Decimal("61666.67"))]
        assert report.rows[0].outstanding == services.receivable(traded)

    def test_consultant_sees_own_and_finance_its_store(self, personas):
        order(personas.consultant, "100.00", 1)
        order(personas.colleague, "200.00", 1)
        order(personas.other_consultant, "300.00", 1)
        assert aging_report(personas.consultant, TODAY).grand_total == Decimal("100.00")
        assert aging_report(personas.finance, TODAY).grand_total == Decimal("300.00")

    def test_page_export_and_fixed_queries(self, login, personas):
        client = login(personas.finance)

        def queries():
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("orders:receivables")).status_code == 200
            return len(ctx.captured_queries)

        order(personas.consultant, "100.00", 1)
        few = queries()
        for _ in range(15):
            order(personas.colleague, "250.50", 40, [("deposit", "0.50")])
        assert queries() == few

        def export_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                rows = export_rows(client.get(reverse("orders:receivables"), {"export": "xlsx"}))
            return len(ctx.captured_queries), len(rows)

        exported = export_queries()
        order(personas.consultant, "300.00", 2, [("deposit", "0.01")])
        assert export_queries() == (exported[0], exported[1] + 1)
        rows = export_rows(client.get(reverse("orders:receivables"), {"export": "xlsx"}))
        assert rows[0][0] == "订单号" and len(rows) == 18
        order(personas.other_consultant, "999.99", 1)
        page = client.get(reverse("orders:receivables")).text
        assert "999.99" not in page and "999,99" not in page
