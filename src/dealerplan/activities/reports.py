"""The daily activity report (销售活动日报表) and the lead level report (意向客户级别状况表).

Both are computed from the records themselves, scoped to what the viewer may see, with one
grouped query per measure so the cost does not grow with the number of consultants.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from dealerplan.core.choices import Role
from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer, LevelChange
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder
from dealerplan.org.models import User

from .choices import ActivityKind, ActivityStatus
from .models import Activity, DailyLog

OPEN_LEVELS = IntentionLevel.open_levels()
DAILY_MEASURES = ("calls", "visits", "receptions", "test_drives", "new_cards", "orders")


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


def consultants_visible_to(user):
    """The people a report lists: the user alone for a consultant, else the store's staff."""
    people = User.objects.visible_to(user).filter(is_active=True)
    if user.sees_only_own:
        return people.filter(pk=user.pk)
    return people.filter(role=Role.CONSULTANT).order_by("username")


@dataclass
class DailyRow:
    consultant: User
    calls: int = 0
    visits: int = 0
    receptions: int = 0
    test_drives: int = 0
    new_cards: int = 0
    orders: int = 0
    log: object = None  # the day's DailyLog, if filed


def daily_activity_report(user, day: datetime.date) -> list[DailyRow]:
    start, end = local_day_bounds(day)
    people = list(consultants_visible_to(user))
    rows = {person.pk: DailyRow(person) for person in people}
    done = (
        Activity.objects.visible_to(user)
        .filter(owner__in=rows, status=ActivityStatus.DONE, done_at__gte=start, done_at__lt=end)
        .values("owner")
        .annotate(
            calls=Count("pk", filter=Q(kind=ActivityKind.CALL)),
            visits=Count("pk", filter=Q(kind=ActivityKind.VISIT)),
            receptions=Count("pk", filter=Q(kind=ActivityKind.RECEPTION)),
            test_drives=Count("pk", filter=Q(kind=ActivityKind.TEST_DRIVE)),
        )
    )
    for item in done:
        row = rows[item["owner"]]
        row.calls, row.visits = item["calls"], item["visits"]
        row.receptions, row.test_drives = item["receptions"], item["test_drives"]
    cards = (
        Customer.objects.visible_to(user)
        .filter(owner__in=rows, created_at__gte=start, created_at__lt=end)
        .values("owner")
        .annotate(n=Count("pk"))
    )
    for item in cards:
        rows[item["owner"]].new_cards = item["n"]
    orders = (
        SalesOrder.objects.visible_to(user)
        .filter(consultant__in=rows, order_date=day)
        .exclude(status=OrderStatus.CANCELLED)
        .values("consultant")
        .annotate(n=Count("pk"))
    )
    for item in orders:
        rows[item["consultant"]].orders = item["n"]
    for log in DailyLog.objects.visible_to(user).filter(owner__in=rows, date=day):
        rows[log.owner_id].log = log
    return [rows[person.pk] for person in people]


def daily_totals(rows: list[DailyRow]) -> dict[str, int]:
    return {name: sum(getattr(row, name) for row in rows) for name in DAILY_MEASURES}


@dataclass
class LevelRow:
    consultant: User
    carried_over: Counter = field(default_factory=Counter)  # open at the start, by level
    at_end: Counter = field(default_factory=Counter)  # by level at the end of the month
    new: int = 0  # cards opened in the month
    moves: Counter = field(default_factory=Counter)  # (from, to) -> count

    @property
    def carried_total(self) -> int:
        return sum(self.carried_over[level] for level in OPEN_LEVELS)

    @property
    def open_at_end(self) -> int:
        return sum(self.at_end[level] for level in OPEN_LEVELS)

    @property
    def upgrades(self) -> int:
        return sum(n for (a, b), n in self.moves.items() if _rank(b) < _rank(a))

    @property
    def downgrades(self) -> int:
        return sum(n for (a, b), n in self.moves.items() if _rank(b) > _rank(a))


_ORDER = {level: i for i, level in enumerate("HABC")}


def _rank(level: str) -> int:
    """Hotter is lower; ordered, delivered and lost count as beyond H for 'upgrades'."""
    if level in ("O", "D"):
        return -1
    if level == "F":
        return 9
    return _ORDER.get(level, 5)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return local_day_bounds(first)[0], local_day_bounds(following)[0]


def level_report(user, month: datetime.date) -> list[LevelRow]:
    """Leads per level carried over into the month and held at its end, and the moves between.

    A customer's level at a moment is the level after the last change before it; customers
    without a recorded change (older data) keep their current level since their card opened.
    """
    start, end = month_bounds(month)
    people = list(consultants_visible_to(user))
    rows = {person.pk: LevelRow(person) for person in people}
    customers = list(
        Customer.objects.visible_to(user)
        .filter(owner__in=rows, created_at__lt=end, is_archived=False)
        .values_list("pk", "owner_id", "intention_level", "created_at")
    )
    changes = defaultdict(list)
    for customer_id, from_level, to_level, changed_at in (
        LevelChange.objects.visible_to(user)
        .filter(customer__owner__in=rows, changed_at__lt=end)
        .order_by("changed_at", "pk")
        .values_list("customer_id", "from_level", "to_level", "changed_at")
    ):
        changes[customer_id].append((from_level, to_level, changed_at))
    later_first = _first_from_level_after(user, rows, end)

    for customer_id, owner_id, current, created_at in customers:
        row = rows[owner_id]
        history = changes.get(customer_id, [])
        after_end = later_first.get(customer_id)
        level_at_start = _level_at(start, created_at, history, after_end, current)
        level_at_end = _level_at(end, created_at, history, after_end, current)
        if level_at_start in OPEN_LEVELS:
            row.carried_over[level_at_start] += 1
        if level_at_end:
            row.at_end[level_at_end] += 1
        if start <= created_at < end:
            row.new += 1
        for from_level, to_level, changed_at in history:
            if changed_at >= start and from_level and from_level != to_level:
                row.moves[(from_level, to_level)] += 1
    return [rows[person.pk] for person in people]


def _first_from_level_after(user, rows, moment) -> dict:
    """For each customer, the level it had just before its first change at or after moment."""
    found = {}
    for customer_id, from_level in (
        LevelChange.objects.visible_to(user)
        .filter(customer__owner__in=rows, changed_at__gte=moment)
        .order_by("customer_id", "changed_at", "pk")
        .values_list("customer_id", "from_level")
    ):
        found.setdefault(customer_id, from_level)
    return found


def _level_at(moment, created_at, history, first_later_from, current) -> str | None:
    if created_at >= moment:
        return None
    before = [to_level for _f, to_level, changed_at in history if changed_at < moment]
    if before:
        return before[-1]
    after = [from_level for from_level, _t, changed_at in history if changed_at >= moment]
    if after:
        return after[0] or None
    if first_later_from is not None:
        return first_later_from or None
    return current
