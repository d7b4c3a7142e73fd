import re
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from dealerplan.core.models import (
    BusinessModel,
    HistoricalAuditModel,
    ScopedManager,
    TimeStampedModel,
)

from .choices import FinancingKind, LoanStatus, OrderStatus, PaymentKind, PaymentMethod

MONEY = {"max_digits": 14, "decimal_places": 2}
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]

#: Province abbreviations that open a mainland plate.
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Z0-9]"  # plates never use I or O
#: 京A12345 (blue/yellow), 京AD12345 (small new-energy), 京A12345D (large new-energy).
PLATE_RE = re.compile(
    rf"[{PLATE_PROVINCES}][A-HJ-NP-Z]"
    rf"(?:{_PLATE_CHAR}{{4}}[A-HJ-NP-Z0-9挂学警港澳]|[DF]{_PLATE_CHAR}[0-9]{{4}}|[0-9]{{5}}[DF])"
)
_PLATE_SEPARATORS = re.compile(r"[\s·•・.\-]")


def normalize_plate(value: str) -> str:
    """Upper case, half-width, without the spaces and dots people type: 京a·123 45 → 京A12345."""
    value = unicodedata.normalize("NFKC", value or "")
    return _PLATE_SEPARATORS.sub("", value).upper()


def validate_plate(value: str) -> None:
    if value and not PLATE_RE.fullmatch(value):
        raise ValidationError(
            _("Enter a plate like 京A12345, or 京AD12345 for a new-energy car."),
            code="invalid_plate",
        )


CHECKLIST_FIELDS = (
    "documents_handed_over",
    "inspection_done",
    "accessories_fitted",
    "customer_signed_off",
)


class SalesOrder(BusinessModel):
    number = models.CharField(_("order number"), max_length=30)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    trim = models.ForeignKey(
        "catalog.Trim", verbose_name=_("trim"), on_delete=models.PROTECT, related_name="+"
    )
    color = models.ForeignKey(
        "catalog.Color",
        verbose_name=_("colour"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    vehicle = models.ForeignKey(
        "inventory.Vehicle",
        verbose_name=_("vehicle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    order_date = models.DateField(_("order date"))
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    vehicle_price = models.DecimalField(_("vehicle price"), validators=NOT_NEGATIVE, **MONEY)
    discount = models.DecimalField(
        _("discount"), default=Decimal("0"), validators=NOT_NEGATIVE, **MONEY
    )
    accessories_amount = models.DecimalField(
        _("accessories"), default=Decimal("0"), validators=NOT_NEGATIVE, **MONEY
    )
    total = models.DecimalField(_("order total"), validators=NOT_NEGATIVE, **MONEY)
    gross_profit = models.DecimalField(_("gross profit"), default=Decimal("0"), **MONEY)
    financing = models.CharField(
        _("financing"), max_length=10, choices=FinancingKind.choices, default=FinancingKind.CASH
    )
    notes = models.TextField(_("notes"), blank=True)
    co_consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_orders",
        help_text=_("A second consultant who shares this sale."),
    )
    co_share = models.DecimalField(
        _("their share"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Fraction of the sale credited to the second consultant, e.g. 0.50."),
    )
    loan_status = models.CharField(
        _("loan status"), max_length=10, choices=LoanStatus.choices, blank=True, default=""
    )
    loan_lender = models.CharField(_("lender"), max_length=100, blank=True)
    loan_amount = models.DecimalField(
        _("loan amount"), null=True, blank=True, validators=NOT_NEGATIVE, **MONEY
    )
    invoice_number = models.CharField(_("invoice number"), max_length=50, blank=True)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    invoice_amount = models.DecimalField(
        _("invoice amount"), null=True, blank=True, validators=NOT_NEGATIVE, **MONEY
    )
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    # 置换: the customer's old car, taken at an agreed value against what they still owe.
    trade_in_vehicle = models.CharField(_("trade-in vehicle"), max_length=200, blank=True)
    trade_in_value = models.DecimalField(
        _("trade-in value"), default=Decimal("0"), validators=NOT_NEGATIVE, **MONEY
    )
    # 车贷: dates of each step, and what the lender pays the dealer for the business.
    loan_commission = models.DecimalField(
        _("loan commission"), default=Decimal("0"), validators=NOT_NEGATIVE, **MONEY
    )
    loan_applied_on = models.DateField(_("loan applied on"), null=True, blank=True)
    loan_approved_on = models.DateField(_("loan approved on"), null=True, blank=True)
    loan_disbursed_on = models.DateField(_("loan disbursed on"), null=True, blank=True)
    # 保险
    insurance_company = models.CharField(_("insurance company"), max_length=100, blank=True)
    insurance_premium = models.DecimalField(
        _("insurance premium"), default=Decimal("0"), validators=NOT_NEGATIVE, **MONEY
    )
    insurance_policy_number = models.CharField(_("policy number"), max_length=50, blank=True)
    insurance_commission = models.DecimalField(
        _("insurance commission"), default=Decimal("0"), validators=NOT_NEGATIVE, **MONEY
    )
    # 上牌
    plate_number = models.CharField(
        _("plate number"), max_length=10, blank=True, validators=[validate_plate]
    )
    registration_date = models.DateField(_("registration date"), null=True, blank=True)
    # 交车检查
    documents_handed_over = models.BooleanField(_("documents handed over"), default=False)
    inspection_done = models.BooleanField(_("pre-delivery inspection done"), default=False)
    accessories_fitted = models.BooleanField(_("accessories fitted"), default=False)
    customer_signed_off = models.BooleanField(_("customer signed off"), default=False)
    checklist_completed_at = models.DateTimeField(
        _("checklist completed at"), null=True, blank=True
    )

    scope_owner_path = "consultant"

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["store", "order_date"], name="order_date_idx"),
            models.Index(fields=["store", "consultant", "order_date"], name="order_consultant_idx"),
            # The monthly sales tables select a store's consultants, not its orders: a month's
            # orders across the group by date, then the people (a store's table 74 -> 40 ms).
            models.Index(fields=["order_date"], name="order_day_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_number_unique"),
            # One VIN is never on two active orders.
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=models.Q(vehicle__isnull=False) & ~models.Q(status=OrderStatus.CANCELLED),
                name="vehicle_on_one_active_order",
            ),
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(co_share__gte=0) & models.Q(co_share__lte=1),
                name="order_co_share_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=models.Q(trade_in_value__gte=0)
                & models.Q(trade_in_value__lte=models.F("total")),
                name="order_trade_in_within_total",
            ),
            # One plate per store on the orders that still count.
            models.UniqueConstraint(
                fields=["store", "plate_number"],
                condition=~models.Q(plate_number="") & ~models.Q(status=OrderStatus.CANCELLED),
                name="order_plate_unique_per_store",
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:order_detail", args=[self.pk])

    def compute_total(self) -> Decimal:
        return self.vehicle_price - self.discount + self.accessories_amount

    @property
    def amount_due(self) -> Decimal:
        """What the customer pays in money: the total less the trade-in taken against it."""
        return self.total - self.trade_in_value

    @property
    def checklist_complete(self) -> bool:
        return all(getattr(self, name) for name in CHECKLIST_FIELDS)


class AccessoryLine(TimeStampedModel):
    """One 装潢 item sold with the car; the order's accessories amount is the sum of the prices."""

    order = models.ForeignKey(
        SalesOrder,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="accessory_lines",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(pgettext_lazy("accessory", "name"), max_length=100)
    price = models.DecimalField(_("price"), validators=NOT_NEGATIVE, **MONEY)
    cost = models.DecimalField(_("cost"), default=Decimal("0"), validators=NOT_NEGATIVE, **MONEY)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "order__store"
    scope_owner_path = "order__consultant"

    class Meta:
        verbose_name = _("accessory line")
        verbose_name_plural = _("accessory lines")
        ordering = ["order", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0) & models.Q(cost__gte=0),
                name="accessory_line_money_not_negative",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost


class Payment(TimeStampedModel):
    order = models.ForeignKey(
        SalesOrder,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="payments",
        db_index=False,  # payment_order_paid_idx leads with it
    )
    kind = models.CharField(_("type"), max_length=20, choices=PaymentKind.choices)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "order__store"
    scope_owner_path = "order__consultant"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        indexes = [
            # What each order has paid, read from the index alone (PostgreSQL): the amounts
            # owed on My Day and the receivables sum the payments of every order of a store.
            models.Index(
                fields=["order"], include=["kind", "amount"], name="payment_order_paid_idx"
            ),
            # The month's money for the reconciliation.
            models.Index(fields=["received_on"], name="payment_received_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")
        ]

    def __str__(self):
        return f"{self.order.number} {self.amount}"
