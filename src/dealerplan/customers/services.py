"""Domain rules for customers; views, API and commands all come through here."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from dealerplan.core.choices import Role
from dealerplan.core.phone import normalize_phone
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder

from .choices import IntentionLevel
from .models import Customer, LevelChange, TierPolicy
from .tiers import Thresholds, tier_for

DEFAULT_LOOKBACK_DAYS = 365

EDIT_ROLES = frozenset(
    {
        Role.CONSULTANT,
        Role.SHOWROOM_MANAGER,
        Role.SALES_MANAGER,
        Role.GENERAL_MANAGER,
        Role.MARKETING,
        Role.GROUP_MANAGER,
        Role.ADMIN,
    }
)


def can_edit_customers(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in EDIT_ROLES)


def phone_taken(store_id, phone: str, *, exclude_pk=None) -> bool:
    """A phone is unique within a store, whoever owns the other card."""
    qs = Customer.objects.filter(store_id=store_id, phone=phone)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def record_level_change(customer: Customer, new_level: str, *, user=None, activity=None, at=None):
    """Keep the level history the monthly level report (意向客户级别状况表) is built from."""
    return LevelChange.objects.create(
        customer=customer,
        from_level=customer.intention_level if customer.pk else "",
        to_level=new_level,
        changed_at=at or timezone.now(),
        changed_by=user,
        activity=activity,
    )


@transaction.atomic
def save_customer(*, user, customer: Customer) -> Customer:
    """Create or update a customer on behalf of ``user``.

    A consultant's new customer is theirs; the store comes from the user. After the write the
    row must still be visible to the user (a consultant cannot hand a card to someone else
    through the form), or the whole change is rolled back.
    """
    if not can_edit_customers(user):
        raise PermissionDenied
    if customer.pk is None:
        if customer.store_id is None:
            if user.store_id is None:
                raise ValidationError(_("Your account has no store; ask an administrator."))
            customer.store_id = user.store_id
        if customer.owner_id is None and user.role == Role.CONSULTANT:
            customer.owner = user
    elif not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise PermissionDenied
    customer.phone = normalize_phone(customer.phone)
    if phone_taken(customer.store_id, customer.phone, exclude_pk=customer.pk):
        raise ValidationError(
            {"phone": _("This phone number already belongs to a customer of this store.")},
            code="phone_taken",
        )
    previous_level = (
        Customer.objects.filter(pk=customer.pk).values_list("intention_level", flat=True).first()
        if customer.pk
        else ""
    )
    customer.save()
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise PermissionDenied
    if previous_level != customer.intention_level:
        LevelChange.objects.create(
            customer=customer,
            from_level=previous_level or "",
            to_level=customer.intention_level,
            changed_by=user,
        )
    return customer


def thresholds_for(store_id) -> tuple[Thresholds, int]:
    policy = TierPolicy.objects.filter(store_id=store_id).first()
    if policy is None:
        return Thresholds(), DEFAULT_LOOKBACK_DAYS
    return (
        Thresholds(
            vip=policy.vip_min_amount,
            tier1=policy.tier1_min_amount,
            tier2=policy.tier2_min_amount,
        ),
        policy.lookback_days,
    )


def purchases_by_customer(store_id, *, since: datetime.date, customer_ids=None) -> dict:
    """Order totals per customer since a date, cancelled orders left out."""
    orders = SalesOrder.objects.filter(store_id=store_id, order_date__gte=since).exclude(
        status=OrderStatus.CANCELLED
    )
    if customer_ids is not None:
        orders = orders.filter(customer_id__in=customer_ids)
    return dict(
        orders.values("customer_id")
        .annotate(amount=Sum("total"))
        .values_list("customer_id", "amount")
    )


@transaction.atomic
def recompute_tiers(store, *, today: datetime.date | None = None, customer_ids=None) -> int:
    """Put every customer of the store in the tier their purchases earn; returns changes.

    Tiers set by hand (``tier_overridden``) are kept. Idempotent: a second run changes nothing.
    """
    today = today or timezone.localdate()
    thresholds, lookback_days = thresholds_for(store.pk)
    amounts = purchases_by_customer(
        store.pk, since=today - datetime.timedelta(days=lookback_days), customer_ids=customer_ids
    )
    customers = Customer.objects.filter(store=store, tier_overridden=False)
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    new_tiers = {}
    for customer in customers.only("pk", "account_tier").iterator(chunk_size=2000):
        tier = tier_for(amounts.get(customer.pk), thresholds)
        if tier != customer.account_tier:
            new_tiers[customer.pk] = tier
    # Whole rows for the changed ones only: each change leaves a history row.
    changed = list(Customer.objects.filter(pk__in=new_tiers))
    for customer in changed:
        customer.account_tier = new_tiers[customer.pk]
    bulk_update_with_history(
        changed,
        Customer,
        ["account_tier"],
        batch_size=1000,
        default_change_reason=gettext("Account tier recomputed from purchases"),
    )
    return len(changed)


def follow_up_counts(user, now: datetime.datetime | None = None) -> dict[str, int]:
    """The four counts of the managers' overview: customers, open leads, overdue, due today.

    One pass over the customers the user sees: each count on its own read the whole store's
    rows again. Counting the (never empty) level rather than the id lets
    ``customer_followup_idx`` answer from the index alone.
    """
    now = now or timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    open_lead = Q(intention_level__in=IntentionLevel.open_levels())
    due_today = open_lead & Q(next_follow_up_at__gte=now, next_follow_up_at__lte=end_of_day)
    return (
        Customer.objects.visible_to(user)
        .active()
        .aggregate(
            customer_count=Count("intention_level"),
            open_lead_count=Count("intention_level", filter=open_lead),
            overdue_count=Count("intention_level", filter=open_lead & Q(next_follow_up_at__lt=now)),
            due_today_count=Count("intention_level", filter=due_today),
        )
    )
