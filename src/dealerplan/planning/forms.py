import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.core.forms import BootstrapFormMixin

from .choices import Metric

WIZARD_METRICS = (
    Metric.UNITS,
    Metric.REVENUE,
    Metric.GROSS_PROFIT,
    Metric.NEW_CARDS,
    Metric.TEST_DRIVES,
    Metric.CALLS,
    Metric.VISITS,
)


def default_year() -> int:
    """Next year's plan is written in November."""
    today = timezone.localdate()
    return today.year + 1 if today.month >= 11 else today.year


class BreakdownForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, initial=default_year)
    method = forms.ChoiceField(
        label=_("Split over consultants"),
        choices=[("equal", _("Equally")), ("share", _("By share of the last three months"))],
        initial="equal",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for metric in WIZARD_METRICS:
            places = 2 if metric in Metric.money() else 0
            for kind, label in (("quota", _("quota (任务)")), ("goal", _("goal (目标)"))):
                self.fields[f"{metric}_{kind}"] = forms.DecimalField(
                    label=f"{Metric(metric).label} · {label}",
                    required=False,
                    min_value=0,
                    max_digits=16,
                    decimal_places=places,
                    widget=forms.NumberInput(
                        attrs={
                            "class": "form-control",
                            "step": "0.01" if places else "1",
                            "inputmode": "decimal",
                            "min": "0",
                        }
                    ),
                )

    def clean(self):
        data = super().clean()
        targets = {}
        for metric in WIZARD_METRICS:
            quota, goal = data.get(f"{metric}_quota"), data.get(f"{metric}_goal")
            if quota is None and goal is None:
                continue
            if quota is None or goal is None:
                self.add_error(
                    f"{metric}_goal" if quota is not None else f"{metric}_quota",
                    _("Enter both the quota and the goal, or neither."),
                )
                continue
            if goal < quota:
                self.add_error(
                    f"{metric}_goal", _("The goal (目标) must not be below the quota (任务).")
                )
                continue
            targets[metric] = (Decimal(quota), Decimal(goal))
        if not targets and not self.errors:
            raise forms.ValidationError(_("Enter at least one target."))
        data["targets"] = targets
        return data

    def field_rows(self):
        return [(Metric(m).label, self[f"{m}_quota"], self[f"{m}_goal"]) for m in WIZARD_METRICS]


def month_choice(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None
