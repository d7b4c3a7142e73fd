"""Paging, per-user throttling, filtering, dates and the error handler of every endpoint.

Kept apart from ``base.py`` because ``settings.REST_FRAMEWORK`` names these classes and DRF
imports them while it builds ``APIView``; this module must not import DRF's views at the top.
"""

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination, serializers, throttling
from rest_framework.settings import api_settings


def service_error_detail(exc: DjangoValidationError) -> dict:
    """A service's ValidationError as a serializer-style error dict (``__all__`` renamed)."""
    from rest_framework.serializers import as_serializer_error

    detail = as_serializer_error(exc)
    if "__all__" in detail:
        detail.setdefault(api_settings.NON_FIELD_ERRORS_KEY, [])
        detail[api_settings.NON_FIELD_ERRORS_KEY] += detail.pop("__all__")
    return detail


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError raised by a service as a 400.

    A service's ``PermissionDenied`` is already a 403 in DRF's handler; both carry the
    message the UI shows, in the user's language.
    """
    from rest_framework import exceptions
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=service_error_detail(exc))
    return drf_exception_handler(exc, context)


class Pagination(pagination.PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; 50 a page, ``?page_size=`` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class UserRateThrottle(throttling.UserRateThrottle):
    """Requests per user at ``settings.API_RATE`` (read per request, so a test can change it)."""

    def get_rate(self):
        return settings.API_RATE


# -- dates ----------------------------------------------------------------------------------------

#: Dates a dealership's records can carry. Outside them a year-14 "arrival" would be kept and
#: shown in Shanghai's 19th-century local mean time (+08:05:43), and date arithmetic near
#: 9999-12-31 overflows.
MIN_YEAR, MAX_YEAR = 1970, 2999
MSG_YEAR_RANGE = _("Enter a date between 1970 and 2999.")


class DateTimeField(serializers.DateTimeField):
    """ISO 8601 in, ISO 8601 in Asia/Shanghai (+08:00) out; years 1970–2999 only."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise serializers.ValidationError(MSG_YEAR_RANGE, code="year_range")
        return result


class DateField(serializers.DateField):
    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise serializers.ValidationError(MSG_YEAR_RANGE, code="year_range")
        return result


class WriteModelSerializer(serializers.ModelSerializer):
    """The base of write serializers: model dates and times get the year range above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.DateField: DateField,
    }


def validate_year_range(value):
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DjangoValidationError(MSG_YEAR_RANGE, code="year_range")


class FilterBackend(DjangoFilterBackend):
    """The lists' own FilterSets, with every date filter held to years 1970–2999, so a date
    like 9999-12-31 is a 400 instead of overflowing when a filter adds a day to it."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            for name, filter_ in filterset.filters.items():
                if isinstance(filter_, django_filters.DateFilter):
                    filterset.filters[name].extra["validators"] = [
                        *filter_.extra.get("validators", []),
                        validate_year_range,
                    ]
        return filterset
