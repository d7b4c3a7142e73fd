"""Excel export of exactly the rows a list shows (its filters and scope), in constant memory.

The workbook is written by XlsxWriter in constant-memory mode straight to a temporary file, so
a big export never holds the whole sheet (or the finished file) in memory. Lists longer than
``EXPORT_ASYNC_ROWS`` are written by a background task instead (``run_export``).
"""

import datetime
import multiprocessing
import tempfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import islice

import xlsxwriter
from django.conf import settings
from django.core.files import File
from django.http import FileResponse, HttpRequest, QueryDict
from django.urls import resolve
from django.utils import timezone, translation

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


#: Document properties as ``workbook_properties`` names them, in XlsxWriter's words.
PROPERTY_NAMES = {"creator": "author", "title": "title", "description": "comments"}


class _Sheet:
    """One worksheet, written row by row with a format per value type."""

    def __init__(self, workbook, title: str):
        self.sheet = workbook.add_worksheet(title)
        self.formats = {
            Decimal: workbook.add_format({"num_format": MONEY_FORMAT}),
            datetime.datetime: workbook.add_format({"num_format": DATETIME_FORMAT}),
            datetime.date: workbook.add_format({"num_format": DATE_FORMAT}),
        }
        self.bold = workbook.add_format({"bold": True})

    def header(self, titles) -> None:
        for column, title in enumerate(titles):
            self.sheet.write_string(0, column, str(title), self.bold)
        self.sheet.freeze_panes(1, 0)

    def row(self, number: int, values) -> None:
        sheet, formats = self.sheet, self.formats
        for column, value in enumerate(values):
            kind = type(value)
            if value is None or value == "" or value == "—":
                continue
            if kind is str:
                sheet.write_string(number, column, value)
            elif kind is bool:
                sheet.write_boolean(number, column, value)
            elif kind is int or kind is float:
                sheet.write_number(number, column, value)
            elif kind is Decimal:
                sheet.write_number(number, column, value, formats[Decimal])
            elif kind is datetime.datetime:
                if value.tzinfo is not None:
                    value = timezone.localtime(value).replace(tzinfo=None)
                sheet.write_datetime(number, column, value, formats[datetime.datetime])
            elif kind is datetime.date:
                sheet.write_datetime(number, column, value, formats[datetime.date])
            else:
                sheet.write_string(number, column, str(value))


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
    return write_workbook(
        target, [(sheet_title, rows)], on_progress=on_progress, properties=properties
    )


def write_workbook(
    target,
    sheets: Iterable[tuple[str, Iterable]],
    *,
    on_progress: Callable[[int], None] | None = None,
    properties: dict | None = None,
) -> int:
    """One sheet per ``(title, rows)``, each with a bold, frozen header row.

    XlsxWriter in constant-memory mode flushes each row as it is written: memory stays flat
    and 100,000 rows take seconds (about twice as fast as openpyxl's write-only mode).
    Returns the number of data rows written.
    """
    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "tmpdir": tempfile.gettempdir()}
    )
    workbook.set_properties(
        {
            PROPERTY_NAMES[key]: str(value)
            for key, value in (properties or {}).items()
            if key in PROPERTY_NAMES
        }
    )
    written = 0
    for title, rows in sheets:
        sheet = _Sheet(workbook, _sheet_name(title))
        rows = iter(rows)
        sheet.header(next(rows, []))
        for number, row in enumerate(rows, start=1):
            sheet.row(number, row)
            written += 1
            if on_progress is not None and written % PROGRESS_EVERY == 0:
                on_progress(written)
    workbook.close()
    return written


def write_xlsx_in_child(
    rows: Iterable,
    target,
    *,
    sheet_title: str,
    on_progress: Callable[[int], None] | None = None,
    properties: dict | None = None,
) -> int:
    """``write_xlsx`` with the writing in a forked process, for long background exports.

    Reading and converting the rows and writing the workbook each take one core's time; on
    two processes they overlap (100,000 customer rows: about 17 s in one process). The child
    only writes: it touches no database connection and leaves with ``os._exit``. Where fork
    is not available the rows are written here.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return write_xlsx(
            rows, target, sheet_title=sheet_title, on_progress=on_progress, properties=properties
        )
    context = multiprocessing.get_context("fork")
    batches = context.Queue(maxsize=8)
    done = context.Queue()
    path = getattr(target, "name", target)  # the child opens the file itself
    child = context.Process(
        target=_write_from_queue,
        args=(batches, done, path, sheet_title, properties),
        daemon=True,
    )
    child.start()
    rows = iter(rows)
    sent = 0
    try:
        batches.put([next(rows, [])])  # the header
        while batch := list(islice(rows, CHILD_BATCH)):
            batches.put(batch)
            sent += len(batch)
            if on_progress is not None:
                on_progress(sent)
        batches.put(None)
    except BaseException:
        child.kill()
        raise
    finally:
        child.join()
    outcome = done.get() if child.exitcode == 0 else None
    if not isinstance(outcome, int):
        raise RuntimeError(outcome or f"the workbook writer stopped with code {child.exitcode}")
    return outcome


#: Rows per message from the reading process to the writing one.
CHILD_BATCH = 2000


def _write_from_queue(batches, done, target, sheet_title, properties) -> None:
    def rows():
        while (batch := batches.get()) is not None:
            yield from batch

    try:
        done.put(write_xlsx(rows(), target, sheet_title=sheet_title, properties=properties))
    except Exception as exc:  # the parent raises it
        done.put(f"{type(exc).__name__}: {exc}")


def _sheet_name(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in str(title))
    return cleaned[:31] or "Sheet1"


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
    from .table_export import export_rows

    job.status = ExportJob.Status.RUNNING
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows", "updated_at"])

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(processed_rows=done)

    try:
        with translation.override(settings.LANGUAGE_CODE):
            view = _list_view(job)
            table = view.export_table()
            job.total_rows = table.data.data.count()
            job.save(update_fields=["total_rows", "updated_at"])
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
                written = write_xlsx_in_child(
                    export_rows(table),
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
