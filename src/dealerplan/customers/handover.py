"""Transfers and departure handovers (离职交接): a consultant's book moves to colleagues at once.

A customer goes to one receiver, and the consultant's open deals, planned activities and open
orders of that customer follow it, so nobody inherits half a customer. Records of the
consultant on customers outside the move (a deal on someone else's customer) are split too
when the whole book moves. Everything happens in one transaction and each customer gets a
``CustomerAssignment`` row.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from dealerplan.activities.choices import ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.core.choices import Role
from dealerplan.deals.choices import DealStatus
from dealerplan.deals.models import Deal
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder
from dealerplan.org.models import User

from .models import AssignmentKind, Customer, CustomerAssignment
from .pool import RECEIVER_ROLES

HANDOVER_ROLES = frozenset(
    {Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN}
)
CLOSED_ORDER_STATUSES = (OrderStatus.DELIVERED, OrderStatus.CANCELLED)


def can_hand_over(user) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in HANDOVER_ROLES)
    )


def staff_for(manager):
    """The people a manager may hand over from: their store's (every store's for group users)."""
    if not can_hand_over(manager):
        return User.objects.none()
    return User.objects.visible_to(manager).filter(store__isnull=False)


def open_deals(user):
    return Deal.objects.filter(owner=user, status=DealStatus.OPEN)


def planned_activities(user):
    return Activity.objects.filter(owner=user, status=ActivityStatus.PLANNED)


def open_orders(user):
    return SalesOrder.objects.filter(consultant=user).exclude(status__in=CLOSED_ORDER_STATUSES)


def owned_customers(user):
    """Every customer the user owns, archived ones too: nothing may stay with a leaver."""
    return Customer.objects.filter(owner=user)


@dataclass
class OpenRecords:
    customers: int
    deals: int
    activities: int
    orders: int

    @property
    def total(self) -> int:
        return self.customers + self.deals + self.activities + self.orders


def open_records(user) -> OpenRecords:
    return OpenRecords(
        customers=owned_customers(user).count(),
        deals=open_deals(user).count(),
        activities=planned_activities(user).count(),
        orders=open_orders(user).count(),
    )


@dataclass
class ReceiverLine:
    user: User
    customers: int = 0
    deals: int = 0
    activities: int = 0
    orders: int = 0
    order_total: Decimal = Decimal("0.00")


@dataclass
class HandoverPlan:
    from_user: User
    kind: str
    receivers: list[User]
    #: customer id → receiver id
    customer_to: dict[int, int] = field(default_factory=dict)
    deal_to: dict[int, int] = field(default_factory=dict)
    activity_to: dict[int, int] = field(default_factory=dict)
    order_to: dict[int, int] = field(default_factory=dict)
    lines: list[ReceiverLine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.customer_to or self.deal_to or self.activity_to or self.order_to)

    def totals(self) -> ReceiverLine:
        total = ReceiverLine(user=None)
        for line in self.lines:
            total.customers += line.customers
            total.deals += line.deals
            total.activities += line.activities
            total.orders += line.orders
            total.order_total += line.order_total
        return total


def _check_people(manager, from_user, receivers):
    if not can_hand_over(manager):
        raise PermissionDenied
    if not staff_for(manager).filter(pk=from_user.pk).exists():
        raise PermissionDenied
    if not receivers:
        raise ValidationError({"receivers": _("Choose at least one colleague to receive.")})
    ids = [r.pk for r in receivers]
    if from_user.pk in ids:
        raise ValidationError({"receivers": _("A consultant cannot hand over to themselves.")})
    valid = set(
        User.objects.filter(
            pk__in=ids, store_id=from_user.store_id, is_active=True, role__in=RECEIVER_ROLES
        ).values_list("pk", flat=True)
    )
    if valid != set(ids):
        raise ValidationError(
            {"receivers": _("Receivers must be active sales staff of the same store.")}
        )


def build_plan(
    manager,
    from_user,
    receivers,
    *,
    customer_ids=None,
    manual=None,
    lock: bool = False,
) -> HandoverPlan:
    """Who gets what. ``customer_ids=None`` moves the whole book (a departure handover).

    Customers go round-robin over ``receivers`` in id order (deterministic), except those
    ``manual`` (customer id → receiver id) sends to someone by hand.
    """
    receivers = sorted({r.pk: r for r in receivers}.values(), key=lambda r: r.pk)
    _check_people(manager, from_user, receivers)
    manual = {int(k): int(v) for k, v in (manual or {}).items()}
    receiver_ids = [r.pk for r in receivers]
    if any(v not in receiver_ids for v in manual.values()):
        raise ValidationError({"receivers": _("Each customer must go to one of the receivers.")})
    whole_book = customer_ids is None
    customers = owned_customers(from_user)
    if not whole_book:
        ids = {int(i) for i in customer_ids}
        if not ids:
            raise ValidationError(_("Choose at least one customer."))
        customers = customers.filter(pk__in=ids)
    if lock:
        customers = customers.select_for_update()
    customer_ids_sorted = list(customers.order_by("pk").values_list("pk", flat=True))
    if not whole_book and len(customer_ids_sorted) != len(ids):
        raise ValidationError(
            _("Some of the chosen customers no longer belong to %(name)s; reload the page.")
            % {"name": from_user.display_name}
        )
    plan = HandoverPlan(
        from_user=from_user,
        kind=AssignmentKind.HANDOVER if whole_book else AssignmentKind.TRANSFERRED,
        receivers=receivers,
    )
    automatic = [pk for pk in customer_ids_sorted if pk not in manual]
    for index, pk in enumerate(automatic):
        plan.customer_to[pk] = receiver_ids[index % len(receiver_ids)]
    for pk in customer_ids_sorted:
        if pk in manual:
            plan.customer_to[pk] = manual[pk]

    # The consultant's open records follow their customer; on a whole-book move the rest
    # (records on customers the consultant does not own) are split by customer too.
    deals, activities = open_deals(from_user), planned_activities(from_user)
    orders = open_orders(from_user)
    if not whole_book:
        deals = deals.filter(customer_id__in=customer_ids_sorted)
        activities = activities.filter(customer_id__in=customer_ids_sorted)
        orders = orders.filter(customer_id__in=customer_ids_sorted)
    if lock:
        deals, activities = deals.select_for_update(), activities.select_for_update()
        orders = orders.select_for_update()
    deal_rows = list(deals.order_by("pk").values_list("pk", "customer_id"))
    activity_rows = list(activities.order_by("pk").values_list("pk", "customer_id"))
    order_rows = list(orders.order_by("pk").values_list("pk", "customer_id", "total"))
    others = sorted(
        {c for _pk, c, *_rest in (*deal_rows, *activity_rows, *order_rows)} - set(plan.customer_to)
    )
    extra = {c: receiver_ids[i % len(receiver_ids)] for i, c in enumerate(others)}

    def receiver_of(customer_id):
        return plan.customer_to.get(customer_id) or extra[customer_id]

    plan.deal_to = {pk: receiver_of(c) for pk, c in deal_rows}
    plan.activity_to = {pk: receiver_of(c) for pk, c in activity_rows}
    plan.order_to = {pk: receiver_of(c) for pk, c, _total in order_rows}

    lines = {r.pk: ReceiverLine(user=r) for r in receivers}
    for receiver in plan.customer_to.values():
        lines[receiver].customers += 1
    for receiver in plan.deal_to.values():
        lines[receiver].deals += 1
    for receiver in plan.activity_to.values():
        lines[receiver].activities += 1
    for pk, _customer_id, total in order_rows:
        line = lines[plan.order_to[pk]]
        line.orders += 1
        line.order_total += total
    plan.lines = [lines[pk] for pk in receiver_ids]
    return plan


def _move(model, mapping: dict[int, int], field_name: str, *, manager, reason: str, now):
    if not mapping:
        return
    rows = list(model.objects.filter(pk__in=mapping).order_by("pk"))
    for row in rows:
        setattr(row, f"{field_name}_id", mapping[row.pk])
        row.updated_at = now
    bulk_update_with_history(
        rows,
        model,
        [field_name, "updated_at"],
        batch_size=500,
        default_user=manager,
        default_change_reason=reason,
    )


@transaction.atomic
def execute(
    manager,
    from_user,
    receivers,
    *,
    customer_ids=None,
    manual=None,
    reason: str = "",
    now=None,
) -> HandoverPlan:
    """Carry out the move (the plan is built again under row locks) and return what moved."""
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=from_user.pk).first()
    plan = build_plan(
        manager, from_user, receivers, customer_ids=customer_ids, manual=manual, lock=True
    )
    if plan.is_empty:
        raise ValidationError(
            _("%(name)s has nothing left to hand over.") % {"name": from_user.display_name}
        )
    reason = (reason or "").strip()[:200] or (
        _("Departure handover") if plan.kind == AssignmentKind.HANDOVER else _("Transfer")
    )
    customers = list(Customer.objects.filter(pk__in=plan.customer_to).order_by("pk"))
    for customer in customers:
        customer.owner_id = plan.customer_to[customer.pk]
        customer.assigned_at = now
        customer.pool_since = None
        customer.updated_at = now
    bulk_update_with_history(
        customers,
        Customer,
        ["owner", "assigned_at", "pool_since", "updated_at"],
        batch_size=500,
        default_user=manager,
        default_change_reason=reason,
    )
    CustomerAssignment.objects.bulk_create(
        [
            CustomerAssignment(
                customer=customer,
                from_user=from_user,
                to_user_id=plan.customer_to[customer.pk],
                kind=plan.kind,
                reason=reason,
                by=manager,
                at=now,
            )
            for customer in customers
        ],
        batch_size=500,
    )
    _move(Deal, plan.deal_to, "owner", manager=manager, reason=reason, now=now)
    _move(Activity, plan.activity_to, "owner", manager=manager, reason=reason, now=now)
    _move(SalesOrder, plan.order_to, "consultant", manager=manager, reason=reason, now=now)
    return plan


@transaction.atomic
def deactivate(manager, user) -> None:
    """Switch a leaver's account off; refused while they still own open records."""
    if not can_hand_over(manager):
        raise PermissionDenied
    locked = staff_for(manager).select_for_update().filter(pk=user.pk).first()
    if locked is None:
        raise PermissionDenied
    if locked.pk == manager.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not locked.is_active:
        raise ValidationError(_("This account is already inactive."))
    left = open_records(locked)
    if left.total:
        raise ValidationError(
            _(
                "%(name)s still owns %(customers)s customers, %(deals)s open deals, "
                "%(activities)s planned activities and %(orders)s open orders. "
                "Hand them over first."
            )
            % {
                "name": locked.display_name,
                "customers": left.customers,
                "deals": left.deals,
                "activities": left.activities,
                "orders": left.orders,
            },
            code="still_owns",
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
