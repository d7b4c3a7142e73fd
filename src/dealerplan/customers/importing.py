"""Import customers and leads from an Excel workbook (.xlsx) or a CSV file.

The flow, one :class:`~dealerplan.customers.models.ImportJob` per upload:

1. :func:`start_import` checks the upload (type, size, a readable workbook or text encoding, a
   header row and at least one data row), stores it under ``MEDIA_ROOT/imports/`` with a random
   name and proposes a column mapping from the headers (Chinese or English).
2. :func:`check_import` reads every row with the same rules as the customer form, finds phone
   numbers repeated in the file or already used in the store, and keeps a report (row-level
   errors, duplicates, a sample). Nothing is written to customers.
3. :func:`run_import` reads and checks the file again, makes sure nothing changed since the
   preview (a phone taken meanwhile), and then writes everything in one transaction
   (``bulk_create``), or nothing at all.

Messages are stored as codes and parameters, and put into words (in the reader's language) by
:func:`describe_issue` when a page shows them. No request objects here: views, tasks, the
management command and the benchmark all call these functions.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import io
import json
import logging
import os
import re
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.validators import DecimalValidator, MinValueValidator
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from dealerplan.catalog.models import Trim
from dealerplan.core.choices import Role
from dealerplan.core.phone import MSG_INVALID as PHONE_INVALID_MESSAGE
from dealerplan.core.phone import normalize_phone
from dealerplan.org.models import User

from .choices import AccountTier, CustomerKind, Gender, IntentionLevel, SourceChannel
from .models import Customer, ImportJob, LevelChange
from .services import can_edit_customers

logger = logging.getLogger(__name__)

#: Uploads larger than this are refused before anything is stored.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: More data rows than this are refused (split the file).
MAX_DATA_ROWS = 100_000
#: Files with fewer rows are checked and imported within the request; bigger ones in the queue.
INLINE_ROW_LIMIT = 2000
#: The header row is looked for among the first rows that have any content.
HEADER_SCAN_ROWS = 10
#: Row-level errors kept in the report (the count is always exact).
MAX_STORED_ERRORS = 1000
#: Rows shown in the preview table.
SAMPLE_SIZE = 10
#: Progress is saved every so many rows.
PROGRESS_EVERY = 1000
#: Rows per INSERT / UPDATE statement.
BATCH_SIZE = 500
#: New customers built and inserted at a time (inside the one transaction).
WRITE_CHUNK = 2000
#: Phones per ``IN (...)`` lookup.
LOOKUP_CHUNK = 2000
#: A follow-up given as a date only is due at this local time.
DEFAULT_FOLLOW_UP_TIME = datetime.time(9, 0)
#: Created customers linked from the summary page.
CREATED_LINKS = 20

ALLOWED_EXTENSIONS = (".xlsx", ".csv")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_ERRORS = frozenset(
    {"#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


MSG_NO_STORE = _("Your account has no store; ask an administrator.")

#: Whole-file problems found at upload or while reading: code → message.
FILE_MESSAGES = {
    "file_type": _("Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported."),
    "old_xls": _(
        "Old Excel files (.xls) cannot be read: open the file in Excel and save it as "
        "“Excel Workbook (.xlsx)”."
    ),
    "too_big": _("The file is larger than %(limit)s MB: split it into smaller files."),
    "empty": _("The file is empty."),
    "no_data": _("The file has a header row but no data rows below it."),
    "too_many_rows": _("The file has more than %(limit)s rows: split it into smaller files."),
    "bad_workbook": _("The file is not a valid Excel workbook."),
    "encoding": _(
        "The text encoding of the file was not recognised: save it as “CSV UTF-8” or as an "
        "Excel workbook (.xlsx)."
    ),
    "not_text": _("The file is not a CSV text file."),
    "csv_error": _("The CSV file could not be read: %(detail)s"),
    "file_missing": _("The uploaded file is no longer available: upload it again."),
    "not_allowed": _("You may not import customers."),
    "no_store": MSG_NO_STORE,
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``code`` names the reason (FILE_MESSAGES)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        template = FILE_MESSAGES[self.code]
        return str(template % self.params) if self.params else str(template)

    def __str__(self):
        return self.message

    def as_issue(self) -> dict:
        return issue(self.code, **self.params)


#: Row-level issues: code → message (formatted with the issue's params).
ISSUE_MESSAGES = {
    "required": _("This column must not be empty."),
    "phone_invalid": PHONE_INVALID_MESSAGE,
    "too_long": _("At most %(limit)s characters (this value has %(length)s)."),
    "choice": _("Unknown value “%(value)s”: use one of %(choices)s."),
    "number": _("Enter a number, e.g. 180000 or 18万."),
    "min_value": MinValueValidator.message,
    "max_digits": DecimalValidator.messages["max_digits"],
    "max_whole_digits": DecimalValidator.messages["max_whole_digits"],
    "date": _("Enter a date such as 2026-05-01 or 2026/5/1 14:30."),
    "trim_unknown": _(
        "No trim “%(value)s” on sale in the catalogue: write the trim name, or the series and "
        "the trim, as in the catalogue."
    ),
    "trim_ambiguous": _(
        "“%(value)s” matches several trims (%(matches)s): write the series and the trim."
    ),
    "owner_unknown": _(
        "No active sales consultant of your store has the user name or full name “%(value)s”."
    ),
    "owner_ambiguous": _("Several consultants are called “%(value)s”: use the user name."),
    "formula": _(
        "This cell holds a formula without a computed value: open the file in Excel, save it "
        "and upload it again, or paste the values only."
    ),
    "excel_error": _("The cell shows the Excel error %(value)s."),
    "not_text": _("Enter text, not a date or a number."),
    # Only when importing: something changed in the store since the preview.
    "phone_taken_since": _(
        "The phone number %(phone)s was added to the store after the check: check the file again."
    ),
    "no_longer_visible": _(
        "The customer with the phone number %(phone)s is no longer yours: check the file again."
    ),
    "owned_elsewhere": _(
        "This phone number belongs to another consultant's customer: the row can only be skipped."
    ),
    # File or job level (no row).
    "mapping_required": _("Choose the column for “%(field)s”."),
    "mapping_twice": _("“%(field)s” is chosen for more than one column."),
    "phone_taken_meanwhile": _(
        "A phone number in the file was saved by someone else while importing: nothing was "
        "imported. Check the file again."
    ),
    "unexpected": _("The import stopped because of an unexpected error: nothing was imported."),
    **FILE_MESSAGES,
}

MSG_ROW_COLUMN = _("Row %(row)s %(column)s (column %(letter)s): %(message)s")
MSG_ROW = _("Row %(row)s: %(message)s")
MSG_UNNAMED_COLUMN = _("column %(letter)s")


def issue(code: str, *, row: int | None = None, col: int | None = None, **params) -> dict:
    """A row-level or file-level problem, stored as JSON and worded when shown."""
    return {"row": row, "col": col, "code": code, "params": params}


def column_title(headers: list[str], col: int) -> str:
    title = headers[col] if 0 <= col < len(headers) else ""
    return title or str(MSG_UNNAMED_COLUMN % {"letter": get_column_letter(col + 1)})


def describe_issue(
    item: dict,
    headers: list[str] | None = None,
    *,
    messages: dict | None = None,
    label: Callable[[str], str] | None = None,
) -> str:
    """``第 5 行 电话（C列）：请输入有效的手机号…`` in the active language.

    ``messages`` (code → message) and ``label`` (field name → label) default to the customer
    import's; another import passes its own.
    """
    messages = ISSUE_MESSAGES if messages is None else messages
    template = messages.get(item.get("code"), ISSUE_MESSAGES["unexpected"])
    params = dict(item.get("params") or {})
    if item.get("code") == "mapping_required" or item.get("code") == "mapping_twice":
        params["field"] = (label or field_label)(params.get("field", ""))
    try:
        message = str(template % params) if params else str(template)
    except (KeyError, TypeError, ValueError):
        message = str(template)
    row, col = item.get("row"), item.get("col")
    if row is None:
        return message
    if col is None:
        return str(MSG_ROW % {"row": row, "message": message})
    return str(
        MSG_ROW_COLUMN
        % {
            "row": row,
            "column": column_title(headers or [], col),
            "letter": get_column_letter(col + 1),
            "message": message,
        }
    )


# ---------------------------------------------------------------------------------------------
# Fields and header recognition
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportField:
    name: str
    aliases: tuple[str, ...]
    required: bool = False
    managers_only: bool = False


IMPORT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        (
            "姓名",
            "客户姓名",
            "客户名称",
            "客户名",
            "名称",
            "名字",
            "name",
            "customer",
            "customer name",
            "full name",
            "company name",
        ),
        required=True,
    ),
    ImportField(
        "phone",
        (
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "电话号码",
            "联系方式",
            "移动电话",
            "phone",
            "mobile",
            "mobile phone",
            "telephone",
            "tel",
            "phone number",
            "cell phone",
        ),
        required=True,
    ),
    ImportField("wechat", ("微信", "微信号", "wechat", "wechat id", "weixin")),
    ImportField("gender", ("性别", "gender", "sex")),
    ImportField(
        "intention_level",
        ("意向级别", "级别", "意向等级", "客户级别", "intention level", "level", "intention"),
    ),
    ImportField("account_tier", ("客户等级", "等级", "account tier", "tier", "customer tier")),
    ImportField(
        "source",
        (
            "来源",
            "来源渠道",
            "信息来源",
            "客户来源",
            "渠道",
            "source",
            "source channel",
            "channel",
            "lead source",
        ),
    ),
    ImportField(
        "intended_trim",
        ("意向车型", "车型", "意向车系", "intended trim", "trim", "model", "car model", "vehicle"),
    ),
    ImportField("budget", ("预算", "购车预算", "budget")),
    ImportField("district", ("区域", "区县", "所在区域", "district", "area", "region")),
    ImportField("address", ("地址", "详细地址", "联系地址", "address")),
    ImportField(
        "next_follow_up_at",
        (
            "下次跟进",
            "下次跟进时间",
            "下次跟进日期",
            "下次回访",
            "下次回访时间",
            "下次联系时间",
            "next follow-up",
            "next follow up",
            "follow-up date",
            "next contact",
        ),
    ),
    ImportField("notes", ("备注", "备注信息", "说明", "notes", "note", "remarks", "comments")),
    ImportField("kind", ("客户类型", "类型", "客户性质", "type", "kind", "customer type")),
    ImportField(
        "owner",
        (
            "负责人",
            "销售顾问",
            "顾问",
            "所属顾问",
            "跟进人",
            "owner",
            "consultant",
            "sales consultant",
            "assigned to",
        ),
        managers_only=True,
    ),
)
FIELDS_BY_NAME = {f.name: f for f in IMPORT_FIELDS}
REQUIRED_FIELDS = tuple(f.name for f in IMPORT_FIELDS if f.required)

_HEADER_NOISE_RE = re.compile(r"[\s_\-:*]+")
_HEADER_SUFFIX_RE = re.compile(r"\((必填|选填|可选|required|optional)\)$")


def _header_key(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    text = _HEADER_NOISE_RE.sub("", text)
    return _HEADER_SUFFIX_RE.sub("", text)


_ALIASES: dict[str, str] = {}
for _field in IMPORT_FIELDS:
    for _alias in (_field.name, *_field.aliases):
        _ALIASES.setdefault(_header_key(_alias), _field.name)


def field_label(name: str) -> str:
    """The field's name as the customer form shows it, in the active language."""
    if name == "name":
        return capfirst(str(pgettext_lazy("person", "name")))
    try:
        return capfirst(str(Customer._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # an unknown name in a stored mapping
        return name


def field_choices(*, allow_owner: bool) -> list[tuple[str, str]]:
    return [
        (f.name, field_label(f.name)) for f in IMPORT_FIELDS if allow_owner or not f.managers_only
    ]


def recognise_header(text) -> str | None:
    return _ALIASES.get(_header_key(text))


def suggest_mapping(headers: list[str], *, allow_owner: bool) -> dict[str, str]:
    """Column index (as a string, for JSON) → field, first column wins for each field."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        name = recognise_header(header)
        if name is None or name in taken:
            continue
        if FIELDS_BY_NAME[name].managers_only and not allow_owner:
            continue
        mapping[str(index)] = name
        taken.add(name)
    return mapping


def mapping_problems(mapping: dict[str, str]) -> list[dict]:
    problems = []
    chosen = [name for name in mapping.values() if name]
    for name in sorted({n for n in chosen if chosen.count(n) > 1}):
        problems.append(issue("mapping_twice", field=name))
    for name in REQUIRED_FIELDS:
        if name not in chosen:
            problems.append(issue("mapping_required", field=name))
    return problems


def allows_owner_column(user) -> bool:
    """Managers may give each row an owner; a consultant's imports are always theirs."""
    return not user.sees_only_own


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


class Formula:
    """A formula cell without a cached value (the workbook was never calculated)."""

    def __repr__(self):
        return "Formula()"


FORMULA = Formula()

_SCAN_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,15}:)?(row|f)[\s>/]")
_SCAN_TAIL = 40


def _scan_sheet_xml(stream) -> tuple[int, bool]:
    """Count ``<row>`` elements and look for any ``<f>`` (formula) in a sheet's XML."""
    rows = 0
    formulas = False
    tail = b""
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        buffer = tail + chunk
        for match in _SCAN_RE.finditer(buffer):
            if match.end() <= len(tail):
                continue  # seen in the previous buffer
            if match.group(1) == b"row":
                rows += 1
            else:
                formulas = True
        tail = buffer[-_SCAN_TAIL:]
    return rows, formulas


@dataclass
class Sheet:
    """An opened file: an iterator of ``(row number, values)`` and what the scan found."""

    rows: Iterator[tuple[int, tuple]]
    estimated_rows: int
    close: Callable[[], None]


def _open_workbook(fileobj, *, data_only: bool):
    fileobj.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return load_workbook(fileobj, read_only=True, data_only=data_only)
        except Exception as exc:  # untrusted input: any failure means "not a workbook"
            logger.info("Unreadable workbook: %r", exc)
            raise ImportFileError("bad_workbook") from exc


def _first_sheet(workbook):
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
    if not sheets:
        raise ImportFileError("bad_workbook")
    return sheets[0]


def _formula_cells(fileobj) -> set[tuple[int, int]]:
    workbook = _open_workbook(fileobj, data_only=False)
    try:
        sheet = _first_sheet(workbook)
        sheet.reset_dimensions()
        found = set()
        for row_number, row in enumerate(sheet.iter_rows(), start=1):
            for col, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f":
                    found.add((row_number, col))
        return found
    finally:
        workbook.close()


def _open_xlsx(fileobj, *, formulas: bool = True) -> Sheet:
    """Open the first worksheet; with ``formulas``, mark formula cells that have no value."""
    fileobj.seek(0)
    if fileobj.read(4) != b"PK\x03\x04":
        raise ImportFileError("bad_workbook")
    workbook = _open_workbook(fileobj, data_only=True)
    sheet = _first_sheet(workbook)
    try:
        with sheet._get_source() as source:  # the sheet's XML inside the zip
            estimated, has_formulas = _scan_sheet_xml(source)
    except Exception as exc:
        workbook.close()
        raise ImportFileError("bad_workbook") from exc
    formula_cells = _formula_cells(fileobj) if formulas and has_formulas else set()
    # Some writers put a wrong <dimension> in the sheet; read every row whatever it says.
    sheet.reset_dimensions()

    def rows():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    if formula_cells:
                        values = tuple(
                            FORMULA
                            if value is None and (row_number, col) in formula_cells
                            else value
                            for col, value in enumerate(values)
                        )
                    yield row_number, values
        except ImportFileError:
            raise
        except Exception as exc:
            logger.info("Workbook broke while reading: %r", exc)
            raise ImportFileError("bad_workbook") from exc

    return Sheet(rows=rows(), estimated_rows=estimated, close=workbook.close)


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and encoding of a CSV file: UTF-8 (with or without BOM), UTF-16, or GB18030/GBK."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise ImportFileError("not_text")
        return text, encoding
    raise ImportFileError("encoding")


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _open_csv(fileobj, encoding: str | None = None) -> tuple[Sheet, str]:
    fileobj.seek(0)
    data = fileobj.read()
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFileError("encoding") from exc
    else:
        text, encoding = decode_text(data)
    del data
    delimiter = _sniff_delimiter(text)

    def rows():
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            for row_number, values in enumerate(reader, start=1):
                yield row_number, tuple(values)
        except csv.Error as exc:
            raise ImportFileError("csv_error", detail=str(exc)) from exc

    estimated = text.count("\n") + (0 if text.endswith("\n") else 1)
    return Sheet(rows=rows(), estimated_rows=estimated, close=lambda: None), encoding


def file_type_for(filename: str) -> str:
    extension = os.path.splitext(filename or "")[1].lower()
    if extension == ".xls":
        raise ImportFileError("old_xls")
    if extension not in ALLOWED_EXTENSIONS:
        raise ImportFileError("file_type")
    return extension[1:]


def open_sheet(
    fileobj, file_type: str, encoding: str = "", *, formulas: bool = True
) -> tuple[Sheet, str]:
    if file_type == "xlsx":
        return _open_xlsx(fileobj, formulas=formulas), ""
    return _open_csv(fileobj, encoding or None)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _row_is_blank(values) -> bool:
    return all(_is_blank(v) for v in values)


def display_value(value) -> str:
    if value is None or value is FORMULA:
        return "" if value is None else "="
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() else value.strftime("%Y-%m-%d")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------------------------------------
# Step 1: the upload
# ---------------------------------------------------------------------------------------------


@dataclass
class Inspection:
    file_type: str
    encoding: str
    header_row: int
    headers: list[str]
    sample_rows: list[list[str]]
    estimated_rows: int
    mapping: dict[str, str]


def inspect_file(
    fileobj,
    filename: str,
    size: int,
    *,
    allow_owner: bool = False,
    recognise: Callable[[object], str | None] | None = None,
    suggest: Callable[[list[str]], dict[str, str]] | None = None,
) -> Inspection:
    """Check an upload before anything is stored; raises :class:`ImportFileError`.

    ``recognise`` (header → field) and ``suggest`` (headers → mapping) default to the
    customer fields.
    """
    recognise = recognise or recognise_header
    file_type = file_type_for(filename)
    if size > MAX_UPLOAD_BYTES:
        raise ImportFileError("too_big", limit=MAX_UPLOAD_BYTES // (1024 * 1024))
    if size == 0:
        raise ImportFileError("empty")
    fileobj.seek(0)
    if file_type == "xlsx" and fileobj.read(8) == bytes.fromhex("d0cf11e0a1b11ae1"):
        raise ImportFileError("old_xls")
    sheet, encoding = open_sheet(fileobj, file_type, formulas=False)
    try:
        leading: list[tuple[int, tuple]] = []
        header_index = None
        data_rows: list[tuple[int, tuple]] = []
        for row_number, values in sheet.rows:
            if _row_is_blank(values):
                continue
            if header_index is None:
                leading.append((row_number, values))
                if len(leading) >= HEADER_SCAN_ROWS:
                    header_index = _pick_header(leading, recognise)
                    data_rows = leading[header_index + 1 :]
            else:
                data_rows.append((row_number, values))
            if header_index is not None and len(data_rows) >= 3:
                break
        if header_index is None:
            if not leading:
                raise ImportFileError("empty")
            header_index = _pick_header(leading, recognise)
            data_rows = leading[header_index + 1 :]
        if not data_rows:
            raise ImportFileError("no_data")
    finally:
        sheet.close()
    header_row, header_values = leading[header_index]
    width = max(len(values) for _row, values in [leading[header_index], *data_rows[:3]])
    while width and all(
        len(values) < width or _is_blank(values[width - 1])
        for _row, values in [leading[header_index], *data_rows[:3]]
    ):
        width -= 1
    headers = [
        display_value(header_values[i]) if i < len(header_values) else "" for i in range(width)
    ]
    samples = [
        [display_value(values[i]) if i < len(values) else "" for i in range(width)]
        for _row, values in data_rows[:3]
    ]
    return Inspection(
        file_type=file_type,
        encoding=encoding,
        header_row=header_row,
        headers=headers,
        sample_rows=samples,
        estimated_rows=max(sheet.estimated_rows - header_row, len(data_rows)),
        mapping=suggest(headers) if suggest else suggest_mapping(headers, allow_owner=allow_owner),
    )


def _pick_header(leading: list[tuple[int, tuple]], recognise=recognise_header) -> int:
    """The row with most recognised headers among the first rows; else the first one."""
    best, best_score = 0, 0
    for index, (_row, values) in enumerate(leading):
        score = len({recognise(v) for v in values if isinstance(v, str)} - {None})
        if score > best_score:
            best, best_score = index, score
    return best


def start_import(*, user, uploaded) -> ImportJob:
    """Check an uploaded file and store it with a new job; nothing is stored if it fails.

    ``uploaded`` is a Django ``UploadedFile`` (or any ``File`` with ``name`` and ``size``).
    """
    if not can_edit_customers(user):
        raise ImportFileError("not_allowed")
    if user.store_id is None:
        raise ImportFileError("no_store")
    filename = os.path.basename(uploaded.name or "")[:255]
    uploaded.open("rb")
    inspection = inspect_file(
        uploaded, filename, uploaded.size, allow_owner=allows_owner_column(user)
    )
    job = ImportJob(
        store_id=user.store_id,
        user=user,
        original_filename=filename,
        file_type=inspection.file_type,
        file_size=uploaded.size,
        encoding=inspection.encoding,
        header_row=inspection.header_row,
        headers=inspection.headers,
        sample_rows=inspection.sample_rows,
        mapping=inspection.mapping,
        total_rows=inspection.estimated_rows,
    )
    uploaded.seek(0)
    job.file.save(filename, File(uploaded, name=filename), save=False)
    job.save()
    return job


# ---------------------------------------------------------------------------------------------
# Step 2: cleaning rows with the form's rules
# ---------------------------------------------------------------------------------------------


def _choice_key(value) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)).strip().lower())


def _choice_lookup(choices, extra: dict[str, str]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices:
                lookup.setdefault(_choice_key(label), value)
    for value, _label in choices:
        lookup.setdefault(_choice_key(value), value)
    for alias, value in extra.items():
        lookup.setdefault(_choice_key(alias), value)
    return lookup


_CHOICE_EXTRAS = {
    "gender": (
        Gender.choices,
        {
            "男": "m",
            "女": "f",
            "男性": "m",
            "女性": "f",
            "先生": "m",
            "女士": "f",
            "male": "m",
            "female": "f",
            "m": "m",
            "f": "f",
        },
    ),
    "intention_level": (IntentionLevel.choices, {}),
    "account_tier": (
        AccountTier.choices,
        {
            "VIP": "vip",
            "VIP客户": "vip",
            "一级": "tier1",
            "一级客户": "tier1",
            "1级": "tier1",
            "二级": "tier2",
            "二级客户": "tier2",
            "2级": "tier2",
            "其它": "other",
            "其他": "other",
            "普通": "other",
            "tier 1": "tier1",
            "tier 2": "tier2",
        },
    ),
    "source": (
        SourceChannel.choices,
        {
            "来店": "walk_in",
            "到店": "walk_in",
            "展厅": "walk_in",
            "自然到店": "walk_in",
            "来电": "phone_in",
            "电话咨询": "phone_in",
            "网络": "online",
            "网络线索": "online",
            "网上": "online",
            "线上": "online",
            "汽车之家": "online",
            "懂车帝": "online",
            "易车": "online",
            "官网": "online",
            "转介绍": "referral",
            "介绍": "referral",
            "老客户介绍": "referral",
            "活动": "event",
            "车展": "event",
            "展会": "event",
            "活动/车展": "event",
            "电话开发": "outbound",
            "上门开发": "outbound",
            "电话/上门开发": "outbound",
            "陌拜": "outbound",
            "大客户": "fleet",
            "招投标": "fleet",
            "大客户/招投标": "fleet",
            "集团客户": "fleet",
            "其他": "other",
            "其它": "other",
        },
    ),
    "kind": (
        CustomerKind.choices,
        {
            "个人": "individual",
            "私人": "individual",
            "单位": "organization",
            "公司": "organization",
            "企业": "organization",
            "机构": "organization",
            "政府": "organization",
            "personal": "individual",
            "company": "organization",
            "business": "organization",
            "organisation": "organization",
        },
    ),
}
_choice_lookups: dict[str, dict[str, str]] = {}


def choice_lookup(name: str) -> dict[str, str]:
    if name not in _choice_lookups:
        choices, extra = _CHOICE_EXTRAS[name]
        _choice_lookups[name] = _choice_lookup(choices, extra)
    return _choice_lookups[name]


def _choice_hint(name: str) -> str:
    with translation.override("zh-hans"):
        zh = [str(label) for _value, label in _CHOICE_EXTRAS[name][0]]
    if name == "intention_level":
        zh = [value for value, _label in IntentionLevel.choices]
    return "、".join(zh) if translation.get_language() == "zh-hans" else ", ".join(zh)


_TEXT_LIMITS = {"name": 100, "wechat": 50, "district": 50, "address": 200}
_BUDGET_FIELD = Customer._meta.get_field("budget")
_BUDGET_STRIP_RE = re.compile(r"[¥,\s]|元|rmb|cny", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d")
_DATE_CLEAN_RE = re.compile(r"[/.年月]")
_DATE_SPACE_RE = re.compile(r"[日号T]|\s+")


def _json_safe(value):
    return value if isinstance(value, str | int | float | bool | None) else str(value)


class _Ambiguous:
    def __init__(self, labels):
        self.labels = labels


def _to_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return display_value(value)
    return str(value).strip()


def _parse_budget(value) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = _BUDGET_STRIP_RE.sub("", unicodedata.normalize("NFKC", str(value)))
        factor = 1
        if text.endswith("万"):
            text, factor = text[:-1], 10000
        amount = Decimal(text) * factor
    if not amount.is_finite():
        raise InvalidOperation
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _parse_datetime(value) -> datetime.datetime:
    """An aware datetime from a date cell, an Excel serial number or text in common formats."""
    if isinstance(value, bool | datetime.time):
        raise ValueError(value)
    if isinstance(value, int | float):
        if not 1 <= value < 2958466:
            raise ValueError(value)
        value = from_excel(value)
    if isinstance(value, datetime.datetime):
        moment = value.replace(tzinfo=None)
        if moment.time() == datetime.time(0, 0):
            moment = datetime.datetime.combine(moment.date(), DEFAULT_FOLLOW_UP_TIME)
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, DEFAULT_FOLLOW_UP_TIME)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        text = _DATE_CLEAN_RE.sub("-", text)
        text = _DATE_SPACE_RE.sub(" ", text).strip()
        for fmt in _DATE_FORMATS:
            try:
                moment = datetime.datetime.strptime(text, fmt)  # made aware below
            except ValueError:
                continue
            if "%H" not in fmt:
                moment = datetime.datetime.combine(moment.date(), DEFAULT_FOLLOW_UP_TIME)
            break
        else:
            raise ValueError(value)
    if not 1900 < moment.year < 2200:
        raise ValueError(value)
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _trim_lookup() -> dict[str, object]:
    """Normalised "trim", "series trim" and "brand series trim" → (id, label) or ambiguous."""
    candidates: dict[str, list[Trim]] = {}
    trims = Trim.objects.filter(is_active=True, series__brand__is_competitor=False).select_related(
        "series__brand"
    )
    for trim in trims:
        keys = {
            _choice_key(trim.name),
            _choice_key(f"{trim.series.name}{trim.name}"),
            _choice_key(f"{trim.series.brand.name}{trim.series.name}{trim.name}"),
        }
        for key in keys:
            candidates.setdefault(key, []).append(trim)
    lookup: dict[str, object] = {}
    for key, found in candidates.items():
        same = {(t.series_id, t.name) for t in found}
        if len(same) == 1:
            newest = max(found, key=lambda t: t.model_year or 0)
            lookup[key] = (newest.pk, f"{newest.series.name} {newest.name}")
        else:
            labels = sorted({f"{t.series.name} {t.name}" for t in found})
            lookup[key] = _Ambiguous(labels[:3])
    return lookup


def _owner_lookup(user) -> dict[str, object]:
    """User name or full name → (id, display name) among the consultants the user may assign."""
    lookup: dict[str, object] = {}
    by_name: dict[str, list[User]] = {}
    consultants = User.objects.visible_to(user).filter(is_active=True, role=Role.CONSULTANT)
    for consultant in consultants:
        full_name = _choice_key(consultant.get_full_name())
        if full_name:
            by_name.setdefault(full_name, []).append(consultant)
    for key, found in by_name.items():
        if len(found) == 1:
            lookup[key] = (found[0].pk, found[0].display_name)
        else:
            lookup[key] = _Ambiguous([u.username for u in found][:3])
    for consultant in consultants:  # user names win over full names
        lookup[_choice_key(consultant.username)] = (consultant.pk, consultant.display_name)
    return lookup


class RowCleaner:
    """Turns a row's cells into customer field values, or row-level issues.

    Only non-empty cells give values, so an import merge never blanks a field; defaults
    (level B, walk-in, tier other) come from the model when a customer is created.
    """

    def __init__(self, *, user, mapping: dict[str, str]):
        self.user = user
        allow_owner = allows_owner_column(user)
        self.columns = sorted(
            (int(col), name)
            for col, name in mapping.items()
            if name in FIELDS_BY_NAME and (allow_owner or not FIELDS_BY_NAME[name].managers_only)
        )
        fields = {name for _col, name in self.columns}
        self.trims = _trim_lookup() if "intended_trim" in fields else {}
        self.owners = _owner_lookup(user) if "owner" in fields else {}

    def is_blank(self, values: tuple) -> bool:
        return all(_is_blank(values[col]) for col, _name in self.columns if col < len(values))

    def clean(self, row: int, values: tuple) -> tuple[dict, list[dict]]:
        data: dict = {}
        problems: list[dict] = []
        for col, name in self.columns:
            value = values[col] if col < len(values) else None
            if _is_blank(value):
                if name in REQUIRED_FIELDS:
                    problems.append(issue("required", row=row, col=col))
                continue
            if value is FORMULA:
                problems.append(issue("formula", row=row, col=col))
                continue
            if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
                problems.append(issue("excel_error", row=row, col=col, value=value.strip()))
                continue
            try:
                data.update(self.clean_value(name, value))
            except ValidationError as exc:
                error = exc.error_list[0]
                params = {key: _json_safe(value) for key, value in (error.params or {}).items()}
                problems.append(issue(error.code or "choice", row=row, col=col, **params))
        return data, problems

    def clean_value(self, name: str, value) -> dict:
        if name == "phone":
            return {"phone": normalize_phone(_to_text(value))}
        if name in _TEXT_LIMITS:
            text = _to_text(value)
            if len(text) > _TEXT_LIMITS[name]:
                raise ValidationError(
                    "", code="too_long", params={"limit": _TEXT_LIMITS[name], "length": len(text)}
                )
            return {name: text}
        if name == "notes":
            return {"notes": _to_text(value)}
        if name in _CHOICE_EXTRAS:
            text = _to_text(value)
            key = _choice_key(text)
            found = choice_lookup(name).get(key)
            if found is None and name == "intention_level" and key:
                letter = key[0].upper()
                if letter in IntentionLevel.values and (
                    len(key) == 1 or not key[1].isalpha() or not key[1].isascii()
                ):
                    found = letter
            if found is None:
                raise ValidationError(
                    "", code="choice", params={"value": text, "choices": _choice_hint(name)}
                )
            return {name: found}
        if name == "budget":
            try:
                amount = _parse_budget(value)
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError("", code="number") from exc
            _BUDGET_FIELD.run_validators(amount)
            return {"budget": amount}
        if name == "next_follow_up_at":
            try:
                return {"next_follow_up_at": _parse_datetime(value)}
            except (ValueError, OverflowError, TypeError) as exc:
                raise ValidationError("", code="date") from exc
        if name == "intended_trim":
            text = _to_text(value)
            found = self.trims.get(_choice_key(text))
            if found is None:
                raise ValidationError("", code="trim_unknown", params={"value": text})
            if isinstance(found, _Ambiguous):
                raise ValidationError(
                    "",
                    code="trim_ambiguous",
                    params={"value": text, "matches": "、".join(found.labels)},
                )
            return {"intended_trim_id": found[0], "intended_trim_label": found[1]}
        if name == "owner":
            text = _to_text(value)
            found = self.owners.get(_choice_key(text))
            if found is None:
                raise ValidationError("", code="owner_unknown", params={"value": text})
            if isinstance(found, _Ambiguous):
                raise ValidationError("", code="owner_ambiguous", params={"value": text})
            return {"owner_id": found[0], "owner_label": found[1]}
        raise ValidationError("", code="choice", params={"value": str(value), "choices": ""})


# ---------------------------------------------------------------------------------------------
# Step 2: checking a whole file
# ---------------------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    row: int
    data: dict
    kind: str = "new"  # new | file (same phone as an earlier row) | store (phone in the store)
    first_row: int | None = None
    customer_id: int | None = None
    customer_name: str = ""
    visible: bool = True


@dataclass
class Analysis:
    data_rows: int = 0
    rows: list[PlannedRow] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    issue_count: int = 0
    error_rows: int = 0

    @property
    def duplicates(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.kind != "new"]


ProgressCallback = Callable[[int, int], None]


def _job_rows(job: ImportJob) -> tuple[Sheet, Callable[[], None]]:
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise ImportFileError("file_missing") from exc
    try:
        sheet, _encoding = open_sheet(handle, job.file_type, job.encoding)
    except Exception:
        handle.close()
        raise

    def close():
        sheet.close()
        handle.close()

    return sheet, close


def analyse(job: ImportJob, *, progress: ProgressCallback | None = None) -> Analysis:
    """Read and check every row of the job's file; look up phones in the store. No writes."""
    result = Analysis()
    problems = mapping_problems(job.mapping)
    if problems:
        result.issues = problems
        result.issue_count = len(problems)
        return result
    cleaner = RowCleaner(user=job.user, mapping=job.mapping)
    sheet, close = _job_rows(job)
    estimated = max(job.total_rows, 1)
    try:
        for row_number, values in sheet.rows:
            if row_number <= job.header_row or cleaner.is_blank(values):
                continue
            result.data_rows += 1
            if result.data_rows > MAX_DATA_ROWS:
                raise ImportFileError("too_many_rows", limit=f"{MAX_DATA_ROWS:,}")
            data, row_problems = cleaner.clean(row_number, values)
            if row_problems:
                result.error_rows += 1
                result.issue_count += len(row_problems)
                room = MAX_STORED_ERRORS - len(result.issues)
                if room > 0:
                    result.issues.extend(row_problems[:room])
            else:
                result.rows.append(PlannedRow(row=row_number, data=data))
            if progress and result.data_rows % PROGRESS_EVERY == 0:
                progress(result.data_rows, max(estimated, result.data_rows))
    finally:
        close()
    _find_duplicates(job, result.rows)
    return result


def _find_duplicates(job: ImportJob, rows: list[PlannedRow]) -> None:
    first_by_phone: dict[str, PlannedRow] = {}
    for planned in rows:
        phone = planned.data["phone"]
        first = first_by_phone.setdefault(phone, planned)
        if first is not planned:
            planned.kind, planned.first_row = "file", first.row
    existing = existing_customers(job.store_id, list(first_by_phone), job.user)
    for planned in rows:
        match = existing.get(planned.data["phone"])
        if match is not None:
            planned.kind = "store"
            planned.customer_id, planned.customer_name, planned.visible = match
            if not planned.visible:
                planned.customer_id, planned.customer_name = None, ""


def existing_customers(store_id, phones: list[str], user) -> dict[str, tuple[int, str, bool]]:
    """Phone → (id, name, visible to the user) for the store's customers, whoever owns them."""
    found: dict[str, tuple[int, str, bool]] = {}
    for start in range(0, len(phones), LOOKUP_CHUNK):
        chunk = phones[start : start + LOOKUP_CHUNK]
        # Uniqueness is per store, whoever owns the card (like services.phone_taken) ...
        rows = Customer.objects.filter(store_id=store_id, phone__in=chunk).values_list(
            "pk", "phone", "name"
        )
        # ... but only what the user may see can be merged or named.
        visible = set(
            Customer.objects.visible_to(user)
            .filter(store_id=store_id, phone__in=chunk)
            .values_list("pk", flat=True)
        )
        for pk, phone, name in rows:
            found[phone] = (pk, name, pk in visible)
    return found


def _sample_entry(planned: PlannedRow) -> dict:
    data = planned.data
    entry = {
        key: value
        for key, value in data.items()
        if key not in ("budget", "next_follow_up_at", "intended_trim_id", "owner_id")
    }
    if "budget" in data:
        entry["budget"] = f"{data['budget']:,.2f}"
    if "next_follow_up_at" in data:
        entry["next_follow_up_at"] = timezone.localtime(data["next_follow_up_at"]).strftime(
            "%Y-%m-%d %H:%M"
        )
    entry["row"] = planned.row
    return entry


def build_report(analysis: Analysis) -> dict:
    duplicates = [
        {
            "row": r.row,
            "name": r.data.get("name", ""),
            "phone": r.data.get("phone", ""),
            "kind": r.kind,
            "first_row": r.first_row,
            "customer_id": r.customer_id,
            "customer_name": r.customer_name,
            "visible": r.visible,
        }
        for r in analysis.duplicates
    ]
    return {
        "data_rows": analysis.data_rows,
        "valid_rows": len(analysis.rows),
        "new_rows": sum(1 for r in analysis.rows if r.kind == "new"),
        "error_rows": analysis.error_rows,
        "issue_count": analysis.issue_count,
        "issues": analysis.issues,
        "duplicates": duplicates,
        "sample": [_sample_entry(r) for r in analysis.rows[:SAMPLE_SIZE]],
        "checked_at": timezone.now().isoformat(),
    }


def _progress_saver(job: ImportJob) -> ProgressCallback:
    def save(done: int, total: int) -> None:
        # Autocommitted (never inside the import's transaction), so a poll sees it at once.
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    return save


def _fail(job: ImportJob, issues: list[dict], *, count: int | None = None) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.error_summary = {"issues": issues[:MAX_STORED_ERRORS], "count": count or len(issues)}
    job.finished_at = timezone.now()
    job.save()
    return job


def check_import(job: ImportJob) -> ImportJob:
    """Step 2: check every row and keep the report for the preview. Writes no customers."""
    job.status = ImportJob.Status.CHECKING
    job.processed_rows = 0
    job.started_at = timezone.now()
    job.finished_at = None
    job.error_summary = {}
    job.save()
    started = time.monotonic()
    _delete_checked_rows(job)
    try:
        analysis = analyse(job, progress=_progress_saver(job))
        if not analysis.issue_count:
            _save_checked_rows(job, analysis.rows)
    except ImportFileError as exc:
        return _fail(job, [exc.as_issue()])
    except Exception:
        logger.exception("Checking import %s failed", job.pk)
        return _fail(job, [issue("unexpected")])
    logger.info(
        "Import %s: checked %s rows in %.1f s",
        job.pk,
        analysis.data_rows,
        time.monotonic() - started,
    )
    job.report = build_report(analysis)
    job.total_rows = analysis.data_rows
    job.processed_rows = analysis.data_rows
    # Per-row choices only make sense for rows that are still duplicates.
    rows = {str(d["row"]) for d in job.report["duplicates"]}
    job.row_actions = {row: action for row, action in job.row_actions.items() if row in rows}
    job.status = ImportJob.Status.PREVIEWED
    job.finished_at = timezone.now()
    job.save()
    return job


def _checked_rows_name(job: ImportJob) -> str:
    return f"{job.file.name}.checked.json.gz"


def _delete_checked_rows(job: ImportJob) -> None:
    if job.file:
        job.file.storage.delete(_checked_rows_name(job))


def _save_checked_rows(job: ImportJob, rows: list[PlannedRow]) -> None:
    """Keep the cleaned rows of a clean check, so the import need not read the file again."""
    payload = []
    for planned in rows:
        data = dict(planned.data)
        if "budget" in data:
            data["budget"] = str(data["budget"])
        if "next_follow_up_at" in data:
            data["next_follow_up_at"] = data["next_follow_up_at"].isoformat()
        payload.append([planned.row, data])
    content = gzip.compress(
        json.dumps({"mapping": job.mapping, "rows": payload}, ensure_ascii=False).encode(),
        compresslevel=1,
    )
    name = _checked_rows_name(job)
    job.file.storage.delete(name)
    job.file.storage.save(name, ContentFile(content))


def _load_checked_rows(job: ImportJob) -> Analysis | None:
    """The rows saved by the check, re-verified against today's catalogue and staff."""
    name = _checked_rows_name(job)
    if not job.file or not job.file.storage.exists(name):
        return None
    try:
        with job.file.storage.open(name, "rb") as handle:
            saved = json.loads(gzip.decompress(handle.read()))
    except (OSError, ValueError):
        logger.warning("Import %s: saved check unreadable, reading the file again", job.pk)
        return None
    if saved.get("mapping") != job.mapping:
        return None
    result = Analysis(data_rows=job.report.get("data_rows", 0))
    for row, data in saved["rows"]:
        if "budget" in data:
            data["budget"] = Decimal(data["budget"])
        if "next_follow_up_at" in data:
            data["next_follow_up_at"] = datetime.datetime.fromisoformat(data["next_follow_up_at"])
        result.rows.append(PlannedRow(row=row, data=data))
    _recheck_references(job, result)
    if not result.issue_count:
        _find_duplicates(job, result.rows)
    return result


def _recheck_references(job: ImportJob, analysis: Analysis) -> None:
    """A trim taken off sale or a consultant who left since the check: report the rows."""
    columns = {name: int(col) for col, name in job.mapping.items()}
    checks = (
        (
            "intended_trim",
            "intended_trim_id",
            "trim_unknown",
            lambda ids: Trim.objects.filter(
                pk__in=ids, is_active=True, series__brand__is_competitor=False
            ),
        ),
        (
            "owner",
            "owner_id",
            "owner_unknown",
            lambda ids: User.objects.visible_to(job.user).filter(
                pk__in=ids, is_active=True, role=Role.CONSULTANT
            ),
        ),
    )
    for name, key, code, queryset in checks:
        ids = {r.data[key] for r in analysis.rows if key in r.data}
        if not ids:
            continue
        valid = set(queryset(ids).values_list("pk", flat=True))
        for planned in analysis.rows:
            if key in planned.data and planned.data[key] not in valid:
                label = planned.data.get(f"{name}_label", "")
                analysis.issues.append(
                    issue(code, row=planned.row, col=columns.get(name), value=label)
                )
    analysis.issue_count = len(analysis.issues)
    analysis.error_rows = len({i["row"] for i in analysis.issues})


def row_action(job: ImportJob, duplicate: dict) -> str:
    """What happens to a duplicate row: "merge" or "skip" (another owner's card: always skip)."""
    if duplicate["kind"] == "store" and not duplicate["visible"]:
        return ImportJob.DuplicateAction.SKIP
    return job.row_actions.get(str(duplicate["row"]), job.duplicate_action)


def planned_counts(job: ImportJob) -> dict[str, int]:
    """Customers created, rows merged and rows skipped if the user confirms now."""
    report = job.report or {}
    merged = skipped = 0
    for duplicate in report.get("duplicates", []):
        if row_action(job, duplicate) == ImportJob.DuplicateAction.MERGE:
            merged += 1
        else:
            skipped += 1
    return {"created": report.get("new_rows", 0), "merged": merged, "skipped": skipped}


def can_confirm(job: ImportJob) -> bool:
    report = job.report or {}
    return (
        job.status == ImportJob.Status.PREVIEWED
        and not report.get("issue_count")
        and report.get("valid_rows", 0) > 0
    )


def set_duplicate_action(job: ImportJob, action: str, *, row: int | None = None) -> None:
    if action not in ImportJob.DuplicateAction.values:
        raise ValidationError(_("Choose skip or merge."))
    if row is None:
        job.duplicate_action = action
        job.row_actions = {}
        job.save(update_fields=["duplicate_action", "row_actions", "updated_at"])
        return
    duplicate = next((d for d in job.report.get("duplicates", []) if d["row"] == row), None)
    if duplicate is None:
        raise ValidationError(_("Row %(row)s is not a duplicate.") % {"row": row})
    if action == ImportJob.DuplicateAction.MERGE and not duplicate["visible"]:
        raise ValidationError(ISSUE_MESSAGES["owned_elsewhere"])
    job.row_actions = {**job.row_actions, str(row): action}
    job.save(update_fields=["row_actions", "updated_at"])


# ---------------------------------------------------------------------------------------------
# Step 3: the import
# ---------------------------------------------------------------------------------------------

_MERGE_FIELDS = (
    "name",
    "gender",
    "wechat",
    "source",
    "intention_level",
    "account_tier",
    "intended_trim_id",
    "budget",
    "district",
    "address",
    "next_follow_up_at",
    "notes",
    "kind",
)
_CREATE_FIELDS = (*_MERGE_FIELDS, "phone", "owner_id")


def confirm_import(job: ImportJob) -> bool:
    """Mark a checked job as importing, once (a second click finds it already started)."""
    if not can_confirm(job):
        return False
    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
        status=ImportJob.Status.IMPORTING,
        processed_rows=0,
        started_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if started:
        job.refresh_from_db()
    return bool(started)


def run_import(job: ImportJob) -> ImportJob:
    """Step 3: check again, then write all rows in one transaction, or nothing."""
    user = job.user
    if job.status != ImportJob.Status.IMPORTING:
        return job
    if not (user.is_active and can_edit_customers(user)):
        return _fail(job, [issue("not_allowed")])
    if user.store_id != job.store_id:
        return _fail(job, [issue("no_store")])
    started = time.monotonic()
    try:
        analysis = _load_checked_rows(job)
        if analysis is None:  # no saved check (or unreadable): read the file again
            analysis = analyse(job, progress=_progress_saver(job))
    except ImportFileError as exc:
        return _fail(job, [exc.as_issue()])
    except Exception:
        logger.exception("Import %s failed while reading", job.pk)
        return _fail(job, [issue("unexpected")])
    if analysis.issue_count:
        return _fail(job, analysis.issues, count=analysis.issue_count)
    conflicts = _changes_since_preview(job, analysis)
    if conflicts:
        return _fail(job, conflicts)
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=analysis.data_rows, total_rows=analysis.data_rows
    )
    read_seconds = time.monotonic() - started
    try:
        with transaction.atomic():
            counts, created_ids = _write(job, analysis)
    except IntegrityError:
        logger.info("Import %s hit a unique phone while writing", job.pk, exc_info=True)
        return _fail(job, [issue("phone_taken_meanwhile")])
    except Exception:
        logger.exception("Import %s failed while writing", job.pk)
        return _fail(job, [issue("unexpected")])
    job.status = ImportJob.Status.DONE
    job.total_rows = job.processed_rows = analysis.data_rows
    job.created_count, job.merged_count, job.skipped_count = counts
    job.report = {**job.report, "created_ids": created_ids[:CREATED_LINKS]}
    job.finished_at = timezone.now()
    job.save()
    logger.info(
        "Import %s: %s rows read in %.1f s, %s created and %s merged in %.1f s",
        job.pk,
        analysis.data_rows,
        read_seconds,
        counts[0],
        counts[1],
        time.monotonic() - started - read_seconds,
    )
    # The customers are in the database (with their history); the upload is not needed.
    _delete_checked_rows(job)
    job.file.delete(save=True)
    return job


def _changes_since_preview(job: ImportJob, analysis: Analysis) -> list[dict]:
    previewed = {d["row"]: d for d in job.report.get("duplicates", [])}
    conflicts = []
    for planned in analysis.rows:
        if planned.kind != "store":
            continue
        before = previewed.get(planned.row)
        phone = planned.data["phone"]
        if before is None or before["kind"] != "store":
            conflicts.append(issue("phone_taken_since", row=planned.row, phone=phone))
        elif (
            before["visible"]
            and not planned.visible
            and row_action(job, before) == ImportJob.DuplicateAction.MERGE
        ):
            conflicts.append(issue("no_longer_visible", row=planned.row, phone=phone))
    return conflicts


def _write(job: ImportJob, analysis: Analysis) -> tuple[tuple[int, int, int], list[int]]:
    user = job.user
    consultant = user.sees_only_own
    now = timezone.now()
    merged = skipped = 0
    new_by_phone: dict[str, dict] = {}
    merges: dict[int, dict] = {}  # existing customer id → values, in file order
    for planned in analysis.rows:
        data = planned.data
        if planned.kind == "new":
            new_by_phone[data["phone"]] = dict(data)
            continue
        duplicate = {"row": planned.row, "kind": planned.kind, "visible": planned.visible}
        if row_action(job, duplicate) != ImportJob.DuplicateAction.MERGE:
            skipped += 1
            continue
        merged += 1
        if planned.kind == "file":  # the first row with this phone is a new customer
            new_by_phone[data["phone"]].update(data)
        else:
            merges.setdefault(planned.customer_id, {}).update(data)

    created_ids: list[int] = []
    search_texts: dict[str, str] = {}  # names repeat: compute the pinyin keys once per name
    new_rows = list(new_by_phone.values())
    del new_by_phone
    # One transaction, written in chunks so memory stays flat however long the file is.
    for start in range(0, len(new_rows), WRITE_CHUNK):
        customers = []
        for data in new_rows[start : start + WRITE_CHUNK]:
            values = {key: data[key] for key in _CREATE_FIELDS if key in data}
            if consultant:
                values["owner_id"] = user.pk
            customer = Customer(store_id=job.store_id, created_at=now, **values)
            search_text = search_texts.get(customer.name)
            if search_text is None:
                search_text = search_texts[customer.name] = customer.build_search_text()
            customer.search_text = search_text  # bulk_create does not call save()
            customers.append(customer)
        created = bulk_create_with_history(
            customers,
            Customer,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason="import",
            default_date=now,
        )
        LevelChange.objects.bulk_create(
            [
                LevelChange(
                    customer_id=c.pk,
                    from_level="",
                    to_level=c.intention_level,
                    changed_at=now,
                    changed_by=user,
                )
                for c in created
            ],
            batch_size=BATCH_SIZE,
        )
        created_ids.extend(c.pk for c in created)
    _apply_merges(job, merges, now)
    # Re-check scope after the write, as save_customer does: all new cards are the user's to see.
    for start in range(0, len(created_ids), LOOKUP_CHUNK):
        chunk = created_ids[start : start + LOOKUP_CHUNK]
        if Customer.objects.visible_to(user).filter(pk__in=chunk).count() != len(chunk):
            raise PermissionDenied("imported customers outside the user's scope")
    return (len(created_ids), merged, skipped), created_ids


def _apply_merges(job: ImportJob, merges: dict[int, dict], now) -> None:
    user = job.user
    changed_customers: list[Customer] = []
    changed_fields: set[str] = set()
    level_changes: list[LevelChange] = []
    ids = list(merges)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        existing = Customer.objects.visible_to(user).filter(pk__in=chunk).select_for_update()
        found = {c.pk: c for c in existing}
        if len(found) != len(chunk):
            raise IntegrityError("a merge target is no longer visible")
        for pk in chunk:
            customer, data = found[pk], merges[pk]
            changes = {
                key: data[key]
                for key in _MERGE_FIELDS
                if key in data and getattr(customer, key) != data[key]
            }
            if not changes:
                continue
            if "intention_level" in changes:
                level_changes.append(
                    LevelChange(
                        customer_id=pk,
                        from_level=customer.intention_level,
                        to_level=changes["intention_level"],
                        changed_at=now,
                        changed_by=user,
                    )
                )
            if "account_tier" in changes:
                changes["tier_overridden"] = True
            for key, value in changes.items():
                setattr(customer, key, value)
            if "name" in changes:
                customer.search_text = customer.build_search_text()
                changes["search_text"] = customer.search_text
            customer.updated_at = now
            changed_fields.update(changes)
            changed_customers.append(customer)
    if changed_customers:
        bulk_update_with_history(
            changed_customers,
            Customer,
            fields=sorted(changed_fields | {"updated_at"}),
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason="import",
            default_date=now,
        )
        LevelChange.objects.bulk_create(level_changes, batch_size=BATCH_SIZE)


def should_run_inline(job: ImportJob) -> bool:
    return job.total_rows < INLINE_ROW_LIMIT


# ---------------------------------------------------------------------------------------------
# The template workbook
# ---------------------------------------------------------------------------------------------

TEMPLATE_HEADERS = (
    ("客户姓名", "name", 12),
    ("手机号", "phone", 15),
    ("微信号", "wechat", 14),
    ("性别", "gender", 6),
    ("意向级别", "intention_level", 9),
    ("客户等级", "account_tier", 9),
    ("来源渠道", "source", 14),
    ("意向车型", "intended_trim", 22),
    ("预算", "budget", 11),
    ("区域", "district", 10),
    ("地址", "address", 28),
    ("下次跟进时间", "next_follow_up_at", 17),
    ("备注", "notes", 24),
    ("客户类型", "kind", 9),
    ("负责人", "owner", 10),
)


def template_workbook(*, example_trim: str = "", example_owner: str = "") -> bytes:
    """The downloadable template: Chinese headers, one example row, drop-downs for choices."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户导入"
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1D4ED8")
    required_fill = PatternFill("solid", fgColor="B91C1C")
    next_week = timezone.localdate() + datetime.timedelta(days=7)
    example = {
        "name": "张三",
        "phone": "13800138000",
        "wechat": "zhangsan_wx",
        "gender": "男",
        "intention_level": "A",
        "account_tier": "其它",
        "source": "来店",
        "intended_trim": example_trim or "速腾 200TSI 舒适型",
        "budget": 180000,
        "district": "朝阳区",
        "address": "北京市朝阳区建国路 1 号",
        "next_follow_up_at": datetime.datetime.combine(next_week, datetime.time(10, 0)),
        "notes": "示例行，导入前请删除",
        "kind": "个人",
        "owner": example_owner,
    }
    for index, (title, name, width) in enumerate(TEMPLATE_HEADERS, start=1):
        cell = sheet.cell(row=1, column=index, value=title)
        cell.font = header_font
        cell.fill = required_fill if name in REQUIRED_FIELDS else header_fill
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        value_cell = sheet.cell(row=2, column=index, value=example[name])
        if name == "phone":
            value_cell.number_format = "@"
        elif name == "next_follow_up_at":
            value_cell.number_format = "yyyy-mm-dd hh:mm"
        elif name == "budget":
            value_cell.number_format = "#,##0"
    sheet.freeze_panes = "A2"
    # Phones as text, so Excel neither drops a leading 0 nor writes 1.38E+10.
    sheet.column_dimensions["B"].number_format = "@"
    lists = {
        "gender": ["男", "女"],
        "intention_level": [value for value, _label in IntentionLevel.choices],
        "account_tier": ["VIP", "一级", "二级", "其它"],
        "source": [
            "来店",
            "来电",
            "网络",
            "转介绍",
            "活动/车展",
            "电话/上门开发",
            "大客户/招投标",
            "其他",
        ],
        "kind": ["个人", "单位"],
    }
    for index, (_title, name, _width) in enumerate(TEMPLATE_HEADERS, start=1):
        if name in lists:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(lists[name]) + '"', allow_blank=True
            )
            letter = get_column_letter(index)
            validation.add(f"{letter}2:{letter}5000")
            sheet.add_data_validation(validation)

    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 90
    notes.append(["列", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    explanations = [
        ("客户姓名", "必填。"),
        (
            "手机号",
            "必填。11 位手机号，或带区号的固定电话（如 010-65521234）；同一门店内不能重复。",
        ),
        ("性别", "男 / 女，可空。"),
        ("意向级别", "H / A / B / C / O / D / F，空白按 B。"),
        ("客户等级", "VIP / 一级 / 二级 / 其它，空白按 其它。"),
        (
            "来源渠道",
            "来店、来电、网络、转介绍、活动/车展、电话/上门开发、大客户/招投标、其他；"
            "空白按 来店。",
        ),
        ("意向车型", "车型名称，或“车系 车型”，须与车型库一致（只含在售车型）。"),
        ("预算", "数字，单位元；也可写“18万”。"),
        ("下次跟进时间", "如 2026-05-01 14:30 或 2026/5/1；只写日期的按当天 9:00。"),
        ("客户类型", "个人 / 单位，空白按 个人。"),
        ("负责人", "仅经理导入时有效：销售顾问的用户名或姓名；销售顾问导入的客户一律归本人。"),
        ("", "只导入第一个工作表；第一行为表头。请勿使用公式（或先“选择性粘贴→数值”）。"),
        ("", "导入前会先预览并列出每一行的错误；确认后一次性全部导入，出错则全部不导入。"),
        ("", "示例行（张三）仅作示范，导入前请删除。"),
    ]
    for row in explanations:
        notes.append(list(row))
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def describe_issues(items: list[dict], headers: list[str]) -> list[str]:
    return [describe_issue(item, headers) for item in items]
