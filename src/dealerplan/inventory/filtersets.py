import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Color, Series, Trim
from dealerplan.core.filtersets import ALL, FilterForm

from .choices import VehicleStatus
from .models import Vehicle
from .services import aged_cutoff

AGING_CHOICES = [("0-30", "0–30"), ("31-60", "31–60"), ("61-90", "61–90"), (">90", ">90")]


class CheckboxFilter(django_filters.BooleanFilter):
    """A tick box: ticked filters, unticked leaves the list alone (and is not "changed")."""

    field_class = forms.BooleanField


class VehicleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("VIN or its last digits")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[*VehicleStatus.choices, ("all", _("All, including sold"))],
        empty_label=_("Current stock (not sold)"),
        method="filter_status",
    )
    series = django_filters.ModelChoiceFilter(
        label=_("Series"),
        field_name="trim__series",
        queryset=Series.objects.filter(brand__is_competitor=False).select_related("brand"),
        empty_label=ALL,
    )
    trim = django_filters.ModelChoiceFilter(
        label=_("trim"),
        queryset=Trim.objects.filter(series__brand__is_competitor=False).select_related("series"),
        empty_label=ALL,
    )
    color = django_filters.ModelChoiceFilter(
        label=_("colour"),
        queryset=Color.objects.filter(brand__is_competitor=False),
        empty_label=ALL,
    )
    aging = django_filters.ChoiceFilter(
        label=_("Days in stock"), choices=AGING_CHOICES, method="filter_aging", empty_label=ALL
    )
    aged = CheckboxFilter(label=_("Focus sale only (aged stock)"), method="filter_aged")

    class Meta:
        model = Vehicle
        fields = ["q", "status", "series", "trim", "color", "aging", "aged"]
        form = FilterForm

    def filter_queryset(self, queryset):
        queryset = queryset.filter(is_archived=False)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=VehicleStatus.current())
        return super().filter_queryset(queryset)

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_q(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(Q(vin__endswith=value) | Q(vin__contains=value))

    def filter_aging(self, queryset, name, value):
        today = timezone.localdate()
        low, _sep, high = value.replace(">", "").partition("-")
        if value.startswith(">"):
            return queryset.filter(arrival_date__lt=today - datetime.timedelta(days=int(low)))
        return queryset.filter(
            arrival_date__lte=today - datetime.timedelta(days=int(low)),
            arrival_date__gte=today - datetime.timedelta(days=int(high)),
        )

    def filter_aged(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status=VehicleStatus.IN_STOCK, arrival_date__lt=aged_cutoff())
