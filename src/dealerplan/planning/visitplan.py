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
from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.followup import DEFAULT_TIER_DAYS
from dealerplan.activities.models import Activity, FollowUpPolicy
from dealerplan.activities.services import plan_activity
from dealerplan.customers.choices import AccountTier, IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.org.models import User

from .breakdown import split
from .models import WorkdayOverride
from .workdays import is_workday

VISIT_TIME = datetime.time(14, 30)
TIER_RANK = {AccountTier.VIP.value: 0, AccountTier.TIER1.value: 1}

STATUS_DONE = "done"
STATUS_PLANNED = "planned"
STATUS_PROPOSED = "proposed"
STATUS_UNSCHEDULED = "unscheduled"
STATUSES = (STATUS_DONE, STATUS_PLANNED, STATUS_PROPOSED, STATUS_UNSCHEDULED)


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


@dataclass(frozen=True, slots=True)
class Account:
    """What a row needs of its customer (and the address a planned visit takes as its
    place): read as plain values, thousands of model instances would cost more than the
    query. ``pk`` is all ``plan_activity`` needs to find the customer again."""

    pk: int
    name: str
    account_tier: str
    district: str
    address: str
    store_id: int
    owner_id: int

    def get_account_tier_display(self) -> str:
        return str(AccountTier(self.account_tier).label)

    def get_absolute_url(self) -> str:
        return reverse("customers:customer_detail", args=[self.pk])


ACCOUNT_FIELDS = ("pk", "name", "account_tier", "district", "address", "store_id", "owner_id")


@dataclass
class VisitRow:
    customer: Account
    consultant: object
    last_visit_at: datetime.datetime | None
    done_at: datetime.datetime | None
    planned_at: datetime.datetime | None
    proposed_on: datetime.date | None = None

    def __post_init__(self):
        moment = self.done_at or self.planned_at
        self._kept_on = timezone.localdate(moment) if moment is not None else None

    @property
    def date(self) -> datetime.date | None:
        """The day of the visit done or planned this month, else the proposed day."""
        return self._kept_on or self.proposed_on

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
        return status_labels()[self.status]


def status_labels() -> dict[str, str]:
    """Status -> its label in the active language (a long list looks them up once)."""
    return {
        STATUS_DONE: _("Visited this month"),
        STATUS_PLANNED: _("Planned"),
        STATUS_PROPOSED: _("Proposed"),
        STATUS_UNSCHEDULED: _("No working day left"),
    }


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


def key_accounts(user, narrow: Q | None = None):
    """The VIP and tier-1 accounts ``user`` may see that have an owner and are not lost.

    ``narrow`` (on the customer) only ever filters what ``visible_to`` returned.
    """
    customers = (
        Customer.objects.visible_to(user)
        .filter(
            is_archived=False,
            owner__isnull=False,
            account_tier__in=[AccountTier.VIP, AccountTier.TIER1],
        )
        .exclude(intention_level=IntentionLevel.F)
    )
    return customers.filter(narrow) if narrow is not None else customers


def _visits(**lookups):
    """The visits of the outer query's customer, whoever made them (a correlated subquery)."""
    return Activity.objects.filter(customer=OuterRef("pk"), kind=ActivityKind.VISIT, **lookups)


def build_visit_plan(user, month: datetime.date, now=None, narrow: Q | None = None) -> VisitPlan:
    """The month's table for everyone ``user`` may see (``narrow``: fewer), in four queries.

    Each account's visits are read by two index look-ups (its last visit done before the
    month's end, its first planned this month) rather than a join over all its activities,
    so the cost follows the number of key accounts, not of activities.
    """
    now = now or timezone.now()
    start, end = _aware(month), _aware(month_end(month) + datetime.timedelta(days=1))
    customers = [
        (Account(*fields), last_done, planned_in_month)
        for *fields, last_done, planned_in_month in key_accounts(user, narrow)
        .order_by()
        .annotate(
            last_done=Subquery(
                _visits(status=ActivityStatus.DONE, done_at__lt=end)
                .order_by("-done_at")
                .values("done_at")[:1]
            ),
            planned_this_month=Subquery(
                _visits(status=ActivityStatus.PLANNED, planned_at__gte=start, planned_at__lt=end)
                .order_by("planned_at")
                .values("planned_at")[:1]
            ),
        )
        .values_list(*ACCOUNT_FIELDS, "last_done", "planned_this_month")
    ]
    owners = {
        person.pk: person
        for person in User.objects.filter(pk__in={c.owner_id for c, *_rest in customers})
    }
    store_ids = {c.store_id for c, *_rest in customers}
    tier1_days = {
        store_id: days
        for store_id, days in FollowUpPolicy.objects.filter(store_id__in=store_ids).values_list(
            "store_id", "tier1_visit_days"
        )
    }
    overrides = _overrides(store_ids | {person.store_id for person in owners.values()}, month)

    by_consultant: dict[int, list[VisitRow]] = {}
    last_day = month_end(month)
    for customer, last_done, planned_in_month in customers:
        row = VisitRow(
            customer=customer,
            consultant=owners[customer.owner_id],
            last_visit_at=last_done,
            done_at=last_done if last_done is not None and last_done >= start else None,
            planned_at=planned_in_month,
        )
        if customer.account_tier == AccountTier.TIER1 and row.done_at is None:
            every = tier1_days.get(customer.store_id) or DEFAULT_TIER_DAYS["tier1"]
            last_on = timezone.localdate(last_done) if last_done else None  # before the month
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


def _overrides(store_ids, month: datetime.date) -> dict:
    """Store id -> {date: is a working day} for the month's overridden days."""
    overrides: dict = {}
    for store_id, day, flag in WorkdayOverride.objects.filter(
        store_id__in=store_ids, date__gte=month, date__lte=month_end(month)
    ).values_list("store_id", "date", "is_workday"):
        overrides.setdefault(store_id, {})[day] = flag
    return overrides


# How ``plan_counts`` classes an account in SQL, as ``VisitRow.status`` does in Python.
_DONE, _PLANNED, _WAITING, _NOT_DUE = 1, 2, 3, 4


def _tier1_recently_visited(month: datetime.date) -> Q:
    """A tier-1 account visited within its store's rhythm before the month (not due, see
    ``tier1_due``): a done visit on or after ``month_end - (days - 1)``, before the month."""
    start, last_day = _aware(month), month_end(month)
    default = DEFAULT_TIER_DAYS["tier1"]
    stores_by_days: dict[int, list[int]] = {}
    for store_id, days in FollowUpPolicy.objects.values_list("store_id", "tier1_visit_days"):
        stores_by_days.setdefault(days or default, []).append(store_id)
    with_policy = [pk for ids in stores_by_days.values() for pk in ids]
    stores_by_days.setdefault(default, [])
    condition = None
    for days, store_ids in stores_by_days.items():
        since = _aware(last_day - datetime.timedelta(days=days - 1))
        visited = Q(
            Exists(_visits(status=ActivityStatus.DONE, done_at__gte=since, done_at__lt=start))
        )
        if days != default:
            part = Q(store_id__in=store_ids) & visited
        elif with_policy:  # the default rhythm: its stores and every store without a policy
            part = (Q(store_id__in=store_ids) | ~Q(store_id__in=with_policy)) & visited
        else:
            part = visited
        condition = part if condition is None else condition | part
    return condition


def plan_counts(user, month: datetime.date, now=None, by: str = "owner", narrow=None) -> dict:
    """The month's plan counted in SQL: (``by`` value, tier) -> {status: accounts}.

    ``by`` is "owner" or "owner__store". The same accounts and statuses as
    ``build_visit_plan`` without loading them: each account is classed once by a CASE of
    index look-ups and the database counts the classes. Three queries.
    """
    now = now or timezone.now()
    start, end = _aware(month), _aware(month_end(month) + datetime.timedelta(days=1))
    state = Case(
        When(
            Exists(_visits(status=ActivityStatus.DONE, done_at__gte=start, done_at__lt=end)),
            then=Value(_DONE),
        ),
        When(
            Exists(
                _visits(status=ActivityStatus.PLANNED, planned_at__gte=start, planned_at__lt=end)
            ),
            then=Value(_PLANNED),
        ),
        When(
            Q(account_tier=AccountTier.TIER1) & _tier1_recently_visited(month),
            then=Value(_NOT_DUE),
        ),
        default=Value(_WAITING),
    )
    fields = list(dict.fromkeys(["owner__store", by]))
    counted = list(
        key_accounts(user, narrow)
        .annotate(state=state)
        .values(*fields, "account_tier", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    overrides = _overrides({item["owner__store"] for item in counted}, month)
    open_days: dict = {}
    result: dict = {}
    for item in counted:
        if item["state"] == _NOT_DUE:
            continue
        store_id = item["owner__store"]
        if item["state"] == _WAITING:
            if store_id not in open_days:
                open_days[store_id] = bool(_open_days(month, overrides.get(store_id, {}), now))
            status = STATUS_PROPOSED if open_days[store_id] else STATUS_UNSCHEDULED
        else:
            status = STATUS_DONE if item["state"] == _DONE else STATUS_PLANNED
        bucket = result.setdefault((item[by], item["account_tier"]), dict.fromkeys(STATUSES, 0))
        bucket[status] += item["n"]
    return result


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
