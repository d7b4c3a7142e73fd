"""Who may read a customer's full phone number (个人信息保护法: least exposure).

The owner and the store's managers see it; everyone else who can see the customer (finance,
marketing, a colleague through the pool) gets ``138****8000`` and may reveal it on purpose,
which is logged and limited per day.
"""

from __future__ import annotations

from django.conf import settings

from .choices import Role
from .phone import mask_phone

__all__ = [
    "can_see_full_phone",
    "display_phone",
    "mask_phone",
    "phone_reveals_per_day",
]

DEFAULT_PHONE_REVEALS_PER_DAY = 20


def phone_reveals_per_day() -> int:
    return int(getattr(settings, "PHONE_REVEALS_PER_DAY", DEFAULT_PHONE_REVEALS_PER_DAY))


def can_see_full_phone(user, customer) -> bool:
    """Owner, a manager of the customer's store, group management or an administrator."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or user.role in Role.group_wide():
        return True
    if customer.owner_id is not None and customer.owner_id == user.pk:
        return True
    return (
        user.role in Role.managers()
        and user.store_id is not None
        and user.store_id == customer.store_id
    )


def display_phone(user, customer, phone: str | None = None) -> str:
    """``phone`` (default: the customer's own) as ``user`` may see it."""
    value = customer.phone if phone is None else phone
    if not value:
        return ""
    return value if can_see_full_phone(user, customer) else mask_phone(value)
