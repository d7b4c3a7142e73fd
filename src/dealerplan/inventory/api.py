"""Vehicles (stock) in the REST API: the stock list's filters, ``services.save_vehicle`` for
writes, and the in-transit / received steps of the vehicle page as actions."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from dealerplan.api.base import (
    DateField,
    ReadOnlyModelSerializer,
    ScopedPrimaryKeyRelatedField,
    ScopedWriteViewSet,
    WriteModelSerializer,
)
from dealerplan.catalog.models import Color, Trim
from dealerplan.core.vin import normalize_vin, validate_vin
from dealerplan.org.models import Store

from . import services
from .filtersets import VehicleFilterSet
from .models import Vehicle


class VehicleSerializer(ReadOnlyModelSerializer):
    trim_name = serializers.StringRelatedField(source="trim", read_only=True)
    color_name = serializers.CharField(source="color.name", read_only=True)
    days_in_stock = serializers.SerializerMethodField()
    aging_bucket = serializers.SerializerMethodField(
        help_text=_("0-30, 31-60, 61-90 or >90 days; empty before the car arrives.")
    )
    is_aged = serializers.SerializerMethodField(
        help_text=_("In stock for more than 90 days: focus sale (重点销售).")
    )

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "vin",
            "store",
            "trim",
            "trim_name",
            "color",
            "color_name",
            "status",
            "arrival_date",
            "days_in_stock",
            "aging_bucket",
            "is_aged",
            "cost",
            "location",
            "notes",
            "is_archived",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_days_in_stock(self, vehicle):
        return services.days_in_stock(vehicle.arrival_date)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_aging_bucket(self, vehicle):
        return services.aging_bucket(services.days_in_stock(vehicle.arrival_date))

    @extend_schema_field(serializers.BooleanField())
    def get_is_aged(self, vehicle):
        return services.is_aged(vehicle.status, vehicle.arrival_date)


class VehicleWriteSerializer(WriteModelSerializer):
    """The vehicle form. Reserved, sold and delivered are set by a sales order, not here."""

    store = ScopedPrimaryKeyRelatedField(Store, required=False)
    trim = ScopedPrimaryKeyRelatedField(Trim, filter={"series__brand__is_competitor": False})
    color = ScopedPrimaryKeyRelatedField(Color, filter={"brand__is_competitor": False})
    vin = serializers.CharField(
        max_length=40, help_text=_("17 characters, no I, O or Q; the 9th is a check digit.")
    )

    class Meta:
        model = Vehicle
        fields = [
            "vin",
            "store",
            "trim",
            "color",
            "status",
            "arrival_date",
            "cost",
            "location",
            "notes",
        ]
        # VIN uniqueness is checked below on the normalised VIN.
        validators = []

    def validate_vin(self, value):
        vin = normalize_vin(value)
        try:
            validate_vin(vin)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        taken = Vehicle.objects.filter(vin=vin)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(_("A vehicle with this VIN already exists."))
        return vin

    def validate(self, attrs):
        if self.instance is not None and "store" in attrs and attrs["store"] != self.instance.store:
            raise serializers.ValidationError({"store": _("A vehicle stays in its store.")})
        return attrs

    def create(self, validated_data):
        return services.save_vehicle(
            user=self.context["request"].user, vehicle=Vehicle(**validated_data)
        )

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.save_vehicle(user=self.context["request"].user, vehicle=instance)


class ReceiveSerializer(serializers.Serializer):
    arrival_date = DateField()
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)


class VehicleViewSet(ScopedWriteViewSet):
    """The store's vehicles by VIN, with the stock list's filters (current stock unless
    ``status`` says otherwise)."""

    queryset = Vehicle.objects.all()
    serializer_class = VehicleSerializer
    write_serializer_class = VehicleWriteSerializer
    filterset_class = VehicleFilterSet
    select_related = ("trim__series", "color")

    @extend_schema(request=None, responses={200: VehicleSerializer})
    @action(detail=True, methods=["post"], url_path="in-transit")
    def in_transit(self, request, pk=None):
        """The factory has shipped the car."""
        vehicle = self.get_object()
        services.mark_in_transit(user=request.user, vehicle=vehicle)
        return self.read_response(vehicle.pk)

    @extend_schema(request=ReceiveSerializer, responses={200: VehicleSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """The car has arrived: in stock from ``arrival_date``."""
        vehicle = self.get_object()
        serializer = ReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.receive_into_stock(user=request.user, vehicle=vehicle, **serializer.validated_data)
        return self.read_response(vehicle.pk)
