"""Monthly reconciliation (月度对账) for finance, exact to the fen.

Four sheets for a month: the orders signed, the invoices issued, the money received (refunds
negative) and the differences: invoice ≠ order total, delivered but owing, paid more than owed,
invoiced but not delivered, cancelled with money kept. The differences cover the orders on the
other sheets plus those delivered in the month; older balances stay on the receivables page.
Dates decide which rows belong to the month; paid and owed are today's figures: the payments
are summed in the same query that picks the candidates (``with_amount_owed``), and what that
leaves owing is services.owed_after(), so it follows the order's pricing rules (trade-in
included). A fixed number of queries, whatever the month holds.
"""

import calendar
import datetime
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dealerplan.core.choices import Role
from dealerplan.core.exports import DATE_FORMAT, MONEY_FORMAT

from . import services
from .choices import OrderStatus, PaymentKind, PaymentMethod
from .collections import with_amount_owed
from .models import Payment, SalesOrder

ZERO = Decimal("0.00")
RECONCILE_ROLES = frozenset(
    {Role.FINANCE, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN}
)
#: Orders that count as sales of their month: a deposit is in, they are not cancelled.
SIGNED = (OrderStatus.CONFIRMED, OrderStatus.ALLOCATED, OrderStatus.DELIVERED)
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")
#: What the page and the workbook read of an order and its people. A store's month is hundreds
#: of orders and payments: building them from every column of four tables was most of the page.
PEOPLE = (
    "customer__name",
    "consultant__username",
    "consultant__first_name",
    "consultant__last_name",
)
ORDER_FIELDS = ("store_id", "store__name", "number", "status", "order_date", "total")
INVOICE_FIELDS = ("invoice_number", "invoice_date", "invoice_amount")


class DifferenceKind(models.TextChoices):
    INVOICE_MISMATCH = "invoice_mismatch", gettext_lazy("Invoice differs from the order total")
    UNPAID_DELIVERED = "unpaid_delivered", gettext_lazy("Delivered, not fully paid")
    OVERPAID = "overpaid", gettext_lazy("Paid more than owed")
    INVOICED_UNDELIVERED = "invoiced_undelivered", gettext_lazy("Invoiced, not delivered")
    UNREFUNDED = "unrefunded", gettext_lazy("Cancelled, money not refunded")


def can_reconcile(user) -> bool:
    return user.is_superuser or user.role in RECONCILE_ROLES


# -- months ----------------------------------------------------------------------------------


def parse_month(value: str | None) -> datetime.date | None:
    """``"2026-10"`` → 2026-10-01; None when it is not a month."""
    match = MONTH_PATTERN.match((value or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def last_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def shift_month(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


# -- the sheets ------------------------------------------------------------------------------


def scoped_orders(user, store=None):
    orders = SalesOrder.objects.visible_to(user)
    return orders.filter(store=store) if store is not None else orders


def _signed(user, month: datetime.date, store=None):
    first, last = month_bounds(month)
    return scoped_orders(user, store).filter(order_date__range=(first, last), status__in=SIGNED)


def _invoiced(user, month: datetime.date, store=None):
    first, last = month_bounds(month)
    return (
        scoped_orders(user, store)
        .filter(invoice_date__range=(first, last))
        .exclude(invoice_number="")
    )


def _received(user, month: datetime.date, store=None):
    first, last = month_bounds(month)
    payments = Payment.objects.visible_to(user).filter(received_on__range=(first, last))
    return payments.filter(order__store=store) if store is not None else payments


def month_orders(user, month: datetime.date, store=None) -> list[SalesOrder]:
    """订单: orders signed in the month (drafts and cancelled ones left out)."""
    return list(
        _signed(user, month, store)
        .select_related("customer", "consultant", "store")
        .only(*ORDER_FIELDS, *PEOPLE)
        .order_by("order_date", "number", "pk")
    )


def month_invoices(user, month: datetime.date, store=None) -> list[SalesOrder]:
    """发票: orders whose invoice is dated in the month, whatever their status now."""
    return list(
        _invoiced(user, month, store)
        .select_related("customer", "store")
        .only(*ORDER_FIELDS, *INVOICE_FIELDS, "customer__name")
        .order_by("invoice_date", "invoice_number", "pk")
    )


@dataclass
class PaymentLine:
    payment: Payment
    amount: Decimal  # refunds negative


def signed_amount(kind: str, amount: Decimal) -> Decimal:
    return -amount if kind == PaymentKind.REFUND else amount


def month_payments(user, month: datetime.date, store=None) -> list[PaymentLine]:
    """收款: money received in the month, refunds as negative amounts."""
    payments = (
        _received(user, month, store)
        .select_related("order__customer", "order__store")
        .only(
            "order_id",
            "kind",
            "method",
            "amount",
            "received_on",
            "reference",
            "order__store_id",
            "order__store__name",
            "order__number",
            "order__customer__name",
        )
        .order_by("received_on", "pk")
    )
    return [PaymentLine(p, signed_amount(p.kind, p.amount)) for p in payments]


class Rows(Sequence):
    """A sheet's rows, read from the database the first time they are iterated. How many there
    are is known beforehand from the month's totals query, so the page, which shows counts and
    totals, never reads the hundreds of rows the workbook lists."""

    def __init__(self, count: int, load):
        self._count, self._load, self._rows = count, load, None

    def _all(self) -> list:
        if self._rows is None:
            self._rows = self._load()
        return self._rows

    def __len__(self) -> int:
        return self._count if self._rows is None else len(self._rows)

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self):
        return iter(self._all())

    def __eq__(self, other):
        if isinstance(other, list | tuple | Rows):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"<Rows {len(self)}>"


@dataclass
class Difference:
    kind: str
    order: SalesOrder
    invoice_amount: Decimal | None
    paid: Decimal
    amount: Decimal

    @property
    def kind_label(self) -> str:
        return str(DifferenceKind(self.kind).label)


def month_differences(user, month: datetime.date, store=None) -> list[Difference]:
    """差异: the orders of the month's sheets whose invoice, payments and delivery disagree."""
    first, last = month_bounds(month)
    in_month = (
        Q(order_date__range=(first, last), status__in=SIGNED)
        | (Q(invoice_date__range=(first, last)) & ~Q(invoice_number=""))
        | Q(delivery_date__range=(first, last))
        | Exists(Payment.objects.filter(order=OuterRef("pk"), received_on__range=(first, last)))
    )
    candidates = (
        with_amount_owed(scoped_orders(user, store).filter(in_month))
        .filter(may_differ())
        .select_related("customer", "consultant", "store")
        .only(*ORDER_FIELDS, *INVOICE_FIELDS, *PEOPLE, "trade_in_value", "delivery_date")
        .order_by("number", "pk")
    )
    found = []
    for order in candidates:
        found.extend(_differences_of(order))
    rank = {kind: index for index, kind in enumerate(DifferenceKind.values)}
    found.sort(key=lambda d: (rank[d.kind], d.order.store_id, d.order.number, d.order.pk))
    return found


def may_differ() -> Q:
    """In SQL, the orders ``_differences_of`` can find something on (a few of a month's
    hundreds), on an order annotated by ``with_amount_owed``. Wider than the rules below, never
    narrower: a test holds the two together."""
    invoiced = ~Q(invoice_number="")
    return (
        (
            invoiced
            & ~Q(status=OrderStatus.CANCELLED)
            & (Q(invoice_amount__isnull=True) | ~Q(invoice_amount=F("total")))
        )
        | Q(status=OrderStatus.DELIVERED, amount_owed__gt=0)
        | (~Q(status=OrderStatus.CANCELLED) & Q(amount_owed__lt=0))
        | (invoiced & ~Q(status=OrderStatus.DELIVERED))
        | Q(status=OrderStatus.CANCELLED, net_paid__gt=0)
    )


def _differences_of(order) -> list[Difference]:
    invoiced = bool(order.invoice_number)
    invoice = order.invoice_amount if invoiced else None
    cancelled = order.status == OrderStatus.CANCELLED
    paid = order.net_paid.quantize(ZERO)
    owed_sql = order.amount_owed.quantize(ZERO)  # SQLite computes it in floating point
    found = []

    def add(kind, amount):
        found.append(Difference(kind, order, invoice, paid, amount.quantize(ZERO)))

    if invoiced and not cancelled and (invoice or ZERO) != order.total:
        add(DifferenceKind.INVOICE_MISMATCH, (invoice or ZERO) - order.total)
    # The SQL figure picks the candidates; the service says what the payments leave owing.
    if order.status == OrderStatus.DELIVERED and owed_sql > 0:
        owed = services.owed_after(order, paid)
        if owed > 0:
            add(DifferenceKind.UNPAID_DELIVERED, owed)
    elif not cancelled and owed_sql < 0:
        owed = services.owed_after(order, paid)
        if owed < 0:
            add(DifferenceKind.OVERPAID, -owed)
    if invoiced and order.status != OrderStatus.DELIVERED:
        add(DifferenceKind.INVOICED_UNDELIVERED, invoice or ZERO)
    if cancelled and paid > 0:
        add(DifferenceKind.UNREFUNDED, paid)
    return found


# -- the whole month -------------------------------------------------------------------------


def _sum(values) -> Decimal:
    return sum((v or ZERO for v in values), ZERO).quantize(ZERO)


@dataclass
class Reconciliation:
    month: datetime.date
    store: object
    multi_store: bool
    orders: Rows  # of SalesOrder
    invoices: Rows  # of SalesOrder
    payments: Rows  # of PaymentLine
    differences: list[Difference]
    orders_total: Decimal = ZERO
    invoices_total: Decimal = ZERO
    payments_total: Decimal = ZERO
    payments_by_kind: dict = field(default_factory=dict)
    payments_by_method: dict = field(default_factory=dict)
    differences_by_kind: dict = field(default_factory=dict)

    @property
    def refunds_total(self) -> Decimal:
        return self.payments_by_kind[PaymentKind.REFUND]

    @property
    def differences_total(self) -> Decimal:
        return _sum(d.amount for d in self.differences)


class Received(NamedTuple):
    kind: str
    method: str
    count: int
    amount: Decimal  # refunds negative


def reconcile(user, month: datetime.date, store=None) -> Reconciliation:
    """Everything the month's workbook and page show, for one store or the user's scope.

    Counts and totals are summed in SQL (a query per sheet); the rows of the orders, invoices
    and payments sheets are read only when the workbook lists them.
    """
    orders = _signed(user, month, store).aggregate(n=Count("pk"), total=Sum("total"))
    invoices = _invoiced(user, month, store).aggregate(n=Count("pk"), total=Sum("invoice_amount"))
    # One row per type and method of payment: its count and amount, refunds negative.
    grid = [
        Received(row["kind"], row["method"], row["n"], signed_amount(row["kind"], row["amount"]))
        for row in _received(user, month, store)
        .order_by()
        .values("kind", "method")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    ]
    differences = month_differences(user, month, store)
    rec = Reconciliation(
        month=month,
        store=store,
        multi_store=store is None and user.sees_all_stores,
        orders=Rows(orders["n"], lambda: month_orders(user, month, store)),
        invoices=Rows(invoices["n"], lambda: month_invoices(user, month, store)),
        payments=Rows(sum(r.count for r in grid), lambda: month_payments(user, month, store)),
        differences=differences,
        orders_total=_sum([orders["total"]]),
        invoices_total=_sum([invoices["total"]]),
        payments_total=_sum(r.amount for r in grid),
    )
    rec.payments_by_kind = {
        kind: _sum(r.amount for r in grid if r.kind == kind) for kind in PaymentKind.values
    }
    rec.payments_by_method = {
        method: _sum(r.amount for r in grid if r.method == method)
        for method in PaymentMethod.values
    }
    rec.differences_by_kind = {
        kind: (
            sum(1 for d in differences if d.kind == kind),
            _sum(d.amount for d in differences if d.kind == kind),
        )
        for kind in DifferenceKind.values
    }
    return rec


# -- the workbook ----------------------------------------------------------------------------


@dataclass
class Column:
    title: str
    width: int
    total: Decimal | None = None  # shown in the totals row


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: list[list]
    #: Subtotals below the totals row: (heading, [(label, amount), ...]) per group.
    breakdown: list[tuple[str, list[tuple[str, Decimal]]]] = field(default_factory=list)


def sheet_titles() -> list[str]:
    return [
        pgettext("reconciliation sheet", "Orders"),
        pgettext("reconciliation sheet", "Invoices"),
        pgettext("reconciliation sheet", "Payments"),
        pgettext("reconciliation sheet", "Differences"),
    ]


def sheets(rec: Reconciliation) -> list[Sheet]:
    """The workbook's content, one Sheet each for 订单, 发票, 收款 and 差异."""
    store = [Column(_("Store"), 14)] if rec.multi_store else []

    def at_store(order) -> list:
        return [order.store.name] if rec.multi_store else []

    orders_title, invoices_title, payments_title, differences_title = sheet_titles()
    orders = Sheet(
        orders_title,
        [
            *store,
            Column(_("Order number"), 18),
            Column(_("Order date"), 12),
            Column(_("Customer"), 16),
            Column(_("Consultant"), 12),
            Column(_("Status"), 14),
            Column(_("Order total"), 16, total=rec.orders_total),
        ],
        [
            [
                *at_store(o),
                o.number,
                o.order_date,
                o.customer.name,
                o.consultant.display_name,
                o.get_status_display(),
                o.total,
            ]
            for o in rec.orders
        ],
    )
    invoices = Sheet(
        invoices_title,
        [
            *store,
            Column(_("Invoice number"), 18),
            Column(_("Invoice date"), 12),
            Column(_("Invoice amount"), 16, total=rec.invoices_total),
            Column(_("Order number"), 18),
            Column(_("Customer"), 16),
        ],
        [
            [
                *at_store(o),
                o.invoice_number,
                o.invoice_date,
                o.invoice_amount,
                o.number,
                o.customer.name,
            ]
            for o in rec.invoices
        ],
    )
    payments = Sheet(
        payments_title,
        [
            *store,
            Column(_("Received on"), 12),
            Column(_("Order number"), 18),
            Column(_("Customer"), 16),
            Column(_("Type"), 12),
            Column(_("Method"), 16),
            Column(_("Reference"), 16),
            Column(_("Amount"), 16, total=rec.payments_total),
        ],
        [
            [
                *at_store(line.payment.order),
                line.payment.received_on,
                line.payment.order.number,
                line.payment.order.customer.name,
                line.payment.get_kind_display(),
                line.payment.get_method_display(),
                line.payment.reference,
                line.amount,
            ]
            for line in rec.payments
        ],
        breakdown=[
            (_("By type"), [(PaymentKind(k).label, v) for k, v in rec.payments_by_kind.items()]),
            (
                _("By method"),
                [(PaymentMethod(m).label, v) for m, v in rec.payments_by_method.items()],
            ),
        ],
    )
    differences = Sheet(
        differences_title,
        [
            *store,
            Column(_("Difference"), 24),
            Column(_("Order number"), 18),
            Column(_("Customer"), 16),
            Column(_("Consultant"), 12),
            Column(_("Status"), 14),
            Column(_("Order total"), 16),
            Column(_("Trade-in value"), 16),
            Column(_("Invoice amount"), 16),
            Column(_("Paid"), 16),
            Column(_("Difference amount"), 16, total=rec.differences_total),
        ],
        [
            [
                *at_store(d.order),
                d.kind_label,
                d.order.number,
                d.order.customer.name,
                d.order.consultant.display_name,
                d.order.get_status_display(),
                d.order.total,
                d.order.trade_in_value,
                d.invoice_amount,
                d.paid,
                d.amount,
            ]
            for d in rec.differences
        ],
        breakdown=[
            (
                _("By difference"),
                [(DifferenceKind(k).label, v) for k, (_n, v) in rec.differences_by_kind.items()],
            )
        ],
    )
    return [orders, invoices, payments, differences]


def _cell(sheet, value, *, bold=False):
    if value is None:
        value = ""
    elif not isinstance(value, str | int | Decimal | datetime.date):
        value = str(value)  # lazy translations
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def workbook_bytes(rec: Reconciliation, properties: dict | None = None) -> bytes:
    """The .xlsx: frozen Chinese header, money as #,##0.00, dates, a bold totals row per sheet.

    Subtotals by type (and by method for payments) follow the totals row after a blank line,
    their amounts in the totals column.
    """
    workbook = Workbook(write_only=True)
    for key, value in (properties or {}).items():  # who exported it, and when
        setattr(workbook.properties, key, value)
    for content in sheets(rec):
        sheet = workbook.create_sheet(title=content.title[:31])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(content.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.append([_cell(sheet, column.title, bold=True) for column in content.columns])
        for row in content.rows:
            sheet.append([_cell(sheet, value) for value in row])
        totals = [column.total for column in content.columns]
        totals[0] = _("Total")
        sheet.append([_cell(sheet, value, bold=True) for value in totals])
        at = next(i for i, c in enumerate(content.columns) if c.total is not None)
        for heading, lines in content.breakdown:
            sheet.append([])
            sheet.append([_cell(sheet, heading, bold=True)])
            for label, amount in lines:
                gap = [_cell(sheet, None)] * (at - 1)
                sheet.append([_cell(sheet, str(label)), *gap, _cell(sheet, amount)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
