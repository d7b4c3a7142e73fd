"""Sales orders and payments in the REST API.

A new order goes through ``services.create_order``; allocating a vehicle and receiving a payment
are actions on the order through ``services.allocate_vehicle`` / ``services.receive_payment``.
The other steps of the order page (invoice, delivery, cancellation, insurance, plates, loan
steps, checklist, accessory lines) are readable here and recorded on the page for now.
Finance and managers see the payments of their store.
"""

from decimal import Decimal

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from dealerplan.api.base import (
    DateField,
    IdFilter,
    ReadOnlyModelSerializer,
    ScopedCreateViewSet,
    ScopedPrimaryKeyRelatedField,
    ScopedReadOnlyViewSet,
)
from dealerplan.catalog.models import Color, Trim
from dealerplan.core.choices import Role
from dealerplan.core.filtersets import FilterForm
from dealerplan.customers.models import Customer
from dealerplan.deals.models import Deal
from dealerplan.inventory.models import Vehicle
from dealerplan.org.models import User

from . import services
from .choices import FinancingKind, PaymentKind, PaymentMethod
from .filtersets import OrderFilterSet
from .models import AccessoryLine, Payment, SalesOrder

MONEY = {"max_digits": 14, "decimal_places": 2}


class PaymentSerializer(ReadOnlyModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "order_number",
            "kind",
            "method",
            "amount",
            "received_on",
            "reference",
            "notes",
            "created_at",
        ]


class OrderSerializer(ReadOnlyModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    consultant_name = serializers.CharField(source="consultant.display_name", read_only=True)
    trim_name = serializers.StringRelatedField(source="trim", read_only=True)
    vin = serializers.CharField(source="vehicle.vin", read_only=True, allow_null=True)

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "store",
            "customer",
            "customer_name",
            "consultant",
            "consultant_name",
            "co_consultant",
            "co_share",
            "deal",
            "trim",
            "trim_name",
            "color",
            "vehicle",
            "vin",
            "status",
            "order_date",
            "delivery_date",
            "vehicle_price",
            "discount",
            "accessories_amount",
            "total",
            "financing",
            "loan_status",
            "loan_lender",
            "loan_amount",
            "invoice_number",
            "invoice_date",
            "invoice_amount",
            "loan_commission",
            "loan_applied_on",
            "loan_approved_on",
            "loan_disbursed_on",
            "trade_in_vehicle",
            "trade_in_value",
            "insurance_company",
            "insurance_premium",
            "insurance_policy_number",
            "insurance_commission",
            "plate_number",
            "registration_date",
            "documents_handed_over",
            "inspection_done",
            "accessories_fitted",
            "customer_signed_off",
            "checklist_completed_at",
            "gross_profit",
            "cancel_reason",
            "notes",
            "created_at",
            "updated_at",
        ]


class AccessoryLineSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = AccessoryLine
        fields = ["id", "position", "name", "price", "cost"]


class OrderDetailSerializer(OrderSerializer):
    payments = PaymentSerializer(many=True, read_only=True)
    accessory_lines = AccessoryLineSerializer(many=True, read_only=True)
    paid_amount = serializers.SerializerMethodField(help_text=_("Money in, refunds taken off."))
    receivable = serializers.SerializerMethodField(help_text=_("What the customer still owes."))

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "paid_amount",
            "receivable",
            "payments",
            "accessory_lines",
        ]

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_paid_amount(self, order):
        return serializers.DecimalField(**MONEY).to_representation(services.paid_amount(order))

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_receivable(self, order):
        return serializers.DecimalField(**MONEY).to_representation(services.receivable(order))


def _money_field(**kwargs):
    return serializers.DecimalField(min_value=Decimal("0"), **MONEY, **kwargs)


class CreateOrderSerializer(serializers.Serializer):
    """A draft order for a customer; the number comes from the store's sequence."""

    customer = ScopedPrimaryKeyRelatedField(Customer, filter={"is_archived": False})
    trim = ScopedPrimaryKeyRelatedField(
        Trim, filter={"is_active": True, "series__brand__is_competitor": False}
    )
    color = ScopedPrimaryKeyRelatedField(Color, required=False, allow_null=True)
    order_date = DateField(required=False)
    vehicle_price = _money_field()
    discount = _money_field(required=False, default=Decimal("0"))
    accessories_amount = _money_field(required=False, default=Decimal("0"))
    financing = serializers.ChoiceField(
        choices=FinancingKind.choices, required=False, default=FinancingKind.CASH
    )
    co_consultant = ScopedPrimaryKeyRelatedField(
        User, filter={"is_active": True, "role": Role.CONSULTANT}, required=False, allow_null=True
    )
    co_share = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        required=False,
        default=Decimal("0"),
        help_text=_("Fraction of the sale credited to the second consultant, e.g. 0.50."),
    )
    deal = ScopedPrimaryKeyRelatedField(Deal, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs.get("co_consultant") is not None and not attrs.get("co_share"):
            raise serializers.ValidationError(
                {"co_share": _("Enter the second consultant's share, e.g. 0.50.")}
            )
        deal = attrs.get("deal")
        if deal is not None and deal.customer_id != attrs["customer"].pk:
            raise serializers.ValidationError({"deal": _("Choose a deal of this customer.")})
        return attrs

    def create(self, validated_data):
        data = dict(validated_data)
        customer, trim = data.pop("customer"), data.pop("trim")
        data.setdefault("order_date", timezone.localdate())
        return services.create_order(self.context["request"].user, customer, trim, **data)


class AllocateSerializer(serializers.Serializer):
    vehicle = ScopedPrimaryKeyRelatedField(
        Vehicle, help_text=_("A vehicle of the order's store, of the order's trim.")
    )


class ReceivePaymentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    amount = serializers.DecimalField(**MONEY)
    received_on = DateField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


class OrderViewSet(ScopedCreateViewSet):
    """Sales orders the user may see, with the order list's filters."""

    queryset = SalesOrder.objects.all()
    serializer_class = OrderSerializer
    detail_serializer_class = OrderDetailSerializer
    write_serializer_class = CreateOrderSerializer
    filterset_class = OrderFilterSet
    select_related = ("customer", "consultant", "trim__series", "vehicle")

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            qs = qs.prefetch_related("payments", "accessory_lines")
        return qs

    @extend_schema(request=AllocateSerializer, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"], url_path="allocate-vehicle")
    def allocate_vehicle(self, request, pk=None):
        """Give the order a car from stock (the car is reserved; a VIN is sold once)."""
        order = self.get_object()
        serializer = AllocateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.allocate_vehicle(
            user=request.user, order=order, vehicle=serializer.validated_data["vehicle"]
        )
        return self.read_response(order.pk)

    @extend_schema(request=ReceivePaymentSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"], url_path="payments")
    def receive_payment(self, request, pk=None):
        """Record money received (finance and managers); a draft order becomes confirmed."""
        order = self.get_object()
        serializer = ReceivePaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.receive_payment(
            user=request.user, order=order, **serializer.validated_data
        )
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response(PaymentSerializer(payment).data, status=201)


class PaymentFilterSet(django_filters.FilterSet):
    order = IdFilter(field_name="order_id", label=_("order"))
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices, label=_("Type"))
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Method"))
    date_from = django_filters.DateFilter(
        field_name="received_on", lookup_expr="gte", label=_("Received from")
    )
    date_to = django_filters.DateFilter(
        field_name="received_on", lookup_expr="lte", label=_("Received until")
    )

    class Meta:
        model = Payment
        fields = ["order", "kind", "method", "date_from", "date_to"]
        form = FilterForm


class PaymentViewSet(ScopedReadOnlyViewSet):
    """Payments on the orders the user may see (finance: the whole store)."""

    queryset = Payment.objects.all()
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    select_related = ("order",)
