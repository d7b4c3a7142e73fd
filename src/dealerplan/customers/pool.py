"""公海 (the store's public pool): unattended and lost leads return to it; consultants claim them.

Every move is a ``CustomerAssignment`` row, so the customer page shows who held the lead when.
A customer in the pool has no owner and a ``pool_since`` time.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityStatus, LostStatus
from dealerplan.activities.models import Activity, LostRequest
from dealerplan.core.choices import Role
from dealerplan.org.models import User

from .choices import IntentionLevel
from .models import AssignmentKind, Customer, CustomerAssignment, PoolRule

#: Who works leads and so may see and claim from the pool.
POOL_ROLES = frozenset(Role.managers() | {Role.CONSULTANT})
#: Who may hand pool leads to a consultant and edit the pool rules.
ASSIGN_ROLES = frozenset(
    {
        Role.SHOWROOM_MANAGER,
        Role.SALES_MANAGER,
        Role.GENERAL_MANAGER,
        Role.GROUP_MANAGER,
        Role.ADMIN,
    }
)
RULE_EDITORS = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN})
#: Who may receive leads: the people who sell.
RECEIVER_ROLES = frozenset({Role.CONSULTANT, Role.SHOWROOM_MANAGER, Role.SALES_MANAGER})


def can_use_pool(user) -> bool:
    return (
        user.is_authenticated and user.is_active and (user.is_superuser or user.role in POOL_ROLES)
    )


def can_assign(user) -> bool:
    return can_use_pool(user) and (user.is_superuser or user.role in ASSIGN_ROLES)


def can_edit_pool_rules(user) -> bool:
    return (
        user.is_authenticated
        and user.store_id is not None
        and (user.is_superuser or user.role in RULE_EDITORS)
    )


def rule_for(store) -> PoolRule:
    """The store's rules; an unsaved row with the defaults until the manager saves."""
    store_id = getattr(store, "pk", store)
    return PoolRule.objects.filter(store_id=store_id).first() or PoolRule(store_id=store_id)


def pool_queryset(user):
    """The pool customers ``user`` may see: their own store's (every store's for group users).

    Not ``visible_to``: that shows a consultant only their own customers, and pool customers
    have no owner. This is the only way into the pool.
    """
    if not can_use_pool(user):
        return Customer.objects.none()
    qs = Customer.objects.filter(owner__isnull=True, pool_since__isnull=False, is_archived=False)
    if user.sees_all_stores:
        return qs
    if user.store_id is None:
        return Customer.objects.none()
    return qs.filter(store_id=user.store_id)


def receivers_for(user, store_id):
    """Active colleagues of a store who may take leads."""
    return User.objects.visible_to(user).filter(
        store_id=store_id, is_active=True, role__in=RECEIVER_ROLES
    )


def _held_since():
    """When the current owner's clock started: the later of last contact and taking the lead."""
    return Greatest(
        Coalesce("last_contact_at", "created_at"),
        Coalesce("assigned_at", "created_at"),
        output_field=DateTimeField(),
    )


def _cancel_planned(customer, user_id):
    """The leaving owner's planned calls and visits for the customer would only mislead them."""
    if user_id is None:
        return 0
    return Activity.objects.filter(
        customer=customer, owner_id=user_id, status=ActivityStatus.PLANNED
    ).update(status=ActivityStatus.CANCELLED, updated_at=timezone.now())


def _to_pool(customer: Customer, *, kind: str, reason: str, by, now) -> CustomerAssignment:
    previous = customer.owner_id
    customer.owner = None
    customer.pool_since = now
    customer.assigned_at = None
    customer.next_follow_up_at = None
    customer.save(
        update_fields=["owner", "pool_since", "assigned_at", "next_follow_up_at", "updated_at"]
    )
    _cancel_planned(customer, previous)
    return CustomerAssignment.objects.create(
        customer=customer,
        from_user_id=previous,
        to_user=None,
        kind=kind,
        reason=reason,
        by=by,
        at=now,
    )


def _give(customer: Customer, to_user, *, kind: str, reason: str, by, now):
    previous = customer.owner_id
    customer.owner = to_user
    customer.pool_since = None
    customer.assigned_at = now
    customer.save(update_fields=["owner", "pool_since", "assigned_at", "updated_at"])
    return CustomerAssignment.objects.create(
        customer=customer,
        from_user_id=previous,
        to_user=to_user,
        kind=kind,
        reason=reason,
        by=by,
        at=now,
    )


def stale_customers(store, now=None):
    """Owned open leads past their level's limit, and approved lost leads, of one store."""
    now = now or timezone.now()
    rule = rule_for(store)
    owned = Customer.objects.filter(store=store, owner__isnull=False, is_archived=False)
    limits = rule.days_by_level()
    stale = Q(pk__in=[])
    if limits:
        cutoff = Case(
            *[
                When(intention_level=level, then=Value(now - datetime.timedelta(days=days)))
                for level, days in limits.items()
            ],
            output_field=DateTimeField(),
        )
        stale |= Q(intention_level__in=list(limits), held_since__lte=cutoff)
    if rule.recycle_lost:
        # Lost after the current owner took it: a lost lead claimed again is not recycled at once.
        approved_since_held = LostRequest.objects.filter(
            customer=OuterRef("pk"),
            status=LostStatus.APPROVED,
            decided_at__gte=Coalesce(OuterRef("assigned_at"), OuterRef("created_at")),
        )
        stale |= Q(intention_level=IntentionLevel.F) & Exists(approved_since_held)
    return owned.alias(held_since=_held_since()).filter(stale)


@transaction.atomic
def recycle_stale(store, now=None) -> int:
    """Return unattended and approved-lost leads to the pool; returns how many moved.

    Idempotent: a customer once in the pool has no owner, so a second run finds nothing.
    """
    now = now or timezone.now()
    rule = rule_for(store)
    limits = rule.days_by_level()
    moved = 0
    candidates = stale_customers(store, now).select_for_update().order_by("pk")
    for customer in candidates:
        if customer.intention_level == IntentionLevel.F:
            reason = _("Lost request approved")
        else:
            reason = _("No follow-up for %(days)s days (level %(level)s)") % {
                "days": limits[customer.intention_level],
                "level": customer.intention_level,
            }
        _to_pool(customer, kind=AssignmentKind.RECYCLED, reason=reason, by=None, now=now)
        moved += 1
    return moved


def open_lead_count(user) -> int:
    return Customer.objects.filter(
        owner=user, is_archived=False, intention_level__in=IntentionLevel.open_levels()
    ).count()


def cooling_off_until(user, customer, rule: PoolRule, now):
    """Until when ``user`` may not take back a lead they let go; ``None`` if they may."""
    if not rule.cooling_off_days:
        return None
    last_out = (
        CustomerAssignment.objects.filter(customer=customer, kind__in=AssignmentKind.into_pool())
        .order_by("-at", "-pk")
        .first()
    )
    if last_out is None or last_out.from_user_id != user.pk:
        return None
    until = last_out.at + datetime.timedelta(days=rule.cooling_off_days)
    return until if until > now else None


def _locked_pool_customer(user, customer_id) -> Customer:
    customer = pool_queryset(user).select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError(
            _("This customer is no longer in the public pool."), code="not_in_pool"
        )
    return customer


@transaction.atomic
def claim(user, customer, now=None) -> CustomerAssignment:
    """Take a pool lead. The row lock makes a second, simultaneous claim fail cleanly."""
    now = now or timezone.now()
    if not can_use_pool(user) or user.store_id is None:
        raise PermissionDenied
    # The user's own row is locked too, so two claims by one user cannot pass the limit together.
    User.objects.select_for_update().filter(pk=user.pk).first()
    customer = _locked_pool_customer(user, customer.pk)
    if customer.store_id != user.store_id:
        raise PermissionDenied
    rule = rule_for(customer.store_id)
    held = open_lead_count(user)
    if held >= rule.claim_limit:
        raise ValidationError(
            _("You already hold %(held)s open leads; the limit is %(limit)s.")
            % {"held": held, "limit": rule.claim_limit},
            code="claim_limit",
        )
    until = cooling_off_until(user, customer, rule, now)
    if until is not None:
        raise ValidationError(
            _("You let this lead go recently; you may claim it again from %(date)s.")
            % {"date": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")},
            code="cooling_off",
        )
    return _give(customer, user, kind=AssignmentKind.CLAIMED, reason="", by=user, now=now)


@transaction.atomic
def release(user, customer, reason: str, now=None) -> CustomerAssignment:
    """Give a lead back to the pool; the reason is required, so the next owner knows why."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the lead goes back to the pool.")})
    locked = Customer.objects.visible_to(user).select_for_update().filter(pk=customer.pk).first()
    if locked is None or not can_use_pool(user):
        raise PermissionDenied
    if locked.owner_id is None:
        raise ValidationError(_("This customer is already in the public pool."), code="in_pool")
    if locked.owner_id != user.pk and not can_assign(user):
        raise PermissionDenied
    return _to_pool(locked, kind=AssignmentKind.RELEASED, reason=reason[:200], by=user, now=now)


@dataclass
class AssignResult:
    assigned: int
    skipped: int


@transaction.atomic
def assign(manager, customers, to_user, reason: str = "", now=None) -> AssignResult:
    """A manager hands pool leads to a consultant of the same store (no claim limit applies)."""
    now = now or timezone.now()
    if not can_assign(manager):
        raise PermissionDenied
    ids = [getattr(c, "pk", c) for c in customers]
    if not ids:
        raise ValidationError(_("Choose at least one customer."))
    locked = list(pool_queryset(manager).select_for_update().filter(pk__in=ids).order_by("pk"))
    for customer in locked:
        if not receivers_for(manager, customer.store_id).filter(pk=to_user.pk).exists():
            raise ValidationError(
                {"to_user": _("Choose an active consultant of the customer's store.")}
            )
        _give(
            customer,
            to_user,
            kind=AssignmentKind.ASSIGNED,
            reason=reason.strip()[:200],
            by=manager,
            now=now,
        )
    return AssignResult(assigned=len(locked), skipped=len(set(ids)) - len(locked))


def annotate_pool(qs):
    """Days in the pool and the last owner, in the list's one query."""
    last_out = CustomerAssignment.objects.filter(
        customer=OuterRef("pk"), kind__in=AssignmentKind.into_pool()
    ).order_by("-at", "-pk")
    return qs.annotate(
        last_owner_last=Subquery(last_out.values("from_user__last_name")[:1]),
        last_owner_first=Subquery(last_out.values("from_user__first_name")[:1]),
        last_owner_username=Subquery(last_out.values("from_user__username")[:1]),
        pool_reason=Subquery(last_out.values("reason")[:1]),
    )
