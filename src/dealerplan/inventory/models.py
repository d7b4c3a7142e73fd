from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealerplan.core.models import BusinessModel
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
