"""The Monday factory order (每周一向厂家订车): how many cars of each trim × colour to order.

The pure calculation (``cover_weeks``, ``suggested_quantity``, ``suggest`` ...) needs no database;
the loaders below it read orders and stock, and the last part writes the store's weekly draft.

Quantity = forecast demand over the lead time plus the target days of supply, plus customer
orders still waiting for a car, less what the store holds or awaits (in stock, in transit,
ordered from the factory, and lines of earlier submitted factory orders whose cars have not been
recorded yet), never negative, rounded half up to whole cars. A colour whose stock is mostly
old is held back at zero whatever the forecast says.
"""

import datetime
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from dealerplan.core.choices import Role
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder

from . import forecast as fc
from .choices import VehicleStatus
from .models import (
    FactoryOrder,
    FactoryOrderLine,
    FactoryOrderStatus,
    ReorderReason,
    ReorderSettings,
    Vehicle,
)
from .services import AGED_STOCK_DAYS

#: A car in stock longer than this is aged: the same cars the stock pages flag 重点销售.
AGED_DAYS = AGED_STOCK_DAYS
#: Weeks of order history the forecast reads.
HISTORY_WEEKS = 104
#: A submitted factory line still unmatched by recorded cars after this long is no longer awaited.
OPEN_LINE_WEEKS = 12
MAX_QTY = 999

MANAGER_ROLES = Role.managers()

Key = tuple[int, int]  # (trim_id, color_id)


# -- pure calculation ------------------------------------------------------------------------


def cover_weeks(lead_time_weeks: int, target_days_of_supply: int) -> float:
    """Weeks an order placed today must cover: until it arrives, then the target stock."""
    return lead_time_weeks + target_days_of_supply / 7


def round_half_up(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def suggested_quantity(demand: float, supply: int, backlog: int = 0) -> int:
    """Cars to order: never negative, whole, zero when supply covers demand."""
    if not math.isfinite(demand):
        raise ValueError("demand must be a finite number")
    return min(max(round_half_up(demand + backlog - supply), 0), MAX_QTY)


def aged_share(arrival_dates: Iterable[datetime.date | None], today: datetime.date) -> float | None:
    """Share of cars in stock longer than ``AGED_DAYS``; None when there is no stock."""
    days = [(today - d).days for d in arrival_dates if d is not None]
    if not days:
        return None
    return sum(1 for d in days if d > AGED_DAYS) / len(days)


def outstanding_lines(
    lines: Sequence[tuple[Key, datetime.datetime, int]],
    arrivals: Sequence[tuple[Key, datetime.datetime]],
) -> dict[Key, int]:
    """Cars of submitted factory lines not yet recorded as vehicles.

    ``lines``: (key, submitted_at, qty); ``arrivals``: (key, recorded_at) of vehicles. A car
    recorded after a line was submitted fills that line, oldest line first.
    """
    by_key: dict[Key, list[datetime.datetime]] = defaultdict(list)
    for key, at in arrivals:
        by_key[key].append(at)
    for times in by_key.values():
        times.sort()
    used: Counter[Key] = Counter()
    open_qty: Counter[Key] = Counter()
    for key, submitted_at, qty in sorted(lines, key=lambda line: line[1]):
        times = by_key.get(key, [])
        filled = 0
        while filled < qty and used[key] < len(times):
            if times[used[key]] >= submitted_at:
                filled += 1
            used[key] += 1
        open_qty[key] += qty - filled
    return {key: qty for key, qty in open_qty.items() if qty > 0}


def spread_uncoloured(
    coloured: dict[Key, list[float]], uncoloured: dict[int, list[float]]
) -> dict[Key, list[float]]:
    """Share orders taken without a colour among the trim's colours, by their sales so far."""
    result = {key: list(values) for key, values in coloured.items()}
    for trim_id, weekly in uncoloured.items():
        keys = [key for key in coloured if key[0] == trim_id]
        totals = {key: sum(coloured[key]) for key in keys}
        grand = sum(totals.values())
        if not grand:
            continue  # no colour mix to follow; ordering a colour nobody chose would be a guess
        for key in keys:
            share = totals[key] / grand
            result[key] = [v + share * u for v, u in zip(result[key], weekly, strict=True)]
    return result


@dataclass(frozen=True)
class Position:
    in_stock: int = 0
    in_transit: int = 0
    on_order: int = 0  # ordered vehicles plus unfilled factory lines
    backlog: int = 0  # customer orders waiting for a car

    @property
    def supply(self) -> int:
        return self.in_stock + self.in_transit + self.on_order


@dataclass(frozen=True)
class Suggestion:
    key: Key
    demand: float  # over the cover period
    method: str
    position: Position
    aged_share: float | None
    qty: int
    reason: str


def suggest(
    key: Key,
    *,
    weekly_forecast: Sequence[float],
    method: str,
    position: Position,
    weeks: float,
    colour_aged_share: float | None,
    aged_share_limit: float,
) -> Suggestion:
    demand = fc.demand_over(weekly_forecast, weeks)
    if colour_aged_share is not None and colour_aged_share > aged_share_limit:
        qty, reason = 0, ReorderReason.AGED
    else:
        qty = suggested_quantity(demand, position.supply, position.backlog)
        if qty:
            reason = ReorderReason.ORDER
        elif method == fc.NO_HISTORY:
            reason = ReorderReason.NO_DEMAND
        else:
            reason = ReorderReason.COVERED
    return Suggestion(key, demand, method, position, colour_aged_share, qty, reason)


# -- loading ------------------------------------------------------------------------------------


def this_monday(today: datetime.date | None = None) -> datetime.date:
    return fc.week_start(today or timezone.localdate())


def settings_for(store) -> ReorderSettings:
    """The store's settings; an unsaved row with the defaults when none were saved."""
    return ReorderSettings.objects.filter(store=store).first() or ReorderSettings(store=store)


def order_histories(store, until: datetime.date) -> dict[Key, list[float]]:
    """Zero-filled weekly sales per trim × colour, from the store's first order week (at most
    ``HISTORY_WEEKS`` back) to the week before ``until``'s; cancelled orders do not count."""
    last_week = fc.week_start(until) - datetime.timedelta(weeks=1)
    since = last_week - datetime.timedelta(weeks=HISTORY_WEEKS - 1)
    rows = list(
        store_orders(store)
        .filter(
            order_date__gte=since,
            order_date__lt=last_week + datetime.timedelta(weeks=1),
            trim__is_active=True,
        )
        .values_list("trim_id", "color_id", "order_date")
    )
    if not rows:
        return {}
    first = min(day for _t, _c, day in rows)
    coloured: dict[Key, list[datetime.date]] = defaultdict(list)
    uncoloured: dict[int, list[datetime.date]] = defaultdict(list)
    for trim_id, color_id, day in rows:
        if color_id is None:
            uncoloured[trim_id].append(day)
        else:
            coloured[(trim_id, color_id)].append(day)
    return spread_uncoloured(
        {key: fc.weekly_counts(days, first, last_week) for key, days in coloured.items()},
        {trim: fc.weekly_counts(days, first, last_week) for trim, days in uncoloured.items()},
    )


def store_orders(store):
    return SalesOrder.objects.filter(store=store, is_archived=False).exclude(
        status=OrderStatus.CANCELLED
    )


def positions(store, today: datetime.date) -> tuple[dict[Key, Position], dict[int, float | None]]:
    """Each trim × colour's stock position, and each colour's aged share of stock."""
    counts: dict[Key, Counter] = defaultdict(Counter)
    arrivals_by_colour: dict[int, list] = defaultdict(list)
    vehicles = Vehicle.objects.filter(
        store=store,
        is_archived=False,
        status__in=(VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT, VehicleStatus.ORDERED),
    ).values_list("trim_id", "color_id", "status", "arrival_date")
    for trim_id, color_id, status, arrival in vehicles:
        counts[(trim_id, color_id)][status] += 1
        if status == VehicleStatus.IN_STOCK:
            arrivals_by_colour[color_id].append(arrival or today)
    # Customer orders that still need a car: none yet, or one not yet in the customer's hands.
    waiting = (
        store_orders(store)
        .filter(status__in=(OrderStatus.CONFIRMED, OrderStatus.ALLOCATED), color__isnull=False)
        .filter(
            Q(vehicle__isnull=True)
            | Q(
                vehicle__status__in=(
                    VehicleStatus.IN_STOCK,
                    VehicleStatus.IN_TRANSIT,
                    VehicleStatus.ORDERED,
                )
            )
        )
        .values_list("trim_id", "color_id")
    )
    for key in waiting:
        counts[key]["backlog"] += 1
    for key, qty in open_factory_lines(store, today).items():
        counts[key]["lines"] += qty
    result = {
        key: Position(
            in_stock=c[VehicleStatus.IN_STOCK],
            in_transit=c[VehicleStatus.IN_TRANSIT],
            on_order=c[VehicleStatus.ORDERED] + c["lines"],
            backlog=c["backlog"],
        )
        for key, c in counts.items()
    }
    shares = {colour: aged_share(days, today) for colour, days in arrivals_by_colour.items()}
    return result, shares


def open_factory_lines(store, today: datetime.date) -> dict[Key, int]:
    since = this_monday(today) - datetime.timedelta(weeks=OPEN_LINE_WEEKS)
    lines = [
        ((trim_id, color_id), submitted_at, qty)
        for trim_id, color_id, submitted_at, qty in FactoryOrderLine.objects.filter(
            order__store=store,
            order__status=FactoryOrderStatus.SUBMITTED,
            order__week_start__gte=since,
            order__week_start__lt=this_monday(today),
            ordered_qty__gt=0,
        ).values_list("trim_id", "color_id", "order__submitted_at", "ordered_qty")
    ]
    if not lines:
        return {}
    first = min(at for _key, at, _qty in lines)
    arrivals = [
        ((trim_id, color_id), created_at)
        for trim_id, color_id, created_at in Vehicle.objects.filter(
            store=store, created_at__gte=first
        ).values_list("trim_id", "color_id", "created_at")
    ]
    return outstanding_lines(lines, arrivals)


def build_suggestions(store, today: datetime.date | None = None) -> list[Suggestion]:
    """This week's suggestion for every trim × colour the store sold, holds or awaits."""
    today = today or timezone.localdate()
    conf = settings_for(store)
    weeks = cover_weeks(conf.lead_time_weeks, conf.target_days_of_supply)
    histories = order_histories(store, today)
    stock, shares = positions(store, today)
    horizon = math.ceil(weeks)
    forecasts = fc.forecast_many(histories, horizon)
    empty = fc.Forecast((0.0,) * horizon, fc.NO_HISTORY)
    return [
        suggest(
            key,
            weekly_forecast=forecasts.get(key, empty).values,
            method=forecasts.get(key, empty).method,
            position=stock.get(key, Position()),
            weeks=weeks,
            colour_aged_share=shares.get(key[1]),
            aged_share_limit=float(conf.aged_share_limit),
        )
        for key in sorted(set(histories) | set(stock))
    ]


# -- the weekly draft ---------------------------------------------------------------------------


def can_order(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in MANAGER_ROLES)


@transaction.atomic
def save_settings(user, conf: ReorderSettings) -> ReorderSettings:
    """Save the store's settings; they apply from the next refresh of the draft."""
    if not can_order(user) or conf.store_id != user.store_id:
        raise PermissionDenied
    conf.full_clean()
    conf.save()
    return conf


def _two_places(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def prepare_factory_order(store, today: datetime.date | None = None) -> FactoryOrder:
    """Create or refresh the store's draft for this week; a submitted order is left alone.

    Running it twice gives the same draft. A quantity the manager changed is kept; the others
    follow the new suggestion.
    """
    today = today or timezone.localdate()
    monday = this_monday(today)
    conf = settings_for(store)
    try:
        with transaction.atomic():
            order, _created = FactoryOrder.objects.get_or_create(store=store, week_start=monday)
    except IntegrityError:  # prepared at the same moment elsewhere
        order = FactoryOrder.objects.get(store=store, week_start=monday)
    order = FactoryOrder.objects.select_for_update().get(pk=order.pk)
    if not order.is_draft:
        return order
    suggestions = build_suggestions(store, today)
    existing = {(line.trim_id, line.color_id): line for line in order.lines.all()}
    keep, create, update = set(), [], []
    for s in suggestions:
        line = existing.get(s.key)
        fields = {
            "forecast_qty": Decimal(repr(s.demand)).quantize(Decimal("0.1"), ROUND_HALF_UP),
            "forecast_method": s.method,
            "in_stock": s.position.in_stock,
            "in_transit": s.position.in_transit,
            "on_order": s.position.on_order,
            "backlog": s.position.backlog,
            "aged_share": _two_places(s.aged_share),
            "suggested_qty": s.qty,
            "reason": s.reason,
        }
        if line is None:
            create.append(
                FactoryOrderLine(
                    order=order, trim_id=s.key[0], color_id=s.key[1], ordered_qty=s.qty, **fields
                )
            )
            continue
        keep.add(s.key)
        old_qty = line.ordered_qty
        if not line.is_adjusted:
            line.ordered_qty = s.qty
        changed = line.ordered_qty != old_qty or any(
            getattr(line, name) != value for name, value in fields.items()
        )
        for name, value in fields.items():
            setattr(line, name, value)
        if changed:
            update.append(line)
    stale = [line.pk for key, line in existing.items() if key not in keep and not line.ordered_qty]
    FactoryOrderLine.objects.filter(pk__in=stale).delete()
    bulk_create_with_history(create, FactoryOrderLine)
    for line in update:  # one save each, so the audit trail records every change
        line.save()
    settings_changed = (
        order.lead_time_weeks != conf.lead_time_weeks
        or order.target_days_of_supply != conf.target_days_of_supply
        or order.aged_share_limit != conf.aged_share_limit
    )
    if settings_changed or create or update or stale or order.suggested_at is None:
        order.lead_time_weeks = conf.lead_time_weeks
        order.target_days_of_supply = conf.target_days_of_supply
        order.aged_share_limit = conf.aged_share_limit
        order.suggested_at = timezone.now()
        order.save()
    return order


def _locked_draft(user, order: FactoryOrder) -> FactoryOrder:
    if not can_order(user):
        raise PermissionDenied
    locked = FactoryOrder.objects.visible_to(user).select_for_update().filter(pk=order.pk).first()
    if locked is None:
        raise PermissionDenied
    if not locked.is_draft:
        raise ValidationError(_("This factory order has been submitted and can no longer change."))
    return locked


@transaction.atomic
def save_quantities(user, order: FactoryOrder, quantities: dict[int, int]) -> FactoryOrder:
    """Set the ordered quantity of each line (by line id); all of them or none."""
    order = _locked_draft(user, order)
    lines = {line.pk: line for line in order.lines.all()}
    unknown = set(quantities) - set(lines)
    if unknown:
        raise ValidationError(_("Some lines do not belong to this factory order."))
    for pk, qty in quantities.items():
        if not isinstance(qty, int) or not 0 <= qty <= MAX_QTY:
            raise ValidationError(
                _("Each quantity must be a whole number from 0 to %(max)s.") % {"max": MAX_QTY}
            )
        line = lines[pk]
        if line.ordered_qty != qty:
            line.ordered_qty = qty
            line.save(update_fields=["ordered_qty", "updated_at"])
    return order


@transaction.atomic
def submit_factory_order(
    user, order: FactoryOrder, quantities: dict[int, int] | None = None
) -> FactoryOrder:
    """Record the final quantities and submit; afterwards the order is read-only."""
    if quantities:
        save_quantities(user, order, quantities)
    order = _locked_draft(user, order)
    order.status = FactoryOrderStatus.SUBMITTED
    order.submitted_by = user
    order.submitted_at = timezone.now()
    order.save()
    return order
