"""Domain rules for vehicles in stock."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.core.vin import normalize_vin

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
    elif not Vehicle.objects.visible_to(user).filter(pk=vehicle.pk).exists():
        raise PermissionDenied
    vehicle.vin = normalize_vin(vehicle.vin)
    vehicle.save()
    return vehicle
