"""Dashboards by role: the figures behind each chart, as plain tables.

Every chart is a :class:`Chart`: columns and rows of exact figures (money in ``Decimal`` to the
fen), from which the page draws the chart, shows the same numbers as a table and exports them.
Scope is ``visible_to(user)`` everywhere, optionally narrowed to one store for group users; a
consultant's figures are their own. Each dashboard runs a fixed number of queries.

Definitions (periods are local Asia/Shanghai calendar months, archived records left out):

* traffic: entries of the traffic register (walk-ins, call-ins, online enquiries);
* cards: customer cards opened in the month;
* test drives: walk-ins marked "test drive" plus test-drive activities done (those within
  12 hours of such a walk-in of the same customer are that drive, counted once);
* orders: orders dated in the month except cancelled ones (as plan vs actual counts them);
* deliveries: delivered orders by delivery date.

Rates are ratios of the month's counts, not cohorts (as ``planning.funnel.measure_rates``).
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityKind, ActivityStatus, TrafficKind
from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.activities.reports import month_bounds
from dealerplan.activities.traffic import rate
from dealerplan.core.choices import Role
from dealerplan.customers.models import Customer
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle
from dealerplan.inventory.services import AGING_BUCKETS
from dealerplan.inventory.summary import BUCKET_KEYS, _bucket_filter
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder
from dealerplan.orders.receivables import BUCKETS as RECEIVABLE_BUCKETS
from dealerplan.orders.receivables import aging_report
from dealerplan.org.models import User
from dealerplan.planning.choices import Metric, PeriodType, PlanScope
from dealerplan.planning.models import Plan, PlanLine
from dealerplan.planning.pace import MONEY, UNITS, pace
from dealerplan.planning.progress import (
    PROGRESS_METRICS,
    counted_orders,
    order_actuals,
    workdays_for,
)
from dealerplan.planning.services import month_end
from dealerplan.planning.visitplan import shift_month

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0")
#: A test-drive activity within this time of a walk-in marked "test drive" is that same drive.
SAME_VISIT = datetime.timedelta(hours=12)
MONEY_ZERO = Decimal("0.00")

# Column kinds: how a value is shown and exported.
TEXT = "text"
INT = "int"
UNITS_KIND = "units"
MONEY_KIND = "money"
PERCENT = "percent"

CONSULTANT = "consultant"
MANAGER = "manager"
GENERAL = "general"

#: Roles that see the store-level dashboard with the revenue trend.
GENERAL_ROLES = frozenset({Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN})


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass(frozen=True)
class Series:
    """A column drawn on the chart: as bars or a line, on the first or second value axis."""

    key: str
    type: str = "bar"
    axis: int = 0


@dataclass
class Chart:
    name: str
    title: str
    kind: str  # "gauge", "funnel", "bars" (vertical), "hbars" (horizontal), "lines"
    columns: list[Column]
    rows: list[dict]
    series: list[Series] = field(default_factory=list)
    note: str = ""
    #: Words the script shows in the chart itself.
    words: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.rows

    def table(self) -> list[list[tuple[str, bool]]]:
        """Rows of (text, is number) in column order, for the HTML table."""
        return [
            [(display(row.get(c.key), c.kind), c.kind != TEXT) for c in self.columns]
            for row in self.rows
        ]

    def export_rows(self) -> list[list]:
        return [
            [str(c.label) for c in self.columns],
            *[[row.get(c.key) for c in self.columns] for row in self.rows],
        ]

    def payload(self) -> dict:
        """What the page's script draws: numbers as strings (exact), labels from column 0."""
        by_key = {c.key: c for c in self.columns}
        first = self.columns[0].key
        return {
            "kind": self.kind,
            "words": {key: str(value) for key, value in self.words.items()},
            "labels": [str(row.get(first)) for row in self.rows],
            "series": [
                {
                    "key": s.key,
                    "name": str(by_key[s.key].label),
                    "type": s.type,
                    "axis": s.axis,
                    "unit": by_key[s.key].kind,
                    "values": [_plain(row.get(s.key)) for row in self.rows],
                }
                for s in self.series
            ],
        }


def _plain(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    return value


def display(value, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == MONEY_KIND:
        return f"{Decimal(value):,.2f}"
    if kind == INT:
        return f"{int(value):,}"
    if kind == UNITS_KIND:
        number = Decimal(value)
        return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    if kind == PERCENT:
        return f"{value}%"
    return str(value)


@dataclass(frozen=True)
class Scope:
    """Whose figures: what ``visible_to(user)`` returns, narrowed to ``store`` when given."""

    user: User
    store: object = None

    @property
    def own(self) -> bool:
        return self.user.sees_only_own

    def narrow(self, queryset, path: str = "store"):
        return queryset.filter(**{path: self.store.pk}) if self.store else queryset

    @property
    def store_id(self):
        return self.store.pk if self.store else self.user.store_id


def layout_for(user) -> str:
    if user.sees_only_own:
        return CONSULTANT
    if user.is_superuser or user.role in GENERAL_ROLES:
        return GENERAL
    return MANAGER


def months_ending(month: datetime.date, count: int) -> list[datetime.date]:
    return [shift_month(month, offset) for offset in range(1 - count, 1)]


def _month_key(value) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = value.astimezone(SHANGHAI) if value.tzinfo else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def _metric_labels() -> dict[str, str]:
    return {
        Metric.UNITS: _("Units"),
        Metric.REVENUE: _("Revenue"),
        Metric.GROSS_PROFIT: _("Gross profit"),
    }


def _metric_kind(metric: str) -> str:
    return MONEY_KIND if metric in Metric.money() else UNITS_KIND


def _percent(ratio: Decimal | None) -> Decimal | None:
    return None if ratio is None else (ratio * 100).quantize(Decimal("0.1"))


# --- plan vs actual ---------------------------------------------------------------------------


def _targets(plans) -> dict[str, tuple[Decimal, Decimal]]:
    """Metric -> (quota, goal) over ``plans``: each plan's own line, else its series lines."""
    per_plan: dict = {}
    for line in PlanLine.objects.filter(plan__in=plans, metric__in=PROGRESS_METRICS).only(
        "plan_id", "metric", "series_id", "quota", "goal"
    ):
        entry = per_plan.setdefault(line.plan_id, {}).setdefault(
            line.metric, {"overall": None, "series": []}
        )
        if line.series_id is None:
            entry["overall"] = line
        else:
            entry["series"].append(line)
    totals: dict = {}
    for metrics in per_plan.values():
        for metric, entry in metrics.items():
            lines = [entry["overall"]] if entry["overall"] is not None else entry["series"]
            quota, goal = totals.get(metric, (ZERO, ZERO))
            totals[metric] = (
                quota + sum((x.quota for x in lines), ZERO),
                goal + sum((x.goal for x in lines), ZERO),
            )
    return totals


def _store_actuals(scope: Scope, month: datetime.date) -> dict[str, Decimal]:
    """The month's orders of the stores in scope, counted as ``order_actuals`` counts them.

    Shared sales split exactly between consultants, so a store's total is the plain sum.
    """
    row = counted_orders(scope.narrow(SalesOrder.objects.visible_to(scope.user)), month).aggregate(
        units=Count("pk"), revenue=Sum("total"), gross_profit=Sum("gross_profit")
    )
    return {
        Metric.UNITS: Decimal(row["units"]),
        Metric.REVENUE: row["revenue"] or MONEY_ZERO,
        Metric.GROSS_PROFIT: row["gross_profit"] or MONEY_ZERO,
    }


def plan_chart(scope: Scope, month: datetime.date, today: datetime.date) -> Chart:
    """Units, revenue and gross profit of the month against quota (任务) and goal (目标)."""
    plans = scope.narrow(
        Plan.objects.visible_to(scope.user).filter(period_type=PeriodType.MONTH, period_start=month)
    )
    if scope.own:
        plans = plans.filter(scope=PlanScope.CONSULTANT, consultant=scope.user)
        actual = order_actuals(scope.user, month).get(
            scope.user.pk, dict.fromkeys(PROGRESS_METRICS, ZERO)
        )
    else:
        plans = plans.filter(scope=PlanScope.STORE)
        actual = _store_actuals(scope, month)
    targets = _targets(plans)
    total, elapsed = workdays_for(scope.store_id, month, today)
    labels = _metric_labels()
    rows = []
    for metric in PROGRESS_METRICS:
        quota, goal = targets.get(metric, (None, None))
        row = {
            "metric": labels[metric],
            "actual": actual[metric],
            "quota": quota,
            "goal": goal,
            "of_quota": None,
            "of_goal": None,
            "projected": None,
        }
        if quota is not None and total > 0:
            quantum = MONEY if metric in Metric.money() else UNITS
            measured = pace(
                quota,
                actual[metric],
                workdays_total=total,
                workdays_elapsed=elapsed,
                quantum=quantum,
            )
            row["of_quota"] = _percent(measured.achievement)
            row["projected"] = measured.projected
            if goal:
                row["of_goal"] = _percent(
                    pace(
                        goal,
                        actual[metric],
                        workdays_total=total,
                        workdays_elapsed=elapsed,
                        quantum=quantum,
                    ).achievement
                )
        rows.append(row)
    title = _("My month") if scope.own else _("Plan vs actual")
    return Chart(
        "plan",
        title,
        "gauge",
        [
            Column("metric", _("Measure")),
            Column("actual", _("Actual"), UNITS_KIND),
            Column("quota", _("Quota"), UNITS_KIND),
            Column("goal", _("Goal"), UNITS_KIND),
            Column("of_quota", _("Of quota (%)"), PERCENT),
            Column("of_goal", _("Of goal (%)"), PERCENT),
            Column("projected", _("Projected month end"), UNITS_KIND),
        ],
        rows,
        [Series("actual"), Series("quota"), Series("goal"), Series("of_quota")],
        note=_("Working day %(elapsed)s of %(total)s") % {"elapsed": elapsed, "total": total},
        words={"no_plan": _("No plan"), "of_quota": _("of quota")},
    )


# --- funnel and conversion --------------------------------------------------------------------


def funnel_by_month(scope: Scope, months: list[datetime.date]) -> dict[datetime.date, dict]:
    """Month -> traffic, cards, test drives, orders, deliveries, revenue, gross profit.

    Five grouped queries, whatever the number of records or months.
    """
    first, last = months[0], months[-1]
    start, end = month_bounds(first)[0], month_bounds(last)[1]
    user = scope.user
    result = {
        month: {
            "traffic": 0,
            "cards": 0,
            "test_drives": 0,
            "orders": 0,
            "deliveries": 0,
            "revenue": MONEY_ZERO,
            "gross_profit": MONEY_ZERO,
        }
        for month in months
    }

    def add(rows, names):
        for row in rows:
            month = _month_key(row["month"])
            if month in result:
                for name in names:
                    result[month][name] += row[name] or 0

    add(
        scope.narrow(TrafficEntry.objects.visible_to(user))
        .filter(is_archived=False, arrived_at__gte=start, arrived_at__lt=end)
        .annotate(month=TruncMonth("arrived_at", tzinfo=SHANGHAI))
        .values("month")
        .annotate(
            traffic=Count("pk"),
            test_drives=Count("pk", filter=Q(kind=TrafficKind.WALK_IN, test_drive=True)),
        )
        .order_by(),
        ("traffic", "test_drives"),
    )
    add(
        scope.narrow(Customer.objects.visible_to(user))
        .filter(is_archived=False, created_at__gte=start, created_at__lt=end)
        .annotate(month=TruncMonth("created_at", tzinfo=SHANGHAI))
        .values("month")
        .annotate(cards=Count("pk"))
        .order_by(),
        ("cards",),
    )
    # A test drive logged as an activity and also ticked on the customer's walk-in is one.
    same_visit = TrafficEntry.objects.filter(
        customer=OuterRef("customer_id"),
        is_archived=False,
        kind=TrafficKind.WALK_IN,
        test_drive=True,
        arrived_at__gte=ExpressionWrapper(
            OuterRef("done_at") - SAME_VISIT, output_field=DateTimeField()
        ),
        arrived_at__lte=ExpressionWrapper(
            OuterRef("done_at") + SAME_VISIT, output_field=DateTimeField()
        ),
    )
    add(
        scope.narrow(Activity.objects.visible_to(user))
        .filter(
            is_archived=False,
            kind=ActivityKind.TEST_DRIVE,
            status=ActivityStatus.DONE,
            done_at__gte=start,
            done_at__lt=end,
        )
        .exclude(Exists(same_visit))
        .annotate(month=TruncMonth("done_at", tzinfo=SHANGHAI))
        .values("month")
        .annotate(test_drives=Count("pk"))
        .order_by(),
        ("test_drives",),
    )
    orders = scope.narrow(SalesOrder.objects.visible_to(user))
    add(
        orders.filter(order_date__gte=first, order_date__lte=month_end(last))
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(month=TruncMonth("order_date"))
        .values("month")
        .annotate(orders=Count("pk"), revenue=Sum("total"), gross_profit=Sum("gross_profit"))
        .order_by(),
        ("orders", "revenue", "gross_profit"),
    )
    add(
        orders.filter(
            status=OrderStatus.DELIVERED,
            delivery_date__gte=first,
            delivery_date__lte=month_end(last),
        )
        .annotate(month=TruncMonth("delivery_date"))
        .values("month")
        .annotate(deliveries=Count("pk"))
        .order_by(),
        ("deliveries",),
    )
    return result


def _stage_labels() -> list[tuple[str, str]]:
    return [
        ("traffic", _("Showroom traffic")),
        ("cards", _("New cards")),
        ("test_drives", _("Test drives")),
        ("orders", _("Orders")),
        ("deliveries", _("Deliveries")),
    ]


def funnel_chart(scope: Scope, figures: dict, month: datetime.date) -> Chart:
    """The month's funnel; each step's rate is of the step before it."""
    counts = figures[month]
    rows, previous = [], None
    for key, label in _stage_labels():
        rows.append(
            {
                "stage": label,
                "count": counts[key],
                "rate": None if previous is None else rate(counts[key], previous),
            }
        )
        previous = counts[key]
    title = _("My funnel this month") if scope.own else _("Store funnel this month")
    if not any(counts[key] for key, _label in _stage_labels()):
        rows = []
    return Chart(
        "funnel",
        title,
        "funnel",
        [
            Column("stage", _("Step")),
            Column("count", _("Count"), INT),
            Column("rate", _("Of the step before (%)"), PERCENT),
        ],
        rows,
        [Series("count")],
    )


def conversion_chart(scope: Scope, figures: dict) -> Chart:
    """Month by month: the counts and the card, test-drive and order rates."""
    rows = []
    for month, counts in figures.items():
        rows.append(
            {
                "month": f"{month:%Y-%m}",
                **{key: counts[key] for key, _label in _stage_labels()},
                "card_rate": rate(counts["cards"], counts["traffic"]),
                "drive_rate": rate(counts["test_drives"], counts["cards"]),
                "order_rate": rate(counts["orders"], counts["test_drives"]),
                "close_rate": rate(counts["orders"], counts["traffic"]),
            }
        )
    if not any(any(row[key] for key, _label in _stage_labels()) for row in rows):
        rows = []
    title = (
        _("My conversion, last %(count)s months")
        if scope.own
        else _("Conversion, last %(count)s months")
    )
    return Chart(
        "conversion",
        title % {"count": len(figures)},
        "lines",
        [
            Column("month", _("Month")),
            *[Column(key, label, INT) for key, label in _stage_labels()],
            Column("card_rate", _("Card rate (%)"), PERCENT),
            Column("drive_rate", _("Test drives per card (%)"), PERCENT),
            Column("order_rate", _("Orders per test drive (%)"), PERCENT),
            Column("close_rate", _("Orders per traffic (%)"), PERCENT),
        ],
        rows,
        [
            Series("card_rate", "line"),
            Series("drive_rate", "line"),
            Series("order_rate", "line"),
            Series("close_rate", "line"),
        ],
    )


def revenue_chart(figures: dict) -> Chart:
    rows = [
        {
            "month": f"{month:%Y-%m}",
            "orders": counts["orders"],
            "revenue": counts["revenue"],
            "gross_profit": counts["gross_profit"],
        }
        for month, counts in figures.items()
    ]
    if not any(row["orders"] for row in rows):
        rows = []
    return Chart(
        "revenue",
        _("Revenue and gross profit by month"),
        "bars",
        [
            Column("month", _("Month")),
            Column("orders", _("Orders"), INT),
            Column("revenue", _("Revenue"), MONEY_KIND),
            Column("gross_profit", _("Gross profit"), MONEY_KIND),
        ],
        rows,
        [Series("revenue"), Series("gross_profit"), Series("orders", "line", 1)],
    )


# --- people, stock, receivables ---------------------------------------------------------------


def ranking_chart(scope: Scope, month: datetime.date) -> Chart:
    """Consultants in scope by units, then revenue: two queries for orders, one for names."""
    actuals = order_actuals(scope.user, month)
    people = (
        User.objects.visible_to(scope.user)
        .filter(Q(role=Role.CONSULTANT, is_active=True) | Q(pk__in=list(actuals)))
        .only("pk", "username", "first_name", "last_name", "store_id")
    )
    rows = []
    for person in scope.narrow(people):
        figures = actuals.get(person.pk, dict.fromkeys(PROGRESS_METRICS, ZERO))
        rows.append(
            {
                "name": person.display_name,
                "units": figures[Metric.UNITS],
                "revenue": figures[Metric.REVENUE].quantize(MONEY),
                "gross_profit": figures[Metric.GROSS_PROFIT].quantize(MONEY),
            }
        )
    rows.sort(key=lambda r: (-r["units"], -r["revenue"], r["name"]))
    return Chart(
        "ranking",
        _("Consultant ranking"),
        "hbars",
        [
            Column("name", _("Consultant")),
            Column("units", _("Units"), UNITS_KIND),
            Column("revenue", _("Revenue"), MONEY_KIND),
            Column("gross_profit", _("Gross profit"), MONEY_KIND),
        ],
        rows,
        [Series("revenue"), Series("gross_profit"), Series("units", "bar", 1)],
    )


def _days_label(low: int, high: int | None) -> str:
    if high is None:
        return _("Over %(days)s days") % {"days": low - 1}
    return _("%(low)s–%(high)s days") % {"low": low, "high": high}


def stock_aging_chart(scope: Scope, today: datetime.date) -> Chart:
    """Cars in stock per age bucket (days since arrival), in one query."""
    counts = (
        scope.narrow(Vehicle.objects.visible_to(scope.user))
        .filter(is_archived=False, status=VehicleStatus.IN_STOCK)
        .aggregate(
            **{
                key: Count("pk", filter=_bucket_filter(low, high, today))
                for key, (low, high) in zip(BUCKET_KEYS, AGING_BUCKETS, strict=True)
            }
        )
    )
    rows = [
        {"bucket": _days_label(low, high), "count": counts[key]}
        for key, (low, high) in zip(BUCKET_KEYS, AGING_BUCKETS, strict=True)
    ]
    if not any(row["count"] for row in rows):
        rows = []
    return Chart(
        "stock_aging",
        _("Stock aging"),
        "bars",
        [Column("bucket", _("Days in stock")), Column("count", _("Cars"), INT)],
        rows,
        [Series("count")],
    )


def receivables_chart(scope: Scope, today: datetime.date) -> Chart:
    """What orders still owe, per age bucket (``orders.receivables``), in one query."""
    report = aging_report(scope.user, today)
    amounts = dict.fromkeys(RECEIVABLE_BUCKETS, MONEY_ZERO)
    counts = dict.fromkeys(RECEIVABLE_BUCKETS, 0)
    for item in report.rows:
        if scope.store and item.order.store_id != scope.store.pk:
            continue
        amounts[item.bucket] += item.outstanding
        counts[item.bucket] += 1
    labels = dict(zip(RECEIVABLE_BUCKETS, [(0, 30), (31, 60), (61, 90), (91, None)], strict=True))
    rows = [
        {
            "bucket": _days_label(*labels[bucket]),
            "orders": counts[bucket],
            "amount": amounts[bucket],
        }
        for bucket in RECEIVABLE_BUCKETS
    ]
    if not any(row["orders"] for row in rows):
        rows = []
    return Chart(
        "receivables",
        _("My receivables") if scope.own else _("Receivables aging"),
        "bars",
        [
            Column("bucket", _("Days outstanding")),
            Column("orders", _("Orders"), INT),
            Column("amount", _("Outstanding"), MONEY_KIND),
        ],
        rows,
        [Series("amount")],
    )


# --- the dashboards ---------------------------------------------------------------------------


@dataclass
class Dashboard:
    layout: str
    month: datetime.date
    charts: list[Chart]

    def chart(self, name: str) -> Chart | None:
        return next((c for c in self.charts if c.name == name), None)


def build_dashboard(
    user, month: datetime.date, today: datetime.date, *, store=None, layout: str | None = None
) -> Dashboard:
    """The charts of ``layout`` (by default the user's) for ``month``, as ``user`` may see them."""
    layout = layout or layout_for(user)
    scope = Scope(user, store if user.sees_all_stores else None)
    month = month.replace(day=1)
    if layout == CONSULTANT:
        figures = funnel_by_month(scope, months_ending(month, 6))
        charts = [
            plan_chart(scope, month, today),
            funnel_chart(scope, figures, month),
            receivables_chart(scope, today),
            conversion_chart(scope, figures),
        ]
    else:
        figures = funnel_by_month(scope, months_ending(month, 12))
        charts = [
            plan_chart(scope, month, today),
            funnel_chart(scope, figures, month),
            ranking_chart(scope, month),
            conversion_chart(scope, figures),
        ]
        if layout == GENERAL:
            charts.append(revenue_chart(figures))
        charts += [stock_aging_chart(scope, today), receivables_chart(scope, today)]
    return Dashboard(layout, month, charts)
