"""A report cell as its column says: money to the fen, units whole when whole, ratios as %."""

import datetime
from decimal import Decimal

from django import template

from dealerplan.core.templatetags.dealerplan import amount, percent

from ..services import DATE, INT, MONEY_KIND, PERCENT, TEXT, UNITS

register = template.Library()


@register.simple_tag
def report_cell(row, column):
    value = row[column.key]
    if value is None or value == "":
        return "" if column.kind == TEXT else "—"
    if column.kind == MONEY_KIND:
        return f"{Decimal(value):,.2f}"
    if column.kind == PERCENT:
        return percent(value)
    if column.kind in (UNITS, INT):
        return amount(value)
    if column.kind == DATE and isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    return value


@register.filter
def is_number(column) -> bool:
    return column.kind not in (TEXT, DATE)
