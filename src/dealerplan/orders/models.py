from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dealerplan.core.models import BusinessModel, ScopedManager, TimeStampedModel

from .choices import FinancingKind, LoanStatus, OrderStatus, PaymentKind, PaymentMethod

MONEY = {"max_digits": 14, "decimal_places": 2}
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


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

    scope_owner_path = "consultant"

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["store", "order_date"], name="order_date_idx"),
            models.Index(fields=["store", "consultant", "order_date"], name="order_consultant_idx"),
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
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:order_detail", args=[self.pk])

    def compute_total(self) -> Decimal:
        return self.vehicle_price - self.discount + self.accessories_amount


class Payment(TimeStampedModel):
    order = models.ForeignKey(
        SalesOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(_("type"), max_length=20, choices=PaymentKind.choices)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedManager()

    scope_store_path = "order__store"
    scope_owner_path = "order__consultant"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")
        ]

    def __str__(self):
        return f"{self.order.number} {self.amount}"
