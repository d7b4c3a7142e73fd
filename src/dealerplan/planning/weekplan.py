"""A proposed week of calls and visits for one consultant.

The choosing and slotting are pure functions over small dataclasses (no database), so they are
tested on their own; ``build_week_plan`` gathers the data in a fixed number of queries and
``accept_week_plan`` writes the chosen items through ``plan_activity`` in one transaction.

Rules:

* Calls are made in the morning (09:00–12:00, one every 6 minutes or closer when the quota is
  higher), up to the consultant's calls per day.
* Visits are made in the afternoon (14:00–17:30, one every 50 minutes, at most five), the week's
  visit quota spread evenly over the working days (largest remainder).
* Who first: customers whose follow-up is due on or before the day (overdue first, then H > A >
  B > C), then accounts due a visit by their tier (VIP not visited for 30 days, tier 1 for 60,
  or the store's policy), then open leads not contacted for the longest.
* Visits go to the accounts due a visit by their tier and to hot leads (H, A) that are due and
  have a district; a day's visits stay in one or two
  neighbouring districts and are ordered nearest-neighbour when coordinates are known.
* Nobody twice in the week; nobody who already has a planned activity that week; never a lost
  (F) or archived customer.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.activities.services import plan_activity, quota_for, rhythm_for_store
from dealerplan.customers.choices import LEVEL_PRIORITY, AccountTier, IntentionLevel
from dealerplan.customers.models import Customer

from .breakdown import split
from .models import WorkdayOverride
from .workdays import workdays_between

CALL = ActivityKind.CALL.value
VISIT = ActivityKind.VISIT.value

CALLS_START = datetime.time(9, 0)
CALLS_END = datetime.time(12, 0)  # exclusive: calls only before noon
CALL_STEP_MINUTES = 6
VISITS_START = datetime.time(14, 0)
VISITS_LAST = datetime.time(17, 30)  # inclusive: the last visit starts by 17:30
VISIT_STEP_MINUTES = 50
MAX_DISTRICTS_PER_DAY = 2

REASON_DUE = "due"
REASON_OVERDUE = "overdue"
REASON_TIER = "tier"
REASON_LEAD = "lead"

VISIT_TIERS = (AccountTier.VIP.value, AccountTier.TIER1.value)
VISIT_LEVELS = (IntentionLevel.H.value, IntentionLevel.A.value)
TIER_RANK = {AccountTier.VIP.value: 0, AccountTier.TIER1.value: 1}


# --- pure part -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """What the proposal needs to know about one customer."""

    customer_id: int
    name: str = ""
    level: str = "B"
    tier: str = "other"
    district: str = ""
    latitude: float | None = None
    longitude: float | None = None
    due_on: datetime.date | None = None  # local date of the next follow-up
    last_visit_on: datetime.date | None = None  # local date of the last done visit
    last_contact_at: datetime.datetime | None = None
    visit_every_days: int | None = None  # the tier's visit rhythm, None when it has none

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def due_by(self, day: datetime.date) -> bool:
        return self.due_on is not None and self.due_on <= day

    def visit_due_by(self, day: datetime.date) -> bool:
        if not self.visit_every_days:
            return False
        if self.last_visit_on is None:
            return True
        return (day - self.last_visit_on).days >= self.visit_every_days


@dataclass(frozen=True)
class ProposedItem:
    day: datetime.date
    time: datetime.time
    kind: str
    candidate: Candidate
    reason: str

    @property
    def key(self) -> str:
        """The value a checkbox posts: customer, kind and local start."""
        return f"{self.candidate.customer_id}|{self.kind}|{self.day.isoformat()}T{self.time:%H:%M}"


@dataclass
class ProposedDay:
    day: datetime.date
    calls: list[ProposedItem] = field(default_factory=list)
    visits: list[ProposedItem] = field(default_factory=list)

    @property
    def items(self) -> list[ProposedItem]:
        return [*self.calls, *self.visits]

    @property
    def districts(self) -> list[str]:
        seen: list[str] = []
        for item in self.visits:
            if item.candidate.district not in seen:
                seen.append(item.candidate.district)
        return seen


def _at(day: datetime.date, start: datetime.time, minutes: int) -> datetime.time:
    moment = datetime.datetime.combine(day, start) + datetime.timedelta(minutes=minutes)
    return moment.time()


def call_slots(count: int) -> list[datetime.time]:
    """``count`` morning start times from 09:00, every 6 minutes (closer if needed), before noon."""
    window = 180  # minutes from 09:00 to 12:00
    count = max(0, min(count, window))
    if count == 0:
        return []
    step = min(CALL_STEP_MINUTES, window // count)
    return [_at(datetime.date.min, CALLS_START, i * step) for i in range(count)]


def visit_slots() -> list[datetime.time]:
    """Afternoon start times from 14:00 every 50 minutes, the last one by 17:30."""
    slots = []
    minutes = 0
    while True:
        slot = _at(datetime.date.min, VISITS_START, minutes)
        if slot > VISITS_LAST:
            return slots
        slots.append(slot)
        minutes += VISIT_STEP_MINUTES


def visits_per_day(visits_per_week: int, day_count: int) -> list[int]:
    """The week's visits spread evenly over the days (largest remainder), capped by the slots."""
    if day_count <= 0:
        return []
    shares = split(Decimal(max(visits_per_week, 0)), [1] * day_count)
    cap = len(visit_slots())
    return [min(int(share), cap) for share in shares]


def call_rank(candidate: Candidate, day: datetime.date) -> tuple:
    """Overdue, then due that day (H > A > B > C), then tier visits due, then leads."""
    level = LEVEL_PRIORITY.get(candidate.level, 9)
    if candidate.due_by(day):
        overdue = 0 if candidate.due_on < day else 1
        return (0, overdue, level, candidate.due_on, candidate.customer_id)
    if candidate.visit_due_by(day):
        return (1, TIER_RANK.get(candidate.tier, 9), _visit_age(candidate), candidate.customer_id)
    contact = candidate.last_contact_at
    return (2, contact is not None, contact or datetime.datetime.min, candidate.customer_id)


def _visit_age(candidate: Candidate) -> int:
    if candidate.last_visit_on is None:
        return -(10**6)
    return candidate.last_visit_on.toordinal()


def _reason(candidate: Candidate, day: datetime.date, kind: str) -> str:
    if candidate.due_by(day):
        return REASON_OVERDUE if candidate.due_on < day else REASON_DUE
    if kind == VISIT or candidate.visit_due_by(day):
        return REASON_TIER
    return REASON_LEAD


def _call_eligible(
    candidate: Candidate, day: datetime.date, week_end: datetime.date, visits_left: int
) -> bool:
    # A customer due later this week waits for that day rather than being called early.
    if candidate.due_on is not None and day < candidate.due_on <= week_end:
        return False
    if candidate.due_by(day):
        return True
    if candidate.visit_due_by(day):
        # An account due a visit (and not a call) keeps for a visit while the week has room.
        return visits_left <= 0
    return candidate.level in IntentionLevel.open_levels()


def visit_eligible(candidate: Candidate, day: datetime.date) -> bool:
    """Accounts due a visit by their tier, and hot leads (H, A) due that day with a district."""
    if candidate.visit_due_by(day):
        return True
    return candidate.due_by(day) and candidate.level in VISIT_LEVELS and bool(candidate.district)


def _distance(a: Candidate, b: Candidate) -> float:
    """Equirectangular distance in km; fine for a city."""
    lat = math.radians((a.latitude + b.latitude) / 2)
    dx = math.radians(b.longitude - a.longitude) * math.cos(lat)
    dy = math.radians(b.latitude - a.latitude)
    return 6371 * math.hypot(dx, dy)


def _centroid(group: list[Candidate]) -> Candidate | None:
    placed = [c for c in group if c.has_position]
    if not placed:
        return None
    return Candidate(
        customer_id=0,
        latitude=sum(c.latitude for c in placed) / len(placed),
        longitude=sum(c.longitude for c in placed) / len(placed),
    )


def nearest_neighbour_order(visits: list[Candidate]) -> list[Candidate]:
    """Start with the first, then always the closest not yet visited (unplaced ones last)."""
    if len(visits) <= 2:
        return list(visits)
    placed = [c for c in visits if c.has_position]
    unplaced = [c for c in visits if not c.has_position]
    if not placed:
        return list(visits)
    start = visits[0] if visits[0].has_position else placed[0]
    route = [start]
    left = [c for c in placed if c is not start]
    while left:
        here = route[-1]
        nearest = min(left, key=lambda c: (_distance(here, c), c.customer_id))
        route.append(nearest)
        left.remove(nearest)
    return route + unplaced


def choose_visits(ranked: list[Candidate], count: int) -> list[Candidate]:
    """Up to ``count`` visits from ``ranked`` (best first) in one or two neighbouring districts.

    The best candidate's district comes first; the second district is the one whose centre is
    nearest (by coordinates), else the district of the next best candidate.
    """
    if count <= 0 or not ranked:
        return []
    by_district: dict[str, list[Candidate]] = {}
    for candidate in ranked:
        by_district.setdefault(candidate.district, []).append(candidate)
    first = ranked[0].district
    chosen = by_district[first][:count]
    if len(chosen) < count and len(by_district) > 1:
        others = [d for d in by_district if d != first]  # best candidate first
        home = _centroid(by_district[first])
        if home is not None:
            rank = {d: i for i, d in enumerate(others)}
            centres = {d: _centroid(by_district[d]) for d in others}
            others.sort(
                key=lambda d: (
                    _distance(home, centres[d]) if centres[d] else math.inf,
                    rank[d],
                )
            )
        chosen += by_district[others[0]][: count - len(chosen)]
    return nearest_neighbour_order(chosen)


def propose_week(
    *,
    days: list[datetime.date],
    candidates: list[Candidate],
    calls_per_day: int,
    visits_per_week: int,
    exclude: frozenset[int] | set[int] = frozenset(),
    not_before: datetime.datetime | None = None,
) -> list[ProposedDay]:
    """The proposal for ``days`` (the week's working days, in order).

    ``exclude`` holds customers that already have a planned activity that week; ``not_before``
    (naive local) drops slots already past when the week has started.
    """
    days = sorted(set(days))
    if not days:
        return []
    week_end = days[-1]
    used: set[int] = set(exclude)
    pool = [c for c in candidates if c.level != IntentionLevel.F]
    visit_counts = visits_per_day(visits_per_week, len(days))
    result = []
    for index, (day, visit_count) in enumerate(zip(days, visit_counts, strict=True)):
        proposed = ProposedDay(day)

        def open_slots(slots, day=day):
            if not_before is None:
                return slots
            return [s for s in slots if datetime.datetime.combine(day, s) >= not_before]

        v_slots = open_slots(visit_slots())
        visitable = sorted(
            (c for c in pool if c.customer_id not in used and visit_eligible(c, day)),
            key=lambda c: call_rank(c, day),
        )
        for candidate, slot in zip(
            choose_visits(visitable, min(visit_count, len(v_slots))), v_slots, strict=False
        ):
            used.add(candidate.customer_id)
            proposed.visits.append(
                ProposedItem(day, slot, VISIT, candidate, _reason(candidate, day, VISIT))
            )

        callable_ = sorted(
            (
                c
                for c in pool
                if c.customer_id not in used
                and _call_eligible(c, day, week_end, sum(visit_counts[index + 1 :]))
            ),
            key=lambda c: call_rank(c, day),
        )
        c_slots = open_slots(call_slots(calls_per_day))
        for candidate, slot in zip(callable_, c_slots, strict=False):
            used.add(candidate.customer_id)
            proposed.calls.append(
                ProposedItem(day, slot, CALL, candidate, _reason(candidate, day, CALL))
            )
        result.append(proposed)
    return result


# --- weeks -----------------------------------------------------------------------------------


def parse_week(value: str | None) -> tuple[int, int] | None:
    """``"2026-W49"`` → ``(2026, 49)``; None when it is not a real ISO week."""
    try:
        year_text, week_text = (value or "").strip().upper().split("-W")
        year, week = int(year_text), int(week_text)
        datetime.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return year, week


def week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def default_week(today: datetime.date) -> tuple[int, int]:
    """Next week."""
    year, week, _weekday = (today + datetime.timedelta(days=7)).isocalendar()
    return year, week


def shift_week(year: int, week: int, weeks: int) -> tuple[int, int]:
    monday = datetime.date.fromisocalendar(year, week, 1) + datetime.timedelta(weeks=weeks)
    iso_year, iso_week, _weekday = monday.isocalendar()
    return iso_year, iso_week


def week_bounds(year: int, week: int) -> tuple[datetime.date, datetime.date]:
    monday = datetime.date.fromisocalendar(year, week, 1)
    return monday, monday + datetime.timedelta(days=6)


# --- database part ---------------------------------------------------------------------------


def local_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def overrides_for(store_id, start: datetime.date, end: datetime.date) -> dict:
    return dict(
        WorkdayOverride.objects.filter(
            store_id=store_id, date__gte=start, date__lte=end
        ).values_list("date", "is_workday")
    )


def _local_date(moment):
    return timezone.localdate(moment) if moment is not None else None


def _float(value):
    return float(value) if value is not None else None


def candidates_for(viewer, consultant, start, end, *, rhythm, lead_limit: int):
    """(candidates, planned customer ids) in three queries, whatever the number of customers."""
    week_start, week_end = local_start(start), local_start(end + datetime.timedelta(days=1))
    planned = Activity.objects.filter(
        customer=OuterRef("pk"),
        status=ActivityStatus.PLANNED,
        planned_at__gte=week_start,
        planned_at__lt=week_end,
    )
    base = (
        Customer.objects.visible_to(viewer)
        .filter(owner=consultant, is_archived=False)
        .exclude(intention_level=IntentionLevel.F)
        .annotate(
            last_visit=Max(
                "activities__done_at",
                filter=Q(
                    activities__kind=ActivityKind.VISIT, activities__status=ActivityStatus.DONE
                ),
            ),
            has_planned=Exists(planned),
        )
    )
    fields = (
        "pk",
        "name",
        "intention_level",
        "account_tier",
        "district",
        "latitude",
        "longitude",
        "next_follow_up_at",
        "last_contact_at",
        "last_visit",
        "has_planned",
    )
    tier_days = {tier: rhythm.tier_days.get(tier) for tier in VISIT_TIERS}
    main = list(
        base.filter(
            Q(next_follow_up_at__lt=week_end)
            | Q(account_tier__in=[t for t, d in tier_days.items() if d])
        ).values(*fields)
    )
    leads = list(
        base.filter(intention_level__in=IntentionLevel.open_levels())
        .filter(Q(next_follow_up_at__isnull=True) | Q(next_follow_up_at__gte=week_end))
        .exclude(account_tier__in=[t for t, d in tier_days.items() if d])
        .order_by("last_contact_at", "pk")
        .values(*fields)[:lead_limit]
    )
    candidates, planned_ids = [], set()
    for row in main + leads:
        if row["has_planned"]:
            planned_ids.add(row["pk"])
        candidates.append(
            Candidate(
                customer_id=row["pk"],
                name=row["name"],
                level=row["intention_level"],
                tier=row["account_tier"],
                district=row["district"],
                latitude=_float(row["latitude"]),
                longitude=_float(row["longitude"]),
                due_on=_local_date(row["next_follow_up_at"]),
                last_visit_on=_local_date(row["last_visit"]),
                last_contact_at=(
                    timezone.localtime(row["last_contact_at"]).replace(tzinfo=None)
                    if row["last_contact_at"]
                    else None
                ),
                visit_every_days=tier_days.get(row["account_tier"]),
            )
        )
    return candidates, planned_ids


@dataclass
class WeekPlan:
    consultant: object
    year: int
    week: int
    start: datetime.date
    end: datetime.date
    days: list[ProposedDay]
    calls_per_day: int
    visits_per_week: int
    already_planned: int

    @property
    def label(self) -> str:
        return week_label(self.year, self.week)

    @property
    def total(self) -> int:
        return sum(len(day.items) for day in self.days)


def build_week_plan(viewer, consultant, year: int, week: int, now=None) -> WeekPlan:
    now = now or timezone.now()
    start, end = week_bounds(year, week)
    local_now = timezone.localtime(now).replace(tzinfo=None)
    quota = quota_for(consultant)
    days = [
        day
        for day in workdays_between(start, end, overrides_for(consultant.store_id, start, end))
        if day >= local_now.date()
    ]
    candidates, planned_ids = candidates_for(
        viewer,
        consultant,
        start,
        end,
        rhythm=rhythm_for_store(consultant.store_id),
        lead_limit=max(quota.calls_per_day, 0) * max(len(days), 1),
    )
    proposal = propose_week(
        days=days,
        candidates=candidates,
        calls_per_day=quota.calls_per_day,
        visits_per_week=quota.visits_per_week,
        exclude=planned_ids,
        not_before=local_now + datetime.timedelta(minutes=5),
    )
    return WeekPlan(
        consultant=consultant,
        year=year,
        week=week,
        start=start,
        end=end,
        days=proposal,
        calls_per_day=quota.calls_per_day,
        visits_per_week=quota.visits_per_week,
        already_planned=len(planned_ids),
    )


def parse_item(value: str) -> tuple[int, str, datetime.datetime]:
    """A posted ``customer|kind|YYYY-MM-DDTHH:MM`` back to (id, kind, aware local time)."""
    try:
        pk, kind, moment = value.split("|")
        at = timezone.make_aware(datetime.datetime.fromisoformat(moment))
        return int(pk), kind, at
    except (ValueError, TypeError):
        raise ValidationError(_("The proposal was changed; reload the page.")) from None


def accept_week_plan(user, year: int, week: int, values: list[str]) -> list[Activity]:
    """Plan every chosen item for ``user`` (the consultant), all or nothing."""
    if not values:
        raise ValidationError(_("Tick at least one call or visit."))
    start, end = week_bounds(year, week)
    items = [parse_item(value) for value in values]
    for _pk, kind, at in items:
        if kind not in (CALL, VISIT) or not start <= timezone.localdate(at) <= end:
            raise ValidationError(_("The proposal was changed; reload the page."))
    ids = [pk for pk, _kind, _at in items]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("A customer can be proposed only once a week."))
    with transaction.atomic():
        customers = (
            Customer.objects.visible_to(user)
            .filter(owner=user, is_archived=False, pk__in=ids)
            .exclude(intention_level=IntentionLevel.F)
        )
        by_pk = {c.pk: c for c in customers}
        if len(by_pk) != len(ids):
            raise ValidationError(_("Some of these customers can no longer be planned."))
        taken = Activity.objects.filter(
            customer_id__in=ids,
            status=ActivityStatus.PLANNED,
            planned_at__gte=local_start(start),
            planned_at__lt=local_start(end + datetime.timedelta(days=1)),
        ).values_list("customer__name", flat=True)
        taken = list(taken)
        if taken:
            raise ValidationError(
                _("Already planned this week: %(names)s.") % {"names": "、".join(taken[:5])}
            )
        created = []
        for pk, kind, at in items:
            try:
                created.append(
                    plan_activity(user=user, customer=by_pk[pk], kind=kind, planned_at=at)
                )
            except ValidationError as exc:
                raise ValidationError(
                    _("%(customer)s at %(time)s: %(error)s")
                    % {
                        "customer": by_pk[pk].name,
                        "time": timezone.localtime(at).strftime("%m-%d %H:%M"),
                        "error": " ".join(exc.messages),
                    }
                ) from exc
    return created
