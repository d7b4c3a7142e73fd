"""Stock by trim × colour: counts per status and the age of the cars in stock, in one query.

The Monday factory order and the focused selling of aged cars (重点销售) both start from this
matrix, so it is computed by the database in a single grouped query whatever the stock size.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from .choices import VehicleStatus
from .models import Vehicle
from .services import AGING_BUCKETS, aged_cutoff

STATUS_COLUMNS = (
    VehicleStatus.ORDERED,
    VehicleStatus.IN_TRANSIT,
    VehicleStatus.IN_STOCK,
    VehicleStatus.RESERVED,
)
#: Bucket keys as the vehicle list's ``aging`` filter names them.
BUCKET_KEYS = tuple(f"{low}-{high}" if high else f">{low - 1}" for low, high in AGING_BUCKETS)
COUNT_KEYS = (*STATUS_COLUMNS, *BUCKET_KEYS, "aged")


@dataclass
class SummaryRow:
    trim_id: int | None
    color_id: int | None
    trim: str
    model_year: int | None
    color: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def aged(self) -> int:
        return self.counts.get("aged", 0)

    def status_counts(self) -> list[tuple[str, int]]:
        return [(status, self.counts[status]) for status in STATUS_COLUMNS]

    def bucket_counts(self) -> list[tuple[str, int]]:
        return [(key, self.counts[key]) for key in BUCKET_KEYS]


@dataclass
class StockSummary:
    today: datetime.date
    rows: list[SummaryRow]
    totals: SummaryRow


def _bucket_filter(low: int, high: int | None, today: datetime.date) -> Q:
    """Days in stock between low and high (inclusive), as ``services.aging_bucket`` counts."""
    in_stock = Q(status=VehicleStatus.IN_STOCK)
    if high is None:
        return in_stock & Q(arrival_date__lt=today - datetime.timedelta(days=low - 1))
    condition = in_stock & Q(arrival_date__gte=today - datetime.timedelta(days=high))
    if low > 0:  # a date after today counts as 0 days, so the first bucket has no upper date
        condition &= Q(arrival_date__lte=today - datetime.timedelta(days=low))
    return condition


def stock_summary(user, today: datetime.date | None = None) -> StockSummary:
    today = today or timezone.localdate()
    annotations = {status: Count("pk", filter=Q(status=status)) for status in STATUS_COLUMNS}
    for key, (low, high) in zip(BUCKET_KEYS, AGING_BUCKETS, strict=True):
        annotations[key] = Count("pk", filter=_bucket_filter(low, high, today))
    annotations["aged"] = Count(
        "pk", filter=Q(status=VehicleStatus.IN_STOCK, arrival_date__lt=aged_cutoff(today))
    )
    grouped = (
        Vehicle.objects.visible_to(user)
        .filter(is_archived=False, status__in=STATUS_COLUMNS)
        .values(
            "trim_id",
            "color_id",
            "trim__series__name",
            "trim__name",
            "trim__model_year",
            "color__name",
        )
        .annotate(**annotations)
        .order_by("trim__series__name", "trim__name", "trim__model_year", "color__name")
    )
    rows = [
        SummaryRow(
            trim_id=item["trim_id"],
            color_id=item["color_id"],
            trim=f"{item['trim__series__name']} {item['trim__name']}",
            model_year=item["trim__model_year"],
            color=item["color__name"],
            counts={key: item[key] for key in COUNT_KEYS},
        )
        for item in grouped
    ]
    totals = SummaryRow(
        trim_id=None,
        color_id=None,
        trim="",
        model_year=None,
        color="",
        counts={key: sum(row.counts[key] for row in rows) for key in COUNT_KEYS},
    )
    return StockSummary(today=today, rows=rows, totals=totals)
