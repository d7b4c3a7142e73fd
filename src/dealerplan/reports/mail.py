"""The monthly report mail: on the first working day of a month, each store's sales manager
and general manager get last month's four tables (月销售计划表, 月访客户计划表, 月销售统计表,
月访客户统计表) and the store's year summary in one workbook, one sheet per report. When the
month closed a half year (June) or the year (December), each consultant's work summary
(工作总结) for it comes along as a Word document.

Each store is sent once per month: ``MonthlyReportMail`` has a unique key on store + month,
so running the command again (cron retries, a second server) sends nothing.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from dealerplan.core.choices import Role
from dealerplan.org.models import Store, User
from dealerplan.planning.models import WorkdayOverride
from dealerplan.planning.visitplan import shift_month
from dealerplan.planning.workdays import workdays_in_month

from . import services, summary
from .exports import (
    BOLD,
    HEADER_FILL,
    TOP_RULE,
    _sheet_title,
    _width,
    _write_row,
)
from .models import Half, MonthlyReportMail
from .services import Report, Selection

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECIPIENT_ROLES = (Role.SALES_MANAGER, Role.GENERAL_MANAGER)


def first_workday(store_id, month: datetime.date) -> datetime.date | None:
    """The store's first working day of ``month`` (its own overrides first)."""
    overrides = dict(
        WorkdayOverride.objects.filter(
            store_id=store_id, date__gte=month, date__lt=shift_month(month, 1)
        ).values_list("date", "is_workday")
    )
    days = workdays_in_month(month.year, month.month, overrides)
    return days[0] if days else None


def recipients(store) -> list[User]:
    return list(
        User.objects.filter(store=store, role__in=RECIPIENT_ROLES, is_active=True)
        .exclude(email="")
        .order_by("role", "username")
    )


def reports_for(viewer, store, month: datetime.date, today: datetime.date) -> list[Report]:
    """The month's four tables and the year summary, as the store's manager sees them."""
    selection = Selection(user=viewer, store=store)
    now = timezone.now()
    return [
        services.sales_plan(selection, month),
        services.visit_plan(selection, month, now=now),
        services.sales_stats(selection, month, today),
        services.visit_stats(selection, month, now=now),
        services.year_summary(selection, month.year),
    ]


def _write_report(workbook: Workbook, report: Report, used: set[str]) -> None:
    """One sheet per report: the title and facts, then each table under its own heading."""
    sheet = workbook.create_sheet(_sheet_title(report.title, used))
    width = max(len(table.columns) for table in report.tables)
    widths = [0] * width
    sheet["A1"] = f"{report.title} · {report.scope_label} · {report.period_label}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{get_column_letter(width)}1")
    if report.facts:
        sheet["A2"] = " · ".join(f"{label}: {value}" for label, value in report.facts)
    row_number = 2
    for table in report.tables:
        row_number += 2
        sheet.cell(row=row_number, column=1, value=str(table.title)).font = BOLD
        row_number += 1
        for index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=row_number, column=index, value=str(column.label))
            cell.font = BOLD
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            widths[index - 1] = max(widths[index - 1], _width(column.label))
        table_widths = widths[: len(table.columns)]
        for row in table.rows:
            row_number += 1
            _write_row(sheet, row_number, table, row, bold=row.subtotal, widths=table_widths)
        if table.totals is not None:
            row_number += 1
            _write_row(sheet, row_number, table, table.totals, bold=True, widths=table_widths)
            for index in range(1, len(table.columns) + 1):
                sheet.cell(row=row_number, column=index).border = TOP_RULE
        widths[: len(table.columns)] = table_widths
    for index, value in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(value + 2, 8), 40)


def workbook_bytes(reports: list[Report]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for report in reports:
        _write_report(workbook, report, used)
    buffer = io.BytesIO()  # a few sheets of one store's month: small by nature
    workbook.save(buffer)
    return buffer.getvalue()


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def closed_period(month: datetime.date) -> summary.Period | None:
    """The half year June closes, the whole year December closes; other months close none."""
    if month.month == 6:
        return summary.Period(month.year, Half.FIRST)
    if month.month == 12:
        return summary.Period(month.year, Half.WHOLE_YEAR)
    return None


def work_summaries(viewer, store, period: summary.Period) -> list[tuple[str, bytes]]:
    """(file name, .docx) of each active consultant of the store, as ``viewer`` reads them."""
    consultants = User.objects.filter(store=store, role=Role.CONSULTANT, is_active=True)
    documents = []
    for person in consultants.order_by("username"):
        data = summary.summary_data(viewer, person, period)
        record = summary.find_summary(viewer, person, period)
        part = "year" if period.half == Half.WHOLE_YEAR else f"H{period.half}"
        name = f"{store.code}-{period.year}-{part}-work-summary-{person.username}.docx"
        documents.append((name, summary.render_docx(data, record)))
    return documents


def build_message(store, month: datetime.date, people: list[User], today) -> EmailMessage:
    reports = reports_for(people[0], store, month, today)
    period = closed_period(month)
    documents = work_summaries(people[0], store, period) if period else []
    names = {"store": store.name, "month": f"{month:%Y-%m}"}
    subject = _("%(store)s monthly reports %(month)s") % names
    body = "\n".join(
        [
            _("Attached: the monthly reports of %(store)s for %(month)s.") % names,
            "",
            *[f"· {report.title}" for report in reports],
            *(
                [
                    "",
                    _("And each consultant's work summary for %(period)s (Word):")
                    % {"period": period.label},
                    *[f"· {name}" for name, _content in documents],
                ]
                if documents
                else []
            ),
            "",
            _("Sent automatically on the first working day of the month by dealerplan."),
        ]
    )
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email for person in people],
    )
    filename = f"{store.code}-{month:%Y-%m}-monthly-reports.xlsx"
    message.attach(filename, workbook_bytes(reports), XLSX_TYPE)
    for name, content in documents:
        message.attach(name, content, DOCX_TYPE)
    return message


@dataclass
class Outcome:
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)
    no_recipients: list[str] = field(default_factory=list)
    would_send: list[str] = field(default_factory=list)


def send_monthly_reports(
    *,
    today: datetime.date,
    month: datetime.date | None = None,
    dry_run: bool = False,
    stores=None,
) -> Outcome:
    """Mail each store's managers the reports of ``month`` (default: the month before today).

    Without ``month`` a store is only sent on its first working day of the month. Each store's
    row in ``MonthlyReportMail`` is written in the same transaction as the mail goes out, so a
    failed send leaves no row and the next run tries again.
    """
    forced = month is not None
    month = (month or shift_month(today.replace(day=1), -1)).replace(day=1)
    outcome = Outcome()
    stores = Store.objects.order_by("code") if stores is None else stores
    done = set(MonthlyReportMail.objects.filter(month=month).values_list("store_id", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        for store in stores:
            label = f"{store.code} {month:%Y-%m}"
            if not forced and first_workday(store.pk, today.replace(day=1)) != today:
                outcome.not_due.append(label)
                continue
            if store.pk in done:
                outcome.already_sent.append(label)
                continue
            people = recipients(store)
            if not people:
                outcome.no_recipients.append(label)
                continue
            message = build_message(store, month, people, today)
            if dry_run:
                outcome.would_send.append(f"{label} → {', '.join(message.to)}")
                continue
            try:
                with transaction.atomic():
                    MonthlyReportMail.objects.create(
                        store=store, month=month, recipients=list(message.to)
                    )
                    message.send()
            except IntegrityError:  # another run got there first
                outcome.already_sent.append(label)
                continue
            outcome.sent.append(f"{label} → {', '.join(message.to)}")
    return outcome
