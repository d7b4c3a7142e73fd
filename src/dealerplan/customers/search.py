"""Customer search: name, 4+ digits of a phone, pinyin, or a plate / VIN on one of the orders.

The rule (what matches) is in ``CustomerQuerySet.search``'s docstring; this module says it in a
form PostgreSQL answers from indexes at a million customers:

- every branch of the ``OR`` is indexable, so the planner combines index bitmaps instead of
  testing each row of the user's scope: the orders matching a plate or VIN are looked up first
  (their own small query) and enter as a list of customer keys, not as an ``EXISTS`` per row;
- a two-character text (a surname and one given-name character, two pinyin initials) is too
  short for the trigram indexes; it is narrowed with the bigram index of migration 0010, and the
  ``LIKE`` still decides, so the rows found are exactly the same.
"""

from __future__ import annotations

import re

from django.db import connections
from django.db.models import Func, Q, TextField, Value
from django.db.models.functions import Upper

from dealerplan.core.phone import phone_search_digits
from dealerplan.orders.models import PLATE_PROVINCES, SalesOrder, normalize_plate

MIN_PHONE_DIGITS = 4
#: Six or more VIN characters with at least one digit: the tail a consultant reads off a car.
VIN_FRAGMENT = re.compile(r"(?=.*\d)[0-9A-HJ-NPR-Z]{6,17}")
#: A plate or 4+ characters of one (京A12345, A123, 12345), with a digit or the province.
PLATE_FRAGMENT = re.compile(
    rf"(?=.{{4,8}}$)(?=.*[\d{PLATE_PROVINCES}])[{PLATE_PROVINCES}]?[0-9A-Z]+"
)
#: Up to this many matching orders enter the query as a key list; more stay a subquery.
MAX_ORDER_KEYS = 2_000


def search_customers(queryset, query: str):
    """``queryset`` narrowed to the customers ``query`` finds (see ``CustomerQuerySet.search``)."""
    query = (query or "").strip().lower()
    if not query:
        return queryset
    compact = query.replace(" ", "").replace("-", "")
    if compact.isdigit():
        if len(compact) < MIN_PHONE_DIGITS:
            return queryset.none()
        matches = Q(phone__contains=phone_search_digits(compact))
    else:
        matches = Q(name__icontains=query) | Q(search_text__contains=query)
        if len(query) == 2 and connections[queryset.db].vendor == "postgresql":
            matches &= Q(_bigram_filter(query))
    by_order = _orders_matching(query, compact)
    if by_order is not None:
        matches |= Q(pk__in=by_order)
    return queryset.filter(matches)


def _orders_matching(query: str, compact: str):
    """Keys of the customers with an order whose plate or VIN matches, or ``None``.

    Looked up on their own (any store: the list's own scope still applies to the customers),
    so the customer query gets a short key list it can fetch by primary key.
    """
    plate = normalize_plate(query)
    conditions = Q()
    if PLATE_FRAGMENT.fullmatch(plate):
        conditions |= Q(plate_number__contains=plate)
    if not compact.isdigit() and VIN_FRAGMENT.fullmatch(compact.upper()):
        conditions |= Q(vehicle__vin__contains=compact.upper())
    if not conditions:
        return None
    orders = SalesOrder.objects.filter(conditions, customer__isnull=False)
    keys = list(orders.values_list("customer_id", flat=True).distinct()[: MAX_ORDER_KEYS + 1])
    if len(keys) > MAX_ORDER_KEYS:
        return orders.values("customer_id")
    return keys


class SearchBigrams(Func):
    """``customers_search_bigrams(name, search_text)``: the indexed two-character pieces."""

    function = "customers_search_bigrams"
    arity = 2

    def __init__(self, **extra):
        from django.contrib.postgres.fields import ArrayField

        super().__init__("name", "search_text", output_field=ArrayField(TextField()), **extra)


def _bigram_filter(query: str):
    """Rows whose upper-cased name or whose pinyin keys hold the two characters (PostgreSQL).

    ``UPPER`` is the database's, as in the ``icontains`` it narrows, so both agree on case.
    """
    from django.contrib.postgres.fields import ArrayField
    from django.contrib.postgres.lookups import Overlap

    wanted = Func(
        Upper(Value(query)),
        Value(query),
        function="ARRAY",
        template="%(function)s[%(expressions)s]::text[]",
        output_field=ArrayField(TextField()),
    )
    return Overlap(SearchBigrams(), wanted)
