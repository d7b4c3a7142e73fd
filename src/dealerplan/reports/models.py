"""The consultant's work summary (工作总结) and the log of monthly report mails."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealerplan.core.models import BusinessModel, TimeStampedModel


class PeriodKind(models.TextChoices):
    HALF = "half", _("Half year")
    YEAR = "year", _("Year")


class Half(models.IntegerChoices):
    WHOLE_YEAR = 0, _("Whole year")
    FIRST = 1, _("First half (January–June)")
    SECOND = 2, _("Second half (July–December)")


class WorkSummary(BusinessModel):
    """A consultant's half-year or year summary: the figures are computed, the two written
    sections (skills; overall ability) are the consultant's own words, kept with their history.

    ``half`` is 0 for a year summary so the unique key also holds there (NULLs never clash).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="work_summaries",
    )
    period_kind = models.CharField(
        _("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.HALF
    )
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(
        _("half year"), choices=Half.choices, default=Half.FIRST
    )
    skills_text = models.TextField(_("skills"), blank=True)
    overall_text = models.TextField(_("overall ability"), blank=True)

    scope_owner_path = "user"

    class Meta:
        verbose_name = _("work summary")
        verbose_name_plural = _("work summaries")
        ordering = ["-year", "-half", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period_kind", "year", "half"], name="work_summary_unique_period"
            ),
            models.CheckConstraint(
                condition=(models.Q(period_kind="year", half=0))
                | (models.Q(period_kind="half", half__in=(1, 2))),
                name="work_summary_half_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.period_label}"

    @property
    def period_label(self) -> str:
        if self.period_kind == PeriodKind.YEAR:
            return str(self.year)
        return f"{self.year} H{self.half}"

    def get_absolute_url(self):
        query = f"year={self.year}&half={self.half}&user={self.user_id}"
        return f"{reverse('reports:summary')}?{query}"


class MonthlyReportMail(TimeStampedModel):
    """One store's monthly report mail: the unique key makes a second run send nothing."""

    store = models.ForeignKey(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("First day of the month reported on."))
    recipients = models.JSONField(_("recipients"), default=list, blank=True)

    class Meta:
        verbose_name = _("monthly report mail")
        verbose_name_plural = _("monthly report mails")
        ordering = ["-month", "store"]
        constraints = [
            models.UniqueConstraint(fields=["store", "month"], name="monthly_report_mail_once")
        ]

    def __str__(self):
        return f"{self.store} {self.month:%Y-%m}"
