"""战败 (lost leads): the consultant requests, a manager approves or returns, the month is analysed.

Approval moves the customer to level F, records the level change and clears the follow-up
date; returning leaves the lead with the consultant. Both sides get an in-app notification.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.core.choices import Role
from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.customers.services import can_edit_customers, record_level_change
from dealerplan.org.models import User

from .choices import LostReason, LostStatus
from .models import LostRequest, Notification, NotificationKind

APPROVER_ROLES = frozenset(
    {Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN}
)
LOSABLE_LEVELS = ("H", "A", "B", "C")


def can_approve(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in APPROVER_ROLES)


def _notify(users, *, store_id, title: str, url: str):
    Notification.objects.bulk_create(
        Notification(
            user=user, store_id=store_id, kind=NotificationKind.MESSAGE, title=title, url=url
        )
        for user in users
    )


@transaction.atomic
def request_lost(*, user, customer: Customer, reason: str, competitor=None, notes: str = ""):
    if not can_edit_customers(user):
        raise PermissionDenied
    customer = Customer.objects.visible_to(user).select_for_update().filter(pk=customer.pk).first()
    if customer is None:
        raise PermissionDenied
    if customer.intention_level not in LOSABLE_LEVELS:
        raise ValidationError(_("Only an open lead (H, A, B or C) can be marked lost."))
    if reason == "competitor" and competitor is None:
        raise ValidationError({"competitor": _("Say which competitor model the customer bought.")})
    try:
        with transaction.atomic():
            request = LostRequest.objects.create(
                store_id=customer.store_id,
                customer=customer,
                requested_by=user,
                reason=reason,
                competitor=competitor,
                notes=notes,
                previous_level=customer.intention_level,
            )
    except IntegrityError as exc:
        raise ValidationError(_("A lost request for this customer is already waiting.")) from exc
    approvers = User.objects.filter(
        store_id=customer.store_id, is_active=True, role__in=APPROVER_ROLES
    ).exclude(pk=user.pk)
    _notify(
        approvers,
        store_id=customer.store_id,
        title=_("Lost request: %(customer)s (%(name)s)")
        % {"customer": customer.name, "name": user.display_name},
        url=reverse("activities:lost_list"),
    )
    return request


def _pending_for(manager, request_id) -> LostRequest:
    if not can_approve(manager):
        raise PermissionDenied
    request = (
        LostRequest.objects.visible_to(manager)
        .select_for_update()
        .filter(pk=request_id)
        .select_related("customer")
        .first()
    )
    if request is None:
        raise PermissionDenied
    if request.status != LostStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return request


@transaction.atomic
def approve_lost(*, manager, request_id: int, note: str = "") -> LostRequest:
    request = _pending_for(manager, request_id)
    now = timezone.now()
    customer = request.customer
    record_level_change(customer, IntentionLevel.F, user=manager, at=now)
    customer.intention_level = IntentionLevel.F
    customer.next_follow_up_at = None
    customer.save(update_fields=["intention_level", "next_follow_up_at", "updated_at"])
    request.status, request.decided_by, request.decided_at = LostStatus.APPROVED, manager, now
    request.decision_note = note
    request.save()
    _notify(
        [request.requested_by],
        store_id=request.store_id,
        title=_("Lost approved: %(customer)s") % {"customer": customer.name},
        url=customer.get_absolute_url(),
    )
    return request


@transaction.atomic
def return_lost(*, manager, request_id: int, note: str) -> LostRequest:
    if not note.strip():
        raise ValidationError({"decision_note": _("Tell the consultant why it goes back.")})
    request = _pending_for(manager, request_id)
    request.status, request.decided_by = LostStatus.RETURNED, manager
    request.decided_at, request.decision_note = timezone.now(), note.strip()
    request.save()
    _notify(
        [request.requested_by],
        store_id=request.store_id,
        title=_("Lost request returned: %(customer)s: %(note)s")
        % {"customer": request.customer.name, "note": request.decision_note},
        url=request.customer.get_absolute_url(),
    )
    return request


@dataclass
class LostAnalysis:
    total: int
    by_reason: list[tuple[str, int]]
    by_competitor: list[tuple[str, int]]
    by_model: list[tuple[str, int]]
    by_consultant: list[tuple[str, int]]


def lost_analysis(user, month: datetime.date) -> LostAnalysis:
    """Approved losses of a month by reason, competitor bought, our model and consultant."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(month.replace(day=1), datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1),
        datetime.time.min,
        tzinfo=tz,
    )
    approved = LostRequest.objects.visible_to(user).filter(
        status=LostStatus.APPROVED, decided_at__gte=start, decided_at__lt=end
    )
    if user.sees_only_own:
        approved = approved.filter(requested_by=user)

    def grouped(*fields) -> Counter:
        return Counter(
            {
                tuple(row[f] for f in fields): row["n"]
                for row in approved.values(*fields).annotate(n=Count("pk"))
            }
        )

    labels = dict(LostReason.choices)
    reasons = grouped("reason")
    competitors = grouped("competitor__brand__name", "competitor__name")
    models_ = grouped("customer__intended_trim__series__name")
    people = grouped(
        "requested_by__last_name", "requested_by__first_name", "requested_by__username"
    )
    unknown = _("Not recorded")
    return LostAnalysis(
        total=sum(reasons.values()),
        by_reason=[(str(labels.get(k[0], k[0])), n) for k, n in reasons.most_common()],
        by_competitor=[
            (f"{k[0]} {k[1]}" if k[1] else unknown, n) for k, n in competitors.most_common()
        ],
        by_model=[(k[0] or unknown, n) for k, n in models_.most_common()],
        by_consultant=[(f"{k[0]}{k[1]}".strip() or k[2], n) for k, n in people.most_common()],
    )
