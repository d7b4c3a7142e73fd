"""月访客户计划表: the month's visits to key accounts, spread over the working days.

Every VIP account is visited once a month; a tier-1 account every two months (it is due this
month when it was last visited at least the store's tier-1 rhythm, 60 days by default, before
the month's last day). Each consultant's accounts still to be visited are spread evenly over
the month's remaining working days (largest remainder), grouped by district so that a day's
visits stay close together. Visits already done or planned this month keep their date.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.followup import DEFAULT_TIER_DAYS
from dealerplan.activities.models import Activity, FollowUpPolicy
from dealerplan.activities.services import plan_activity
from dealerplan.customers.choices import AccountTier, IntentionLevel
from dealerplan.customers.models import Customer

from .breakdown import split
from .models import WorkdayOverride
from .workdays import is_workday

VISIT_TIME = datetime.time(14, 30)
TIER_RANK = {AccountTier.VIP.value: 0, AccountTier.TIER1.value: 1}

STATUS_DONE = "done"
STATUS_PLANNED = "planned"
STATUS_PROPOSED = "proposed"
STATUS_UNSCHEDULED = "unscheduled"


# --- pure part -------------------------------------------------------------------------------


def spread(items: list, days: list[datetime.date]) -> list[tuple[object, datetime.date]]:
    """``items`` in order over ``days`` in order, as evenly as possible (largest remainder).

    The first days take the extra item when the count does not divide; nothing when no days.
    """
    if not items or not days:
        return []
    counts = split(Decimal(len(items)), [1] * len(days))
    placed, index = [], 0
    for day, count in zip(days, counts, strict=True):
        for item in items[index : index + int(count)]:
            placed.append((item, day))
        index += int(count)
    return placed


def tier1_due(
    last_visit_on: datetime.date | None, month_end: datetime.date, every_days: int
) -> bool:
    """A tier-1 account is due when by the month's end it has gone ``every_days`` unvisited."""
    return last_visit_on is None or (month_end - last_visit_on).days >= every_days


def parse_month(value: str | None) -> datetime.date | None:
    """``"2026-12"`` → 2026-12-01; None when it is not a month."""
    try:
        year_text, month_text = (value or "").strip().split("-")
        return datetime.date(int(year_text), int(month_text), 1)
    except ValueError:
        return None


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def shift_month(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


# --- database part ---------------------------------------------------------------------------


@dataclass
class VisitRow:
    customer: Customer
    consultant: object
    last_visit_at: datetime.datetime | None
    done_at: datetime.datetime | None
    planned_at: datetime.datetime | None
    proposed_on: datetime.date | None = None

    @property
    def date(self) -> datetime.date | None:
        for moment in (self.done_at, self.planned_at):
            if moment is not None:
                return timezone.localdate(moment)
        return self.proposed_on

    @property
    def status(self) -> str:
        if self.done_at is not None:
            return STATUS_DONE
        if self.planned_at is not None:
            return STATUS_PLANNED
        if self.proposed_on is not None:
            return STATUS_PROPOSED
        return STATUS_UNSCHEDULED

    @property
    def status_label(self) -> str:
        return {
            STATUS_DONE: _("Visited this month"),
            STATUS_PLANNED: _("Planned"),
            STATUS_PROPOSED: _("Proposed"),
            STATUS_UNSCHEDULED: _("No working day left"),
        }[self.status]


@dataclass
class ConsultantVisits:
    consultant: object
    rows: list[VisitRow]

    @property
    def counts(self) -> dict:
        result = {STATUS_DONE: 0, STATUS_PLANNED: 0, STATUS_PROPOSED: 0, STATUS_UNSCHEDULED: 0}
        for row in self.rows:
            result[row.status] += 1
        return result


@dataclass
class VisitPlan:
    month: datetime.date
    groups: list[ConsultantVisits]

    @property
    def rows(self) -> list[VisitRow]:
        return [row for group in self.groups for row in group.rows]

    def plannable_by(self, user) -> list[VisitRow]:
        """Proposed visits that ``user`` can put in their own diary (their own customers)."""
        return [
            row
            for row in self.rows
            if row.status == STATUS_PROPOSED and row.customer.owner_id == user.pk
        ]


def _aware(day: datetime.date, at: datetime.time = datetime.time.min) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


def _open_days(
    month: datetime.date, overrides: dict, now: datetime.datetime
) -> list[datetime.date]:
    """The month's working days on which a 14:30 visit can still be planned."""
    local_now = timezone.localtime(now)
    days = []
    day = month
    while day.month == month.month:
        if is_workday(day, overrides) and _aware(day, VISIT_TIME) > local_now:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def build_visit_plan(user, month: datetime.date, now=None) -> VisitPlan:
    """The month's table for everyone ``user`` may see, in four queries."""
    now = now or timezone.now()
    start, end = _aware(month), _aware(month_end(month) + datetime.timedelta(days=1))
    visit = Q(activities__kind=ActivityKind.VISIT)
    done = visit & Q(activities__status=ActivityStatus.DONE)
    planned = visit & Q(activities__status=ActivityStatus.PLANNED)
    customers = list(
        Customer.objects.visible_to(user)
        .filter(
            is_archived=False,
            owner__isnull=False,
            account_tier__in=[AccountTier.VIP, AccountTier.TIER1],
        )
        .exclude(intention_level=IntentionLevel.F)
        .select_related("owner")
        .annotate(
            last_visit_before=Max(
                "activities__done_at", filter=done & Q(activities__done_at__lt=start)
            ),
            done_this_month=Max(
                "activities__done_at",
                filter=done & Q(activities__done_at__gte=start, activities__done_at__lt=end),
            ),
            planned_this_month=Min(
                "activities__planned_at",
                filter=planned
                & Q(activities__planned_at__gte=start, activities__planned_at__lt=end),
            ),
        )
    )
    store_ids = {c.store_id for c in customers}
    tier1_days = {
        store_id: days
        for store_id, days in FollowUpPolicy.objects.filter(store_id__in=store_ids).values_list(
            "store_id", "tier1_visit_days"
        )
    }
    overrides: dict = {}
    for store_id, day, flag in WorkdayOverride.objects.filter(
        store_id__in=store_ids, date__gte=month, date__lte=month_end(month)
    ).values_list("store_id", "date", "is_workday"):
        overrides.setdefault(store_id, {})[day] = flag

    by_consultant: dict[int, list[VisitRow]] = {}
    last_day = month_end(month)
    for customer in customers:
        row = VisitRow(
            customer=customer,
            consultant=customer.owner,
            last_visit_at=customer.done_this_month or customer.last_visit_before,
            done_at=customer.done_this_month,
            planned_at=customer.planned_this_month,
        )
        if customer.account_tier == AccountTier.TIER1 and row.done_at is None:
            every = tier1_days.get(customer.store_id) or DEFAULT_TIER_DAYS["tier1"]
            last = customer.last_visit_before
            last_on = timezone.localdate(last) if last else None
            if row.planned_at is None and not tier1_due(last_on, last_day, every):
                continue
        by_consultant.setdefault(customer.owner_id, []).append(row)

    groups = []
    for rows in by_consultant.values():
        consultant = rows[0].consultant
        waiting = sorted(
            (r for r in rows if r.done_at is None and r.planned_at is None),
            key=lambda r: (
                r.customer.district,
                TIER_RANK.get(r.customer.account_tier, 9),
                r.last_visit_at is not None,
                r.last_visit_at or now,
                r.customer.pk,
            ),
        )
        days = _open_days(month, overrides.get(consultant.store_id, {}), now)
        for row, day in spread(waiting, days):
            row.proposed_on = day
        rows.sort(key=lambda r: (r.date or datetime.date.max, r.customer.name, r.customer.pk))
        groups.append(ConsultantVisits(consultant, rows))
    groups.sort(key=lambda g: (g.consultant.username, g.consultant.pk))
    return VisitPlan(month=month, groups=groups)


def export_rows(plan: VisitPlan):
    yield [
        _("Consultant"),
        _("Date"),
        _("Customer"),
        _("Account tier"),
        _("District"),
        _("Last visit"),
        _("Planned visit"),
        _("Status"),
    ]
    for row in plan.rows:
        yield [
            row.consultant.display_name,
            row.date,
            row.customer.name,
            row.customer.get_account_tier_display(),
            row.customer.district,
            row.last_visit_at,
            row.planned_at,
            row.status_label,
        ]


def plan_month_visits(user, month: datetime.date, now=None) -> list[Activity]:
    """Put every proposed visit of ``user``'s own accounts in the diary at 14:30, all or nothing."""
    plan = build_visit_plan(user, month, now=now)
    rows = plan.plannable_by(user)
    if not rows:
        raise ValidationError(_("There are no visits left to plan this month."))
    created = []
    with transaction.atomic():
        for row in rows:
            try:
                created.append(
                    plan_activity(
                        user=user,
                        customer=row.customer,
                        kind=ActivityKind.VISIT,
                        planned_at=_aware(row.proposed_on, VISIT_TIME),
                        location=row.customer.address,
                    )
                )
            except ValidationError as exc:
                raise ValidationError(
                    _("%(customer)s on %(date)s: %(error)s")
                    % {
                        "customer": row.customer.name,
                        "date": row.proposed_on.isoformat(),
                        "error": " ".join(exc.messages),
                    }
                ) from exc
    return created
