"""Plan against actual for a month: each consultant's and the store's targets, the orders so
far, and the pace against the working days elapsed. Achievement counts from sales orders."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from dealerplan.activities.choices import TrafficKind
from dealerplan.activities.models import TrafficEntry
from dealerplan.activities.services import quota_for
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder

from .choices import Metric, PeriodType, PlanScope
from .funnel import Rates, back_calculate, compare_to_quota, measure_rates, months_back
from .models import Plan, PlanLine, WorkdayOverride
from .pace import MONEY, SHARE, UNITS, Pace, contribution, pace
from .services import month_end
from .workdays import count_workdays

PROGRESS_METRICS = (Metric.UNITS, Metric.REVENUE, Metric.GROSS_PROFIT)


@dataclass
class Cell:
    line: PlanLine | None
    actual: Decimal
    quota: Pace | None = None
    goal: Pace | None = None


@dataclass
class Row:
    label: str
    plan: Plan | None
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Progress:
    month: datetime.date
    workdays_total: int
    workdays_elapsed: int
    store_row: Row | None
    rows: list[Row]
    team_rows: list[Row] = field(default_factory=list)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def workdays_for(store_id, month: datetime.date, today: datetime.date) -> tuple[int, int]:
    end = month_end(month)
    overrides = dict(
        WorkdayOverride.objects.filter(
            store_id=store_id, date__gte=month, date__lte=end
        ).values_list("date", "is_workday")
    )
    total = count_workdays(month, end, overrides)
    if today < month:
        return total, 0
    elapsed = count_workdays(month, min(today, end), overrides)
    return total, elapsed


def counted_orders(orders, month: datetime.date):
    """The orders of ``orders`` that count towards ``month``: by order date, cancelled ones out."""
    return orders.filter(order_date__gte=month, order_date__lte=month_end(month)).exclude(
        status=OrderStatus.CANCELLED
    )


def credited_sales(user, month: datetime.date, *, by: tuple[str, ...] = (), narrow=None) -> dict:
    """(consultant id, *values of ``by``) -> {metric: figure}: the month's sales as credited.

    A sale shared by two consultants is credited by its share (``co_share`` to the second
    one), split so the parts add up exactly to the order. ``by`` names more order fields to
    group on (a report's series, say); ``narrow`` keeps only some orders (a store's) so a
    narrowed report does not split the whole group's shared sales. Two queries whatever the
    volume: one aggregate for unshared orders, one list of the (few) shared ones.
    """
    orders = counted_orders(SalesOrder.objects.all(), month)
    if narrow is not None:
        orders = orders.filter(narrow)
    if user.sees_only_own:
        orders = orders.filter(store_id=user.store_id).filter(
            Q(consultant=user) | Q(co_consultant=user)
        )
    else:
        orders = orders & SalesOrder.objects.visible_to(user)
    result: dict = {}

    def add(key, metric, amount):
        bucket = result.setdefault(key, dict.fromkeys(PROGRESS_METRICS, Decimal("0")))
        bucket[metric] += amount

    for row in (
        orders.filter(co_consultant__isnull=True)
        .values("consultant", *by)
        .annotate(units=Count("pk"), revenue=Sum("total"), gross_profit=Sum("gross_profit"))
    ):
        key = (row["consultant"], *(row[name] for name in by))
        add(key, Metric.UNITS, Decimal(row["units"]))
        add(key, Metric.REVENUE, row["revenue"] or Decimal("0"))
        add(key, Metric.GROSS_PROFIT, row["gross_profit"] or Decimal("0"))
    shared = orders.filter(co_consultant__isnull=False).values_list(
        "consultant_id", "co_consultant_id", "co_share", "total", "gross_profit", *by
    )
    for consultant_id, co_consultant_id, co_share, total, gross_profit, *values in shared:
        shares = {consultant_id: 1 - co_share, co_consultant_id: co_share}
        for metric, amount, quantum in (
            (Metric.UNITS, Decimal(1), SHARE),
            (Metric.REVENUE, total, MONEY),
            (Metric.GROSS_PROFIT, gross_profit, MONEY),
        ):
            for person_id, part in contribution(amount, shares, quantum=quantum).items():
                add((person_id, *values), metric, part)
    if user.sees_only_own:
        result = {key: value for key, value in result.items() if key[0] == user.pk}
    return result


def order_actuals(user, month: datetime.date) -> dict:
    """Units, revenue and gross profit of the month's orders per consultant."""
    return {key[0]: figures for key, figures in credited_sales(user, month).items()}


def _cell(line, actual, total, elapsed, metric) -> Cell:
    quantum = MONEY if metric in Metric.money() else UNITS
    cell = Cell(line, actual)
    if line is not None:
        cell.quota = pace(
            line.quota, actual, workdays_total=total, workdays_elapsed=elapsed, quantum=quantum
        )
        cell.goal = pace(
            line.goal, actual, workdays_total=total, workdays_elapsed=elapsed, quantum=quantum
        )
    return cell


def month_progress(user, month: datetime.date, today: datetime.date | None = None) -> Progress:
    month = month.replace(day=1)
    today = today or timezone.localdate()
    plans = list(
        Plan.objects.visible_to(user)
        .filter(period_type=PeriodType.MONTH, period_start=month)
        .select_related("consultant", "store", "team")
        .order_by("scope", "consultant__username")
    )
    lines = {}
    # Ordered within each plan as the model orders lines (the last per metric wins), without
    # joining the plan table just to sort by it.
    for line in PlanLine.objects.filter(plan__in=plans, metric__in=PROGRESS_METRICS).order_by(
        "plan_id", "metric", "series"
    ):
        lines.setdefault(line.plan_id, {})[line.metric] = line
    actuals = order_actuals(user, month)
    store_id = user.store_id or (plans[0].store_id if plans else None)
    total, elapsed = workdays_for(store_id, month, today)
    zero = dict.fromkeys(PROGRESS_METRICS, Decimal("0"))

    store_row, rows = None, []
    for plan in plans:
        if plan.scope == PlanScope.STORE:
            actual = {m: sum((a[m] for a in actuals.values()), Decimal("0")) for m in zero}
            row = Row(str(plan.store), plan)
            store_row = row
        elif plan.scope == PlanScope.CONSULTANT:
            actual = actuals.get(plan.consultant_id, zero)
            row = Row(plan.consultant.display_name, plan)
            rows.append(row)
        else:
            continue
        for metric in PROGRESS_METRICS:
            row.cells[metric] = _cell(
                lines.get(plan.pk, {}).get(metric), actual[metric], total, elapsed, metric
            )
    team_rows = [] if user.sees_only_own else team_totals(rows, total, elapsed)
    return Progress(month, total, elapsed, store_row, rows, team_rows)


def team_totals(rows: list[Row], total: int, elapsed: int) -> list[Row]:
    """Each team's consultants added up: targets and actuals, then paced like any row."""
    teams: dict = {}
    for row in rows:
        team = row.plan.team
        if team is None:
            continue
        teams.setdefault(team.pk, (team, []))[1].append(row)
    result = []
    for team, members in sorted(teams.values(), key=lambda item: item[0].name):
        team_row = Row(team.name, None)
        for metric in PROGRESS_METRICS:
            cells = [member.cells[metric] for member in members]
            planned = [cell.line for cell in cells if cell.line is not None]
            line = None
            if planned:
                line = PlanLine(
                    metric=metric,
                    quota=sum((p.quota for p in planned), Decimal("0")),
                    goal=sum((p.goal for p in planned), Decimal("0")),
                )
            actual = sum((cell.actual for cell in cells), Decimal("0"))
            team_row.cells[metric] = _cell(line, actual, total, elapsed, metric)
        result.append(team_row)
    return result


@dataclass
class FunnelView:
    goal: int
    need: object  # funnel.Need
    rates: object  # funnel.Rates
    warnings: list
    people: int


#: How long a store's measured funnel history is kept (see :func:`store_history`).
HISTORY_CACHE_SECONDS = 15 * 60


def store_history(store_id, today: datetime.date) -> tuple[Rates, int]:
    """The store's conversion rates and walk-in count over the three whole months before today.

    Both read only finished months, which seldom change, while measuring them scans months of a
    busy store's activities (far more than a page may take). So they are cached per store and
    period for :data:`HISTORY_CACHE_SECONDS`: a late edit to those months shows within that time.
    """
    start, end = months_back(today, 3)
    key = f"planning:funnel-history:v1:{store_id}:{start:%Y-%m}:{end:%Y-%m}"
    history = cache.get(key)
    if history is None:
        rates = measure_rates(store_id, months=3, today=today)
        # Local midnights, not ``arrived_at__date``, so the store/time index serves the range.
        walk_ins = TrafficEntry.objects.filter(
            store_id=store_id,
            kind=TrafficKind.WALK_IN,
            arrived_at__gte=_local_midnight(start),
            arrived_at__lt=_local_midnight(end),
        ).count()
        history = (rates, walk_ins)
        cache.set(key, history, HISTORY_CACHE_SECONDS)
    return history


def funnel_for(user, progress: Progress, today: datetime.date) -> FunnelView | None:
    """What the month's unit goal needs (traffic, test drives, calls, visits) at the store's
    measured conversion rates, beside the fixed quotas of the people who must do it."""
    if user.sees_only_own:
        row = progress.rows[0] if progress.rows else None
        people = 1
    else:
        row = progress.store_row
        people = max(len(progress.rows), 1)
    line = row.cells[Metric.UNITS].line if row is not None else None
    if line is None or user.store_id is None or progress.workdays_total == 0:
        return None
    rates, walk_ins = store_history(user.store_id, today)
    consultants = max(len(progress.rows), 1)
    expected_walk_ins = round(walk_ins / 3 / consultants * people)
    goal = int(line.goal)
    weeks = (Decimal(progress.workdays_total) / 5).quantize(Decimal("0.1"))
    need = back_calculate(
        goal,
        rates,
        workdays=progress.workdays_total,
        weeks=weeks,
        walk_in_traffic=expected_walk_ins,
    )
    quota = quota_for(user) if user.sees_only_own else None
    calls = quota.calls_per_day if quota else 30
    visits = quota.visits_per_week if quota else 20
    warnings = compare_to_quota(need, calls_per_day=calls * people, visits_per_week=visits * people)
    return FunnelView(goal, need, rates, warnings, people)
