"""A report as an .xlsx workbook: one sheet per table, a title row naming the store and the
period, a frozen header row, real numbers with money and percentage formats, a totals row."""

import io
import re

from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .services import DATE, INT, MONEY_KIND, PERCENT, UNITS, Report, Row, Table

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
UNITS_FORMAT = "General"  # whole cars as 3, a shared sale as 0.5
INT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
FORMATS = {
    MONEY_KIND: MONEY_FORMAT,
    PERCENT: PERCENT_FORMAT,
    UNITS: UNITS_FORMAT,
    INT: INT_FORMAT,
    DATE: DATE_FORMAT,
}
#: Title row, facts row, then the header row; the data starts below it.
HEADER_ROW = 3

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")
SUBTOTAL_FILL = PatternFill("solid", fgColor="F8F9FA")
TOP_RULE = Border(top=Side(style="thin"))
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _width(text: str) -> int:
    # CJK characters take about two Latin widths.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in str(text))


def _sheet_title(title: str, used: set[str]) -> str:
    name = FORBIDDEN.sub(" ", title)[:31] or "Sheet"
    candidate, number = name, 2
    while candidate in used:
        suffix = f" {number}"
        candidate, number = name[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate)
    return candidate


def _write_row(sheet, row_number: int, table: Table, row: Row, *, bold: bool, widths: list):
    for index, column in enumerate(table.columns, start=1):
        value = row[column.key]
        if isinstance(value, Promise):
            value = str(value)
        cell = sheet.cell(row=row_number, column=index, value="" if value is None else value)
        if value is not None and column.kind in FORMATS:
            cell.number_format = FORMATS[column.kind]
        if bold:
            cell.font = BOLD
            cell.fill = SUBTOTAL_FILL
        widths[index - 1] = max(widths[index - 1], _width(_shown(value, column.kind)))


def _shown(value, kind) -> str:
    if value is None:
        return ""
    if kind == MONEY_KIND:
        return f"{value:,.2f}"
    if kind == PERCENT:
        return "100.0%"
    return str(value)


def _write_table(workbook: Workbook, report: Report, table: Table, used: set[str]) -> None:
    sheet = workbook.create_sheet(_sheet_title(table.title, used))
    last = get_column_letter(max(len(table.columns), 1))
    sheet["A1"] = f"{report.title} · {report.scope_label} · {report.period_label}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last}1")
    facts = [f"{label}: {value}" for label, value in report.facts]
    facts.append(_("Exported %(moment)s") % {"moment": f"{timezone.localtime():%Y-%m-%d %H:%M}"})
    sheet["A2"] = " · ".join(facts)
    sheet.merge_cells(f"A2:{last}2")
    widths = [_width(column.label) for column in table.columns]
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=str(column.label))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    row_number = HEADER_ROW
    for row in table.rows:
        row_number += 1
        _write_row(sheet, row_number, table, row, bold=row.subtotal, widths=widths)
    if table.totals is not None:
        row_number += 1
        _write_row(sheet, row_number, table, table.totals, bold=True, widths=widths)
        for index in range(1, len(table.columns) + 1):
            sheet.cell(row=row_number, column=index).border = TOP_RULE
    sheet.freeze_panes = f"B{HEADER_ROW + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 40)


def workbook_for(report: Report) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in report.tables:
        _write_table(workbook, report, table, used)
    return workbook


def xlsx_response(report: Report) -> FileResponse:
    buffer = io.BytesIO()
    workbook_for(report).save(buffer)
    buffer.seek(0)
    scope = FORBIDDEN.sub("-", report.scope_label.replace(" · ", "-"))
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"{report.title}-{scope}-{report.period_label}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
