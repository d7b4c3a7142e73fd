"""Brands, series, trims and colours: shared by every store of the group."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dealerplan.core.models import HistoricalAuditModel, ScopedQuerySet, TimeStampedModel


class CatalogModel(TimeStampedModel):
    history = HistoricalRecords(inherit=True, bases=[HistoricalAuditModel])
    objects = ScopedQuerySet.as_manager()

    scope_store_path = None  # the catalogue is shared by the whole group

    class Meta:
        abstract = True


class Brand(CatalogModel):
    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    is_competitor = models.BooleanField(
        _("competitor"), default=False, help_text=_("A brand we compete against, not one we sell.")
    )

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["is_competitor", "name"]

    def __str__(self):
        return self.name


class Series(CatalogModel):
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), on_delete=models.PROTECT, related_name="series"
    )
    name = models.CharField(_("name"), max_length=50)
    body_type = models.CharField(_("body type"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["brand__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="series_unique_per_brand")
        ]

    def __str__(self):
        return self.label_of(self.brand.name, self.name)

    @staticmethod
    def label_of(brand_name: str, name: str) -> str:
        """How a series is named everywhere, also from plain rows read without the model."""
        return f"{brand_name} {name}"

    @property
    def is_competitor(self) -> bool:
        return self.brand.is_competitor


class Trim(CatalogModel):
    series = models.ForeignKey(
        Series, verbose_name=_("series"), on_delete=models.PROTECT, related_name="trims"
    )
    name = models.CharField(_("name"), max_length=80)
    model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    guide_price = models.DecimalField(
        _("guide price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Manufacturer's suggested retail price in CNY."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("trim")
        verbose_name_plural = _("trims")
        ordering = ["series__name", "guide_price"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "name", "model_year"], name="trim_unique_per_series_year"
            ),
            models.CheckConstraint(
                condition=models.Q(guide_price__gte=0), name="trim_guide_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.series.name} {self.name}"


class Color(CatalogModel):
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), on_delete=models.PROTECT, related_name="colors"
    )
    name = models.CharField(_("name"), max_length=30)
    code = models.CharField(_("paint code"), max_length=20, blank=True)
    hex_value = models.CharField(_("colour value"), max_length=7, blank=True)

    class Meta:
        verbose_name = _("colour")
        verbose_name_plural = _("colours")
        ordering = ["brand__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="color_unique_per_brand")
        ]

    def __str__(self):
        return self.name
