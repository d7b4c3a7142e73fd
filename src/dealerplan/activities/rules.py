"""The store's follow-up rules, as the sales manager edits them on one page."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dealerplan.core.choices import Role
from dealerplan.customers.models import TierPolicy
from dealerplan.deals.models import Stage

from .models import ActivityQuota, FollowUpPolicy
from .services import DEFAULT_CALLS_PER_DAY, DEFAULT_VISITS_PER_WEEK

RULE_EDITORS = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN})
#: Roles whose calls and visits are counted against a quota on My Day.
QUOTA_ROLES = (Role.CONSULTANT, Role.SHOWROOM_MANAGER, Role.SALES_MANAGER)


def can_edit_rules(user) -> bool:
    return (
        user.is_authenticated
        and user.store_id is not None
        and (user.is_superuser or user.role in RULE_EDITORS)
    )


def rules_for(store):
    """The store's rule rows; unsaved ones carry the defaults until the manager saves."""
    policy = FollowUpPolicy.objects.filter(store=store).first() or FollowUpPolicy(store=store)
    tiers = TierPolicy.objects.filter(store=store).first() or TierPolicy(store=store)
    existing = {q.role: q for q in ActivityQuota.objects.filter(store=store)}
    quotas = [
        existing.get(role)
        or ActivityQuota(
            store=store,
            role=role,
            calls_per_day=DEFAULT_CALLS_PER_DAY,
            visits_per_week=DEFAULT_VISITS_PER_WEEK,
        )
        for role in QUOTA_ROLES
    ]
    stages = (
        Stage.objects.filter(pipeline__store=store)
        .select_related("pipeline")
        .order_by("pipeline__name", "position")
    )
    return policy, tiers, quotas, stages


@transaction.atomic
def save_rules(user, forms) -> None:
    """Save every form of the rules page together, or none of them."""
    if not can_edit_rules(user):
        raise PermissionDenied
    for form in forms:
        form.save()
