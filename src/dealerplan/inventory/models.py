from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dealerplan.core.models import (
    BusinessModel,
    HistoricalAuditModel,
    ScopedManager,
    TimeStampedModel,
)
from dealerplan.core.vin import normalize_vin, validate_vin

from .choices import VehicleStatus


class Vehicle(BusinessModel):
    """One physical car, identified by its VIN; sold at most once."""

    vin = models.CharField(
        _("VIN"),
        max_length=17,
        unique=True,
        validators=[validate_vin],
        help_text=_("17 characters, no I, O or Q; the 9th is a check digit."),
    )
    trim = models.ForeignKey(
        "catalog.Trim", verbose_name=_("trim"), on_delete=models.PROTECT, related_name="vehicles"
    )
    color = models.ForeignKey(
        "catalog.Color",
        verbose_name=_("colour"),
        on_delete=models.PROTECT,
        related_name="vehicles",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=VehicleStatus.choices, default=VehicleStatus.IN_STOCK
    )
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    cost = models.DecimalField(
        _("cost"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    location = models.CharField(_("location"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        # Oldest stock first (it must be sold first); cars not yet arrived last.
        ordering = [models.F("arrival_date").asc(nulls_last=True), "id"]
        indexes = [models.Index(fields=["store", "status"], name="vehicle_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cost__gte=0), name="vehicle_cost_not_negative"
            )
        ]

    def __str__(self):
        return self.vin

    def get_absolute_url(self):
        return reverse("inventory:vehicle_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.vin:
            self.vin = normalize_vin(self.vin)


# -- weekly factory order (每周一向厂家订车) --------------------------------------------------


class ReorderSettings(TimeStampedModel):
    """A store's factory-order rhythm: how long the factory takes and how much stock to aim for."""

    store = models.OneToOneField(
        "org.Store",
        verbose_name=_("store"),
        on_delete=models.CASCADE,
        related_name="reorder_settings",
    )
    lead_time_weeks = models.PositiveSmallIntegerField(
        _("lead time (weeks)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
        help_text=_("Weeks from the factory order to the car arriving."),
    )
    target_days_of_supply = models.PositiveSmallIntegerField(
        _("target days of supply"),
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
        help_text=_("Days of sales the stock should cover once the order arrives."),
    )
    aged_share_limit = models.DecimalField(
        _("aged stock limit"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.30"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_(
            "A colour is held back when more than this share of its stock is over 60 days old, "
            "e.g. 0.30."
        ),
    )

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("factory order settings")
        verbose_name_plural = _("factory order settings")

    def __str__(self):
        return str(self.store)


class FactoryOrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class ReorderReason(models.TextChoices):
    ORDER = "order", _("Demand exceeds supply")
    COVERED = "covered", _("Covered by stock")
    AGED = "aged", _("Held back: aged stock")
    NO_DEMAND = "no_demand", _("No recent sales")


class FactoryOrder(BusinessModel):
    """One store's factory order for one week; editable until it is submitted."""

    week_start = models.DateField(_("week of"), help_text=_("The Monday of the order week."))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FactoryOrderStatus.choices,
        default=FactoryOrderStatus.DRAFT,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The settings the suggestion was computed with, kept for the record.
    lead_time_weeks = models.PositiveSmallIntegerField(_("lead time (weeks)"), default=3)
    target_days_of_supply = models.PositiveSmallIntegerField(_("target days of supply"), default=30)
    aged_share_limit = models.DecimalField(
        _("aged stock limit"), max_digits=3, decimal_places=2, default=Decimal("0.30")
    )
    suggested_at = models.DateTimeField(_("suggested at"), null=True, blank=True)

    class Meta:
        verbose_name = _("factory order")
        verbose_name_plural = _("factory orders")
        ordering = ["-week_start", "store_id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "week_start"], name="factory_order_one_a_week")
        ]

    def __str__(self):
        return gettext("Factory order, week of %(date)s") % {"date": self.week_start.isoformat()}

    def get_absolute_url(self):
        return reverse("reorder:detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == FactoryOrderStatus.DRAFT


class FactoryOrderLine(TimeStampedModel):
    """One trim × colour of a factory order: the suggestion, the figures behind it, the order."""

    order = models.ForeignKey(
        FactoryOrder,
        verbose_name=_("factory order"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    trim = models.ForeignKey(
        "catalog.Trim", verbose_name=_("trim"), on_delete=models.PROTECT, related_name="+"
    )
    color = models.ForeignKey(
        "catalog.Color", verbose_name=_("colour"), on_delete=models.PROTECT, related_name="+"
    )
    forecast_qty = models.DecimalField(
        _("forecast"),
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        help_text=_("Expected sales over the lead time and the target days of supply."),
    )
    forecast_method = models.CharField(_("forecast method"), max_length=20, blank=True)
    in_stock = models.PositiveIntegerField(_("in stock"), default=0)
    in_transit = models.PositiveIntegerField(_("in transit"), default=0)
    on_order = models.PositiveIntegerField(
        _("on order"),
        default=0,
        help_text=_("Ordered from the factory and not yet arrived, including earlier orders here."),
    )
    backlog = models.PositiveIntegerField(
        _("waiting orders"),
        default=0,
        help_text=_("Customer orders still waiting for a car."),
    )
    aged_share = models.DecimalField(
        _("aged share of the colour"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    suggested_qty = models.PositiveIntegerField(_("suggested"), default=0)
    ordered_qty = models.PositiveIntegerField(
        _("ordered"), default=0, validators=[MaxValueValidator(999)]
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReorderReason.choices)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "order__store"

    class Meta:
        verbose_name = _("factory order line")
        verbose_name_plural = _("factory order lines")
        ordering = ["order", "trim__series__name", "trim__guide_price", "trim__name", "color__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "trim", "color"], name="factory_order_line_unique"
            )
        ]

    def __str__(self):
        return f"{self.trim} {self.color} × {self.ordered_qty}"

    @property
    def supply(self) -> int:
        return self.in_stock + self.in_transit + self.on_order

    @property
    def is_adjusted(self) -> bool:
        return self.ordered_qty != self.suggested_qty

    @property
    def reason_text(self) -> str:
        """Why this quantity, in the reader's language."""
        from .reorder import AGED_DAYS  # reorder imports these models

        if self.reason == ReorderReason.AGED:
            return gettext(
                "Held back: %(share)s%% of this colour's stock is over %(days)s days old "
                "(limit %(limit)s%%)."
            ) % {
                "share": round((self.aged_share or 0) * 100),
                "days": AGED_DAYS,
                "limit": round(self.order.aged_share_limit * 100),
            }
        if self.reason == ReorderReason.NO_DEMAND:
            return gettext("No sales in the history.")
        if self.reason == ReorderReason.COVERED:
            return gettext("Stock and cars on the way cover the forecast.")
        return gettext(
            "Forecast %(forecast)s plus %(backlog)s waiting orders, less %(supply)s in stock "
            "or on the way."
        ) % {"forecast": self.forecast_qty, "backlog": self.backlog, "supply": self.supply}
