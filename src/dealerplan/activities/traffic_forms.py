"""Forms of the traffic register: the fast registration form and the KPI period form."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Series
from dealerplan.core.forms import BootstrapFormMixin, DateInput, DateTimeInput
from dealerplan.core.phone import normalize_phone
from dealerplan.customers.choices import SourceChannel

from . import traffic
from .choices import TrafficKind, VisitType
from .models import TrafficEntry

#: <input type="date"> needs ISO dates; the zh-hans locale would write 2026/03/01.
ISO_DATE = "%Y-%m-%d"

AUTO_VISIT_TYPE = _("Auto")
SAME_AS_TYPE = _("Same as type")


def own_brand_series():
    return Series.objects.filter(brand__is_competitor=False).select_related("brand")


class ButtonRadioSelect(forms.RadioSelect):
    """Radio choices the form template draws as one row of toggle buttons (``btn-check``)."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"class": "btn-check", **(attrs or {})}, choices=choices)


class TrafficEntryForm(BootstrapFormMixin, forms.ModelForm):
    """The front desk's one-handed form: a few taps, everything else optional."""

    full_width_fields = ("kind", "visit_type", "notes")

    open_card = forms.BooleanField(
        label=_("Open a lead card"),
        required=False,
        help_text=_("For a new phone number: opens a level B lead card owned by the consultant."),
    )

    class Meta:
        model = TrafficEntry
        fields = [
            "kind",
            "arrived_at",
            "left_at",
            "first_response_at",
            "visit_type",
            "party_size",
            "channel",
            "series",
            "test_drive",
            "wechat_added",
            "visitor_name",
            "visitor_phone",
            "consultant",
            "notes",
        ]
        widgets = {
            "kind": ButtonRadioSelect(),
            "visit_type": ButtonRadioSelect(),
            "arrived_at": DateTimeInput(),
            "left_at": DateTimeInput(),
            "first_response_at": DateTimeInput(),
            "party_size": forms.NumberInput(attrs={"min": 1, "max": 50, "inputmode": "numeric"}),
            "visitor_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "visitor_phone": forms.TextInput(
                attrs={
                    "inputmode": "tel",
                    "autocomplete": "off",
                    "hx-get": reverse_lazy("traffic:phone_lookup"),
                    "hx-trigger": "input changed delay:400ms, change",
                    "hx-target": "#phone-hint",
                    "hx-sync": "this:replace",
                    "aria-describedby": "phone-hint",
                }
            ),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        is_new = self.instance.pk is None
        if is_new and not self.is_bound:
            # Empty means "decide for me": the channel follows the type, F/S is guessed.
            self.initial.setdefault("visit_type", "")
            self.initial.setdefault("channel", "")
            self.initial.setdefault(
                "arrived_at", timezone.localtime().replace(second=0, microsecond=0)
            )
        if is_new:
            self.instance.visit_type = ""
            self.instance.channel = ""

        fields = self.fields
        fields["kind"].choices = TrafficKind.choices
        fields["visit_type"] = forms.ChoiceField(
            label=TrafficEntry._meta.get_field("visit_type").verbose_name,
            choices=[("", AUTO_VISIT_TYPE), *VisitType.choices],
            required=False,
            widget=ButtonRadioSelect(),
            help_text=_("Auto: a repeat visit when this customer has come before."),
        )
        fields["channel"] = forms.ChoiceField(
            label=TrafficEntry._meta.get_field("channel").verbose_name,
            choices=[("", SAME_AS_TYPE), *SourceChannel.choices],
            required=False,
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        for name in ("kind", "visit_type"):
            fields[name].widget.attrs["class"] = "btn-check"  # not the mixin's form-control
        fields["series"].queryset = own_brand_series()
        fields["series"].empty_label = "—"
        fields["first_response_at"].help_text = _("Phone and online enquiries: when answered.")

        if user.sees_only_own:
            del fields["consultant"]
        else:
            fields["consultant"].queryset = traffic.store_consultants(user)
            fields["consultant"].empty_label = "—"
            fields["consultant"].help_text = _("Who received the visitor.")
        if not is_new and self.instance.customer_id is not None:
            del fields["open_card"]

    def clean_visitor_phone(self):
        return normalize_phone(self.cleaned_data.get("visitor_phone", ""))

    def clean(self):
        cleaned = super().clean()
        # Checked here too, so the message sits under the field on the first try.
        arrived, left = cleaned.get("arrived_at"), cleaned.get("left_at")
        if arrived and left and left <= arrived:
            self.add_error("left_at", ValidationError(traffic.MSG_LEFT_BEFORE_ARRIVAL))
        return cleaned


class TrafficKpiForm(BootstrapFormMixin, forms.Form):
    """The period (default this month) and, for managers, one consultant."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput(format=ISO_DATE))
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput(format=ISO_DATE))
    consultant = forms.ModelChoiceField(
        label=_("Consultant"), queryset=None, required=False, empty_label=_("All")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.sees_only_own:
            del self.fields["consultant"]
        else:
            self.fields["consultant"].queryset = traffic.store_consultants(user)

    def clean(self):
        cleaned = super().clean()
        start, end = traffic.this_month()
        cleaned["date_from"] = cleaned.get("date_from") or start
        cleaned["date_to"] = cleaned.get("date_to") or end
        if cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned
