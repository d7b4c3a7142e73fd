"""Plans and their lines: a quota (任务, must reach) and a goal (目标, stretch) per metric."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dealerplan.core.models import (
    BusinessModel,
    HistoricalAuditModel,
    ScopedManager,
    TimeStampedModel,
)

from .choices import Metric, PeriodType, PlanScope, PlanStatus

AMOUNT = {"max_digits": 16, "decimal_places": 2}


class Plan(BusinessModel):
    """One period (year, month, week, day) for one scope (store, team, consultant)."""

    period_type = models.CharField(_("period"), max_length=10, choices=PeriodType.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    scope = models.CharField(_("scope"), max_length=20, choices=PlanScope.choices)
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("broken down from"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    revision = models.PositiveIntegerField(_("revision"), default=1)
    notes = models.TextField(_("notes"), blank=True)

    scope_owner_path = "consultant"

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-period_start", "scope"]
        constraints = [
            # One plan per period and scope (partial constraints: team or consultant may be NULL).
            models.UniqueConstraint(
                fields=["store", "period_type", "period_start"],
                condition=models.Q(scope="store"),
                name="plan_unique_store_period",
            ),
            models.UniqueConstraint(
                fields=["store", "period_type", "period_start", "team"],
                condition=models.Q(scope="team"),
                name="plan_unique_team_period",
            ),
            models.UniqueConstraint(
                fields=["store", "period_type", "period_start", "consultant"],
                condition=models.Q(scope="consultant"),
                name="plan_unique_consultant_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="plan_period_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "period_type", "period_start"], name="plan_period_idx")
        ]

    def __str__(self):
        return f"{self.get_period_type_display()} {self.period_start:%Y-%m-%d} {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.consultant_id:
            return self.consultant.display_name
        if self.team_id:
            return str(self.team)
        return str(self.store)

    @property
    def is_locked(self) -> bool:
        return self.status == PlanStatus.LOCKED


class PlanLine(TimeStampedModel):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="lines"
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    series = models.ForeignKey(
        "catalog.Series",
        verbose_name=_("series"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quota = models.DecimalField(
        _("quota (任务)"), validators=[MinValueValidator(Decimal("0"))], **AMOUNT
    )
    goal = models.DecimalField(
        _("goal (目标)"), validators=[MinValueValidator(Decimal("0"))], **AMOUNT
    )

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "plan__store"
    scope_owner_path = "plan__consultant"

    class Meta:
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        ordering = ["plan", "metric", "series"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "metric"],
                condition=models.Q(series__isnull=True),
                name="plan_line_unique_metric",
            ),
            models.UniqueConstraint(
                fields=["plan", "metric", "series"],
                condition=models.Q(series__isnull=False),
                name="plan_line_unique_metric_series",
            ),
            models.CheckConstraint(
                condition=models.Q(goal__gte=models.F("quota")), name="plan_goal_not_below_quota"
            ),
        ]

    def __str__(self):
        return f"{self.plan} · {self.get_metric_display()}"


class WorkdayOverride(TimeStampedModel):
    """A make-up working day (调休上班) or an extra day off that the calendar does not know."""

    store = models.ForeignKey(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["store", "date"], name="workday_override_unique")
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}"


class DocumentKind(models.TextChoices):
    CONSULTANT = "consultant", _("Consultant's plan")
    MANAGER = "manager", _("Manager's plan")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class PlanDocument(BusinessModel):
    """One person's written monthly work plan (月度工作计划), approved by a store manager.

    The narrative sections live in one JSON object ``{section_key: text}``: which sections a
    document has depends on its kind (资金使用 is for managers only), the template library is
    keyed the same way, and a new section needs no migration. ``documents.SECTIONS`` is the one
    list of valid keys; the service rejects any other. The figures (销量目标) are never stored
    here: they are read from the month's plan lines when shown, so they cannot drift.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="plan_documents",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    sections = models.JSONField(_("sections"), default=dict, blank=True)
    template_key = models.CharField(_("template"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    manager_comment = models.TextField(_("manager's comment"), blank=True)

    scope_owner_path = "author"

    class Meta:
        verbose_name = _("monthly work plan")
        verbose_name_plural = _("monthly work plans")
        ordering = ["-month", "author"]
        constraints = [
            models.UniqueConstraint(fields=["author", "month"], name="plan_document_unique_month")
        ]

    def __str__(self):
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in (DocumentStatus.DRAFT, DocumentStatus.RETURNED)


class CapitalKind(models.TextChoices):
    INVESTMENT = "investment", _("Investment")
    FUNDING = "funding", _("Funding source")


class CapitalItem(TimeStampedModel):
    """A line of a manager's 资金使用: where money goes, or where it comes from and its share."""

    document = models.ForeignKey(
        PlanDocument,
        verbose_name=_("monthly work plan"),
        on_delete=models.CASCADE,
        related_name="capital_items",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CapitalKind.choices)
    label = models.CharField(_("item"), max_length=100)
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0"))], **AMOUNT
    )
    share_percent = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "document__store"
    scope_owner_path = "document__author"

    class Meta:
        verbose_name = _("capital item")
        verbose_name_plural = _("capital items")
        ordering = ["document", "kind", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="capital_item_amount_not_negative"
            )
        ]

    def __str__(self):
        return self.label
