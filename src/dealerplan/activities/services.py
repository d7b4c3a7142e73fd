"""Logging and planning the work with customers: the follow-up engine.

Every activity goes through ``log_activity`` or ``plan_activity`` so the customer's last
contact, next follow-up and level history stay right whichever page, API or command wrote it.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.customers.services import can_edit_customers, record_level_change

from .choices import ActivityKind, ActivityStatus
from .followup import Rhythm, next_follow_up
from .models import Activity, ActivityQuota, DailyLog, FollowUpPolicy
from .reports import daily_activity_report

DEFAULT_CALLS_PER_DAY = 30
DEFAULT_VISITS_PER_WEEK = 20


def rhythm_for_store(store_id) -> Rhythm:
    policy = FollowUpPolicy.objects.filter(store_id=store_id).first()
    if policy is None:
        return Rhythm()
    return Rhythm(
        level_days={
            "H": policy.h_days,
            "A": policy.a_days,
            "B": policy.b_days,
            "C": policy.c_days,
            "O": policy.o_days,
        },
        tier_days={
            "vip": policy.vip_visit_days,
            "tier1": policy.tier1_visit_days,
            "tier2": policy.tier2_visit_days,
        },
    )


@dataclass(frozen=True)
class Quota:
    calls_per_day: int
    visits_per_week: int


def quota_for(user) -> Quota:
    row = ActivityQuota.objects.filter(store_id=user.store_id, role=user.role).first()
    if row is None:
        return Quota(DEFAULT_CALLS_PER_DAY, DEFAULT_VISITS_PER_WEEK)
    return Quota(row.calls_per_day, row.visits_per_week)


def _customer_for(user, customer: Customer) -> Customer:
    """The customer, locked, if ``user`` may work on it; 404-equivalent otherwise."""
    if not can_edit_customers(user):
        raise PermissionDenied
    locked = Customer.objects.visible_to(user).select_for_update().filter(pk=customer.pk).first()
    if locked is None:
        raise PermissionDenied
    return locked


@transaction.atomic
def log_activity(
    *,
    user,
    customer: Customer,
    kind: str,
    outcome: str = "",
    notes: str = "",
    next_step: str = "",
    done_at: datetime.datetime | None = None,
    new_level: str | None = None,
    next_follow_up_at: datetime.datetime | None = None,
    is_important: bool = False,
    planned: Activity | None = None,
) -> Activity:
    """Record a contact that happened; move the customer's dates and level accordingly.

    The next follow-up is the consultant's pick when given, else the store's rule for the
    (possibly new) level and tier. Marking a lead lost (F) needs a manager's approval and is
    not done here. A note (``ActivityKind.NOTE``) is not a contact: it leaves the last contact
    alone and moves the next follow-up only to a date given.
    """
    return record_activity(
        owner=user,
        customer=_customer_for(user, customer),
        kind=kind,
        outcome=outcome,
        notes=notes,
        next_step=next_step,
        done_at=done_at,
        new_level=new_level,
        next_follow_up_at=next_follow_up_at,
        is_important=is_important,
        planned=planned,
    )


@transaction.atomic
def record_activity(
    *,
    owner,
    customer: Customer,
    kind: str,
    outcome: str = "",
    notes: str = "",
    next_step: str = "",
    done_at: datetime.datetime | None = None,
    new_level: str | None = None,
    next_follow_up_at: datetime.datetime | None = None,
    is_important: bool = False,
    planned: Activity | None = None,
) -> Activity:
    """``log_activity`` without the check that ``owner`` may work on the customer.

    For a service that has already decided the contact is recorded, such as a walk-in matched
    to a card by phone while its consultant is not the card's owner. ``customer`` should come
    locked (``select_for_update``).
    """
    now = timezone.now()
    done_at = done_at or now
    if done_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"done_at": _("A contact that is logged cannot be in the future.")})
    if new_level == IntentionLevel.F:
        raise ValidationError(
            {"new_level": _("A lost lead (F) needs a manager's approval; request it instead.")}
        )
    if next_follow_up_at is not None and next_follow_up_at <= done_at:
        raise ValidationError(
            {"next_follow_up_at": _("The next follow-up must be after this contact.")}
        )

    if planned is not None:
        if planned.customer_id != customer.pk or planned.status != ActivityStatus.PLANNED:
            raise ValidationError(_("That planned activity is not open for this customer."))
        activity = planned
    else:
        activity = Activity(store_id=customer.store_id, customer=customer, owner=owner)
    activity.kind = kind
    activity.status = ActivityStatus.DONE
    activity.done_at = done_at
    activity.outcome = outcome
    activity.notes = notes
    activity.next_step = next_step
    activity.is_important = is_important
    activity.full_clean(exclude=["store", "customer", "owner"])
    activity.save()

    if new_level and new_level != customer.intention_level:
        record_level_change(customer, new_level, user=owner, activity=activity, at=done_at)
        customer.intention_level = new_level
    if kind in ActivityKind.contacts():
        if customer.last_contact_at is None or done_at >= customer.last_contact_at:
            customer.last_contact_at = done_at
        customer.next_follow_up_at = next_follow_up_at or next_follow_up(
            level=customer.intention_level,
            tier=customer.account_tier,
            contacted_at=done_at,
            rhythm=rhythm_for_store(customer.store_id),
        )
    elif next_follow_up_at is not None:
        customer.next_follow_up_at = next_follow_up_at
    customer.save(
        update_fields=["intention_level", "last_contact_at", "next_follow_up_at", "updated_at"]
    )
    return activity


@transaction.atomic
def plan_activity(
    *,
    user,
    customer: Customer,
    kind: str,
    planned_at: datetime.datetime,
    notes: str = "",
    location: str = "",
    is_important: bool = False,
) -> Activity:
    """Put a call or visit in the diary; it shows on My Day and in the calendar."""
    customer = _customer_for(user, customer)
    if planned_at < timezone.now() - datetime.timedelta(minutes=5):
        raise ValidationError({"planned_at": _("A planned activity must be in the future.")})
    if kind not in ActivityKind.values:
        raise ValidationError({"kind": _("Choose a type of activity.")})
    activity = Activity.objects.create(
        store_id=customer.store_id,
        customer=customer,
        owner=user,
        kind=kind,
        status=ActivityStatus.PLANNED,
        planned_at=planned_at,
        notes=notes,
        location=location,
        is_important=is_important,
    )
    return activity


def daily_log_draft(user, day: datetime.date) -> dict:
    """A starting text for the day's log: the day's numbers and the open important items."""
    rows = [row for row in daily_activity_report(user, day) if row.consultant.pk == user.pk]
    row = rows[0] if rows else None
    summary = ""
    if row is not None:
        summary = _(
            "Calls %(calls)s, visits %(visits)s, receptions %(receptions)s, "
            "test drives %(test_drives)s, new cards %(new_cards)s, orders %(orders)s."
        ) % {
            name: getattr(row, name)
            for name in ("calls", "visits", "receptions", "test_drives", "new_cards", "orders")
        }
    open_items = "\n".join(
        f"- {activity.customer.name}: {activity.notes or activity.get_kind_display()}"
        for activity in Activity.objects.visible_to(user)
        .filter(owner=user, status=ActivityStatus.PLANNED, is_important=True)
        .select_related("customer")
        .order_by("planned_at")[:20]
    )
    return {"summary": str(summary), "open_items": open_items}


@transaction.atomic
def submit_daily_log(
    *, user, day: datetime.date, summary: str, open_items: str = "", tomorrow: str = ""
) -> DailyLog:
    """File (or correct) the user's log for a day; only today's or yesterday's."""
    if user.store_id is None:
        raise PermissionDenied
    today = timezone.localdate()
    if day not in (today, today - datetime.timedelta(days=1)):
        raise ValidationError({"date": _("A work log can be filed for today or yesterday only.")})
    if not summary.strip():
        raise ValidationError({"summary": _("Write what you did today.")})
    log, _created = DailyLog.objects.update_or_create(
        owner=user,
        date=day,
        defaults={
            "store_id": user.store_id,
            "summary": summary.strip(),
            "open_items": open_items.strip(),
            "tomorrow": tomorrow.strip(),
            "submitted_at": timezone.now(),
        },
    )
    return log
