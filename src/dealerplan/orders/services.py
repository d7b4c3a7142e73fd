"""The order's life: allocate a vehicle, take payments, invoice, deliver or cancel.

Each step is one transaction that checks the user may act, so a page, the API and a command
behave alike. A VIN is on at most one active order: the vehicle row is locked while it is
allocated, and a database constraint backs it up, so the loser of a race gets a clear message.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.customers.services import record_level_change
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle

from .choices import LoanStatus, OrderStatus, PaymentKind
from .models import Payment, SalesOrder

FEN = Decimal("0.01")
ALLOCATABLE = (VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT, VehicleStatus.ORDERED)
PAYMENT_ROLES = frozenset(
    {Role.FINANCE, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN}
)
CANCEL_ROLES = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN})


def _locked_order(user, order: SalesOrder) -> SalesOrder:
    locked = SalesOrder.objects.visible_to(user).select_for_update().filter(pk=order.pk).first()
    if locked is None:
        raise PermissionDenied
    return locked


def paid_amount(order: SalesOrder) -> Decimal:
    """Money in for the order, refunds taken off."""
    sums = order.payments.aggregate(
        received=Sum("amount", filter=~Q(kind=PaymentKind.REFUND)),
        refunded=Sum("amount", filter=Q(kind=PaymentKind.REFUND)),
    )
    paid = (sums["received"] or Decimal("0")) - (sums["refunded"] or Decimal("0"))
    return paid.quantize(FEN)


def receivable(order: SalesOrder) -> Decimal:
    return (order.total - paid_amount(order)).quantize(FEN)


@transaction.atomic
def allocate_vehicle(*, user, order: SalesOrder, vehicle: Vehicle) -> SalesOrder:
    order = _locked_order(user, order)
    if order.status not in (OrderStatus.DRAFT, OrderStatus.CONFIRMED):
        raise ValidationError(_("Only a draft or confirmed order can get a vehicle."))
    if order.vehicle_id is not None:
        raise ValidationError(
            _("This order already has a vehicle; cancel it or ask a manager to change it."),
            code="order_has_vehicle",
        )
    locked = Vehicle.objects.visible_to(user).select_for_update().filter(pk=vehicle.pk).first()
    if locked is None or locked.store_id != order.store_id:
        raise ValidationError(_("This vehicle is not in your store's stock."))
    if (
        locked.status not in ALLOCATABLE
        or SalesOrder.objects.filter(vehicle=locked).exclude(status=OrderStatus.CANCELLED).exists()
    ):
        raise ValidationError(
            _("Vehicle %(vin)s is already allocated to another order.") % {"vin": locked.vin},
            code="vin_taken",
        )
    if locked.trim_id != order.trim_id:
        raise ValidationError(_("This vehicle is a different trim from the order."))
    order.vehicle, order.status = locked, OrderStatus.ALLOCATED
    try:
        with transaction.atomic():
            order.save(update_fields=["vehicle", "status", "updated_at"])
    except IntegrityError as exc:  # the constraint, should two stores' rows ever race
        raise ValidationError(
            _("Vehicle %(vin)s is already allocated to another order.") % {"vin": locked.vin},
            code="vin_taken",
        ) from exc
    locked.status = VehicleStatus.RESERVED
    locked.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def receive_payment(
    *,
    user,
    order: SalesOrder,
    kind: str,
    method: str,
    amount: Decimal,
    received_on: datetime.date,
    reference: str = "",
) -> Payment:
    if not (user.is_superuser or user.role in PAYMENT_ROLES):
        raise PermissionDenied
    order = _locked_order(user, order)
    if order.status == OrderStatus.CANCELLED and kind != PaymentKind.REFUND:
        raise ValidationError(_("A cancelled order takes refunds only."))
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Enter an amount above zero, to the fen.")})
    if kind == PaymentKind.REFUND and amount > paid_amount(order):
        raise ValidationError({"amount": _("A refund cannot exceed what was paid.")})
    payment = Payment.objects.create(
        order=order,
        kind=kind,
        method=method,
        amount=amount,
        received_on=received_on,
        reference=reference,
    )
    if order.status == OrderStatus.DRAFT and kind != PaymentKind.REFUND:
        order.status = OrderStatus.CONFIRMED
        order.save(update_fields=["status", "updated_at"])
    return payment


@transaction.atomic
def record_invoice(
    *, user, order: SalesOrder, number: str, date: datetime.date, amount: Decimal
) -> SalesOrder:
    order = _locked_order(user, order)
    if not number.strip():
        raise ValidationError({"invoice_number": _("Enter the invoice number.")})
    order.invoice_number, order.invoice_date, order.invoice_amount = number.strip(), date, amount
    order.save(update_fields=["invoice_number", "invoice_date", "invoice_amount", "updated_at"])
    return order


@transaction.atomic
def deliver_order(*, user, order: SalesOrder, on: datetime.date | None = None) -> SalesOrder:
    """Hand the car over: needs the vehicle, an invoice, and full payment or a disbursed loan.

    The customer becomes an owner (level D) and the vehicle leaves stock.
    """
    order = _locked_order(user, order)
    if order.status != OrderStatus.ALLOCATED or order.vehicle_id is None:
        raise ValidationError(_("Allocate a vehicle before delivery."))
    if not order.invoice_number or order.invoice_date is None:
        raise ValidationError(_("Issue the invoice before delivery."))
    due = receivable(order)
    if due > 0 and order.loan_status != LoanStatus.DISBURSED:
        raise ValidationError(
            _("%(amount)s is still owed and no loan has been disbursed.") % {"amount": due}
        )
    order.status = OrderStatus.DELIVERED
    order.delivery_date = on or timezone.localdate()
    order.save(update_fields=["status", "delivery_date", "updated_at"])
    Vehicle.objects.filter(pk=order.vehicle_id).update(
        status=VehicleStatus.DELIVERED, updated_at=timezone.now()
    )
    customer = Customer.objects.select_for_update().get(pk=order.customer_id)
    if customer.intention_level != IntentionLevel.D:
        record_level_change(customer, IntentionLevel.D, user=user)
        customer.intention_level = IntentionLevel.D
        customer.next_follow_up_at = None
        customer.save(update_fields=["intention_level", "next_follow_up_at", "updated_at"])
    return order


@transaction.atomic
def cancel_order(*, user, order: SalesOrder, reason: str) -> SalesOrder:
    """Cancel with a reason; the vehicle goes back to stock for the next customer."""
    if not (user.is_superuser or user.role in CANCEL_ROLES):
        raise PermissionDenied
    order = _locked_order(user, order)
    if order.status in (OrderStatus.DELIVERED, OrderStatus.CANCELLED):
        raise ValidationError(_("A delivered or cancelled order cannot be cancelled."))
    if not reason.strip():
        raise ValidationError({"cancel_reason": _("Give the reason for the cancellation.")})
    if order.vehicle_id:
        Vehicle.objects.filter(pk=order.vehicle_id).update(
            status=VehicleStatus.IN_STOCK, updated_at=timezone.now()
        )
    order.status, order.cancel_reason = OrderStatus.CANCELLED, reason.strip()
    order.save(update_fields=["status", "cancel_reason", "updated_at"])
    return order


ORDER_EDIT_ROLES = frozenset(
    {
        Role.CONSULTANT,
        Role.SHOWROOM_MANAGER,
        Role.SALES_MANAGER,
        Role.GENERAL_MANAGER,
        Role.GROUP_MANAGER,
        Role.ADMIN,
    }
)
NUMBER_ATTEMPTS = 5


def next_order_number(store_id, on: datetime.date) -> str:
    """SO<yyyymm>-<4 digits>, counting up within the store and month."""
    prefix = f"SO{on:%Y%m}-"
    numbers = SalesOrder.objects.filter(store_id=store_id, number__startswith=prefix).values_list(
        "number", flat=True
    )
    serials = [int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()]
    return f"{prefix}{max(serials, default=0) + 1:04d}"


@transaction.atomic
def create_order(
    user,
    customer: Customer,
    trim,
    *,
    order_date: datetime.date,
    vehicle_price: Decimal,
    discount: Decimal = Decimal("0"),
    accessories_amount: Decimal = Decimal("0"),
    color=None,
    financing: str = "",
    co_consultant=None,
    co_share: Decimal = Decimal("0"),
    notes: str = "",
    deal=None,
) -> SalesOrder:
    """A draft order for a customer the user can see, numbered within the customer's store."""
    if not (user.is_superuser or user.role in ORDER_EDIT_ROLES):
        raise PermissionDenied
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise PermissionDenied
    total = (vehicle_price - discount + accessories_amount).quantize(FEN)
    if total < 0:
        raise ValidationError(
            {"discount": _("The discount cannot exceed the vehicle price plus accessories.")}
        )
    consultant = customer.owner or user
    if co_consultant is not None and co_consultant.pk == consultant.pk:
        raise ValidationError({"co_consultant": _("Choose a consultant other than the owner.")})
    if co_consultant is not None and co_consultant.store_id != customer.store_id:
        raise ValidationError({"co_consultant": _("Choose a consultant of this store.")})
    if not Decimal("0") <= co_share <= Decimal("1"):
        raise ValidationError({"co_share": _("Enter a share between 0 and 1.")})
    fields = {
        "store_id": customer.store_id,
        "customer": customer,
        "consultant": consultant,
        "deal": deal,
        "trim": trim,
        "color": color,
        "order_date": order_date,
        "vehicle_price": vehicle_price.quantize(FEN),
        "discount": discount.quantize(FEN),
        "accessories_amount": accessories_amount.quantize(FEN),
        "total": total,
        "financing": financing or SalesOrder._meta.get_field("financing").default,
        "co_consultant": co_consultant,
        "co_share": co_share if co_consultant is not None else Decimal("0"),
        "notes": notes,
    }
    for attempt in range(NUMBER_ATTEMPTS):
        number = next_order_number(customer.store_id, order_date)
        try:
            with transaction.atomic():
                return SalesOrder.objects.create(number=number, **fields)
        except IntegrityError:  # a colleague took the same number a moment ago
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
