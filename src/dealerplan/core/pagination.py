"""A paginator for lists that can hold a million rows.

Django's ``Paginator`` runs ``COUNT(*)`` over the whole filtered list and fetches page *n* with
``OFFSET``: at a dealer group's scale the count alone reads every row, and a deep page joins and
throws away every row before it. :class:`LargeListPaginator` counts exactly up to
``exact_count_limit`` rows and above that shows the database planner's estimate ("about N"),
and fetches deep pages by primary key first, so both stay cheap. The rows of a page, and their
order, are exactly those of the plain paginator.
"""

from __future__ import annotations

import json
import math

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _


def _queryset_of(object_list):
    """The queryset behind a list, also behind django-tables2's ``BoundRows``."""
    if isinstance(object_list, QuerySet):
        return object_list
    data = getattr(getattr(object_list, "data", None), "data", None)  # BoundRows -> TableData
    return data if isinstance(data, QuerySet) else None


def planner_estimate(queryset: QuerySet) -> int:
    """The row count PostgreSQL's planner expects for ``queryset``: one EXPLAIN, no scan."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count()  # other databases give no estimate; only used in development
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def about(count: int) -> str:
    """An estimate rounded to two significant digits ("about 990,000"): it must not look exact."""
    digits = max(0, len(str(count)) - 2)
    rounded = round(count, -digits)
    return _("about %(count)s") % {"count": number_format(rounded, force_grouping=True)}


class LargeListPaginator(Paginator):
    """Exact count up to ``exact_count_limit`` rows, the planner's estimate above it.

    With an estimate, page numbers past the estimated end are still served while they hold
    rows, and the last page found fixes the count exactly. Pages from ``deep_page_offset`` on
    select the page's primary keys first (an index walk) and join only those rows. That is
    every page by default: for a search the planner expects one match where there are
    thousands, and joined every match to the owner, trim and series before sorting
    (60 ms of a group user's name search; 6 ms keys first).
    """

    exact_count_limit = 2_000
    deep_page_offset = 0

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        self.count_is_estimate = False
        self._min_pages = 1

    @cached_property
    def count(self):
        queryset = _queryset_of(self.object_list)
        if queryset is None:
            return super().count
        limit = self.exact_count_limit
        capped = queryset.order_by().values("pk")[: limit + 1].count()
        if capped <= limit:
            return capped
        self.count_is_estimate = True
        return max(limit + 1, planner_estimate(queryset))

    @property
    def num_pages(self):
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, self.count - self.orphans)
        pages = math.ceil(hits / self.per_page)
        return max(pages, self._min_pages) if self.count_is_estimate else pages

    @property
    def display_count(self) -> str | int:
        """The count to show: the number, or "about N" when it is an estimate."""
        return about(self.count) if self.count_is_estimate else self.count

    def validate_number(self, number):
        if not (self.count and self.count_is_estimate):
            return super().validate_number(number)
        # The estimated end is no limit: past it, the page itself tells whether rows exist.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number):
        self.count  # noqa: B018 - the count decides whether the end is known or estimated
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.count_is_estimate:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return self._get_page(self._slice(bottom, top), number, self)
        # Estimated count: one row more than the page tells whether a next page exists.
        records = list(self._page_data(bottom, bottom + self.per_page + 1))
        if not records and number > 1:
            self._settle_count(exact=None)
            raise EmptyPage(_("That page contains no results"))
        if len(records) > self.per_page:
            self._min_pages = number + 1
        else:
            self._settle_count(exact=bottom + len(records))
        return self._get_page(self._rows_like(records[: self.per_page]), number, self)

    def _settle_count(self, exact):
        """Past the last row the estimate gives way to the true count."""
        self.__dict__["count"] = (
            exact if exact is not None else _queryset_of(self.object_list).count()
        )
        self.count_is_estimate = False

    def _page_data(self, bottom, top):
        """The records of one page; a deep page's keys come from an index walk, and only the
        page's own rows are joined (``OFFSET`` would join and discard every row before it)."""
        queryset = _queryset_of(self.object_list)
        if bottom < self.deep_page_offset:
            return queryset[bottom:top]
        return queryset.filter(pk__in=queryset.values("pk")[bottom:top])

    def _slice(self, bottom, top):
        if _queryset_of(self.object_list) is None:
            return self.object_list[bottom:top]
        return self._rows_like(self._page_data(bottom, top))

    def _rows_like(self, data):
        """``data`` in the container being paginated (django-tables2's rows, or as is)."""
        rows = self.object_list
        if isinstance(rows, QuerySet) or not hasattr(rows, "table"):
            return data
        return type(rows)(data=data, table=rows.table, pinned_data=rows.pinned_data)
