"""Customers and their contacts in the REST API.

Lists filter through ``CustomerFilterSet`` (the customer list page's). Creating and editing go
through ``services.save_customer``: the same store and owner rules, the same phone check and the
same level history as the form. Contacts are read-only here (they are edited in the admin).
"""

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dealerplan.api.base import (
    IdFilter,
    ReadOnlyModelSerializer,
    ScopedPrimaryKeyRelatedField,
    ScopedReadOnlyViewSet,
    ScopedWriteViewSet,
    WriteModelSerializer,
)
from dealerplan.catalog.models import Trim
from dealerplan.core.choices import Role
from dealerplan.core.phone import normalize_phone
from dealerplan.core.privacy import display_phone
from dealerplan.org.models import Store, User

from . import services
from .filtersets import CustomerFilterSet
from .models import Contact, Customer

CUSTOMER_FIELDS = [
    "id",
    "kind",
    "name",
    "gender",
    "phone",
    "wechat",
    "store",
    "owner",
    "owner_name",
    "source",
    "intention_level",
    "account_tier",
    "tier_overridden",
    "intended_trim",
    "intended_trim_name",
    "budget",
    "district",
    "address",
    "next_follow_up_at",
    "last_contact_at",
    "notes",
    "is_archived",
    "created_at",
    "updated_at",
]


def request_user(serializer):
    """The API caller; phones are masked for anyone but the owner and managers."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ContactSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "title",
            "phone",
            "is_decision_maker",
            "interests",
            "birthday",
            "notes",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["phone"] = display_phone(request_user(self), instance.customer, instance.phone)
        return data


class CustomerSerializer(ReadOnlyModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, allow_null=True)
    intended_trim_name = serializers.StringRelatedField(
        source="intended_trim", read_only=True, allow_null=True
    )

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["phone"] = display_phone(request_user(self), instance)
        return data


class CustomerDetailSerializer(CustomerSerializer):
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta(CustomerSerializer.Meta):
        fields = [*CUSTOMER_FIELDS, "contacts"]


class CustomerWriteSerializer(WriteModelSerializer):
    """What a form can set. ``store`` defaults to the user's; ``owner`` to a consultant."""

    store = ScopedPrimaryKeyRelatedField(Store, required=False)
    owner = ScopedPrimaryKeyRelatedField(
        User, filter={"is_active": True, "role": Role.CONSULTANT}, required=False, allow_null=True
    )
    intended_trim = ScopedPrimaryKeyRelatedField(
        Trim,
        filter={"is_active": True, "series__brand__is_competitor": False},
        required=False,
        allow_null=True,
    )
    phone = serializers.CharField(max_length=30)

    class Meta:
        model = Customer
        fields = [
            "kind",
            "name",
            "gender",
            "phone",
            "wechat",
            "store",
            "owner",
            "source",
            "intention_level",
            "account_tier",
            "intended_trim",
            "budget",
            "district",
            "address",
            "next_follow_up_at",
            "notes",
        ]
        # The service checks the phone is free in the store, with the form's message.
        validators = []

    def validate_phone(self, value):
        try:
            phone = normalize_phone(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        if not phone:
            raise serializers.ValidationError(_("Enter the customer's phone number."))
        return phone

    def validate(self, attrs):
        if self.instance is not None and "store" in attrs and attrs["store"] != self.instance.store:
            raise serializers.ValidationError({"store": _("A customer stays in their store.")})
        store = attrs.get("store") or getattr(self.instance, "store", None)
        owner = attrs.get("owner")
        if owner is not None and store is not None and owner.store_id != store.pk:
            raise serializers.ValidationError({"owner": _("Choose a consultant of this store.")})
        return attrs

    def save_with(self, customer):
        return services.save_customer(user=self.context["request"].user, customer=customer)

    def create(self, validated_data):
        return self.save_with(Customer(**validated_data))

    def update(self, instance, validated_data):
        tier = validated_data.get("account_tier")
        if tier is not None and tier != instance.account_tier:
            instance.tier_overridden = True  # as the form: a tier set by hand is kept
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self.save_with(instance)


class CustomerViewSet(ScopedWriteViewSet):
    """Customers (lead and owner cards) the user may see: a consultant their own, a manager
    the store's. Filters are the customer list page's."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    detail_serializer_class = CustomerDetailSerializer
    write_serializer_class = CustomerWriteSerializer
    filterset_class = CustomerFilterSet
    select_related = ("owner", "intended_trim__series")

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            qs = qs.prefetch_related("contacts")
        return qs


class ContactFilterSet(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", label=_("customer"))

    class Meta:
        model = Contact
        fields = ["customer", "is_decision_maker"]


class ContactViewSet(ScopedReadOnlyViewSet):
    """Contacts at the organisation customers the user may see (read-only)."""

    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    select_related = ("customer",)
