"""Activities and the traffic register in the REST API.

Logging a contact goes through ``services.log_activity`` and planning one through
``services.plan_activity`` (the customer's dates and level move as on My Day). Traffic entries
go through ``traffic.register_traffic`` / ``mark_departed`` / ``mark_responded`` and list
through ``TrafficEntryFilterSet`` (today by default, as the page); a visitor's phone is masked
and a card the user may not see is only "linked", exactly as the traffic pages show them.
"""

import datetime

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action

from dealerplan.api.base import (
    DateTimeField,
    IdFilter,
    ReadOnlyModelSerializer,
    ScopedCreateViewSet,
    ScopedPrimaryKeyRelatedField,
    ScopedWriteViewSet,
    WriteModelSerializer,
)
from dealerplan.catalog.models import Series
from dealerplan.core.choices import Role
from dealerplan.core.phone import mask_phone
from dealerplan.customers.choices import IntentionLevel, SourceChannel
from dealerplan.customers.models import Customer
from dealerplan.org.models import User

from . import services, traffic
from .choices import ActivityKind, ActivityStatus, Outcome, VisitType
from .models import Activity, TrafficEntry
from .traffic_filtersets import TrafficEntryFilterSet

# -- activities -----------------------------------------------------------------------------------


class ActivitySerializer(ReadOnlyModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "kind",
            "status",
            "planned_at",
            "done_at",
            "duration_minutes",
            "outcome",
            "location",
            "notes",
            "next_step",
            "is_important",
            "created_at",
            "updated_at",
        ]


class LogActivitySerializer(serializers.Serializer):
    """A contact that happened (the "log" form of My Day); the follow-up follows the rules."""

    customer = ScopedPrimaryKeyRelatedField(Customer)
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=200)
    done_at = DateTimeField(required=False, allow_null=True)
    new_level = serializers.ChoiceField(
        choices=IntentionLevel.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=_("Leave empty to keep the level. F (lost) needs a manager's approval."),
    )
    next_follow_up_at = DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("Leave empty to use the store's rhythm for the level."),
    )
    is_important = serializers.BooleanField(required=False, default=False)
    planned = ScopedPrimaryKeyRelatedField(
        Activity,
        filter={"status": ActivityStatus.PLANNED},
        required=False,
        allow_null=True,
        help_text=_("The planned call or visit this contact completes."),
    )

    def create(self, validated_data):
        return services.log_activity(
            user=self.context["request"].user,
            customer=validated_data["customer"],
            kind=validated_data["kind"],
            outcome=validated_data.get("outcome") or "",
            notes=validated_data.get("notes") or "",
            next_step=validated_data.get("next_step") or "",
            done_at=validated_data.get("done_at"),
            new_level=validated_data.get("new_level") or None,
            next_follow_up_at=validated_data.get("next_follow_up_at"),
            is_important=validated_data.get("is_important", False),
            planned=validated_data.get("planned"),
        )


class PlanActivitySerializer(serializers.Serializer):
    """A call or visit put in the diary: it shows on My Day and in the calendar."""

    customer = ScopedPrimaryKeyRelatedField(Customer)
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    planned_at = DateTimeField()
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=500)
    is_important = serializers.BooleanField(required=False, default=False)

    def create(self, validated_data):
        return services.plan_activity(user=self.context["request"].user, **validated_data)


class ActivityFilterSet(django_filters.FilterSet):
    """Activities have no list page (they show on My Day and the customer); the API's own."""

    customer = IdFilter(field_name="customer_id", label=_("customer"))
    owner = IdFilter(field_name="owner_id", label=_("consultant"))
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, label=_("Type"))
    status = django_filters.ChoiceFilter(choices=ActivityStatus.choices, label=_("Status"))
    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_date_from", help_text=_("Local day, done or planned.")
    )
    date_to = django_filters.DateFilter(
        label=_("To"), method="filter_date_to", help_text=_("Local day, done or planned.")
    )

    class Meta:
        model = Activity
        fields = ["customer", "owner", "kind", "status", "date_from", "date_to"]

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.filter(is_archived=False))

    def filter_date_from(self, queryset, name, value):
        start = traffic.local_day_start(value)
        return queryset.filter(
            Q(done_at__gte=start) | Q(done_at__isnull=True, planned_at__gte=start)
        )

    def filter_date_to(self, queryset, name, value):
        if value >= datetime.date.max:
            return queryset
        end = traffic.local_day_start(value + datetime.timedelta(days=1))
        return queryset.filter(Q(done_at__lt=end) | Q(done_at__isnull=True, planned_at__lt=end))


class ActivityViewSet(ScopedCreateViewSet):
    """Calls, visits, receptions, test drives and messages the user may see.

    POST logs a contact that happened; POST ``plan/`` puts one in the diary.
    """

    queryset = Activity.objects.all()
    serializer_class = ActivitySerializer
    write_serializer_class = LogActivitySerializer
    filterset_class = ActivityFilterSet
    select_related = ("customer", "owner")

    @extend_schema(request=PlanActivitySerializer, responses={201: ActivitySerializer})
    @action(detail=False, methods=["post"])
    def plan(self, request):
        serializer = PlanActivitySerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        activity = serializer.save()
        return self.read_response(activity.pk, 201)


# -- traffic register -----------------------------------------------------------------------------


class TrafficEntrySerializer(ReadOnlyModelSerializer):
    """An entry as the traffic pages show it to this user."""

    consultant_name = serializers.CharField(
        source="consultant.display_name", read_only=True, allow_null=True
    )
    series_name = serializers.StringRelatedField(source="series", read_only=True, allow_null=True)
    customer = serializers.SerializerMethodField(
        help_text=_("The linked card, when the user may see it; else empty.")
    )
    customer_linked = serializers.SerializerMethodField(
        help_text=_("The visitor is linked to a customer card (maybe another consultant's).")
    )
    visitor_phone = serializers.SerializerMethodField(
        help_text=_("Masked (138****8000) for anyone but the entry's consultant and managers.")
    )

    class Meta:
        model = TrafficEntry
        fields = [
            "id",
            "kind",
            "consultant",
            "consultant_name",
            "customer",
            "customer_linked",
            "arrived_at",
            "left_at",
            "party_size",
            "visit_type",
            "series",
            "series_name",
            "channel",
            "test_drive",
            "wechat_added",
            "visitor_name",
            "visitor_phone",
            "first_response_at",
            "notes",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_customer(self, entry):
        return entry.customer_id if getattr(entry, "customer_visible", False) else None

    @extend_schema_field(serializers.BooleanField())
    def get_customer_linked(self, entry):
        return entry.customer_id is not None

    @extend_schema_field(serializers.CharField())
    def get_visitor_phone(self, entry):
        if getattr(entry, "show_phone", False):
            return entry.visitor_phone
        return mask_phone(entry.visitor_phone)


class TrafficEntryWriteSerializer(WriteModelSerializer):
    """The traffic form: empty "first or repeat" and channel are worked out by the service."""

    consultant = ScopedPrimaryKeyRelatedField(
        User, filter={"is_active": True, "role": Role.CONSULTANT}, required=False, allow_null=True
    )
    series = ScopedPrimaryKeyRelatedField(Series, required=False, allow_null=True)
    visit_type = serializers.ChoiceField(
        choices=VisitType.choices, required=False, allow_blank=True
    )
    channel = serializers.ChoiceField(
        choices=SourceChannel.choices, required=False, allow_blank=True
    )
    visitor_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    open_card = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text=_("Open a lead card (level B) when no customer has this phone."),
    )

    class Meta:
        model = TrafficEntry
        fields = [
            "kind",
            "consultant",
            "arrived_at",
            "left_at",
            "party_size",
            "visit_type",
            "series",
            "channel",
            "test_drive",
            "wechat_added",
            "visitor_name",
            "visitor_phone",
            "first_response_at",
            "notes",
            "open_card",
        ]

    def register(self, entry, open_card):
        result = traffic.register_traffic(
            user=self.context["request"].user, entry=entry, open_card=open_card
        )
        return result.entry

    def create(self, validated_data):
        open_card = validated_data.pop("open_card", False)
        validated_data.setdefault("visit_type", "")
        validated_data.setdefault("channel", "")
        return self.register(TrafficEntry(**validated_data), open_card)

    def update(self, instance, validated_data):
        open_card = validated_data.pop("open_card", False)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self.register(instance, open_card)


@extend_schema_view(
    # The page's yes/no filter on a yes/no field: say "yes" or "no", not true/false.
    list=extend_schema(
        parameters=[
            OpenApiParameter("test_drive", str, enum=["yes", "no"], description=_("Test drive"))
        ]
    )
)
class TrafficEntryViewSet(ScopedWriteViewSet):
    """来店(电)客户登记: the traffic register, filtered like the page (today unless
    ``date_from`` / ``date_to`` say otherwise; give both empty for every day)."""

    queryset = TrafficEntry.objects.all()
    serializer_class = TrafficEntrySerializer
    write_serializer_class = TrafficEntryWriteSerializer
    filterset_class = TrafficEntryFilterSet
    select_related = ("consultant", "series__brand")

    def get_queryset(self):
        return traffic.annotate_visibility(super().get_queryset(), self.request.user)

    @extend_schema(request=None, responses={200: TrafficEntrySerializer})
    @action(detail=True, methods=["post"])
    def departed(self, request, pk=None):
        """A walk-in has left the showroom now."""
        entry = self.get_object()
        traffic.mark_departed(user=request.user, entry_id=entry.pk)
        return self.read_response(entry.pk)

    @extend_schema(request=None, responses={200: TrafficEntrySerializer})
    @action(detail=True, methods=["post"])
    def responded(self, request, pk=None):
        """A phone or online enquiry has been answered now."""
        entry = self.get_object()
        traffic.mark_responded(user=request.user, entry_id=entry.pk)
        return self.read_response(entry.pk)
