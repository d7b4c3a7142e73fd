"""Domain rules for vehicles in stock."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.core.vin import normalize_vin

from .choices import VehicleStatus
from .models import Vehicle

EDIT_ROLES = frozenset(
    {
        Role.SALES_MANAGER,
        Role.SHOWROOM_MANAGER,
        Role.GENERAL_MANAGER,
        Role.GROUP_MANAGER,
        Role.ADMIN,
    }
)

DAYS_IN_STOCK_LABEL = _("Days in stock")

#: Stock aging buckets in days, as the monthly stock report uses them.
AGING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))

#: A car in stock longer than this many days is flagged for focused selling (重点销售). My Day
#: counts the same cars (``activities.my_day.AGED_STOCK_DAYS`` must stay equal to this).
AGED_STOCK_DAYS = 90

#: Statuses a stock keeper sets by hand; the others belong to a sales order.
HAND_STATUSES = (VehicleStatus.ORDERED, VehicleStatus.IN_TRANSIT, VehicleStatus.IN_STOCK)
ORDER_STATUSES = (VehicleStatus.RESERVED, VehicleStatus.SOLD, VehicleStatus.DELIVERED)

#: Why a history row was written, as stored in ``history_change_reason``.
REASON_IN_TRANSIT = "in_transit"
REASON_RECEIVED = "received"
REASON_EDITED = "edited"
REASON_IMPORTED = "import"
CHANGE_REASONS = {
    REASON_IN_TRANSIT: _("Marked in transit"),
    REASON_RECEIVED: _("Received into stock"),
    REASON_EDITED: _("Edited"),
    REASON_IMPORTED: _("Imported from a stock list"),
}

MSG_HELD_BY_ORDER = _(
    "This car is %(status)s: only its sales order can move it (allocate, deliver or cancel the "
    "order)."
)
MSG_STATUS_BY_ORDER = _(
    "“%(status)s” is set by a sales order, not by hand: choose ordered, in transit or in stock."
)
MSG_NOT_ORDERED = _(
    "Only a car ordered from the factory can be marked in transit; this one is %(status)s."
)
MSG_NOT_ARRIVING = _(
    "Only a car ordered from the factory or in transit can be received; this one is %(status)s."
)
MSG_ARRIVAL_REQUIRED = _("Enter the date the car arrived.")
MSG_ARRIVAL_FUTURE = _("The arrival date cannot be after today.")
MSG_LOCATION_TOO_LONG = _("The location has at most %(limit)s characters.")


def can_edit_stock(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and (user.is_superuser or user.role in EDIT_ROLES)
    )


def is_aged(status: str, arrival_date: datetime.date | None, today=None) -> bool:
    """In stock for more than AGED_STOCK_DAYS days: the car to push (重点销售)."""
    days = days_in_stock(arrival_date, today)
    return status == VehicleStatus.IN_STOCK and days is not None and days > AGED_STOCK_DAYS


def aged_cutoff(today: datetime.date | None = None) -> datetime.date:
    """Cars in stock that arrived before this date are aged."""
    return (today or timezone.localdate()) - datetime.timedelta(days=AGED_STOCK_DAYS)


def status_label(status: str) -> str:
    return str(VehicleStatus(status).label) if status in VehicleStatus.values else status


def check_hand_status(current: str | None, new: str) -> None:
    """A status change by hand (form, import): never into or out of a sales order's statuses."""
    if current == new:
        return
    if current in ORDER_STATUSES:
        raise ValidationError(
            MSG_HELD_BY_ORDER, code="held_by_order", params={"status": status_label(current)}
        )
    if new in ORDER_STATUSES:
        raise ValidationError(
            MSG_STATUS_BY_ORDER, code="status_by_order", params={"status": status_label(new)}
        )


def next_steps(vehicle: Vehicle) -> tuple[str, ...]:
    """The transitions a stock keeper may make next: what the detail page offers as buttons."""
    if vehicle.status == VehicleStatus.ORDERED:
        return (VehicleStatus.IN_TRANSIT, VehicleStatus.IN_STOCK)
    if vehicle.status == VehicleStatus.IN_TRANSIT:
        return (VehicleStatus.IN_STOCK,)
    return ()


def _locked_vehicle(user, vehicle: Vehicle) -> Vehicle:
    if not can_edit_stock(user):
        raise PermissionDenied
    locked = Vehicle.objects.visible_to(user).select_for_update().filter(pk=vehicle.pk).first()
    if locked is None:
        raise PermissionDenied
    return locked


def _save_step(user, vehicle: Vehicle, reason: str, fields: list[str]) -> Vehicle:
    vehicle._history_user = user
    vehicle._change_reason = reason
    vehicle.save(update_fields=[*fields, "updated_at"])
    return vehicle


@transaction.atomic
def mark_in_transit(*, user, vehicle: Vehicle) -> Vehicle:
    """The factory has shipped the car."""
    locked = _locked_vehicle(user, vehicle)
    check_hand_status(locked.status, VehicleStatus.IN_TRANSIT)
    if locked.status != VehicleStatus.ORDERED:
        raise ValidationError(
            MSG_NOT_ORDERED, code="not_ordered", params={"status": status_label(locked.status)}
        )
    locked.status = VehicleStatus.IN_TRANSIT
    return _save_step(user, locked, REASON_IN_TRANSIT, ["status"])


@transaction.atomic
def receive_into_stock(
    *, user, vehicle: Vehicle, arrival_date: datetime.date | None, location: str = ""
) -> Vehicle:
    """The car has arrived: in stock from ``arrival_date`` (its age counts from then)."""
    locked = _locked_vehicle(user, vehicle)
    check_hand_status(locked.status, VehicleStatus.IN_STOCK)
    if locked.status not in (VehicleStatus.ORDERED, VehicleStatus.IN_TRANSIT):
        raise ValidationError(
            MSG_NOT_ARRIVING, code="not_arriving", params={"status": status_label(locked.status)}
        )
    errors = {}
    if arrival_date is None:
        errors["arrival_date"] = ValidationError(MSG_ARRIVAL_REQUIRED, code="required")
    elif arrival_date > timezone.localdate():
        errors["arrival_date"] = ValidationError(MSG_ARRIVAL_FUTURE, code="arrival_future")
    location = (location or "").strip()
    limit = Vehicle._meta.get_field("location").max_length
    if len(location) > limit:
        errors["location"] = ValidationError(
            MSG_LOCATION_TOO_LONG, code="too_long", params={"limit": limit}
        )
    if errors:
        raise ValidationError(errors)
    locked.status = VehicleStatus.IN_STOCK
    locked.arrival_date = arrival_date
    fields = ["status", "arrival_date"]
    if location:
        locked.location = location
        fields.append("location")
    return _save_step(user, locked, REASON_RECEIVED, fields)


def days_in_stock(arrival_date: datetime.date | None, today: datetime.date | None = None):
    if arrival_date is None:
        return None
    today = today or timezone.localdate()
    return max((today - arrival_date).days, 0)


def aging_bucket(days: int | None) -> str | None:
    """'0-30', '31-60', '61-90' or '>90'; None when the car has not arrived."""
    if days is None:
        return None
    for low, high in AGING_BUCKETS:
        if high is None:
            return f">{low - 1}"
        if low <= days <= high:
            return f"{low}-{high}"
    return None


@transaction.atomic
def save_vehicle(*, user, vehicle: Vehicle) -> Vehicle:
    if not (user.is_superuser or user.role in EDIT_ROLES):
        raise PermissionDenied
    if vehicle.pk is None:
        if vehicle.store_id is None:
            if user.store_id is None:
                raise ValidationError(_("Your account has no store; ask an administrator."))
            vehicle.store_id = user.store_id
        current = None
    else:
        current = (
            Vehicle.objects.visible_to(user)
            .select_for_update()
            .filter(pk=vehicle.pk)
            .values_list("status", flat=True)
            .first()
        )
        if current is None:
            raise PermissionDenied
    try:
        check_hand_status(current, vehicle.status)
    except ValidationError as exc:
        raise ValidationError({"status": exc}) from exc
    vehicle.vin = normalize_vin(vehicle.vin)
    vehicle._history_user = user
    vehicle._change_reason = REASON_EDITED
    vehicle.save()
    return vehicle
