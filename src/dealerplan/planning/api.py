"""Plans and their lines in the REST API, read-only.

Plans are made by the breakdown wizard (a preview the manager adjusts before saving), which has
no API; locking a year plan and opening a revision go through ``services.lock_plan`` and
``services.start_revision`` as actions.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from dealerplan.api.base import IdFilter, ReadOnlyModelSerializer, ScopedReadOnlyViewSet

from . import services
from .choices import PeriodType, PlanScope, PlanStatus
from .models import Plan, PlanLine


class PlanLineSerializer(ReadOnlyModelSerializer):
    series_name = serializers.StringRelatedField(source="series", read_only=True, allow_null=True)

    class Meta:
        model = PlanLine
        fields = ["id", "metric", "series", "series_name", "quota", "goal"]


class PlanSerializer(ReadOnlyModelSerializer):
    consultant_name = serializers.CharField(
        source="consultant.display_name", read_only=True, allow_null=True
    )
    lines = PlanLineSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "store",
            "period_type",
            "period_start",
            "period_end",
            "scope",
            "team",
            "consultant",
            "consultant_name",
            "parent",
            "status",
            "revision",
            "notes",
            "lines",
            "created_at",
            "updated_at",
        ]


class RevisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=_("Why the plan changes."))


class PlanFilterSet(django_filters.FilterSet):
    period_type = django_filters.ChoiceFilter(choices=PeriodType.choices, label=_("period"))
    scope = django_filters.ChoiceFilter(choices=PlanScope.choices, label=_("scope"))
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices, label=_("Status"))
    year = IdFilter(field_name="period_start__year", label=_("Year"), max_value=9999)
    consultant = IdFilter(field_name="consultant_id", label=_("consultant"))
    parent = IdFilter(field_name="parent_id", label=_("broken down from"))

    class Meta:
        model = Plan
        fields = ["period_type", "scope", "status", "year", "consultant", "parent"]

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.filter(is_archived=False))


class PlanViewSet(ScopedReadOnlyViewSet):
    """Year, month, week and day plans the user may see (a consultant: their own), each with
    its lines: quota (任务) and goal (目标) per metric and optionally per series."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    select_related = ("consultant",)
    prefetch_related = ("lines__series__brand",)

    @extend_schema(request=None, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"])
    def lock(self, request, pk=None):
        """Lock a plan and everything broken down from it (sales, general and group managers)."""
        plan = services.lock_plan(request.user, self.get_object())
        return self.read_response(plan.pk)

    @extend_schema(request=RevisionSerializer, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """Open a locked plan for change: revision + 1, with the reason in its history."""
        plan = self.get_object()
        serializer = RevisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.start_revision(request.user, plan, serializer.validated_data["reason"])
        return self.read_response(plan.pk)
