import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.core.filtersets import ALL, FilterForm
from dealerplan.org.models import User

from .choices import DealStatus, PipelineKind
from .models import Deal, Pipeline, Stage
from .services import KEY_DATE_FIELDS


def owners(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(role=Role.CONSULTANT, is_active=True)


def pipelines(request):
    if request is None:
        return Pipeline.objects.none()
    return Pipeline.objects.visible_to(request.user).filter(is_archived=False)


def stages(request):
    if request is None:
        return Stage.objects.none()
    return (
        Stage.objects.visible_to(request.user)
        .filter(pipeline__is_archived=False)
        .select_related("pipeline")
        .order_by("pipeline__name", "position")
    )


def fleet_stages(request):
    return stages(request).filter(pipeline__kind=PipelineKind.FLEET)


class StageField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.pipeline.name} · {obj.name}"


class StageFilter(django_filters.ModelChoiceFilter):
    field_class = StageField


KEY_DATE_WINDOWS = [
    ("7", _("Within 7 days")),
    ("14", _("Within 14 days")),
    ("30", _("Within 30 days")),
    ("90", _("Within 90 days")),
]


class DealFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("Title or customer")}),
    )
    pipeline = django_filters.ModelChoiceFilter(
        label=_("Pipeline"), queryset=pipelines, empty_label=ALL
    )
    stage = StageFilter(label=_("Stage"), queryset=stages, empty_label=ALL)
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=DealStatus.choices, empty_label=ALL
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=owners, empty_label=ALL)
    key_date = django_filters.ChoiceFilter(
        label=_("Key date"),
        method="filter_key_date",
        choices=KEY_DATE_WINDOWS,
        empty_label=ALL,
    )

    class Meta:
        model = Deal
        fields = ["q", "pipeline", "stage", "status", "owner", "key_date"]
        form = FilterForm

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and request.user.sees_only_own:
            del self.filters["owner"]

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.filter(is_archived=False))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(customer__name__icontains=value))

    def filter_key_date(self, queryset, name, value):
        today = timezone.localdate()
        end = today + datetime.timedelta(days=int(value))
        condition = Q()
        for field in KEY_DATE_FIELDS:
            condition |= Q(**{f"{field}__gte": today, f"{field}__lte": end})
        return queryset.filter(condition)


class TrackingFilterSet(DealFilterSet):
    """项目跟踪表: fleet / tender deals, open ones unless the status filter says otherwise."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        method="filter_status",
        choices=[*DealStatus.choices, ("all", _("All"))],
        empty_label=_("Open"),
    )
    stage = StageFilter(label=_("Stage"), queryset=fleet_stages, empty_label=ALL)

    class Meta(DealFilterSet.Meta):
        fields = ["q", "stage", "status", "owner", "key_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("pipeline", None)

    def filter_queryset(self, queryset):
        status = self.form.cleaned_data.get("status")
        if not status:
            queryset = queryset.filter(status=DealStatus.OPEN)
        return super().filter_queryset(queryset)

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)
