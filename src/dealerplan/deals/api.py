"""Deals in the REST API: the deal list's filters, ``services.save_deal`` for writes and
``services.move_deal`` for a stage move (history and the customer's timeline as on the board)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from dealerplan.api.base import (
    ReadOnlyModelSerializer,
    ScopedPrimaryKeyRelatedField,
    ScopedWriteViewSet,
    WriteModelSerializer,
)
from dealerplan.core.choices import Role
from dealerplan.customers.models import Customer
from dealerplan.org.models import User

from . import services
from .filtersets import DealFilterSet
from .models import Deal, Pipeline, Stage


class DealSerializer(ReadOnlyModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    pipeline_name = serializers.CharField(source="pipeline.name", read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    probability = serializers.IntegerField(source="stage.probability", read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "pipeline",
            "pipeline_name",
            "stage",
            "stage_name",
            "probability",
            "status",
            "amount",
            "units",
            "expected_close_date",
            "bid_date",
            "contract_date",
            "delivery_date",
            "acceptance_date",
            "next_follow_up_at",
            "last_contact_at",
            "notes",
            "is_archived",
            "created_at",
            "updated_at",
        ]


class DealWriteSerializer(WriteModelSerializer):
    """The deal form. A consultant's deal is always their own; the status follows the stage."""

    customer = ScopedPrimaryKeyRelatedField(Customer, filter={"is_archived": False})
    owner = ScopedPrimaryKeyRelatedField(
        User, filter={"is_active": True, "role": Role.CONSULTANT}, required=False, allow_null=True
    )
    pipeline = ScopedPrimaryKeyRelatedField(Pipeline, filter={"is_archived": False})
    stage = ScopedPrimaryKeyRelatedField(Stage)

    class Meta:
        model = Deal
        fields = [
            "title",
            "customer",
            "owner",
            "pipeline",
            "stage",
            "amount",
            "units",
            "expected_close_date",
            "bid_date",
            "contract_date",
            "delivery_date",
            "acceptance_date",
            "next_follow_up_at",
            "notes",
        ]
        extra_kwargs = {
            "next_follow_up_at": {
                "help_text": _("Leave empty to use the stage's follow-up interval.")
            }
        }

    def create(self, validated_data):
        return services.save_deal(self.context["request"].user, Deal(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.save_deal(self.context["request"].user, instance)


class MoveDealSerializer(serializers.Serializer):
    stage = ScopedPrimaryKeyRelatedField(Stage, help_text=_("A stage of the deal's pipeline."))


class DealViewSet(ScopedWriteViewSet):
    """Deals the user may see, with the deal list's filters (``q``, pipeline, stage, status,
    owner, key date). POST ``{id}/move/`` moves a deal to another stage of its pipeline."""

    queryset = Deal.objects.all()
    serializer_class = DealSerializer
    write_serializer_class = DealWriteSerializer
    filterset_class = DealFilterSet
    select_related = ("customer", "owner", "pipeline", "stage")

    @extend_schema(request=MoveDealSerializer, responses={200: DealSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        deal = self.get_object()
        serializer = MoveDealSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.move_deal(request.user, deal, serializer.validated_data["stage"])
        return self.read_response(deal.pk)
