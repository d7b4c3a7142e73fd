import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.core.filtersets import ALL, FilterForm
from dealerplan.core.forms import DateInput
from dealerplan.core.phone import phone_search_digits
from dealerplan.customers.choices import SourceChannel

from . import traffic
from .choices import TrafficKind, VisitType
from .models import TrafficEntry
from .traffic_forms import ISO_DATE

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def consultants(request):
    if request is None:
        return traffic.store_consultants(None)
    return traffic.store_consultants(request.user)


class TrafficEntryFilterSet(django_filters.FilterSet):
    """Shared by the traffic list, its export and the API.

    Without dates in the query the list shows today (local); empty dates mean "any day".
    """

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("Visitor name or phone")}),
    )
    date_from = django_filters.DateFilter(
        label=_("From"),
        method="filter_date_from",
        widget=DateInput(format=ISO_DATE),
        initial=timezone.localdate,
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        method="filter_date_to",
        widget=DateInput(format=ISO_DATE),
        initial=timezone.localdate,
    )
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=TrafficKind.choices, empty_label=ALL
    )
    visit_type = django_filters.ChoiceFilter(
        label=_("First or repeat"), choices=VisitType.choices, empty_label=ALL
    )
    consultant = django_filters.ModelChoiceFilter(
        label=_("Consultant"), queryset=consultants, empty_label=ALL
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=SourceChannel.choices, empty_label=ALL
    )
    test_drive = django_filters.ChoiceFilter(
        label=_("Test drive"), choices=YES_NO, method="filter_yes_no", empty_label=ALL
    )
    linked = django_filters.ChoiceFilter(
        label=_("Customer card"),
        choices=[("yes", _("Linked to a card")), ("no", _("No card"))],
        method="filter_linked",
        empty_label=ALL,
    )

    class Meta:
        model = TrafficEntry
        fields = [
            "q",
            "date_from",
            "date_to",
            "kind",
            "visit_type",
            "consultant",
            "channel",
            "test_drive",
            "linked",
        ]
        form = FilterForm

    def __init__(self, data=None, *args, request=None, **kwargs):
        if data is not None and "date_from" not in data and "date_to" not in data:
            data = data.copy()
            today = timezone.localdate().isoformat()
            data["date_from"] = today
            data["date_to"] = today
        super().__init__(data, *args, request=request, **kwargs)
        if request is not None and request.user.sees_only_own:
            # A consultant sees only their own entries: a consultant filter would be noise.
            del self.filters["consultant"]

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.filter(is_archived=False))

    def filter_date_from(self, queryset, name, value):
        return traffic.in_period(queryset, value, None)

    def filter_date_to(self, queryset, name, value):
        return traffic.in_period(queryset, None, value)

    def filter_yes_no(self, queryset, name, value):
        return queryset.filter(**{name: value == "yes"})

    def filter_linked(self, queryset, name, value):
        return queryset.filter(customer__isnull=value != "yes")

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        digits = phone_search_digits(value)
        condition = Q(visitor_name__icontains=value)
        if digits and len(digits) >= 3:
            condition |= Q(visitor_phone__contains=digits)
        return queryset.filter(condition)
