"""What every API endpoint shares: scope, paging, throttling, errors and scoped related fields.

Scope is the UI's: every viewset starts from ``Model.objects.visible_to(request.user)``, so
another consultant's or another store's record is a 404 here exactly as on the pages. Writes go
through the apps' service functions; the Django ``ValidationError`` / ``PermissionDenied`` they
raise become 400 / 403 answers carrying the same (translated) message the UI shows.
"""

import django_filters
from django import forms
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

# Paging, throttling, filtering, errors and dates live in policy.py, which
# settings.REST_FRAMEWORK names: DRF imports them while building its views, before this
# module (which needs those views) could be imported.
from .policy import (
    DateField,
    DateTimeField,
    FilterBackend,
    Pagination,
    UserRateThrottle,
    WriteModelSerializer,
    exception_handler,
    service_error_detail,
)

__all__ = [
    "DateField",
    "DateTimeField",
    "FilterBackend",
    "IdFilter",
    "Pagination",
    "ReadOnlyModelSerializer",
    "ScopedCreateViewSet",
    "ScopedPrimaryKeyRelatedField",
    "ScopedReadOnlyViewSet",
    "ScopedViewSetMixin",
    "ScopedWriteViewSet",
    "UserRateThrottle",
    "WriteModelSerializer",
    "exception_handler",
    "service_error_detail",
]

# -- scope ----------------------------------------------------------------------------------------


class ScopedViewSetMixin:
    """Rows come from ``Model.objects.visible_to(request.user)``, never from ``queryset``.

    ``queryset`` names the model (for the router and the schema); ``select_related`` and
    ``prefetch_related`` keep a list at a fixed number of queries.
    """

    queryset = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()

    def get_queryset(self):
        model = self.queryset.model
        qs = model.objects.visible_to(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def read_response(self, pk, status=200):
        """The record ``pk`` as a read shows it (from the scoped queryset, annotations and all)."""
        instance = self.get_queryset().get(pk=pk)
        read_class = getattr(self, "detail_serializer_class", None) or self.serializer_class
        data = read_class(instance, context=self.get_serializer_context()).data
        return Response(data, status=status)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve in the user's scope."""


WRITE_ACTIONS = ("create", "update", "partial_update")


class WriteAutoSchema(AutoSchema):
    """In the schema, a write answers with the read serializer, as the viewset does."""

    def get_response_serializers(self):
        view = self.view
        if getattr(view, "action", None) in WRITE_ACTIONS and view.write_serializer_class:
            return view.detail_serializer_class or view.serializer_class
        return super().get_response_serializers()


class ScopedCreateViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """List, retrieve and create; the write goes through the app's service (``create()`` of the
    write serializer) and the answer is the record as a GET shows it."""

    schema = WriteAutoSchema()
    #: The serializer for POST / PUT / PATCH bodies, when it differs from the read one.
    write_serializer_class = None
    #: The serializer for single records (detail), when it differs from the list one.
    detail_serializer_class = None

    def get_serializer_class(self):
        if self.action in WRITE_ACTIONS and self.write_serializer_class:
            return self.write_serializer_class
        if self.action != "list" and self.detail_serializer_class:
            return self.detail_serializer_class
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self.read_response(serializer.instance.pk, 201)


class ScopedWriteViewSet(mixins.UpdateModelMixin, ScopedCreateViewSet):
    """List, retrieve, create and edit; nothing is deleted through the API (the UI archives)."""

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return self.read_response(serializer.instance.pk)


# -- fields ---------------------------------------------------------------------------------------


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    """Every field read-only, but keeping what the model allows (blank, null), so the schema
    tells a client that ``""`` or ``null`` can come back (``read_only_fields`` would drop it)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
            field.required = False
        return fields


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related record by id, among those the requesting user may see.

    ``filter`` narrows further (say, active trims only). An id outside the user's scope is the
    same "does not exist" error as an id that does not exist at all.
    """

    def __init__(self, model=None, *, filter=None, **kwargs):
        self.model = model
        self.extra_filter = filter or {}
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        qs = self.model.objects.visible_to(user) if user is not None else self.model.objects.none()
        return qs.filter(**self.extra_filter) if self.extra_filter else qs


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A record id: a whole number in the database's range (a huge one is a 400, not a 500).

    A plain number rather than a choice of records, so an id outside the user's scope filters
    to nothing, like one that does not exist, instead of telling the two apart.
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
