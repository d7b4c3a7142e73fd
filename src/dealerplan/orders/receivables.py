"""Receivables: what each active order still owes, aged 0–30, 31–60, 61–90 and over 90 days."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from .choices import OrderStatus
from .collections import HALF_FEN, with_amount_owed
from .models import SalesOrder

BUCKETS = ("0-30", "31-60", "61-90", ">90")
ROW_FIELDS = (
    "store_id",
    "number",
    "status",
    "order_date",
    "delivery_date",
    "total",
    "trade_in_value",
    "customer__name",
    "consultant__username",
    "consultant__first_name",
    "consultant__last_name",
)
ZERO = Decimal("0.00")


def bucket_for(days: int) -> str:
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return ">90"


@dataclass
class Receivable:
    order: SalesOrder
    outstanding: Decimal
    days: int
    bucket: str


@dataclass
class AgingReport:
    rows: list[Receivable]
    totals: dict = field(default_factory=dict)

    @property
    def grand_total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


def aging_report(user, today: datetime.date) -> AgingReport:
    """Orders the user may see that still owe money, oldest first; one query.

    What is owed comes from ``with_amount_owed`` (services.receivable's rule, trade-in
    included) and is filtered in SQL: of a store's thousands of orders only the few owing
    money are read.
    """
    orders = (
        with_amount_owed(
            SalesOrder.objects.visible_to(user).exclude(
                status__in=(OrderStatus.CANCELLED, OrderStatus.DRAFT)
            )
        )
        .filter(amount_owed__gt=HALF_FEN)
        .select_related("customer", "consultant")
        # A store owes on hundreds of orders: read what the page, the export and the
        # dashboard show, not every column of three tables.
        .only(*ROW_FIELDS)
        .order_by("order_date", "pk")
    )
    rows, totals = [], dict.fromkeys(BUCKETS, ZERO)
    for order in orders:
        outstanding = order.amount_owed.quantize(ZERO)  # SQLite computes it in floating point
        if outstanding <= 0:
            continue
        days = max((today - (order.delivery_date or order.order_date)).days, 0)
        bucket = bucket_for(days)
        rows.append(Receivable(order, outstanding, days, bucket))
        totals[bucket] += outstanding
    return AgingReport(rows, totals)
