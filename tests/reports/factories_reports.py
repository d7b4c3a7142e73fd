"""Month plans with hand-picked figures, and the orders and visits the reports count."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.planning.choices import PeriodType, PlanScope
from dealerplan.planning.models import Plan, PlanLine
from dealerplan.planning.services import month_end
from tests.factories import (
    ActivityFactory,
    BrandFactory,
    CustomerFactory,
    SalesOrderFactory,
    SeriesFactory,
    TrimFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = datetime.date(2026, 10, 1)


def series(name: str):
    return SeriesFactory(brand=BrandFactory(name="一汽-大众"), name=name)


def month_plan(store, month, *, consultant=None, lines=(), year_plan=None):
    """A month plan with ``lines`` of (metric, quota, goal) or (metric, quota, goal, series)."""
    plan = Plan.objects.create(
        store=store,
        period_type=PeriodType.MONTH,
        period_start=month,
        period_end=month_end(month),
        scope=PlanScope.CONSULTANT if consultant else PlanScope.STORE,
        consultant=consultant,
        team_id=consultant.team_id if consultant else None,
        parent=year_plan,
    )
    for metric, quota, goal, *rest in lines:
        PlanLine.objects.create(
            plan=plan,
            metric=metric,
            quota=Decimal(quota),
            goal=Decimal(goal),
            series=rest[0] if rest else None,
        )
    return plan


def year_plan(store, year, lines=()):
    plan = Plan.objects.create(
        store=store,
        period_type=PeriodType.YEAR,
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
        scope=PlanScope.STORE,
    )
    for metric, quota, goal in lines:
        PlanLine.objects.create(plan=plan, metric=metric, quota=Decimal(quota), goal=Decimal(goal))
    return plan


def sale(consultant, day, *, total, gross_profit, of_series, **extra):
    return SalesOrderFactory(
        customer__owner=consultant,
        order_date=day,
        total=Decimal(total),
        gross_profit=Decimal(gross_profit),
        trim=TrimFactory(series=of_series),
        **extra,
    )


def at(day: datetime.date, hour: int = 15) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def account(owner, tier, **extra):
    return CustomerFactory(owner=owner, store=owner.store, account_tier=tier, **extra)


def visit(customer, when, *, status=ActivityStatus.DONE):
    if status == ActivityStatus.DONE:
        return ActivityFactory(customer=customer, kind=ActivityKind.VISIT, done_at=when)
    return ActivityFactory(
        customer=customer, kind=ActivityKind.VISIT, status=status, done_at=None, planned_at=when
    )
