from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Series
from dealerplan.core.forms import BootstrapFormMixin, DateTimeInput
from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import TierPolicy
from dealerplan.deals.models import Stage

from .choices import ActivityKind, LostReason, Outcome
from .models import ActivityQuota, FollowUpPolicy

LOGGABLE_LEVELS = [(level, label) for level, label in IntentionLevel.choices if level != "F"]


class LogActivityForm(BootstrapFormMixin, forms.Form):
    """A contact that just happened; the follow-up date comes from the rules unless picked."""

    full_width_fields = ("notes",)

    kind = forms.ChoiceField(label=_("Type"), choices=ActivityKind.choices, initial="call")
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    new_level = forms.ChoiceField(
        label=_("Intention level"),
        required=False,
        choices=[("", _("Unchanged")), *LOGGABLE_LEVELS],
    )
    next_follow_up_at = forms.DateTimeField(
        label=_("Next follow-up"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty to use the store's rhythm for the level."),
    )
    is_important = forms.BooleanField(label=_("Important open item"), required=False)
    planned = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "outcome": data.get("outcome") or "",
            "notes": data.get("notes") or "",
            "next_step": data.get("next_step") or "",
            "new_level": data.get("new_level") or None,
            "next_follow_up_at": data.get("next_follow_up_at"),
            "is_important": data.get("is_important", False),
        }


class PlanActivityForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ActivityKind.choices, initial="visit")
    planned_at = forms.DateTimeField(label=_("Planned for"), widget=DateTimeInput())
    location = forms.CharField(label=_("Place"), required=False, max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)
    is_important = forms.BooleanField(label=_("Important open item"), required=False)

    def clean_planned_at(self):
        value = self.cleaned_data["planned_at"]
        if value < timezone.now():
            raise forms.ValidationError(_("A planned activity must be in the future."))
        return value


class DailyLogForm(BootstrapFormMixin, forms.Form):
    full_width_fields = ("summary", "open_items", "tomorrow")

    summary = forms.CharField(label=_("Work done today"), widget=forms.Textarea(attrs={"rows": 4}))
    open_items = forms.CharField(
        label=_("Important open items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tomorrow = forms.CharField(
        label=_("Plan for tomorrow"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class LostRequestForm(BootstrapFormMixin, forms.Form):
    full_width_fields = ("notes",)

    reason = forms.ChoiceField(label=_("Reason"), choices=LostReason.choices)
    competitor = forms.ModelChoiceField(
        label=_("Competitor model bought"),
        required=False,
        queryset=Series.objects.filter(brand__is_competitor=True).select_related("brand"),
        help_text=_("Required when the customer bought a competitor's car."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class LostDecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "approve"), ("return", "return")])
    note = forms.CharField(required=False, max_length=200)


class FollowUpPolicyForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = FollowUpPolicy
        fields = [
            "h_days",
            "a_days",
            "b_days",
            "c_days",
            "o_days",
            "vip_visit_days",
            "tier1_visit_days",
            "tier2_visit_days",
        ]


class TierPolicyForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = TierPolicy
        fields = ["vip_min_amount", "tier1_min_amount", "tier2_min_amount", "lookback_days"]

    def clean(self):
        data = super().clean()
        vip, tier1, tier2 = (
            data.get(f) for f in ("vip_min_amount", "tier1_min_amount", "tier2_min_amount")
        )
        if None not in (vip, tier1, tier2) and not vip > tier1 > tier2:
            raise forms.ValidationError(_("Thresholds must go down from VIP to tier 1 to tier 2."))
        return data


class ActivityQuotaForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ActivityQuota
        fields = ["calls_per_day", "visits_per_week"]


class StageIntervalForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["follow_up_days"]
