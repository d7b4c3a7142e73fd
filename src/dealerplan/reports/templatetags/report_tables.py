"""A report cell as its column says: money to the fen, units whole when whole, ratios as %."""

import datetime
import html
from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

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


def _escape(value) -> str:
    """``conditional_escape`` without its lazy-string wrapper: it runs once per cell."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.simple_tag
def report_rows(table):
    """The table's body rows as HTML, as ``report_cell`` shows each cell.

    Built in Python rather than by a template loop per cell: a store's visit plan lists
    thousands of accounts, and a template node per cell would cost more than the report.
    """
    numeric = [is_number(column) for column in table.columns]
    html = []
    for row in table.rows:
        html.append('<tr class="report-subtotal table-light">' if row.subtotal else "<tr>")
        for column, right in zip(table.columns, numeric, strict=True):
            text = _escape(report_cell(row, column))
            html.append(f'<td class="text-end">{text}</td>' if right else f"<td>{text}</td>")
        html.append("</tr>\n")
    return mark_safe("".join(html))  # noqa: S308 - every cell is escaped above
