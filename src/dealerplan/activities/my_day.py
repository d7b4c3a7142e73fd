"""What a consultant has to do today, gathered in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Value, When, Window
from django.urls import reverse
from django.utils import timezone

from dealerplan.customers.choices import LEVEL_PRIORITY, IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.deals.choices import DealStatus
from dealerplan.deals.models import Deal
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle
from dealerplan.inventory.services import AGED_STOCK_DAYS
from dealerplan.orders.collections import Collections, collection_reminders

from .choices import ActivityKind, ActivityStatus
from .models import Activity, DailyLog
from .services import Quota, quota_for

DUE_LIMIT = 100
PLANNED_LIMIT = 30
IMPORTANT_LIMIT = 20
KEY_DATE_DAYS = 7
KEY_DATE_FIELDS = ("bid_date", "contract_date", "delivery_date", "acceptance_date")
#: Stands in for a pk in a reversed address; see pk_url().
PK_MARKER = 987654321


@dataclass
class KeyDate:
    date: datetime.date
    field: str
    deal: Deal

    @property
    def label(self) -> str:
        return Deal._meta.get_field(self.field).verbose_name


@dataclass
class MyDay:
    now: datetime.datetime
    quota: Quota
    calls_today: int
    visits_this_week: int
    due: list = field(default_factory=list)
    due_total: int = 0
    overdue_total: int = 0
    planned_today: list = field(default_factory=list)
    planned_total: int = 0
    key_dates: list = field(default_factory=list)
    important: list = field(default_factory=list)
    aged_stock: int = 0
    log_filed: bool = False
    collections: Collections = field(default_factory=Collections)

    @property
    def planned_more(self) -> int:
        return self.planned_total - len(self.planned_today)

    @property
    def calls_percent(self) -> int:
        return _percent(self.calls_today, self.quota.calls_per_day)

    @property
    def visits_percent(self) -> int:
        return _percent(self.visits_this_week, self.quota.visits_per_week)

    @property
    def is_morning(self) -> bool:
        return timezone.localtime(self.now).hour < 12


def _percent(done: int, target: int) -> int:
    return min(100, round(done * 100 / target)) if target else 100


def day_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def week_start(now: datetime.datetime) -> datetime.datetime:
    start, _end = day_bounds(now)
    return start - datetime.timedelta(days=start.weekday())


def pk_url(name: str):
    """Reverse ``name`` once and return a function giving its address for any pk.

    My Day links every row three or four ways; reverse() per link was a large share of the page.
    """
    head, _marker, tail = reverse(name, args=[PK_MARKER]).partition(str(PK_MARKER))
    return lambda pk: f"{head}{pk}{tail}"


def link_due_rows(customers) -> None:
    """Give each due row its addresses (``detail_url``, ``log_url``, ``plan_url``) and its
    level's name (``level_label``) without a reverse() or a choices lookup per row."""
    detail = pk_url("customers:customer_detail")
    log = pk_url("activities:log_activity")
    plan = pk_url("activities:plan_activity")
    levels = dict(IntentionLevel.choices)
    for customer in customers:
        customer.detail_url = detail(customer.pk)
        customer.log_url = log(customer.pk)
        customer.plan_url = plan(customer.pk)
        customer.level_label = levels.get(customer.intention_level, customer.intention_level)


def link_activity_rows(activities) -> None:
    """Give each planned or important row its customer's addresses (``customer_url``,
    ``log_url``) and its kind's name (``kind_label``), as link_due_rows() does."""
    detail = pk_url("customers:customer_detail")
    log = pk_url("activities:log_activity")
    kinds = dict(ActivityKind.choices)
    for activity in activities:
        activity.customer_url = detail(activity.customer_id)
        activity.log_url = log(activity.customer_id)
        activity.kind_label = kinds.get(activity.kind, activity.kind)


def level_priority():
    return Case(
        *[When(intention_level=level, then=Value(rank)) for level, rank in LEVEL_PRIORITY.items()],
        output_field=IntegerField(),
    )


def due_customers(user, now: datetime.datetime):
    """Overdue (before today) first, then due today; hottest level first within each."""
    today_start, today_end = day_bounds(now)
    return (
        Customer.objects.visible_to(user)
        .filter(owner=user, is_archived=False, next_follow_up_at__lt=today_end)
        .exclude(intention_level=IntentionLevel.F)
        .annotate(
            overdue=Case(
                When(next_follow_up_at__lt=today_start, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            priority=level_priority(),
        )
        .select_related("intended_trim__series")
        .order_by("overdue", "priority", "next_follow_up_at", "pk")
    )


def build_my_day(user, now: datetime.datetime | None = None) -> MyDay:
    now = now or timezone.now()
    today_start, today_end = day_bounds(now)
    monday = week_start(now)
    mine = Activity.objects.visible_to(user).filter(owner=user)

    # The week's range in WHERE lets the done-at index narrow the rows before counting; a
    # consultant with years of history otherwise has every activity read.
    counts = mine.filter(
        status=ActivityStatus.DONE,
        kind__in=(ActivityKind.CALL, ActivityKind.VISIT),
        done_at__gte=min(monday, today_start),
        done_at__lt=today_end,
    ).aggregate(
        calls=Count(
            "pk", filter=Q(kind=ActivityKind.CALL, done_at__gte=today_start, done_at__lt=today_end)
        ),
        visits=Count(
            "pk", filter=Q(kind=ActivityKind.VISIT, done_at__gte=monday, done_at__lt=today_end)
        ),
    )
    # One pass over the due customers: the window counts ride along with the first page, so
    # the rows that are counted are read once rather than once for the list and once to count.
    due = list(
        due_customers(user, now).annotate(
            found=Window(Count("pk")),
            found_overdue=Window(Count("pk", filter=Q(next_follow_up_at__lt=today_start))),
        )[:DUE_LIMIT]
    )
    link_due_rows(due)
    day = MyDay(
        now=now,
        quota=quota_for(user),
        calls_today=counts["calls"],
        visits_this_week=counts["visits"],
        due=due,
        due_total=due[0].found if due else 0,
        overdue_total=due[0].found_overdue if due else 0,
    )
    # A day's appointments are capped like the due list; the card says how many more there are.
    # Customers come by prefetch for the shown rows only: a join would read every row's customer
    # before the count and the limit.
    day.planned_today = list(
        mine.filter(
            status=ActivityStatus.PLANNED, planned_at__gte=today_start, planned_at__lt=today_end
        )
        .annotate(found=Window(Count("pk")))
        .prefetch_related("customer")
        .order_by("planned_at", "pk")[:PLANNED_LIMIT]
    )
    day.planned_total = day.planned_today[0].found if day.planned_today else 0
    day.important = list(
        mine.filter(status=ActivityStatus.PLANNED, is_important=True)
        .exclude(planned_at__gte=today_start, planned_at__lt=today_end)
        .prefetch_related("customer")
        .order_by("planned_at")[:IMPORTANT_LIMIT]
    )
    link_activity_rows([*day.planned_today, *day.important])
    day.key_dates = key_dates(user, timezone.localdate(now))
    day.log_filed = DailyLog.objects.filter(owner=user, date=timezone.localdate(now)).exists()
    day.aged_stock = (
        Vehicle.objects.visible_to(user)
        .filter(
            status=VehicleStatus.IN_STOCK,
            arrival_date__lt=timezone.localdate(now) - datetime.timedelta(days=AGED_STOCK_DAYS),
        )
        .count()
    )
    day.collections = collection_reminders(user, timezone.localdate(now))
    return day


def key_dates(user, today: datetime.date) -> list[KeyDate]:
    """Bids, contracts, deliveries and acceptances of the user's open deals in the next week."""
    until = today + datetime.timedelta(days=KEY_DATE_DAYS)
    window = Q()
    for name in KEY_DATE_FIELDS:
        window |= Q(**{f"{name}__gte": today, f"{name}__lte": until})
    deals = (
        Deal.objects.visible_to(user)
        .filter(owner=user, status=DealStatus.OPEN)
        .filter(window)
        .select_related("customer", "stage")
    )
    found = []
    for deal in deals:
        for name in KEY_DATE_FIELDS:
            value = getattr(deal, name)
            if value is not None and today <= value <= until:
                found.append(KeyDate(value, name, deal))
    found.sort(key=lambda item: (item.date, item.deal.pk))
    return found
