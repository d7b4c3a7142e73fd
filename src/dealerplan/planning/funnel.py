"""Funnel back-calculation: from a month's unit goal to the calls and visits it needs.

The funnel of a Chinese 4S store, read backwards from the deliveries the month must reach::

    calls ─(call→appointment)→ appointments ─(show)→ showroom traffic ─(建卡率)→ lead cards
      ─(card→test drive)→ test drives ─(test drive→order)→ orders ─(order→delivery)→ deliveries

:func:`back_calculate` and :func:`compare_to_quota` are pure arithmetic on ``Decimal`` (no
database, no float). :func:`measure_rates` reads a store's conversion rates from its records with
a fixed number of aggregate queries, falling back to :data:`DEFAULT_RATES` for any rate whose
sample is too small to trust.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

#: The six conversion rates, in funnel order (deliveries first); also the names that
#: :attr:`Rates.fallbacks` and :attr:`Rates.samples` use.
RATE_NAMES = (
    "order_to_delivery",
    "test_drive_to_order",
    "card_to_test_drive",
    "traffic_to_card",
    "appointment_show",
    "call_to_appointment",
)

#: A measured rate needs at least this many cases in its denominator; below it the default is
#: used and the rate's name is recorded in ``Rates.fallbacks``.
MIN_SAMPLE = 20

#: A booked visit counts as kept when the customer comes within this many days of the call.
SHOW_WINDOW = datetime.timedelta(days=14)

ONE = Decimal(1)


def _as_decimal(name: str, value) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, not a float")
    return Decimal(value)


@dataclass(frozen=True)
class Rates:
    """A store's conversion rates, each a ``Decimal`` fraction in (0, 1].

    ``fallbacks`` names the rates that are defaults because the store's own sample was empty or
    smaller than :data:`MIN_SAMPLE`; ``samples`` holds the denominators that were measured
    (empty for the defaults) and ``period_start`` … ``period_end`` (end excluded) the months
    they were measured over.
    """

    #: 建卡率: first-time showroom visitors who leave a lead card.
    traffic_to_card: Decimal
    #: 试驾率 of new cards: test drives per new lead card.
    card_to_test_drive: Decimal
    #: Orders per test drive.
    test_drive_to_order: Decimal
    #: Orders that end in a delivery (the rest are cancelled).
    order_to_delivery: Decimal
    #: Phone calls that book a showroom visit (邀约到店).
    call_to_appointment: Decimal
    #: Booked visits the customer actually comes to.
    appointment_show: Decimal
    fallbacks: frozenset[str] = frozenset()
    samples: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None

    def __post_init__(self):
        for name in RATE_NAMES:
            value = _as_decimal(name, getattr(self, name))
            if not (0 < value <= 1):
                raise ValueError(f"{name} must be greater than 0 and at most 1, not {value}")
            object.__setattr__(self, name, value)
        unknown = set(self.fallbacks) - set(RATE_NAMES)
        if unknown:
            raise ValueError(f"unknown rate names in fallbacks: {sorted(unknown)}")
        object.__setattr__(self, "fallbacks", frozenset(self.fallbacks))

    def as_dict(self) -> dict[str, Decimal]:
        """The six rates by name, in funnel order."""
        return {name: getattr(self, name) for name in RATE_NAMES}


#: Defaults for a Chinese 4S store without enough history of its own (industry rules of thumb):
#: 建卡率 60 % of first-time showroom visitors leave a card; half of new cards test-drive;
#: 30 % of test drives order; 95 % of orders are delivered (5 % cancelled); 8 % of calls book a
#: showroom visit; 70 % of booked visits show up.
DEFAULT_RATES = Rates(
    traffic_to_card=Decimal("0.6"),
    card_to_test_drive=Decimal("0.5"),
    test_drive_to_order=Decimal("0.3"),
    order_to_delivery=Decimal("0.95"),
    call_to_appointment=Decimal("0.08"),
    appointment_show=Decimal("0.7"),
)


# -- back-calculation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """What a month's unit goal needs at every step of the funnel (whole numbers, rounded up)."""

    unit_goal: int
    orders: int
    test_drives: int
    cards: int
    #: First-time showroom visits (来店批次) the cards need.
    traffic: int
    #: Part of ``traffic`` expected to walk in without being invited (subtracted before
    #: appointments).
    walk_in_traffic: int
    appointments: int
    calls: int
    workdays: int
    weeks: Decimal
    #: ``calls`` spread over the working days, rounded up.
    calls_per_day: int
    #: ``traffic`` (every face-to-face customer visit the goal needs) per week, rounded up.
    visits_per_week: int


def _up(amount, rate: Decimal) -> int:
    """The whole number of inputs that ``amount`` outputs need at ``rate`` (rounded up)."""
    return math.ceil(Decimal(amount) / rate)


def _check_period(workdays: int, weeks) -> Decimal:
    if workdays <= 0:
        raise ValueError("workdays must be positive")
    weeks = _as_decimal("weeks", weeks)
    if weeks <= 0:
        raise ValueError("weeks must be positive")
    return weeks


def back_calculate(
    unit_goal: int,
    rates: Rates,
    *,
    workdays: int,
    weeks: Decimal,
    walk_in_traffic: int = 0,
) -> Need:
    """The orders, test drives, cards, traffic, appointments and calls ``unit_goal`` needs.

    Each step divides by its rate and rounds up (there is no 0.4 of a test drive), so every
    figure is the least whole number that reaches the next one on average. ``walk_in_traffic``
    is the showroom traffic the store expects without inviting anyone; only the rest has to be
    booked by phone. By default all of it is (the plan the consultant controls).
    """
    if unit_goal < 0:
        raise ValueError("the unit goal must not be negative")
    if walk_in_traffic < 0:
        raise ValueError("walk-in traffic must not be negative")
    weeks = _check_period(workdays, weeks)
    orders = _up(unit_goal, rates.order_to_delivery)
    test_drives = _up(orders, rates.test_drive_to_order)
    cards = _up(test_drives, rates.card_to_test_drive)
    traffic = _up(cards, rates.traffic_to_card)
    appointments = _up(max(traffic - walk_in_traffic, 0), rates.appointment_show)
    calls = _up(appointments, rates.call_to_appointment)
    return Need(
        unit_goal=unit_goal,
        orders=orders,
        test_drives=test_drives,
        cards=cards,
        traffic=traffic,
        walk_in_traffic=walk_in_traffic,
        appointments=appointments,
        calls=calls,
        workdays=workdays,
        weeks=weeks,
        calls_per_day=math.ceil(Decimal(calls) / workdays),
        visits_per_week=math.ceil(Decimal(traffic) / weeks),
    )


# -- comparison with the fixed activity quotas --------------------------------------------------

MSG_CALLS_SHORT = _(
    "The goal needs %(needed)s calls a day; the quota of %(quota)s a day is %(short)s short "
    "(%(month_short)s calls over the month)."
)
MSG_VISITS_SHORT = _(
    "The goal needs %(needed)s customer visits a week; the quota of %(quota)s a week is "
    "%(short)s short (%(month_short)s visits over the month)."
)


@dataclass(frozen=True)
class QuotaWarning:
    """One activity quota that cannot reach the goal, and by how much.

    ``message`` is rendered in the active language when read, so a warning built once can be
    shown in Chinese or English.
    """

    code: str  # "calls" or "visits"
    needed: int  # per day (calls) or per week (visits)
    quota: int
    short: int  # needed - quota, per day or per week
    month_short: int  # over the whole month
    template: object = field(repr=False, compare=False)

    @property
    def params(self) -> dict[str, int]:
        return {
            "needed": self.needed,
            "quota": self.quota,
            "short": self.short,
            "month_short": self.month_short,
        }

    @property
    def message(self) -> str:
        return str(self.template) % self.params

    def __str__(self) -> str:
        return self.message


def compare_to_quota(
    need: Need,
    *,
    calls_per_day: int = 30,
    visits_per_week: int = 20,
    workdays: int | None = None,
    weeks: Decimal | None = None,
) -> list[QuotaWarning]:
    """Warnings for the quotas (30 calls a day, 20 visits a week) that fall short of ``need``.

    A quota falls short when its whole month (quota × working days, quota × weeks) is below what
    the goal needs. ``workdays`` and ``weeks`` default to the ones ``need`` was computed with.
    An empty list means the quotas are enough.
    """
    workdays = need.workdays if workdays is None else workdays
    weeks = need.weeks if weeks is None else weeks
    weeks = _check_period(workdays, weeks)
    warnings = []
    month_calls = calls_per_day * workdays
    if need.calls > month_calls:
        needed = math.ceil(Decimal(need.calls) / workdays)
        warnings.append(
            QuotaWarning(
                code="calls",
                needed=needed,
                quota=calls_per_day,
                short=needed - calls_per_day,
                month_short=need.calls - month_calls,
                template=MSG_CALLS_SHORT,
            )
        )
    month_visits = visits_per_week * weeks
    if need.traffic > month_visits:
        needed = math.ceil(Decimal(need.traffic) / weeks)
        warnings.append(
            QuotaWarning(
                code="visits",
                needed=needed,
                quota=visits_per_week,
                short=needed - visits_per_week,
                month_short=math.ceil(need.traffic - month_visits),
                template=MSG_VISITS_SHORT,
            )
        )
    return warnings


# -- measuring a store's rates ------------------------------------------------------------------


def months_back(today: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """The first day of the month ``months`` full months before ``today`` and of this month.

    ``months_back(date(2026, 5, 10), 3)`` is ``(date(2026, 2, 1), date(2026, 5, 1))``: February,
    March and April; the current, unfinished month is left out.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    end = today.replace(day=1)
    index = end.year * 12 + end.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1), end


def _local_midnight(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator capped at 1, or None when the sample is too small or zero."""
    if denominator < MIN_SAMPLE or numerator <= 0:
        return None
    return min(Decimal(numerator) / Decimal(denominator), ONE)


def measure_rates(store_id, *, months: int = 3, today: datetime.date) -> Rates:
    """The store's conversion rates over the last ``months`` full months before ``today``.

    Periods are local (Asia/Shanghai) calendar months; archived records are left out. Rates are
    ratios of the period's counts, not cohorts followed over time (over a few months the lag
    between a card and its order evens out):

    * ``traffic_to_card`` (建卡率): first-time walk-ins (F) linked to a customer card ÷
      first-time walk-ins — the showroom KPI's definition, restricted to walk-ins.
    * ``card_to_test_drive``: customers who test-drove in the period (a done test-drive activity
      or a walk-in marked "test drive"; each customer once) plus anonymous walk-ins marked "test
      drive" ÷ lead cards opened in the period (``Customer.created_at``).
    * ``test_drive_to_order``: orders dated in the period (any status but draft; a later
      cancellation is counted by the next rate) ÷ those test drives.
    * ``order_to_delivery``: of the period's orders that are settled, delivered ÷ delivered +
      cancelled (orders still open are not counted either way).
    * ``call_to_appointment``: done calls with the outcome "appointment made" ÷ done calls.
    * ``appointment_show``: of those appointment calls, the ones whose customer came within
      :data:`SHOW_WINDOW` after the call (a walk-in, or a done reception or test drive) ÷
      appointment calls.

    A rate whose denominator is below :data:`MIN_SAMPLE`, or that measures zero, is taken from
    :data:`DEFAULT_RATES` and named in ``fallbacks``; a ratio above 1 (more test drives than new
    cards, say) is capped at 1. Five aggregate queries, whatever the amount of data.
    """
    from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q

    from dealerplan.activities.choices import (
        ActivityKind,
        ActivityStatus,
        Outcome,
        TrafficKind,
        VisitType,
    )
    from dealerplan.activities.models import Activity, TrafficEntry
    from dealerplan.customers.models import Customer
    from dealerplan.orders.choices import OrderStatus
    from dealerplan.orders.models import SalesOrder

    first_day, end_day = months_back(today, months)
    start, end = _local_midnight(first_day), _local_midnight(end_day)

    walk_ins = TrafficEntry.objects.filter(
        store_id=store_id,
        is_archived=False,
        kind=TrafficKind.WALK_IN,
        arrived_at__gte=start,
        arrived_at__lt=end,
    )
    first = Q(visit_type=VisitType.FIRST)
    traffic = walk_ins.aggregate(
        first=Count("pk", filter=first),
        carded=Count("pk", filter=first & Q(customer__isnull=False)),
        anonymous_drives=Count("pk", filter=Q(test_drive=True, customer__isnull=True)),
    )

    done_in_period = Activity.objects.filter(
        store_id=store_id,
        is_archived=False,
        status=ActivityStatus.DONE,
        done_at__gte=start,
        done_at__lt=end,
    )
    # Driven from the period's few test drives, not from every customer of the store.
    drivers = (
        done_in_period.filter(kind=ActivityKind.TEST_DRIVE)
        .order_by()
        .values("customer_id")
        .union(
            walk_ins.filter(test_drive=True, customer__isnull=False)
            .order_by()
            .values("customer_id")
        )
    )
    cards = Customer.objects.filter(store_id=store_id, is_archived=False)
    customers = {
        "new_cards": cards.filter(created_at__gte=start, created_at__lt=end).count(),
        "test_drivers": cards.filter(pk__in=drivers).count(),
    }

    window_end = ExpressionWrapper(OuterRef("done_at") + SHOW_WINDOW, output_field=DateTimeField())
    came = Exists(
        TrafficEntry.objects.filter(
            customer=OuterRef("customer_id"),
            is_archived=False,
            kind=TrafficKind.WALK_IN,
            arrived_at__gte=OuterRef("done_at"),
            arrived_at__lt=window_end,
        )
    ) | Exists(
        Activity.objects.filter(
            customer=OuterRef("customer_id"),
            is_archived=False,
            status=ActivityStatus.DONE,
            kind__in=(ActivityKind.RECEPTION, ActivityKind.TEST_DRIVE),
            done_at__gte=OuterRef("done_at"),
            done_at__lt=window_end,
        )
    )
    booked = Q(outcome=Outcome.APPOINTMENT)
    calls = done_in_period.filter(kind=ActivityKind.CALL).aggregate(
        calls=Count("pk"),
        appointments=Count("pk", filter=booked),
        shows=Count("pk", filter=booked & came),
    )

    orders = (
        SalesOrder.objects.filter(
            store_id=store_id,
            is_archived=False,
            order_date__gte=first_day,
            order_date__lt=end_day,
        )
        .exclude(status=OrderStatus.DRAFT)
        .aggregate(
            orders=Count("pk"),
            delivered=Count("pk", filter=Q(status=OrderStatus.DELIVERED)),
            cancelled=Count("pk", filter=Q(status=OrderStatus.CANCELLED)),
        )
    )

    test_drives = customers["test_drivers"] + traffic["anonymous_drives"]
    settled = orders["delivered"] + orders["cancelled"]
    measured = {
        "traffic_to_card": (traffic["carded"], traffic["first"]),
        "card_to_test_drive": (test_drives, customers["new_cards"]),
        "test_drive_to_order": (orders["orders"], test_drives),
        "order_to_delivery": (orders["delivered"], settled),
        "call_to_appointment": (calls["appointments"], calls["calls"]),
        "appointment_show": (calls["shows"], calls["appointments"]),
    }
    values, fallbacks = {}, set()
    for name, (numerator, denominator) in measured.items():
        value = _ratio(numerator, denominator)
        if value is None:
            value = getattr(DEFAULT_RATES, name)
            fallbacks.add(name)
        values[name] = value
    return Rates(
        **values,
        fallbacks=frozenset(fallbacks),
        samples={name: denominator for name, (_n, denominator) in measured.items()},
        period_start=first_day,
        period_end=end_day,
    )


__all__ = [
    "DEFAULT_RATES",
    "MIN_SAMPLE",
    "RATE_NAMES",
    "SHOW_WINDOW",
    "Need",
    "QuotaWarning",
    "Rates",
    "back_calculate",
    "compare_to_quota",
    "measure_rates",
    "months_back",
]
