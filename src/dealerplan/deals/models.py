from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dealerplan.core.models import (
    BusinessModel,
    HistoricalAuditModel,
    ScopedManager,
    TimeStampedModel,
)

from .choices import DealStatus, PipelineKind


class Pipeline(BusinessModel):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("type"), max_length=20, choices=PipelineKind.choices, default=PipelineKind.RETAIL
    )
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["store", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="pipeline_name_unique_per_store")
        ]

    def __str__(self):
        return self.name


class Stage(TimeStampedModel):
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=50)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"),
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    follow_up_days = models.PositiveSmallIntegerField(
        _("follow-up interval (days)"), null=True, blank=True
    )
    is_won = models.BooleanField(_("won stage"), default=False)
    is_lost = models.BooleanField(_("lost stage"), default=False)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "pipeline__store"

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_unique"),
        ]

    def __str__(self):
        return self.name


#: Neither won nor lost, not archived: the rows the board, tracking and forecast indexes hold.
#: Written as "not won or lost" so that both ``status = 'open'`` and the board's
#: ``NOT (status IN ('won', 'lost'))`` let PostgreSQL use these partial indexes.
OPEN_DEAL = ~models.Q(status__in=[DealStatus.WON, DealStatus.LOST]) & models.Q(is_archived=False)


class Deal(BusinessModel):
    """A sale in progress, from first contact to payment, with its key dates."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="deals",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="deals",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    units = models.PositiveIntegerField(_("units"), default=1)
    expected_close_date = models.DateField(_("expected close"), null=True, blank=True)
    bid_date = models.DateField(_("bid date"), null=True, blank=True)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    acceptance_date = models.DateField(_("acceptance date"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    scope_owner_path = "owner"

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["store", "owner", "status"], name="deal_owner_status_idx"),
            models.Index(fields=["store", "next_follow_up_at"], name="deal_follow_up_idx"),
            # The board: each stage's first open cards in board order (for a store, for one
            # consultant), and its recently closed ones; the column counts from the same.
            models.Index(
                fields=["pipeline", "stage", "next_follow_up_at", "-amount", "id"],
                condition=OPEN_DEAL,
                name="deal_board_idx",
            ),
            models.Index(
                fields=["owner", "pipeline", "stage", "next_follow_up_at", "-amount", "id"],
                condition=OPEN_DEAL,
                name="deal_board_owner_idx",
            ),
            models.Index(
                fields=["pipeline", "stage", "updated_at"],
                condition=models.Q(status__in=[DealStatus.WON, DealStatus.LOST], is_archived=False),
                name="deal_closed_idx",
            ),
            # A store's open deals: the project tracking table (by pipeline) and the forecast.
            models.Index(
                fields=["store", "pipeline", "next_follow_up_at", "id"],
                condition=OPEN_DEAL,
                name="deal_open_store_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="deal_amount_not_negative"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("deals:deal_detail", args=[self.pk])


class StageChange(models.Model):
    """One move of a deal between stages; the board and the cycle times are built from these."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedManager()

    scope_store_path = "deal__store"
    scope_owner_path = "deal__owner"

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["deal", "changed_at", "pk"]

    def __str__(self):
        return f"{self.deal} → {self.to_stage}"
