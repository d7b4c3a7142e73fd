"""Excel export of exactly the rows a list shows (its filters and scope), in constant memory.

The workbook is written in openpyxl's write-only mode straight to a temporary file, so a big
export never holds the whole sheet (or the finished file) in memory. Lists longer than
``EXPORT_ASYNC_ROWS`` are written by a background task instead (``run_export``).
"""

import datetime
import tempfile
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.http import FileResponse, HttpRequest, QueryDict
from django.urls import resolve
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_ASYNC_ROWS = 20_000
#: How often (in rows) a background export writes its progress.
PROGRESS_EVERY = 500


def async_threshold() -> int:
    """Exports with more rows than this run in the background."""
    return int(getattr(settings, "EXPORT_ASYNC_ROWS", DEFAULT_ASYNC_ROWS))


def _cell(sheet, value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    if value is None or value == "—":
        value = ""
    cell = WriteOnlyCell(
        sheet,
        value=value
        if isinstance(value, str | int | float | Decimal | datetime.date | bool)
        else str(value),
    )
    if isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, datetime.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = DATE_FORMAT
    return cell


def write_xlsx(
    rows: Iterable,
    target,
    *,
    sheet_title: str,
    on_progress: Callable[[int], None] | None = None,
    properties: dict | None = None,
) -> int:
    """Write ``rows`` (the first is the header) to ``target`` (a path or binary file).

    ``on_progress(rows_written)`` is called every ``PROGRESS_EVERY`` data rows. Returns the
    number of data rows written.
    """
    workbook = Workbook(write_only=True)
    for key, value in (properties or {}).items():  # who exported it, and when
        setattr(workbook.properties, key, value)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.freeze_panes = "A2"
    rows = iter(rows)
    header = next(rows, [])
    bold = Font(bold=True)
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    written = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        written += 1
        if on_progress is not None and written % PROGRESS_EVERY == 0:
            on_progress(written)
    workbook.save(target)
    return written


def xlsx_response(
    rows, *, filename: str, sheet_title: str, properties: dict | None = None
) -> FileResponse:
    """``rows`` is an iterable whose first item is the header row.

    The file is a named temporary file that ``FileResponse`` streams and then closes, which
    deletes it.
    """
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response
    write_xlsx(rows, handle, sheet_title=sheet_title, properties=properties)
    handle.flush()
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


# --- background exports ---------------------------------------------------------------------


def _list_view(job):
    """The list view behind ``job.path``, set up as if its owner had asked for the page."""
    match = resolve(job.path)
    view_class = match.func.view_class
    view = view_class(**getattr(match.func, "view_initkwargs", {}))
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = job.path
    request.GET = QueryDict(job.query)
    request.META["QUERY_STRING"] = job.query
    request.user = job.user
    view.setup(request, *match.args, **match.kwargs)
    return view


def run_export(job):
    """Write the job's rows to a file under ``MEDIA_ROOT/exports/``; record progress and result.

    The rows are the list's own (``ObjectListView.export_table``): same filters, same scope,
    read again now as the job's owner.
    """
    from .exports_policy import workbook_properties
    from .models import ExportJob

    job.status = ExportJob.Status.RUNNING
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows", "updated_at"])

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(processed_rows=done)

    try:
        with translation.override(settings.LANGUAGE_CODE):
            view = _list_view(job)
            table = view.export_table()
            job.total_rows = len(table.rows)
            job.save(update_fields=["total_rows", "updated_at"])
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
                written = write_xlsx(
                    table.as_values(),
                    handle,
                    sheet_title=job.title,
                    on_progress=progress,
                    properties=workbook_properties(job.user, job.title, job.created_at),
                )
                handle.flush()
                handle.seek(0)
                job.file.save(job.filename, File(handle), save=False)
    except Exception as exc:  # the page must say it failed rather than spin for ever
        job.status = ExportJob.Status.FAILED
        job.error = str(exc)[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        raise
    job.status = ExportJob.Status.DONE
    job.processed_rows = written
    job.total_rows = written
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "processed_rows",
            "total_rows",
            "file",
            "finished_at",
            "updated_at",
        ]
    )
    return job
