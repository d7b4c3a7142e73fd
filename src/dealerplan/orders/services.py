"""The order's life: allocate a vehicle, take payments, invoice, deliver or cancel.

Each step is one transaction that checks the user may act, so a page, the API and a command
behave alike. A VIN is on at most one active order: the vehicle row is locked while it is
allocated, and a database constraint backs it up, so the loser of a race gets a clear message.

Money rule: ``total`` = vehicle price − discount + accessories (the contract, and the revenue
plans count). A trade-in (置换) is taken against it, so the customer owes in money
``amount_due`` = total − trade-in value, and ``receivable`` = amount_due − payments (refunds
added back). Every amount is a Decimal to the fen; nothing is rounded on the way.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from dealerplan.activities.choices import ActivityKind, Outcome
from dealerplan.activities.followup import SHANGHAI
from dealerplan.activities.services import log_activity
from dealerplan.core.choices import Role
from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.customers.services import can_edit_customers, record_level_change
from dealerplan.deals.choices import DealStatus
from dealerplan.deals.models import Deal
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle

from .choices import FinancingKind, LoanStatus, OrderStatus, PaymentKind, PaymentMethod
from .models import CHECKLIST_FIELDS, AccessoryLine, Payment, SalesOrder, normalize_plate
from .models import validate_plate as _validate_plate

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
ALLOCATABLE = (VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT, VehicleStatus.ORDERED)
PAYMENT_ROLES = frozenset(
    {Role.FINANCE, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN}
)
CANCEL_ROLES = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN})
#: No activity kind is "delivery"; the customer comes to the showroom to take the car.
DELIVERY_ACTIVITY_KIND = ActivityKind.RECEPTION


def _locked_order(user, order: SalesOrder) -> SalesOrder:
    locked = SalesOrder.objects.visible_to(user).select_for_update().filter(pk=order.pk).first()
    if locked is None:
        raise PermissionDenied
    return locked


def paid_amount(order: SalesOrder) -> Decimal:
    """Money in for the order, refunds taken off (a trade-in is not money and is not in it)."""
    sums = order.payments.aggregate(
        received=Sum("amount", filter=~Q(kind=PaymentKind.REFUND)),
        refunded=Sum("amount", filter=Q(kind=PaymentKind.REFUND)),
    )
    paid = (sums["received"] or Decimal("0")) - (sums["refunded"] or Decimal("0"))
    return paid.quantize(FEN)


def owed_after(order: SalesOrder, paid: Decimal) -> Decimal:
    """The money rule: what the customer still owes once ``paid`` (money in, refunds taken
    off) is counted: total − trade-in value − paid. For lists that summed the payments of many
    orders in one query (``collections.with_amount_owed``)."""
    return (order.total - order.trade_in_value - paid).quantize(FEN)


def receivable(order: SalesOrder) -> Decimal:
    """What the customer still owes: total − trade-in value − money paid."""
    return owed_after(order, paid_amount(order))


def _refuse(message, code: str, *, field: str | None = None) -> ValidationError:
    """A refusal with a code; tied to a form field when ``field`` is given."""
    error = ValidationError(message, code=code)
    return ValidationError({field: error}) if field else error


def _money(value, field: str, *, label) -> Decimal:
    """A non-negative amount to the fen, or a field error."""
    if value is None:
        return ZERO
    value = Decimal(value)
    if value < 0 or value != value.quantize(FEN):
        raise _refuse(
            _("Enter %(label)s of zero or more, to the fen.") % {"label": label},
            "bad_amount",
            field=field,
        )
    return value.quantize(FEN)


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
            _save_with_profit(order, ["vehicle", "status"])
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


def missing_checklist_items(order: SalesOrder) -> list[str]:
    """The delivery checklist items not ticked yet, by label."""
    return [
        str(SalesOrder._meta.get_field(name).verbose_name)
        for name in CHECKLIST_FIELDS
        if not getattr(order, name)
    ]


@transaction.atomic
def deliver_order(*, user, order: SalesOrder, on: datetime.date | None = None) -> SalesOrder:
    """Hand the car over: needs the vehicle, an invoice, full payment or a disbursed loan, and
    the whole delivery checklist (交车检查).

    The customer becomes an owner (level D) through a logged showroom visit, and the vehicle
    leaves stock.
    """
    order = _locked_order(user, order)
    today = timezone.localdate()
    on = on or today
    if order.status != OrderStatus.ALLOCATED or order.vehicle_id is None:
        raise ValidationError(_("Allocate a vehicle before delivery."), code="no_vehicle")
    if not order.invoice_number or order.invoice_date is None:
        raise ValidationError(_("Issue the invoice before delivery."), code="no_invoice")
    due = receivable(order)
    if due > 0 and order.loan_status != LoanStatus.DISBURSED:
        raise ValidationError(
            _("%(amount)s is still owed and no loan has been disbursed.") % {"amount": due},
            code="not_paid",
        )
    missing = missing_checklist_items(order)
    if missing:
        raise ValidationError(
            _("Complete the delivery checklist first: %(items)s.")
            % {"items": pgettext("list separator", ", ").join(missing)},
            code="checklist_incomplete",
        )
    if on > today:
        raise _refuse(_("The delivery date cannot be in the future."), "future_date", field="on")
    order.status = OrderStatus.DELIVERED
    order.delivery_date = on
    order.save(update_fields=["status", "delivery_date", "updated_at"])
    _set_vehicle_status(order.vehicle_id, VehicleStatus.DELIVERED)
    _hand_over(user, order, on)
    return order


def _set_vehicle_status(vehicle_id: int, status: str) -> None:
    """Saved row by row, not ``.update()``, so the vehicle's history shows who moved it."""
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle_id)
    vehicle.status = status
    vehicle.save(update_fields=["status", "updated_at"])


def _hand_over(user, order: SalesOrder, on: datetime.date) -> None:
    """Log the delivery as a showroom visit that makes the customer an owner (level D).

    The visit is the deliverer's if they work with customers, else the order's consultant's;
    when neither may see the card any more, only the level moves.
    """
    now = timezone.now()
    done_at = (
        now
        if on >= timezone.localdate()
        else datetime.datetime.combine(on, datetime.time(12), tzinfo=SHANGHAI)
    )
    actor = user if can_edit_customers(user) else order.consultant
    customer = Customer.objects.select_for_update().get(pk=order.customer_id)
    visible = Customer.objects.visible_to(actor).filter(pk=customer.pk).exists()
    if can_edit_customers(actor) and visible:
        log_activity(
            user=actor,
            customer=customer,
            kind=DELIVERY_ACTIVITY_KIND,
            outcome=Outcome.OTHER,
            notes=gettext("Delivery of order %(number)s: %(trim)s")
            % {"number": order.number, "trim": order.trim},
            done_at=done_at,
            new_level=IntentionLevel.D if customer.intention_level != IntentionLevel.D else None,
        )
        return
    if customer.intention_level != IntentionLevel.D:
        record_level_change(customer, IntentionLevel.D, user=user)
        customer.intention_level = IntentionLevel.D
        customer.next_follow_up_at = None
        customer.save(update_fields=["intention_level", "next_follow_up_at", "updated_at"])


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
        _set_vehicle_status(order.vehicle_id, VehicleStatus.IN_STOCK)
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
#: Who fills in an order's loan, insurance, plate, checklist, accessories and trade-in; the
#: finance desk handles loans and insurance too. Consultants reach their own orders only.
SECTION_ROLES = ORDER_EDIT_ROLES | {Role.FINANCE}
NUMBER_ATTEMPTS = 5


def may(user, roles) -> bool:
    return user.is_superuser or user.role in roles


def next_order_number(store_id, on: datetime.date) -> str:
    """SO<yyyymm>-<4 digits>, counting up within the store and month."""
    prefix = f"SO{on:%Y%m}-"
    numbers = SalesOrder.objects.filter(store_id=store_id, number__startswith=prefix).values_list(
        "number", flat=True
    )
    serials = [int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()]
    return f"{prefix}{max(serials, default=0) + 1:04d}"


# -- gross profit (毛利) -----------------------------------------------------------------------


@dataclass(frozen=True)
class GrossProfit:
    """Where an order's gross profit comes from; ``total`` is exactly the sum of the parts.

    ``vehicle_cost`` is None until a vehicle is allocated: the vehicle margin then counts as 0
    and the page says the cost is not known yet.
    """

    vehicle_margin: Decimal
    accessories_margin: Decimal
    insurance_commission: Decimal
    loan_commission: Decimal
    vehicle_cost: Decimal | None

    @property
    def vehicle_cost_known(self) -> bool:
        return self.vehicle_cost is not None

    @property
    def total(self) -> Decimal:
        return (
            self.vehicle_margin
            + self.accessories_margin
            + self.insurance_commission
            + self.loan_commission
        )


def compose_gross_profit(
    *,
    vehicle_price: Decimal,
    discount: Decimal,
    vehicle_cost: Decimal | None,
    lines,
    insurance_commission: Decimal,
    loan_commission: Decimal,
) -> GrossProfit:
    """The gross profit from its inputs; ``lines`` are (price, cost) pairs. No rounding: the
    inputs are in fen, so are the sums."""
    vehicle_margin = (
        ZERO if vehicle_cost is None else vehicle_price - discount - vehicle_cost
    ).quantize(FEN)
    accessories = sum((price - cost for price, cost in lines), ZERO).quantize(FEN)
    return GrossProfit(
        vehicle_margin=vehicle_margin,
        accessories_margin=accessories,
        insurance_commission=insurance_commission.quantize(FEN),
        loan_commission=loan_commission.quantize(FEN),
        vehicle_cost=vehicle_cost,
    )


def gross_profit_breakdown(order: SalesOrder) -> GrossProfit:
    """Vehicle margin (price − discount − vehicle cost), accessories margin (Σ price − cost),
    insurance commission and loan commission of an order, as stored now."""
    if order.vehicle_id is None:
        vehicle_cost = None
    elif SalesOrder.vehicle.is_cached(order):
        vehicle_cost = order.vehicle.cost
    else:
        vehicle_cost = Vehicle.objects.values_list("cost", flat=True).get(pk=order.vehicle_id)
    lines = [(line.price, line.cost) for line in order.accessory_lines.all()] if order.pk else []
    return compose_gross_profit(
        vehicle_price=order.vehicle_price,
        discount=order.discount,
        vehicle_cost=vehicle_cost,
        lines=lines,
        insurance_commission=order.insurance_commission,
        loan_commission=order.loan_commission,
    )


def _save_with_profit(order: SalesOrder, fields) -> GrossProfit:
    """Save ``fields`` with the gross profit recomputed from what is stored and in ``order``.

    Every service that changes an input of the gross profit saves through here, so
    ``order.gross_profit`` always equals the breakdown's total.
    """
    breakdown = gross_profit_breakdown(order)
    order.gross_profit = breakdown.total
    order.save(update_fields=[*dict.fromkeys([*fields, "gross_profit", "updated_at"])])
    return breakdown


# -- creating and editing drafts ---------------------------------------------------------------


def _check_sharing(customer_store_id, consultant, co_consultant, co_share: Decimal) -> Decimal:
    if co_consultant is not None and co_consultant.pk == consultant.pk:
        raise _refuse(
            _("Choose a consultant other than the owner."), "co_self", field="co_consultant"
        )
    if co_consultant is not None and co_consultant.store_id != customer_store_id:
        raise _refuse(_("Choose a consultant of this store."), "co_store", field="co_consultant")
    if not Decimal("0") <= co_share <= Decimal("1"):
        raise _refuse(_("Enter a share between 0 and 1."), "co_share", field="co_share")
    return co_share if co_consultant is not None else Decimal("0")


def _check_total(vehicle_price, discount, accessories) -> Decimal:
    vehicle_price = _money(vehicle_price, "vehicle_price", label=_("the vehicle price"))
    discount = _money(discount, "discount", label=_("the discount"))
    total = (vehicle_price - discount + accessories).quantize(FEN)
    if total < 0:
        raise _refuse(
            _("The discount cannot exceed the vehicle price plus accessories."),
            "discount_too_high",
            field="discount",
        )
    return total


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
    consultant=None,
) -> SalesOrder:
    """A draft order for a customer the user can see, numbered within the customer's store.

    A lump-sum accessories amount becomes one accessory line, to be itemised later.
    """
    if not may(user, ORDER_EDIT_ROLES):
        raise PermissionDenied
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise PermissionDenied
    accessories = _money(accessories_amount, "accessories_amount", label=_("the accessories"))
    total = _check_total(vehicle_price, discount, accessories)
    consultant = consultant or customer.owner or user
    co_share = _check_sharing(customer.store_id, consultant, co_consultant, co_share)
    lines = [(accessories, ZERO)] if accessories else []
    profit = compose_gross_profit(
        vehicle_price=vehicle_price.quantize(FEN),
        discount=discount.quantize(FEN),
        vehicle_cost=None,
        lines=lines,
        insurance_commission=ZERO,
        loan_commission=ZERO,
    )
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
        "accessories_amount": accessories,
        "total": total,
        "gross_profit": profit.total,
        "financing": financing or SalesOrder._meta.get_field("financing").default,
        "co_consultant": co_consultant,
        "co_share": co_share,
        "notes": notes,
    }
    for attempt in range(NUMBER_ATTEMPTS):
        number = next_order_number(customer.store_id, order_date)
        try:
            with transaction.atomic():
                order = SalesOrder.objects.create(number=number, **fields)
        except IntegrityError:  # a colleague took the same number a moment ago
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
            continue
        if accessories:
            AccessoryLine.objects.create(
                order=order, name=gettext("Accessories package"), price=accessories
            )
        return order
    raise AssertionError("unreachable")


def is_editable_draft(order: SalesOrder) -> bool:
    return order.status == OrderStatus.DRAFT


@transaction.atomic
def update_draft_order(
    user,
    order: SalesOrder,
    *,
    trim,
    order_date: datetime.date,
    vehicle_price: Decimal,
    discount: Decimal = Decimal("0"),
    color=None,
    financing: str = "",
    co_consultant=None,
    co_share: Decimal = Decimal("0"),
    notes: str = "",
) -> SalesOrder:
    """Change a draft's terms; once a deposit is in (confirmed) the order is fixed.

    Accessories are changed through their lines, so the total keeps their sum.
    """
    if not may(user, ORDER_EDIT_ROLES):
        raise PermissionDenied
    order = _locked_order(user, order)
    if not is_editable_draft(order):
        raise ValidationError(_("Only a draft order can be edited."), code="not_draft")
    total = _check_total(vehicle_price, discount, order.accessories_amount)
    if total < order.trade_in_value:
        raise _refuse(
            _("The total cannot be less than the trade-in value."),
            "total_below_trade_in",
            field="discount",
        )
    financing = financing or order.financing
    if financing != FinancingKind.LOAN and order.loan_status in (
        LoanStatus.APPLIED,
        LoanStatus.APPROVED,
        LoanStatus.DISBURSED,
    ):
        raise _refuse(
            _("A car loan is under way; reject it before paying in full."),
            "loan_in_progress",
            field="financing",
        )
    order.co_share = _check_sharing(order.store_id, order.consultant, co_consultant, co_share)
    order.trim, order.color, order.order_date = trim, color, order_date
    order.vehicle_price, order.discount = vehicle_price.quantize(FEN), discount.quantize(FEN)
    order.total, order.financing = total, financing
    order.co_consultant, order.notes = co_consultant, notes
    _save_with_profit(
        order,
        [
            "trim",
            "color",
            "order_date",
            "vehicle_price",
            "discount",
            "total",
            "financing",
            "co_consultant",
            "co_share",
            "notes",
        ],
    )
    return order


@transaction.atomic
def create_order_from_deal(user, deal: Deal) -> SalesOrder:
    """A draft order for a won or open deal: its customer and owner, the customer's intended
    trim, and the deal's amount per unit as the price after discount."""
    if not may(user, ORDER_EDIT_ROLES):
        raise PermissionDenied
    deal = (
        Deal.objects.visible_to(user)
        .select_related("customer__intended_trim__series__brand", "owner")
        .filter(pk=deal.pk)
        .first()
    )
    if deal is None:
        raise PermissionDenied
    if deal.status == DealStatus.LOST:
        raise ValidationError(_("A lost deal cannot become an order."), code="deal_lost")
    trim = deal.customer.intended_trim
    if trim is None or trim.series.brand.is_competitor or not trim.is_active:
        raise ValidationError(
            _("Set one of our trims as the customer's intended model first."), code="no_trim"
        )
    units = max(deal.units, 1)
    ordered = deal.orders.exclude(status=OrderStatus.CANCELLED).count()
    if ordered >= units:
        raise ValidationError(
            _("This deal already has its %(count)s order(s).") % {"count": ordered},
            code="deal_has_orders",
        )
    guide = trim.guide_price.quantize(FEN)
    unit_amount = (
        (deal.amount / units).quantize(FEN, rounding=ROUND_HALF_UP) if deal.amount else guide
    )
    price = max(guide, unit_amount)
    return create_order(
        user,
        deal.customer,
        trim,
        order_date=timezone.localdate(),
        vehicle_price=price,
        discount=price - unit_amount,
        deal=deal,
        consultant=deal.owner,
        notes=gettext("From deal: %(title)s") % {"title": deal.title},
    )


# -- sections of an open order: accessories, trade-in, insurance, plate, checklist -------------


def _section_order(user, order: SalesOrder, *, allow_delivered: bool = False) -> SalesOrder:
    order = _locked_order(user, order)
    if not may(user, SECTION_ROLES):
        raise PermissionDenied
    closed = {OrderStatus.CANCELLED} | (set() if allow_delivered else {OrderStatus.DELIVERED})
    if order.status in closed:
        raise ValidationError(
            _("This order is %(status)s and can no longer be changed.")
            % {"status": order.get_status_display()},
            code="order_closed",
        )
    return order


@dataclass(frozen=True)
class LineInput:
    name: str
    price: Decimal
    cost: Decimal = ZERO


@transaction.atomic
def set_accessory_lines(user, order: SalesOrder, lines) -> SalesOrder:
    """Replace the order's accessory lines; the accessories amount, the total and the gross
    profit follow. The new total may not fall below what has been paid and traded in."""
    order = _section_order(user, order)
    clean = []
    for number, line in enumerate(lines, start=1):
        name = (line.name or "").strip()
        if not name:
            raise ValidationError(
                _("Line %(number)s: enter the accessory's name.") % {"number": number},
                code="line_name",
            )
        price = _money(line.price, "price", label=_("the price"))
        cost = _money(line.cost, "cost", label=_("the cost"))
        clean.append(LineInput(name[:100], price, cost))
    accessories = sum((line.price for line in clean), ZERO)
    total = (order.vehicle_price - order.discount + accessories).quantize(FEN)
    settled = paid_amount(order) + order.trade_in_value
    if total < settled:
        raise ValidationError(
            _("The new total %(total)s is less than the %(settled)s paid or traded in.")
            % {"total": total, "settled": settled},
            code="total_below_paid",
        )
    for old in order.accessory_lines.all():
        old.delete()
    for position, line in enumerate(clean):
        AccessoryLine.objects.create(
            order=order, position=position, name=line.name, price=line.price, cost=line.cost
        )
    order.accessories_amount, order.total = accessories, total
    _save_with_profit(order, ["accessories_amount", "total"])
    return order


@transaction.atomic
def record_trade_in(user, order: SalesOrder, *, vehicle: str, value: Decimal) -> SalesOrder:
    """The customer's old car taken against this order (置换); clear it with value 0."""
    order = _section_order(user, order)
    value = _money(value, "value", label=_("the trade-in value"))
    vehicle = (vehicle or "").strip()
    if value and not vehicle:
        raise _refuse(
            _("Describe the trade-in car: model, year and plate."),
            "trade_in_vehicle",
            field="vehicle",
        )
    limit = order.total - paid_amount(order)
    if value > limit:
        raise _refuse(
            _("The trade-in value cannot exceed the %(limit)s still to pay.")
            % {"limit": max(limit, ZERO)},
            "trade_in_too_high",
            field="value",
        )
    order.trade_in_vehicle, order.trade_in_value = vehicle[:200], value
    order.save(update_fields=["trade_in_vehicle", "trade_in_value", "updated_at"])
    return order


@transaction.atomic
def record_insurance(
    user,
    order: SalesOrder,
    *,
    company: str,
    premium: Decimal,
    policy_number: str = "",
    commission: Decimal = ZERO,
) -> SalesOrder:
    """The car's insurance sold with it (保险) and the insurer's commission to the dealer."""
    order = _section_order(user, order, allow_delivered=True)
    company = (company or "").strip()
    if not company:
        raise _refuse(_("Enter the insurance company."), "insurance_company", field="company")
    premium = _money(premium, "premium", label=_("the premium"))
    commission = _money(commission, "commission", label=_("the commission"))
    if commission > premium:
        raise _refuse(
            _("The commission cannot exceed the premium."),
            "commission_too_high",
            field="commission",
        )
    order.insurance_company = company[:100]
    order.insurance_premium, order.insurance_commission = premium, commission
    order.insurance_policy_number = (policy_number or "").strip()[:50]
    _save_with_profit(
        order,
        [
            "insurance_company",
            "insurance_premium",
            "insurance_policy_number",
            "insurance_commission",
        ],
    )
    return order


def plate_taken(store_id, plate: str, *, exclude_pk=None) -> bool:
    qs = SalesOrder.objects.filter(store_id=store_id, plate_number=plate).exclude(
        status=OrderStatus.CANCELLED
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


@transaction.atomic
def record_registration(
    user, order: SalesOrder, *, plate_number: str, registration_date: datetime.date
) -> SalesOrder:
    """The plate (上牌) of the order's car: a valid mainland plate, one per store."""
    order = _section_order(user, order, allow_delivered=True)
    if order.vehicle_id is None:
        raise ValidationError(
            _("Allocate a vehicle before registering its plate."), code="no_vehicle"
        )
    plate = normalize_plate(plate_number)
    if not plate:
        raise _refuse(_("Enter the plate number."), "no_plate", field="plate_number")
    try:
        _validate_plate(plate)
    except ValidationError as exc:
        raise _refuse(exc.messages[0], "invalid_plate", field="plate_number") from exc
    if registration_date > timezone.localdate():
        raise _refuse(
            _("The registration date cannot be in the future."),
            "future_date",
            field="registration_date",
        )
    taken = _refuse(
        _("Plate %(plate)s is already on another order.") % {"plate": plate},
        "plate_taken",
        field="plate_number",
    )
    if plate_taken(order.store_id, plate, exclude_pk=order.pk):
        raise taken
    order.plate_number, order.registration_date = plate, registration_date
    try:
        with transaction.atomic():
            order.save(update_fields=["plate_number", "registration_date", "updated_at"])
    except IntegrityError as exc:  # the constraint, if two orders race for a plate
        raise taken from exc
    return order


@transaction.atomic
def update_checklist(
    user,
    order: SalesOrder,
    *,
    documents_handed_over: bool,
    inspection_done: bool,
    accessories_fitted: bool,
    customer_signed_off: bool,
) -> SalesOrder:
    """Tick the delivery checklist; it is complete, with a time, once every item is ticked."""
    order = _section_order(user, order)
    values = {
        "documents_handed_over": bool(documents_handed_over),
        "inspection_done": bool(inspection_done),
        "accessories_fitted": bool(accessories_fitted),
        "customer_signed_off": bool(customer_signed_off),
    }
    for name, value in values.items():
        setattr(order, name, value)
    if not all(values.values()):
        order.checklist_completed_at = None
    elif order.checklist_completed_at is None:
        order.checklist_completed_at = timezone.now()
    order.save(update_fields=[*values, "checklist_completed_at", "updated_at"])
    return order


# -- car loan (车贷): applied → approved → disbursed, or rejected ------------------------------


def _loan_order(user, order: SalesOrder, allowed, refusal) -> SalesOrder:
    order = _section_order(user, order)
    if order.financing != FinancingKind.LOAN:
        raise ValidationError(
            _("This order is paid in full; choose car loan financing first."),
            code="not_a_loan_order",
        )
    if order.loan_status not in allowed:
        raise ValidationError(refusal, code="loan_transition")
    return order


def _step_date(on, after: datetime.date | None, field: str) -> datetime.date:
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise _refuse(_("The date cannot be in the future."), "future_date", field=field)
    if after is not None and on < after:
        raise _refuse(
            _("The date cannot be before the previous step (%(day)s).") % {"day": after},
            "date_order",
            field=field,
        )
    return on


@transaction.atomic
def apply_loan(
    user,
    order: SalesOrder,
    *,
    lender: str,
    amount: Decimal,
    commission: Decimal = ZERO,
    on: datetime.date | None = None,
) -> SalesOrder:
    """Apply for a car loan (again, after a rejection) with a lender, for at most what the
    customer owes after the trade-in."""
    order = _loan_order(
        user,
        order,
        (LoanStatus.NONE, LoanStatus.REJECTED),
        _("A loan is already under way on this order."),
    )
    lender = (lender or "").strip()
    if not lender:
        raise _refuse(_("Enter the lender."), "no_lender", field="lender")
    amount = _money(amount, "amount", label=_("the loan amount"))
    if amount <= 0:
        raise _refuse(_("Enter the loan amount."), "no_amount", field="amount")
    if amount > order.amount_due:
        raise _refuse(
            _("The loan cannot exceed the %(due)s the customer pays.") % {"due": order.amount_due},
            "loan_too_high",
            field="amount",
        )
    commission = _money(commission, "commission", label=_("the commission"))
    order.loan_status, order.loan_lender = LoanStatus.APPLIED, lender[:100]
    order.loan_amount, order.loan_commission = amount, commission
    order.loan_applied_on = _step_date(on, None, "on")
    order.loan_approved_on = order.loan_disbursed_on = None
    _save_with_profit(
        order,
        [
            "loan_status",
            "loan_lender",
            "loan_amount",
            "loan_commission",
            "loan_applied_on",
            "loan_approved_on",
            "loan_disbursed_on",
        ],
    )
    return order


@transaction.atomic
def approve_loan(
    user,
    order: SalesOrder,
    *,
    on: datetime.date | None = None,
    commission: Decimal | None = None,
) -> SalesOrder:
    """The lender approved; the commission may be set now that it is known."""
    order = _loan_order(
        user, order, (LoanStatus.APPLIED,), _("Only an applied loan can be approved.")
    )
    order.loan_approved_on = _step_date(on, order.loan_applied_on, "on")
    if commission is not None:
        order.loan_commission = _money(commission, "commission", label=_("the commission"))
    order.loan_status = LoanStatus.APPROVED
    _save_with_profit(order, ["loan_status", "loan_approved_on", "loan_commission"])
    return order


@transaction.atomic
def disburse_loan(
    user, order: SalesOrder, *, on: datetime.date | None = None, reference: str = ""
) -> Payment:
    """The lender paid the loan to the dealer: a loan payment comes in through
    ``receive_payment`` (finance and managers), so what is owed stays right."""
    if not may(user, PAYMENT_ROLES):
        raise PermissionDenied
    order = _loan_order(
        user, order, (LoanStatus.APPROVED,), _("Only an approved loan can be disbursed.")
    )
    on = _step_date(on, order.loan_approved_on, "on")
    due = receivable(order)
    if order.loan_amount > due:
        raise ValidationError(
            _("The loan of %(amount)s is more than the %(due)s still owed.")
            % {"amount": order.loan_amount, "due": due},
            code="loan_exceeds_due",
        )
    order.loan_status, order.loan_disbursed_on = LoanStatus.DISBURSED, on
    order.save(update_fields=["loan_status", "loan_disbursed_on", "updated_at"])
    return receive_payment(
        user=user,
        order=order,
        kind=PaymentKind.LOAN,
        method=PaymentMethod.LOAN,
        amount=order.loan_amount,
        received_on=on,
        reference=reference,
    )


@transaction.atomic
def reject_loan(user, order: SalesOrder) -> SalesOrder:
    """The lender said no: no commission comes from it; a new application may follow."""
    order = _loan_order(
        user,
        order,
        (LoanStatus.APPLIED, LoanStatus.APPROVED),
        _("Only an applied or approved loan can be rejected."),
    )
    order.loan_status, order.loan_commission = LoanStatus.REJECTED, ZERO
    _save_with_profit(order, ["loan_status", "loan_commission"])
    return order
