"""A list's export rows read straight from the database, column by column of its table.

django-tables2's ``as_values()`` builds a model instance per row and calls each column's
``value()`` through ``inspect.signature``: about 2 ms a row, minutes for 100,000 rows. Here the
table still decides the columns, their order and their headers, but each column becomes a
``Reader``: the ``values_list`` paths it needs and a plain function from those values to the
cell. Rows stream from ``.iterator()`` in batches, so memory stays flat however long the list.

A column class whose export is more than its field's value (a masked phone, days in stock)
says so with an ``export_reader`` method; one whose ``value()`` shows the field's value as it
is (or its choice label) sets ``export_as_field = True``. Any other column that customises
``value()`` or ``render()`` is refused, so a new column cannot quietly export something other
than what the page shows. ``tests/core/test_table_export.py`` holds every list's rows equal to
``as_values()``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections
from django.db.models import Model
from django.utils.encoding import force_str
from django_tables2.utils import Accessor

BATCH = 2000


def _same(value):
    return value


@dataclass
class Reader:
    """``paths`` are read per row; ``convert(*values)`` makes the cell.

    The first path is the column's own accessor: when its value is empty the cell is empty.

    ``prefetch(values)`` (optional) sees each batch's values first, to load what ``convert``
    looks up (the names behind foreign keys) in one query per batch.
    """

    paths: tuple[Any, ...]
    convert: Callable[..., Any] = _same
    prefetch: Callable[[list[tuple]], None] | None = None
    slots: slice = field(default_factory=lambda: slice(0, 0))


def related_reader(path: str, model: type[Model], attrs: list[str]) -> Reader:
    """A foreign key's target shown as ``str(obj)`` or one of its attributes (``display_name``)."""
    cache: dict[Any, Any] = {}
    accessor = Accessor(".".join(attrs)) if attrs else None

    def shown(obj):
        value = accessor.resolve(obj) if accessor is not None else obj
        return force_str(value) if isinstance(value, Model) else value

    def prefetch(batch: list[tuple]) -> None:
        missing = {values[0] for values in batch if values[0] is not None} - cache.keys()
        if missing:
            for pk, obj in model._default_manager.in_bulk(missing).items():
                cache[pk] = shown(obj)

    return Reader((path,), lambda pk: None if pk is None else cache.get(pk), prefetch)


def choice_reader(path: str, model_field) -> Reader:
    """A choice field shown by its label in the active language, as ``get_FOO_display()``."""
    labels = {key: force_str(label) for key, label in model_field.flatchoices}
    return Reader((path,), lambda value: labels.get(value, value))


def field_reader(model: type[Model], queryset, accessor: str) -> Reader:
    """What a plain column reads: a field (its choice label), an annotation or a relation."""
    path = str(accessor).replace(".", "__")
    if path in queryset.query.annotations:
        return Reader((path,))
    parts = path.split("__")
    current, walked = model, []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        try:
            found = current._meta.get_field(current._meta.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            if not walked:
                raise ImproperlyConfigured(
                    f"{model.__name__}.{path} is not a field; give its column an export_reader"
                ) from None
            return related_reader("__".join(walked), current, parts[index:])
        if found.is_relation:
            if last:
                return related_reader(path, found.related_model, [])
            walked.append(part)
            current = found.related_model
            continue
        if not last:
            raise ImproperlyConfigured(f"{model.__name__}.{path}: {part} is not a relation")
        if found.choices:
            return choice_reader(path, found)
        return Reader((path,))
    raise ImproperlyConfigured(f"{model.__name__}.{path} names no field")  # pragma: no cover


def _shows_field_value(column) -> bool:
    """True when the column's export is its field's value as it is."""
    if getattr(column, "export_as_field", False):
        return True
    if isinstance(column, tables.DateColumn | tables.DateTimeColumn):
        return True  # exported as a real date cell rather than tables2's ISO text
    cls = type(column)
    return cls.value is tables.Column.value and cls.render is tables.Column.render


def _table_value_hook(table, name: str):
    """A ``value_<name>`` method on the table, when it takes only the value."""
    hook = getattr(table, f"value_{name}", None)
    if hook is None:
        if hasattr(table, f"render_{name}"):  # tables2 would export what render_<name> shows
            raise ImproperlyConfigured(
                f"{type(table).__name__}.render_{name} needs a value_{name} for the export"
            )
        return None
    if set(inspect.signature(hook).parameters) - {"value"}:
        raise ImproperlyConfigured(f"{type(table).__name__}.value_{name} may take only `value`")
    return hook


def reader_for(table, bound_column, model, queryset) -> Reader:
    column = bound_column.column
    if hasattr(column, "export_reader"):
        reader = column.export_reader(table=table, accessor=str(bound_column.accessor))
    elif _shows_field_value(column):
        reader = field_reader(model, queryset, bound_column.accessor)
    else:
        raise ImproperlyConfigured(
            f"{type(table).__name__}.{bound_column.name} ({type(column).__name__}) customises "
            "value() or render(): give it export_reader() or export_as_field = True"
        )
    hook = _table_value_hook(table, bound_column.name)
    if hook is not None:
        inner = reader.convert
        reader.convert = lambda *values: hook(value=inner(*values))
    empty = column.empty_values

    def convert(first, *rest, _inner=reader.convert):
        # As tables2: an empty accessor value is an empty cell, the column is not asked.
        return None if first in empty else _inner(first, *rest)

    reader.convert = convert
    return reader


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def export_rows(table) -> Iterator[list]:
    """The header, then one list of cell values per row of ``table``'s (ordered) queryset."""
    columns = [
        column for column in table.columns.iterall() if not column.column.exclude_from_export
    ]
    queryset = table.data.data
    model = queryset.model
    readers = [reader_for(table, column, model, queryset) for column in columns]
    paths: list[Any] = []
    for reader in readers:
        reader.slots = slice(len(paths), len(paths) + len(reader.paths))
        paths.extend(reader.paths)
    yield [force_str(column.header, strings_only=True) for column in columns]
    # Plain names only: ``values_list`` takes expressions as keywords, which no reader needs.
    rows = queryset.values_list(*paths).iterator(chunk_size=BATCH)
    plan = [(reader.convert, reader.slots) for reader in readers]
    prefetchers = [(reader.prefetch, reader.slots) for reader in readers if reader.prefetch]
    with whole_result_plans(connections[queryset.db]):
        for batch in _batches(rows, BATCH):
            for prefetch, slots in prefetchers:
                prefetch([row[slots] for row in batch])
            for row in batch:
                yield [convert(*row[slots]) for convert, slots in plan]


@contextmanager
def whole_result_plans(connection):
    """Plan the export's cursor for reading every row, not the first tenth.

    PostgreSQL plans a cursor for a fast first fetch (``cursor_tuple_fraction`` 0.1): for a
    long filtered list that is a walk down the sort index with a table read per row, 4 s for
    100,000 customers where a scan and a sort take 0.3 s.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1.0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")
