import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.core.filtersets import ALL, FilterForm
from dealerplan.core.forms import DateInput
from dealerplan.org.models import User

from .choices import OrderStatus
from .models import SalesOrder, normalize_plate


def consultants(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(role=Role.CONSULTANT, is_active=True)


class OrderFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("Order number, customer, VIN or plate")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OrderStatus.choices, empty_label=ALL
    )
    consultant = django_filters.ModelChoiceFilter(
        label=_("Consultant"), queryset=consultants, empty_label=ALL
    )
    date_from = django_filters.DateFilter(
        label=_("Ordered from"), field_name="order_date", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Ordered until"), field_name="order_date", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = SalesOrder
        fields = ["q", "status", "consultant", "date_from", "date_to"]
        form = FilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.request is None or self.request.user.sees_only_own:
            self.filters.pop("consultant", None)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(vehicle__vin__icontains=value)
            | Q(plate_number__contains=normalize_plate(value))
        )
