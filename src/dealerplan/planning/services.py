"""Breaking a year's targets down to months and consultants, exactly, and keeping it honest.

The year plan is the store's; each month gets a store plan and one plan per consultant, all
linked through ``parent``. Every level sums exactly to the one above (see ``breakdown``).
A locked plan changes only through a new revision.
"""

import calendar
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from dealerplan.core.choices import Role
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder
from dealerplan.org.models import User

from .breakdown import DEFAULT_SEASONALITY, FEN, UNIT, split_target
from .choices import Metric, PeriodType, PlanScope, PlanStatus
from .models import Plan, PlanLine
from .workdays import weeks_of_month, workdays_in_month

PLANNER_ROLES = frozenset(
    {Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN}
)
#: Enough of last year's orders to trust their monthly pattern over the default curve.
MIN_HISTORY_ORDERS = 24


def can_plan(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in PLANNER_ROLES)


def quantum_for(metric: str) -> Decimal:
    return FEN if metric in Metric.money() else UNIT


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def monthly_weights(store_id, year: int) -> tuple[list[Decimal], str]:
    """Last year's orders per month when there are enough of them, else the default curve."""
    rows = (
        SalesOrder.objects.filter(store_id=store_id, order_date__year=year - 1)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(month=ExtractMonth("order_date"))
        .values("month")
        .annotate(n=Count("pk"))
    )
    counts = {row["month"]: row["n"] for row in rows}
    if sum(counts.values()) >= MIN_HISTORY_ORDERS and all(counts.get(m) for m in range(1, 13)):
        return [Decimal(counts[m]) for m in range(1, 13)], "history"
    return list(DEFAULT_SEASONALITY), "default"


def consultant_weights(
    consultants: Sequence[User], *, method: str, before: datetime.date
) -> list[Decimal]:
    """Equal shares, or each consultant's share of the store's orders in the last 3 months."""
    if method == "equal":
        return [Decimal(1)] * len(consultants)
    since = (before.replace(day=1) - datetime.timedelta(days=85)).replace(day=1)
    counts = dict(
        SalesOrder.objects.filter(
            consultant__in=consultants, order_date__gte=since, order_date__lt=before
        )
        .exclude(status=OrderStatus.CANCELLED)
        .values("consultant")
        .annotate(n=Count("pk"))
        .values_list("consultant", "n")
    )
    return [Decimal(counts.get(person.pk, 0)) for person in consultants]


@dataclass
class Preview:
    """The breakdown before it is saved: month rows, and per month the consultants' parts."""

    weights_source: str
    months: list[datetime.date]
    consultants: list[User]
    by_month: dict[str, list[tuple[Decimal, Decimal]]]  # metric -> 12 (quota, goal)
    by_consultant: dict[str, list[list[tuple[Decimal, Decimal]]]]  # metric -> month -> people


def preview_breakdown(
    store,
    year: int,
    targets: Mapping[str, tuple[Decimal, Decimal]],
    *,
    consultants: Sequence[User],
    method: str = "equal",
) -> Preview:
    for metric, (quota, goal) in targets.items():
        if goal < quota:
            raise ValidationError(
                _("The goal (目标) of %(metric)s must not be below its quota (任务).")
                % {"metric": Metric(metric).label}
            )
        quantum = quantum_for(metric)
        if quota != quota.quantize(quantum) or goal != goal.quantize(quantum):
            raise ValidationError(
                _("%(metric)s must be whole numbers.") % {"metric": Metric(metric).label}
                if quantum == UNIT
                else _("%(metric)s can have at most two decimals.")
                % {"metric": Metric(metric).label}
            )
    weights, source = monthly_weights(store.pk, year)
    months = [datetime.date(year, m, 1) for m in range(1, 13)]
    people = list(consultants)
    by_month, by_consultant = {}, {}
    for metric, (quota, goal) in targets.items():
        quantum = quantum_for(metric)
        by_month[metric] = split_target(quota, goal, weights, quantum)
        by_consultant[metric] = []
        for month, (m_quota, m_goal) in zip(months, by_month[metric], strict=True):
            shares = consultant_weights(people, method=method, before=month) if people else []
            by_consultant[metric].append(
                split_target(m_quota, m_goal, shares, quantum) if people else []
            )
    return Preview(source, months, people, by_month, by_consultant)


@transaction.atomic
def save_breakdown(user, store, year: int, preview: Preview) -> Plan:
    """Write the year plan, its month plans and each consultant's month plans, all at once."""
    if not can_plan(user):
        raise PermissionDenied
    if not user.sees_all_stores and user.store_id != store.pk:
        raise PermissionDenied
    year_plan, _created = Plan.objects.get_or_create(
        store=store,
        period_type=PeriodType.YEAR,
        period_start=datetime.date(year, 1, 1),
        scope=PlanScope.STORE,
        team=None,
        consultant=None,
        defaults={"period_end": datetime.date(year, 12, 31)},
    )
    if year_plan.status in (PlanStatus.LOCKED, PlanStatus.APPROVED):
        raise ValidationError(
            _("The %(year)s plan is locked; change it through a new revision.") % {"year": year}
        )
    # A draft breakdown is replaced whole; the audit trail keeps what it was.
    year_plan.children.all().delete()
    year_plan.lines.all().delete()
    lines = [
        PlanLine(
            plan=year_plan,
            metric=metric,
            quota=sum(q for q, _ in parts),
            goal=sum(g for _, g in parts),
        )
        for metric, parts in preview.by_month.items()
    ]
    for index, month in enumerate(preview.months):
        month_plan = Plan.objects.create(
            store=store,
            period_type=PeriodType.MONTH,
            period_start=month,
            period_end=month_end(month),
            scope=PlanScope.STORE,
            parent=year_plan,
        )
        for metric, parts in preview.by_month.items():
            quota, goal = parts[index]
            lines.append(PlanLine(plan=month_plan, metric=metric, quota=quota, goal=goal))
        for position, person in enumerate(preview.consultants):
            person_plan = Plan.objects.create(
                store=store,
                period_type=PeriodType.MONTH,
                period_start=month,
                period_end=month_end(month),
                scope=PlanScope.CONSULTANT,
                consultant=person,
                team_id=person.team_id,
                parent=month_plan,
            )
            for metric, per_month in preview.by_consultant.items():
                quota, goal = per_month[index][position]
                lines.append(PlanLine(plan=person_plan, metric=metric, quota=quota, goal=goal))
    bulk_create_with_history(lines, PlanLine)
    return year_plan


@transaction.atomic
def lock_plan(user, plan: Plan) -> Plan:
    """Lock a year plan and everything broken down from it."""
    if not can_plan(user) or not Plan.objects.visible_to(user).filter(pk=plan.pk).exists():
        raise PermissionDenied
    ids = [plan.pk]
    frontier = [plan.pk]
    while frontier:
        frontier = list(Plan.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    plans = list(Plan.objects.filter(pk__in=ids))
    for each in plans:
        each.status = PlanStatus.LOCKED
    bulk_update_with_history(plans, Plan, ["status"])
    plan.refresh_from_db()
    return plan


@transaction.atomic
def start_revision(user, plan: Plan, reason: str) -> Plan:
    """Open a locked year plan for change: revision + 1, with the reason kept in its history."""
    if not can_plan(user) or not Plan.objects.visible_to(user).filter(pk=plan.pk).exists():
        raise PermissionDenied
    if plan.status != PlanStatus.LOCKED:
        raise ValidationError(_("Only a locked plan needs a revision; edit the draft instead."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the plan changes.")})
    plan.revision += 1
    plan.status = PlanStatus.DRAFT
    stamp = _("Revision %(number)s: %(reason)s") % {
        "number": plan.revision,
        "reason": reason.strip(),
    }
    plan.notes = f"{plan.notes}\n{stamp}".strip()
    plan._change_reason = str(stamp)  # kept by django-simple-history
    plan.save()
    return plan


@dataclass
class Period:
    label: str
    start: datetime.date
    end: datetime.date
    workdays: int
    targets: dict  # metric -> (quota, goal)


def month_schedule(plan: Plan, overrides: Mapping[datetime.date, bool] | None = None):
    """A month plan's targets per working day and per week, summing exactly to the month.

    Each working day weighs the same; a week gets the sum of its days, so weeks and days both
    add up to the month (whole units, money to the fen).
    """
    year, month = plan.period_start.year, plan.period_start.month
    days = workdays_in_month(year, month, overrides)
    lines = {line.metric: line for line in plan.lines.all()}
    per_day = {
        metric: split_target(line.quota, line.goal, [1] * len(days), quantum_for(metric))
        if days
        else []
        for metric, line in lines.items()
    }
    day_rows = [
        Period(f"{day:%m-%d}", day, day, 1, {metric: parts[i] for metric, parts in per_day.items()})
        for i, day in enumerate(days)
    ]
    week_rows = []
    for week in weeks_of_month(year, month):
        members = [row for row in day_rows if row.start in week.days]
        week_rows.append(
            Period(
                f"W{week.iso_week:02d}",
                week.days[0],
                week.days[-1],
                len(members),
                {
                    metric: (
                        sum((r.targets[metric][0] for r in members), Decimal(0)),
                        sum((r.targets[metric][1] for r in members), Decimal(0)),
                    )
                    for metric in lines
                },
            )
        )
    return week_rows, day_rows


@transaction.atomic
def set_consultant_split(user, month_plan: Plan, parts: Mapping[tuple[int, str], tuple]) -> None:
    """A manager's own split of a month over its consultants, metric by metric.

    ``parts`` maps (consultant plan id, metric) to (quota, goal). Every consultant plan of the
    month must be given, and each metric must add up exactly to the month's line; otherwise
    nothing is saved.
    """
    if not can_plan(user) or not Plan.objects.visible_to(user).filter(pk=month_plan.pk).exists():
        raise PermissionDenied
    if month_plan.status in (PlanStatus.LOCKED, PlanStatus.APPROVED):
        raise ValidationError(_("This month is locked; open a revision of the year plan first."))
    month_lines = {line.metric: line for line in month_plan.lines.all()}
    lines = {
        (line.plan_id, line.metric): line
        for line in PlanLine.objects.select_for_update(of=("self",))
        .filter(plan__parent=month_plan)
        .order_by("pk")
    }
    if set(parts) != set(lines):
        raise ValidationError(_("Give every consultant's quota and goal."))
    errors = []
    for metric, month_line in month_lines.items():
        quantum = quantum_for(metric)
        mine = {key: value for key, value in parts.items() if key[1] == metric}
        for quota, goal in mine.values():
            if (
                quota < 0
                or goal < quota
                or quota != quota.quantize(quantum)
                or goal != goal.quantize(quantum)
            ):
                errors.append(
                    _("%(metric)s: each goal must be at least its quota, in whole units or fen.")
                    % {"metric": Metric(metric).label}
                )
                break
        quota_sum = sum((q for q, _g in mine.values()), Decimal(0))
        goal_sum = sum((g for _q, g in mine.values()), Decimal(0))
        if (quota_sum, goal_sum) != (month_line.quota, month_line.goal):
            errors.append(
                _(
                    "%(metric)s: the consultants add up to %(quota)s / %(goal)s, the month is "
                    "%(month_quota)s / %(month_goal)s."
                )
                % {
                    "metric": Metric(metric).label,
                    "quota": quota_sum,
                    "goal": goal_sum,
                    "month_quota": month_line.quota,
                    "month_goal": month_line.goal,
                }
            )
    if errors:
        raise ValidationError(errors)
    for key, (quota, goal) in parts.items():
        line = lines[key]
        line.quota, line.goal = quota, goal
    bulk_update_with_history(list(lines.values()), PlanLine, ["quota", "goal", "updated_at"])
