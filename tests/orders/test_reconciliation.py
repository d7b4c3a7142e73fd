"""Monthly reconciliation (月度对账): the month's orders, invoices, payments and differences.

The figures below are worked out by hand from the October 2026 fixture in ``october``.
"""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dealerplan.core.choices import Role
from dealerplan.core.navigation import nav_for
from dealerplan.orders import services
from dealerplan.orders.collections import with_amount_owed
from dealerplan.orders.models import Payment, SalesOrder
from dealerplan.orders.reconciliation import (
    _differences_of,
    last_month,
    may_differ,
    parse_month,
    reconcile,
    sheet_titles,
    workbook_bytes,
)
from tests.factories import CustomerFactory, SalesOrderFactory, UserFactory

OCTOBER = datetime.date(2026, 10, 1)
FEN = Decimal("0.01")
TODAY = datetime.date(2026, 11, 5)
URL = "/orders/finance/reconciliation/"


def day(month: int, number: int) -> datetime.date:
    return datetime.date(2026, month, number)


def sale(owner, number, total, ordered, status="confirmed", **fields):
    return SalesOrderFactory(
        customer=CustomerFactory(owner=owner, name=f"客户{number}"),
        number=number,
        total=Decimal(total),
        order_date=ordered,
        status=status,
        **fields,
    )


def pay(order, kind, method, amount, on):
    return Payment.objects.create(
        order=order, kind=kind, method=method, amount=Decimal(amount), received_on=on
    )


@pytest.fixture
def frozen():
    with time_machine.travel(datetime.datetime(2026, 11, 5, 10, 0), tick=False):
        yield


@pytest.fixture
def october(personas):
    """Our store's October, with one draft, one November and one other-store order around it."""
    c = personas.consultant
    a = sale(
        c,
        "SO-A",
        "33333.33",
        day(10, 3),
        "delivered",
        delivery_date=day(10, 20),
        invoice_number="INV-A",
        invoice_date=day(10, 15),
        invoice_amount=Decimal("33333.33"),
    )
    pay(a, "deposit", "wechat", "0.07", day(10, 3))
    pay(a, "down_payment", "wechat", "10000.00", day(10, 3))
    pay(a, "loan", "loan", "20000.00", day(10, 18))
    b = sale(
        c,
        "SO-B",
        "100000.01",
        day(10, 9),
        "allocated",
        invoice_number="INV-B",
        invoice_date=day(10, 25),
        invoice_amount=Decimal("100000.00"),
    )
    pay(b, "deposit", "cash", "5000.00", day(10, 9))
    pay(b, "balance", "transfer", "95000.02", day(10, 28))
    pay(sale(c, "SO-C", "12345.67", day(10, 31)), "deposit", "card", "0.01", day(10, 31))
    d = sale(
        c,
        "SO-D",
        "9888.88",
        day(9, 10),
        "delivered",
        delivery_date=day(10, 2),
        invoice_number="INV-D",
        invoice_date=day(9, 30),
        invoice_amount=Decimal("9888.88"),
    )
    pay(d, "deposit", "wechat", "1000.00", day(9, 10))
    pay(d, "balance", "transfer", "8888.88", day(10, 2))
    e = sale(c, "SO-E", "50000.00", day(10, 5), "cancelled")
    pay(e, "deposit", "wechat", "2000.00", day(10, 5))
    pay(e, "refund", "wechat", "1999.93", day(10, 20))
    sale(c, "SO-F", "70000.00", day(10, 12), "draft")
    pay(sale(c, "SO-G", "80000.00", day(11, 1)), "deposit", "cash", "1000.00", day(11, 1))
    pay(
        sale(personas.colleague, "SO-H", "200000.00", day(10, 20)),
        "deposit",
        "alipay",
        "0.03",
        day(10, 21),
    )
    other = sale(
        personas.other_consultant,
        "SO-X",
        "77777.77",
        day(10, 10),
        invoice_number="INV-X",
        invoice_date=day(10, 10),
        invoice_amount=Decimal("77777.77"),
    )
    pay(other, "deposit", "cash", "777.77", day(10, 10))
    return personas


def numbers(orders) -> list[str]:
    return [o.number for o in orders]


def open_workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_months_parse_and_default_to_last_month():
    assert parse_month("2026-10") == OCTOBER
    assert parse_month(" 2026-1 ") == datetime.date(2026, 1, 1)
    for bad in ("", None, "2026-13", "2026/10", "10-2026", "1999-12", "abc"):
        assert parse_month(bad) is None
    assert last_month(TODAY) == OCTOBER
    assert last_month(datetime.date(2027, 1, 15)) == datetime.date(2026, 12, 1)


@pytest.mark.django_db
class TestFigures:
    def test_orders_sheet_has_the_signed_orders_of_the_month(self, october):
        rec = reconcile(october.finance, OCTOBER)
        assert numbers(rec.orders) == ["SO-A", "SO-B", "SO-H", "SO-C"]
        assert rec.orders_total == Decimal("345679.01")

    def test_invoices_sheet_has_the_invoices_dated_in_the_month(self, october):
        rec = reconcile(october.finance, OCTOBER)
        assert [o.invoice_number for o in rec.invoices] == ["INV-A", "INV-B"]
        assert rec.invoices_total == Decimal("133333.33")

    def test_payments_by_type_and_method_with_refunds_negative(self, october):
        rec = reconcile(october.finance, OCTOBER)
        assert len(rec.payments) == 10
        assert rec.payments_total == Decimal("138889.08")
        assert rec.payments_by_kind == {
            "deposit": Decimal("7000.11"),
            "down_payment": Decimal("10000.00"),
            "balance": Decimal("103888.90"),
            "loan": Decimal("20000.00"),
            "refund": Decimal("-1999.93"),
        }
        assert rec.payments_by_method == {
            "cash": Decimal("5000.00"),
            "card": Decimal("0.01"),
            "transfer": Decimal("103888.90"),
            "wechat": Decimal("10000.14"),
            "alipay": Decimal("0.03"),
            "loan": Decimal("20000.00"),
        }
        assert sum(rec.payments_by_kind.values()) == rec.payments_total
        assert sum(rec.payments_by_method.values()) == rec.payments_total

    def test_differences_each_with_its_amount(self, october):
        rec = reconcile(october.finance, OCTOBER)
        found = [(d.kind, d.order.number, d.amount) for d in rec.differences]
        assert found == [
            ("invoice_mismatch", "SO-B", Decimal("-0.01")),
            ("unpaid_delivered", "SO-A", Decimal("3333.26")),
            ("overpaid", "SO-B", Decimal("0.01")),
            ("invoiced_undelivered", "SO-B", Decimal("100000.00")),
            ("unrefunded", "SO-E", Decimal("0.07")),
        ]
        assert rec.differences_total == Decimal("103333.33")
        assert rec.differences_by_kind["unpaid_delivered"] == (1, Decimal("3333.26"))
        unpaid = rec.differences[1]
        assert (unpaid.paid, unpaid.invoice_amount) == (Decimal("30000.07"), Decimal("33333.33"))

    def test_sheets_rows_are_read_only_when_listed(self, october):
        rec = reconcile(october.finance, OCTOBER)
        with CaptureQueriesContext(connection) as ctx:
            counts = (len(rec.orders), len(rec.invoices), len(rec.payments))
        assert counts == (4, 2, 10) and ctx.captured_queries == []
        with CaptureQueriesContext(connection) as ctx:
            assert sum(line.amount for line in rec.payments) == rec.payments_total
            assert len(list(rec.payments)) == len(rec.payments) == 10
        assert len(ctx.captured_queries) == 1
        assert numbers(rec.orders) == numbers(rec.orders[:]) and rec.orders == list(rec.orders)

    def test_owed_follows_the_order_services(self, october, monkeypatch):
        """The differences take what the payments leave owing from services.owed_after(), the
        rule services.receivable() applies, whatever it is."""
        monkeypatch.setattr(services, "owed_after", lambda order, paid: Decimal("12.34"))
        rec = reconcile(october.finance, OCTOBER)
        assert [d.amount for d in rec.differences if d.kind == "unpaid_delivered"] == [
            Decimal("12.34")
        ]

    def test_sql_figures_agree_with_the_services(self, october):
        for order in with_amount_owed(SalesOrder.objects.all()):
            assert order.net_paid.quantize(FEN) == services.paid_amount(order)
            assert order.amount_owed.quantize(FEN) == services.receivable(order)

    def test_sql_prefilter_keeps_every_order_with_a_difference(self, october):
        """``may_differ`` narrows the candidates in SQL; it must never drop one the rules in
        ``_differences_of`` would report: every status × invoice × payment case."""
        invoices = {
            "none": {},
            "equal": {"invoice_amount": Decimal("1000.00")},
            "other": {"invoice_amount": Decimal("999.99")},
            "no amount": {"invoice_amount": None},
        }
        paid = {"none": [], "part": ["400.00"], "all": ["1000.00"], "over": ["1000.01"]}
        for status in ("draft", "confirmed", "allocated", "delivered", "cancelled"):
            for invoice, fields in invoices.items():
                for money, amounts in paid.items():
                    if invoice != "none":
                        fields = {**fields, "invoice_number": "INV", "invoice_date": day(10, 9)}
                    order = sale(
                        october.colleague,
                        f"SO-{status}-{invoice}-{money}",
                        "1000.00",
                        day(10, 8),
                        status,
                        **fields,
                    )
                    for amount in amounts:
                        pay(order, "deposit", "transfer", amount, day(10, 8))
        annotated = with_amount_owed(SalesOrder.objects.all())
        kept = set(annotated.filter(may_differ()).values_list("pk", flat=True))
        differing = {order.pk for order in annotated if _differences_of(order)}
        assert differing <= kept
        assert len(differing) > 40 and len(kept) < SalesOrder.objects.count()

    def test_trade_in_counts_against_what_is_owed(self, october):
        august = day(8, 1)
        order = sale(
            october.consultant,
            "SO-T",
            "100000.00",
            day(8, 3),
            "delivered",
            delivery_date=day(8, 20),
            trade_in_value=Decimal("33333.33"),
        )
        pay(order, "down_payment", "transfer", "66666.60", day(8, 3))
        rec = reconcile(october.finance, august)
        assert [(d.kind, d.amount) for d in rec.differences] == [
            ("unpaid_delivered", Decimal("0.07"))
        ]
        pay(order, "balance", "cash", "0.07", day(8, 25))
        assert reconcile(october.finance, august).differences == []

    def test_a_month_without_activity_is_all_zero(self, october):
        rec = reconcile(october.finance, datetime.date(2026, 8, 1))
        assert (rec.orders, rec.invoices, rec.payments, rec.differences) == ([], [], [], [])
        assert rec.orders_total == rec.payments_total == rec.differences_total == Decimal("0.00")

    def test_finance_of_another_store_sees_nothing_of_this_store(self, october):
        other_finance = UserFactory(store=october.other_store, role=Role.FINANCE)
        rec = reconcile(other_finance, OCTOBER)
        assert numbers(rec.orders) == ["SO-X"] and numbers(rec.invoices) == ["SO-X"]
        assert [line.payment.order.number for line in rec.payments] == ["SO-X"]
        assert rec.payments_total == Decimal("777.77")
        assert [(d.kind, d.order.number, d.amount) for d in rec.differences] == [
            ("invoiced_undelivered", "SO-X", Decimal("77777.77"))
        ]
        assert reconcile(other_finance, OCTOBER, store=october.store).orders == []

    def test_group_manager_sees_every_store_or_picks_one(self, october):
        rec = reconcile(october.group_manager, OCTOBER)
        assert rec.multi_store and rec.orders_total == Decimal("423456.78")
        one = reconcile(october.group_manager, OCTOBER, store=october.other_store)
        assert not one.multi_store and numbers(one.orders) == ["SO-X"]


@pytest.mark.django_db
class TestWorkbook:
    def test_four_sheets_with_headers_formats_frozen_rows_and_totals(self, october):
        book = open_workbook(workbook_bytes(reconcile(october.finance, OCTOBER)))
        assert book.sheetnames == sheet_titles()
        orders, invoices, payments, differences = (book[name] for name in book.sheetnames)
        for sheet in (orders, invoices, payments, differences):
            assert sheet.freeze_panes == "A2"
            assert sheet["A1"].font.bold
        assert [c.value for c in orders[1]] == [
            "订单号",
            "订单日期",
            "客户",
            "销售顾问",
            "状态",
            "订单总额",
        ]
        assert [c.value for c in invoices[1]][:4] == ["发票号", "开票日期", "开票金额", "订单号"]
        assert payments["A1"].value == "收款日期" and payments["G1"].value == "金额"

        assert orders["A2"].value == "SO-A" and orders["B2"].value == datetime.datetime(2026, 10, 3)
        assert orders["B2"].number_format == "yyyy-mm-dd"
        assert orders["F2"].number_format == "#,##0.00"
        assert money(orders["F2"].value) == Decimal("33333.33")
        total = orders[6]
        assert total[0].value == "合计" and total[0].font.bold
        assert money(total[5].value) == Decimal("345679.01")
        assert total[5].number_format == "#,##0.00"

        assert money(invoices["C4"].value) == Decimal("133333.33")
        refund = next(row for row in payments.iter_rows(max_row=11) if row[3].value == "退款")
        assert money(refund[6].value) == Decimal("-1999.93")
        assert payments["A12"].value == "合计"
        assert money(payments["G12"].value) == Decimal("138889.08")
        assert payments["G12"].number_format == "#,##0.00"
        subtotals = {
            row[0].value: money(row[6].value)
            for row in payments.iter_rows(min_row=13)
            if row[0].value and len(row) > 6 and row[6].value is not None
        }
        assert subtotals["订金"] == Decimal("7000.11")
        assert subtotals["退款"] == Decimal("-1999.93")

        assert differences.max_row >= 7 and differences["A7"].value == "合计"
        assert differences["B3"].value == "SO-A"
        assert money(differences["J3"].value) == Decimal("3333.26")
        assert money(differences["J7"].value) == Decimal("103333.33")
        assert differences["J7"].number_format == "#,##0.00"

    def test_group_workbook_names_the_store_of_each_row(self, october):
        book = open_workbook(workbook_bytes(reconcile(october.group_manager, OCTOBER)))
        orders = book[book.sheetnames[0]]
        assert orders["A1"].value == "门店"
        assert {orders.cell(row, 1).value for row in range(2, 7)} == {"北京朝阳店", "上海浦东店"}


@pytest.mark.django_db
class TestPage:
    def test_finance_sees_last_month_by_default_with_cards_and_differences(
        self, login, october, frozen
    ):
        page = login(october.finance).get(URL)
        assert page.status_code == 200
        text = page.text
        assert "2026-10" in text
        assert "¥345,679.01" in text and "¥138,889.08" in text and "¥103,333.33" in text
        assert (
            reverse("orders:order_detail", args=[SalesOrder.objects.get(number="SO-A").pk]) in text
        )
        assert "SO-X" not in text

    def test_month_picker_and_download(self, login, october, frozen):
        client = login(october.sales_manager)
        september = client.get(URL, {"month": "2026-09"})
        assert september.status_code == 200 and "2026-09" in september.text
        response = client.get(URL, {"month": "2026-10", "export": "xlsx"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert "202610" in response["Content-Disposition"]
        book = open_workbook(b"".join(response.streaming_content))
        assert len(book.sheetnames) == 4
        assert book[book.sheetnames[0]]["A2"].value == "SO-A"

    def test_a_bad_month_gets_a_message_and_the_default(self, login, october, frozen):
        client = login(october.finance)
        response = client.get(URL, {"month": "2026-13"})
        assert response.status_code == 302 and response["Location"] == URL
        page = client.get(response["Location"])
        assert "YYYY-MM" in page.text and "2026-10" in page.text

    @pytest.mark.parametrize(
        "who", ["finance", "sales_manager", "general_manager", "group_manager"]
    )
    def test_finance_and_managers_may_open_it(self, login, october, frozen, who):
        assert login(getattr(october, who)).get(URL).status_code == 200

    @pytest.mark.parametrize("who", ["consultant", "showroom_manager"])
    def test_consultants_and_others_are_refused(self, login, october, frozen, who):
        client = login(getattr(october, who))
        assert client.get(URL).status_code == 403
        assert client.get(URL, {"export": "xlsx"}).status_code == 403

    def test_anonymous_is_sent_to_login(self, client, october):
        response = client.get(URL)
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_another_stores_pick_is_404_for_store_finance(self, login, october, frozen):
        client = login(october.finance)
        assert client.get(URL, {"store": october.other_store.pk}).status_code == 404
        assert client.get(URL, {"store": "x"}).status_code == 404
        group = login(october.group_manager)
        page = group.get(URL, {"store": october.other_store.pk})
        assert page.status_code == 200 and "¥77,777.77" in page.text

    def test_query_count_does_not_grow_with_the_month(self, login, october, frozen):
        client = login(october.finance)

        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(URL).status_code == 200
            return len(ctx.captured_queries)

        few = queries()
        for n in range(20):
            order = sale(october.colleague, f"SO-N{n:02d}", "1000.01", day(10, 1 + n))
            pay(order, "deposit", "wechat", "0.01", day(10, 1 + n))
            pay(order, "refund", "wechat", "0.01", day(10, 2 + n))
            # Delivered owing, overpaid and cancelled with money kept: each a difference.
            owing = sale(
                october.colleague,
                f"SO-O{n:02d}",
                "2000.02",
                day(10, 1 + n),
                "delivered",
                delivery_date=day(10, 2 + n),
            )
            pay(owing, "deposit", "wechat", "0.01", day(10, 1 + n))
            over = sale(october.colleague, f"SO-P{n:02d}", "10.00", day(10, 1 + n))
            pay(over, "deposit", "cash", "10.01", day(10, 1 + n))
            kept = sale(october.colleague, f"SO-K{n:02d}", "10.00", day(10, 1 + n), "cancelled")
            pay(kept, "deposit", "cash", "5.00", day(10, 1 + n))
        assert queries() == few
        kinds = [d.kind for d in reconcile(october.finance, OCTOBER).differences]
        for kind in ("unpaid_delivered", "overpaid", "unrefunded"):
            assert kinds.count(kind) > 20

    @pytest.mark.parametrize("who", ["finance", "group_manager"])
    def test_workbook_query_count_does_not_grow_with_the_month(self, login, october, frozen, who):
        """Every sheet reads only what it shows: no column fetched row by row."""
        client = login(getattr(october, who))

        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(URL, {"export": "xlsx"})
                assert response.status_code == 200
                b"".join(response.streaming_content)
            return len(ctx.captured_queries)

        queries()  # the session's first request writes it
        few = queries()
        for n in range(10):
            for owner in (october.colleague, october.other_consultant):
                order = sale(
                    owner,
                    f"SO-W{n:02d}-{owner.pk}",
                    "5000.00",
                    day(10, 1 + n),
                    "delivered",
                    delivery_date=day(10, 3 + n),
                    invoice_number=f"INV-W{n:02d}-{owner.pk}",
                    invoice_date=day(10, 2 + n),
                    invoice_amount=Decimal("4999.99"),
                )
                pay(order, "deposit", "wechat", "1000.00", day(10, 1 + n))
        assert queries() == few
        book = open_workbook(b"".join(client.get(URL, {"export": "xlsx"}).streaming_content))
        differences = book[book.sheetnames[3]]
        assert differences.max_row > 20

    def test_sidebar_shows_it_to_finance_only(self, october):
        def labels(user):
            return [item["url"] for item in nav_for(user, "/")]

        assert URL in labels(october.finance)
        assert URL in labels(october.group_manager)
        assert URL not in labels(october.consultant)
