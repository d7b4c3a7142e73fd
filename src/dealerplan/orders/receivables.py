"""Receivables: what each active order still owes, aged 0–30, 31–60, 61–90 and over 90 days."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .choices import OrderStatus, PaymentKind
from .models import Payment, SalesOrder

BUCKETS = ("0-30", "31-60", "61-90", ">90")
ZERO = Decimal("0.00")


def bucket_for(days: int) -> str:
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return ">90"


def _paid(kind_filter):
    return Coalesce(
        Subquery(
            Payment.objects.filter(kind_filter, order=OuterRef("pk"))
            .values("order")
            .annotate(total=Sum("amount"))
            .values("total")
        ),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


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
    """Orders the user may see that still owe money, oldest first; one query."""
    orders = (
        SalesOrder.objects.visible_to(user)
        .exclude(status__in=(OrderStatus.CANCELLED, OrderStatus.DRAFT))
        .annotate(
            received=_paid(~Q(kind=PaymentKind.REFUND)),
            refunded=_paid(Q(kind=PaymentKind.REFUND)),
        )
        .select_related("customer", "consultant")
        .order_by("order_date", "pk")
    )
    rows, totals = [], dict.fromkeys(BUCKETS, ZERO)
    for order in orders:
        # services.receivable's rule: a trade-in is taken against the total.
        outstanding = (
            order.total - order.trade_in_value - order.received + order.refunded
        ).quantize(ZERO)
        if outstanding <= 0:
            continue
        days = (today - (order.delivery_date or order.order_date)).days
        bucket = bucket_for(max(days, 0))
        rows.append(Receivable(order, outstanding, max(days, 0), bucket))
        totals[bucket] += outstanding
    return AgingReport(rows, totals)
