"""Spreadsheet imports (.xlsx or .csv): what every import shares.

One ``ImportJob`` per upload goes through the same steps, whatever it imports:

1. **upload**: :meth:`Importer.start_import` checks the file (type, size, a readable workbook or
   text encoding, a header row and at least one data row), stores it under
   ``MEDIA_ROOT/imports/`` and proposes a column mapping from the headers (Chinese or English).
2. **check**: :meth:`Importer.check_import` reads every row with the app's :class:`RowCleaner`,
   applies the app's duplicate rules and keeps a report (every problem with its row and column,
   the duplicates, a sample) for the preview. Nothing is written.
3. **confirm and import**: :meth:`Importer.confirm_import` starts the import once;
   :meth:`Importer.run_import` makes sure nothing changed since the preview and writes every
   row in one transaction, or nothing at all.

An app subclasses :class:`Importer` with only what is its own: its fields and header aliases
(:class:`FieldSet`), its cleaner, duplicate rules, messages and writes. The pages of the steps
are generic too (``core.import_views``), with templates under ``templates/importing/`` that the
app's templates extend.

Messages are stored as codes and parameters and put into words, in the reader's language, by
:func:`describe_issue` when a page shows them. The services take no request objects: views,
tasks, management commands and the benchmark all call them.
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.validators import DecimalValidator, MinValueValidator
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

logger = logging.getLogger(__name__)

#: Uploads larger than this are refused before anything is stored.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: The header row is looked for among the first rows that have any content.
HEADER_SCAN_ROWS = 10
#: Row-level errors kept in the report (the count is always exact).
MAX_STORED_ERRORS = 1000
#: Rows shown in the preview table.
SAMPLE_SIZE = 10
#: Progress is saved every so many rows.
PROGRESS_EVERY = 1000
#: Rows per INSERT / UPDATE statement, and keys per ``IN (...)`` lookup.
BATCH_SIZE = 500
#: Created records linked from the summary page.
CREATED_LINKS = 20
#: A date given without a time means this local time.
DATE_ONLY_TIME = datetime.time(9, 0)

ALLOWED_EXTENSIONS = (".xlsx", ".csv")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_ERRORS = frozenset(
    {"#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------

MSG_NO_STORE = gettext_lazy("Your account has no store; ask an administrator.")

#: Whole-file problems found at upload or while reading: code → message.
FILE_MESSAGES = {
    "file_type": gettext_lazy("Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported."),
    "old_xls": gettext_lazy(
        "Old Excel files (.xls) cannot be read: open the file in Excel and save it as "
        "“Excel Workbook (.xlsx)”."
    ),
    "too_big": gettext_lazy("The file is larger than %(limit)s MB: split it into smaller files."),
    "empty": gettext_lazy("The file is empty."),
    "no_data": gettext_lazy("The file has a header row but no data rows below it."),
    "too_many_rows": gettext_lazy(
        "The file has more than %(limit)s rows: split it into smaller files."
    ),
    "bad_workbook": gettext_lazy("The file is not a valid Excel workbook."),
    "encoding": gettext_lazy(
        "The text encoding of the file was not recognised: save it as “CSV UTF-8” or as an "
        "Excel workbook (.xlsx)."
    ),
    "not_text": gettext_lazy("The file is not a CSV text file."),
    "csv_error": gettext_lazy("The CSV file could not be read: %(detail)s"),
    "file_missing": gettext_lazy("The uploaded file is no longer available: upload it again."),
    "no_store": MSG_NO_STORE,
}

#: Row-level issues every import knows: code → message (formatted with the issue's params).
#: An app adds its own codes (and its "not_allowed") in :attr:`Importer.messages`.
ISSUE_MESSAGES = {
    "required": gettext_lazy("This column must not be empty."),
    "too_long": gettext_lazy("At most %(limit)s characters (this value has %(length)s)."),
    "choice": gettext_lazy("Unknown value “%(value)s”: use one of %(choices)s."),
    "number": gettext_lazy("Enter a number, e.g. 180000 or 18万."),
    "min_value": MinValueValidator.message,
    "max_digits": DecimalValidator.messages["max_digits"],
    "max_whole_digits": DecimalValidator.messages["max_whole_digits"],
    "date": gettext_lazy("Enter a date such as 2026-05-01 or 2026/5/1 14:30."),
    "trim_ambiguous": gettext_lazy(
        "“%(value)s” matches several trims (%(matches)s): write the series and the trim."
    ),
    "formula": gettext_lazy(
        "This cell holds a formula without a computed value: open the file in Excel, save it "
        "and upload it again, or paste the values only."
    ),
    "excel_error": gettext_lazy("The cell shows the Excel error %(value)s."),
    # File or job level (no row).
    "mapping_required": gettext_lazy("Choose the column for “%(field)s”."),
    "mapping_twice": gettext_lazy("“%(field)s” is chosen for more than one column."),
    "unexpected": gettext_lazy(
        "The import stopped because of an unexpected error: nothing was imported."
    ),
    **FILE_MESSAGES,
}

MSG_ROW_COLUMN = gettext_lazy("Row %(row)s %(column)s (column %(letter)s): %(message)s")
MSG_ROW = gettext_lazy("Row %(row)s: %(message)s")
MSG_UNNAMED_COLUMN = gettext_lazy("column %(letter)s")


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``code`` names the reason (FILE_MESSAGES).

    ``messages`` (code → message) lets an import word a code its own way ("not_allowed").
    """

    def __init__(self, code: str, *, messages: dict | None = None, **params):
        super().__init__(code)
        self.code = code
        self.params = params
        self.messages = messages or FILE_MESSAGES

    @property
    def message(self) -> str:
        template = self.messages.get(self.code) or ISSUE_MESSAGES["unexpected"]
        return str(template % self.params) if self.params else str(template)

    def __str__(self):
        return self.message

    def as_issue(self) -> dict:
        return issue(self.code, **self.params)


class Conflict(Exception):
    """Raised inside the import's transaction: something changed since the preview."""

    def __init__(self, problems: list[dict]):
        super().__init__("changed since the check")
        self.problems = problems


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
    messages: dict,
    label: Callable[[str], str],
) -> str:
    """``第 5 行 电话（C列）：请输入有效的手机号…`` in the active language.

    ``messages`` (code → message) and ``label`` (field name → label) are the import's own.
    """
    template = messages.get(item.get("code"), ISSUE_MESSAGES["unexpected"])
    params = dict(item.get("params") or {})
    if item.get("code") in ("mapping_required", "mapping_twice"):
        params["field"] = label(params.get("field", ""))
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


_HEADER_NOISE_RE = re.compile(r"[\s_\-:*]+")
_HEADER_SUFFIX_RE = re.compile(r"\((必填|选填|可选|required|optional)\)$")


def header_key(text) -> str:
    """A header as compared with the aliases: NFKC, lower case, no spaces or "(必填)"."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    text = _HEADER_NOISE_RE.sub("", text)
    return _HEADER_SUFFIX_RE.sub("", text)


class FieldSet:
    """The fields of one import, and the column headers (Chinese or English) that name them."""

    def __init__(self, fields: Iterable[ImportField]):
        self.fields = tuple(fields)
        self.by_name = {f.name: f for f in self.fields}
        self.required = tuple(f.name for f in self.fields if f.required)
        self.aliases: dict[str, str] = {}
        for f in self.fields:
            for alias in (f.name, *f.aliases):
                self.aliases.setdefault(header_key(alias), f.name)

    def __iter__(self):
        return iter(self.fields)

    def recognise(self, text) -> str | None:
        return self.aliases.get(header_key(text))

    def allowed(self, name: str, *, allow_managers_only: bool = True) -> bool:
        found = self.by_name.get(name)
        return found is not None and (allow_managers_only or not found.managers_only)

    def suggest_mapping(
        self, headers: list[str], *, allow_managers_only: bool = True
    ) -> dict[str, str]:
        """Column index (as a string, for JSON) → field, first column wins for each field."""
        mapping: dict[str, str] = {}
        taken: set[str] = set()
        for index, header in enumerate(headers):
            name = self.recognise(header)
            if name is None or name in taken:
                continue
            if not self.allowed(name, allow_managers_only=allow_managers_only):
                continue
            mapping[str(index)] = name
            taken.add(name)
        return mapping

    def mapping_problems(self, mapping: dict[str, str]) -> list[dict]:
        chosen = [name for name in mapping.values() if name]
        problems = [
            issue("mapping_twice", field=name)
            for name in sorted({n for n in chosen if chosen.count(n) > 1})
        ]
        problems += [issue("mapping_required", field=n) for n in self.required if n not in chosen]
        return problems


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


def scan_sheet_xml(stream) -> tuple[int, bool]:
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


_SHARED_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"


def _local_name(element) -> str:
    return element.tag.rpartition("}")[2]


def shared_string_text(node) -> str:
    """The text of a shared string (``<si>``), as openpyxl's ``Text.from_tree(node).content``:
    the plain ``<t>`` and the ``<t>`` of each rich-text run ``<r>``, phonetic runs left out."""
    plain = None
    runs = []
    for child in node:
        tag = _local_name(child)
        if tag == "t":
            plain = child.text
        elif tag == "r":
            text = None
            for part in child:
                if _local_name(part) == "t":
                    text = part.text
            if text is not None:
                runs.append(text)
    return "".join([plain, *runs] if plain is not None else runs).replace("x005F_", "")


class SharedStrings(Sequence):
    """A workbook's shared-string table, read only as far as the cells read so far need.

    openpyxl reads the whole table before the first cell; a 50,000-row file from Excel holds
    about a hundred thousand strings, and the upload check needs the first few dozen. Same
    (safe) parser and same text as openpyxl's ``read_string_table``, without building a
    ``Text`` object per string.
    """

    def __init__(self, open_source: Callable):
        self._open_source = open_source
        self._strings: list[str] = []
        self._source = None
        self._events = None
        self._done = False

    def _read_one(self) -> bool:
        if self._done:
            return False
        if self._events is None:
            self._source = self._open_source()
            self._events = iterparse(self._source)
        for _event, node in self._events:
            if node.tag == _SHARED_STRING_TAG:
                self._strings.append(shared_string_text(node))
                node.clear()
                return True
        self.close()
        return False

    def close(self) -> None:
        self._done = True
        self._events = None
        if self._source is not None:
            self._source.close()
            self._source = None

    def __getitem__(self, index):
        if isinstance(index, slice) or index < 0:
            len(self)
        else:
            while index >= len(self._strings) and self._read_one():
                pass
        return self._strings[index]

    def __len__(self):
        while self._read_one():
            pass
        return len(self._strings)


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only worksheet that does not look for its size when opened.

    openpyxl reads up to the ``<dimension>`` element, and through the whole sheet when there is
    none (as in files written row by row); the import reads every row whatever the size says.
    """

    def _get_size(self):
        pass


class _LazyStringsReader(ExcelReader):
    """openpyxl's read-only workbook reader, with a :class:`SharedStrings` table and sheets
    that do not read themselves through to find their size."""

    def read_strings(self):
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            path = part.PartName[1:]
            self.shared_strings = SharedStrings(lambda: self.archive.open(path))

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            ws = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


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
            reader = _LazyStringsReader(fileobj, read_only=True, data_only=data_only)
            reader.read()
            return reader.wb
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
            estimated, has_formulas = scan_sheet_xml(source)
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

    def close():
        strings = getattr(sheet, "_shared_strings", None)
        if isinstance(strings, SharedStrings):
            strings.close()
        workbook.close()

    return Sheet(rows=rows(), estimated_rows=estimated, close=close)


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


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def row_is_blank(values) -> bool:
    return all(is_blank(v) for v in values)


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
    recognise: Callable[[object], str | None],
    suggest: Callable[[list[str]], dict[str, str]],
) -> Inspection:
    """Check an upload before anything is stored; raises :class:`ImportFileError`.

    ``recognise`` (header → field or None) finds the header row, ``suggest`` (headers →
    mapping) proposes the columns.
    """
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
            if row_is_blank(values):
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
        len(values) < width or is_blank(values[width - 1])
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
        mapping=suggest(headers),
    )


def _pick_header(leading: list[tuple[int, tuple]], recognise) -> int:
    """The row with most recognised headers among the first rows; else the first one."""
    best, best_score = 0, 0
    for index, (_row, values) in enumerate(leading):
        score = len({recognise(v) for v in values if isinstance(v, str)} - {None})
        if score > best_score:
            best, best_score = index, score
    return best


# ---------------------------------------------------------------------------------------------
# Cleaning cells
# ---------------------------------------------------------------------------------------------


def choice_key(value) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)).strip().lower())


def choice_lookup(choices, extra: dict[str, str]) -> dict[str, str]:
    """Normalised label (English and Chinese), value or extra alias → value."""
    lookup: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices:
                lookup.setdefault(choice_key(label), value)
    for value, _label in choices:
        lookup.setdefault(choice_key(value), value)
    for alias, value in extra.items():
        lookup.setdefault(choice_key(alias), value)
    return lookup


def json_safe(value):
    return value if isinstance(value, str | int | float | bool | None) else str(value)


class Ambiguous:
    """A lookup key that names several records; ``labels`` lists a few of them."""

    def __init__(self, labels):
        self.labels = labels


def to_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return display_value(value)
    return str(value).strip()


_AMOUNT_STRIP_RE = re.compile(r"[¥,\s]|元|rmb|cny", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d")
_DATE_CLEAN_RE = re.compile(r"[/.年月]")
_DATE_SPACE_RE = re.compile(r"[日号T]|\s+")


def parse_amount(value) -> Decimal:
    """CNY to the fen from a number or text such as ``¥180,000``, ``18万`` or ``20.5万元``."""
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = _AMOUNT_STRIP_RE.sub("", unicodedata.normalize("NFKC", str(value)))
        factor = 1
        if text.endswith("万"):
            text, factor = text[:-1], 10000
        amount = Decimal(text) * factor
    if not amount.is_finite():
        raise InvalidOperation
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_datetime(value) -> datetime.datetime:
    """An aware datetime from a date cell, an Excel serial number or text in common formats.

    A date without a time means :data:`DATE_ONLY_TIME`.
    """
    if isinstance(value, bool | datetime.time):
        raise ValueError(value)
    if isinstance(value, int | float):
        if not 1 <= value < 2958466:
            raise ValueError(value)
        value = from_excel(value)
    if isinstance(value, datetime.datetime):
        moment = value.replace(tzinfo=None)
        if moment.time() == datetime.time(0, 0):
            moment = datetime.datetime.combine(moment.date(), DATE_ONLY_TIME)
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, DATE_ONLY_TIME)
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
                moment = datetime.datetime.combine(moment.date(), DATE_ONLY_TIME)
            break
        else:
            raise ValueError(value)
    if not 1900 < moment.year < 2200:
        raise ValueError(value)
    return timezone.make_aware(moment, timezone.get_default_timezone())


def parse_date(value) -> datetime.date:
    moment = parse_datetime(value)
    return moment.astimezone(timezone.get_default_timezone()).date()


class RowCleaner:
    """Turns a row's cells into field values, or row-level issues with row and column.

    ``columns`` lists ``(column index, field name)`` in the order the fields are cleaned (a
    field may depend on one cleaned before it, passed in ``data``). Blank cells give no value
    (a merge never blanks a field), a blank required cell is an issue; formulas without a value
    and Excel error values are reported before :meth:`clean_value` sees the cell. An app
    subclass implements :meth:`clean_value` and raises ``ValidationError`` (code and params)
    for a bad value. Fields in :attr:`constant_fields` depend on the cell only: each distinct
    value is cleaned once per file.
    """

    required: tuple[str, ...] = ()
    constant_fields: frozenset[str] = frozenset()

    def __init__(self, columns: Iterable[tuple[int, str]]):
        self.columns = list(columns)
        self.column_of = {name: col for col, name in self.columns}
        self._cache: dict[tuple, dict | tuple] = {}

    def is_blank(self, values: tuple) -> bool:
        return all(is_blank(values[col]) for col, _name in self.columns if col < len(values))

    def clean(self, row: int, values: tuple) -> tuple[dict, list[dict]]:
        data: dict = {}
        problems: list[dict] = []
        for col, name in self.columns:
            value = values[col] if col < len(values) else None
            if is_blank(value):
                if name in self.required:
                    problems.append(issue("required", row=row, col=col))
                continue
            if value is FORMULA:
                problems.append(issue("formula", row=row, col=col))
                continue
            if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
                problems.append(issue("excel_error", row=row, col=col, value=value.strip()))
                continue
            try:
                data.update(self._clean_value(name, value, data))
            except ValidationError as exc:
                error = exc.error_list[0]
                params = {key: json_safe(v) for key, v in (error.params or {}).items()}
                problems.append(issue(error.code or "choice", row=row, col=col, **params))
        return data, problems

    def _clean_value(self, name: str, value, data: dict) -> dict:
        if (
            name not in self.constant_fields
            or not isinstance(value, str | int | float)
            or value != value  # NaN
        ):
            return self.clean_value(name, value, data)
        key = (name, type(value), value)
        found = self._cache.get(key)
        if found is None:
            try:
                found = self.clean_value(name, value, data)
            except ValidationError as exc:
                error = exc.error_list[0]
                found = (error.code, error.params)  # raised anew for every row
            self._cache[key] = found
        if isinstance(found, tuple):
            code, params = found
            raise ValidationError("", code=code, params=params)
        return found

    def clean_value(self, name: str, value, data: dict) -> dict:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Checking a whole file
# ---------------------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    """A row that passed the checks: its values and what it will do (``kind``)."""

    row: int
    data: dict
    kind: str = "new"


@dataclass
class Analysis:
    data_rows: int = 0
    rows: list = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    issue_count: int = 0
    error_rows: int = 0

    @property
    def duplicates(self) -> list:
        return [r for r in self.rows if r.kind != "new"]

    def add_problems(self, problems: list[dict]) -> None:
        """One bad row: counted exactly, its problems kept up to :data:`MAX_STORED_ERRORS`."""
        self.error_rows += 1
        self.issue_count += len(problems)
        room = MAX_STORED_ERRORS - len(self.issues)
        if room > 0:
            self.issues.extend(problems[:room])


ProgressCallback = Callable[[int, int], None]


def job_rows(job) -> tuple[Sheet, Callable[[], None]]:
    """The job's stored file, opened."""
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


def clean_rows(
    job,
    cleaner: RowCleaner,
    analysis: Analysis,
    *,
    max_rows: int,
    progress: ProgressCallback | None = None,
) -> Iterator[tuple[int, dict, list[dict]]]:
    """Each data row of the job's file, cleaned: ``(row number, values, problems)``.

    Blank rows are left out; ``analysis.data_rows`` counts the others, and more than
    ``max_rows`` of them stop the check.
    """
    sheet, close = job_rows(job)
    estimated = max(job.total_rows, 1)
    try:
        for row_number, values in sheet.rows:
            if row_number <= job.header_row or cleaner.is_blank(values):
                continue
            analysis.data_rows += 1
            if analysis.data_rows > max_rows:
                raise ImportFileError("too_many_rows", limit=f"{max_rows:,}")
            data, problems = cleaner.clean(row_number, values)
            yield row_number, data, problems
            if progress and analysis.data_rows % PROGRESS_EVERY == 0:
                progress(analysis.data_rows, max(estimated, analysis.data_rows))
    finally:
        close()


# The checked rows of a clean check, kept beside the upload so the import need not read and
# check the file again (``<file>.checked.json.gz``). Only types JSON lacks need a converter.
_DECODERS = {
    Decimal: Decimal,
    datetime.datetime: datetime.datetime.fromisoformat,
    datetime.date: datetime.date.fromisoformat,
}


def _checked_rows_name(job) -> str:
    return f"{job.file.name}.checked.json.gz"


def delete_checked_rows(job) -> None:
    if job.file:
        job.file.storage.delete(_checked_rows_name(job))


def save_checked_rows(job, rows: Iterable[PlannedRow], value_types: dict[str, type]) -> None:
    """Keep the cleaned rows of a clean check; ``value_types`` names the non-JSON values."""
    payload = []
    for planned in rows:
        data = dict(planned.data)
        for key, kind in value_types.items():
            if key in data:
                data[key] = str(data[key]) if kind is Decimal else data[key].isoformat()
        payload.append([planned.row, data])
    content = gzip.compress(
        json.dumps({"mapping": job.mapping, "rows": payload}, ensure_ascii=False).encode(),
        compresslevel=1,
    )
    name = _checked_rows_name(job)
    job.file.storage.delete(name)
    job.file.storage.save(name, ContentFile(content))


def load_checked_rows(job, value_types: dict[str, type]) -> list[tuple[int, dict]] | None:
    """The rows kept by the check, or None (none kept, unreadable, or the mapping changed)."""
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
    decoders = {key: _DECODERS[kind] for key, kind in value_types.items()}
    rows = []
    for row, data in saved["rows"]:
        for key, decode in decoders.items():
            if key in data:
                data[key] = decode(data[key])
        rows.append((row, data))
    return rows


# ---------------------------------------------------------------------------------------------
# Writing many rows
# ---------------------------------------------------------------------------------------------

#: Model field types, and the Python type of a value PostgreSQL's COPY takes as it is (what
#: Django's own conversion gives for it on PostgreSQL); anything else is converted by Django.
_PLAIN_TYPES = {
    "AutoField": int,
    "BigAutoField": int,
    "BigIntegerField": int,
    "BooleanField": bool,
    "CharField": str,
    "DateField": datetime.date,
    "DateTimeField": datetime.datetime,
    "DecimalField": Decimal,
    "ForeignKey": int,
    "IntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "SmallIntegerField": int,
    "TextField": str,
}


def _uses_copy() -> bool:
    return connection.vendor == "postgresql"


def _value_converter(model_field) -> Callable:
    """Python value → what COPY writes for ``model_field``: Django's conversion, short-cut
    for the plain types (an aware datetime, a str for a text field, …)."""
    plain = _PLAIN_TYPES.get(model_field.get_internal_type())
    prep = model_field.get_db_prep_save

    def convert(value):
        if value is None:
            return None
        if type(value) is plain and (plain is not datetime.datetime or value.tzinfo is not None):
            return value
        return prep(value, connection)

    return convert


def _copy_rows(table: str, columns: list[str], rows: Iterable[Sequence]) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _reserve_ids(model, count: int) -> list[int]:
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def create_with_history(model, objs: list, *, user, reason: str, date) -> list[int]:
    """Insert new records and their history rows ("+" by ``user`` for ``reason``, at ``date``).

    The same rows as django-simple-history's ``bulk_create_with_history``; on PostgreSQL they
    go in with COPY, ids taken from the table's sequence first (three to four times faster
    for tens of thousands of rows). Returns the new ids in the order of ``objs``. The caller
    holds the transaction. Every history row gets ``user`` and ``reason`` (an instance's own
    ``_history_user`` or ``_change_reason`` is not looked at).
    """
    if not objs:
        return []
    if not _uses_copy() or any(obj.pk is not None for obj in objs):
        created = bulk_create_with_history(
            objs,
            model,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=reason,
            default_date=date,
        )
        return [obj.pk for obj in created]
    fields = list(model._meta.concrete_fields)
    # What bulk_create does first: related objects saved (their ids taken), then pre_save
    # (auto_now and the like) for the fields that do anything there.
    pre_save = [f for f in fields if type(f).pre_save is not models.Field.pre_save]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        for f in pre_save:
            f.pre_save(obj, add=True)
    ids = _reserve_ids(model, len(objs))
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    columns = [(f.attname, _value_converter(f)) for f in fields]
    values = [[convert(getattr(obj, name)) for name, convert in columns] for obj in objs]
    _copy_rows(model._meta.db_table, [f.column for f in fields], values)

    # The history rows: the same values, plus who, when, why ("+": created) and the defaults
    # of the history's own fields (the client's IP address), as simple_history builds them.
    history_model = get_history_manager_for_model(model).model
    template = history_model(
        history_date=date,
        history_user=user,
        history_change_reason=reason,
        history_type="+",
        **{f.attname: getattr(objs[0], f.attname) for f in history_model.tracked_fields},
    )
    position = {f.attname: i for i, f in enumerate(fields)}
    tracked = {f.attname for f in history_model.tracked_fields}
    history_fields = [f for f in history_model._meta.concrete_fields if not f.primary_key]
    picks = [position[f.attname] if f.attname in tracked else None for f in history_fields]
    fixed = [
        None if f.attname in tracked else _value_converter(f)(getattr(template, f.attname))
        for f in history_fields
    ]
    _copy_rows(
        history_model._meta.db_table,
        [f.column for f in history_fields],
        (
            [value if pick is None else row[pick] for pick, value in zip(picks, fixed, strict=True)]
            for row in values
        ),
    )
    return ids


# ---------------------------------------------------------------------------------------------
# The template workbook
# ---------------------------------------------------------------------------------------------


def template_workbook(
    *,
    title: str,
    columns: Sequence[tuple[str, str, int]],
    example: dict,
    required: Iterable[str],
    number_formats: dict[str, str],
    lists: dict[str, list[str]],
    explanations: Iterable[tuple[str, str]],
    first_column_width: int,
    text_columns: Iterable[str] = (),
) -> bytes:
    """A downloadable template: the headers (required ones red), one example row, drop-down
    lists for choices, and a sheet "填写说明" explaining each column.

    ``columns`` are ``(header, field, width)``; ``text_columns`` are stored as text, so Excel
    neither drops a leading 0 nor writes 1.38E+10.
    """
    required = set(required)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1D4ED8")
    required_fill = PatternFill("solid", fgColor="B91C1C")
    letters = {}
    for index, (header, name, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = header_font
        cell.fill = required_fill if name in required else header_fill
        cell.alignment = Alignment(horizontal="center")
        letters[name] = letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        value_cell = sheet.cell(row=2, column=index, value=example[name])
        if name in number_formats:
            value_cell.number_format = number_formats[name]
    sheet.freeze_panes = "A2"
    for name in text_columns:
        sheet.column_dimensions[letters[name]].number_format = "@"
    for _header, name, _width in columns:
        if name in lists:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(lists[name]) + '"', allow_blank=True
            )
            validation.add(f"{letters[name]}2:{letters[name]}5000")
            sheet.add_data_validation(validation)

    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = first_column_width
    notes.column_dimensions["B"].width = 90
    notes.append(["列", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in explanations:
        notes.append(list(row))
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The steps of a job
# ---------------------------------------------------------------------------------------------


class Importer:
    """One kind of import: the shared steps, with the app's own parts filled in by a subclass.

    A subclass sets the class attributes and implements :meth:`may_import`, :meth:`analyse`,
    :meth:`duplicate_entry`, :meth:`sample_entry`, :meth:`changes_since_preview` and
    :meth:`write`; it may override the other hooks.
    """

    #: The job model and its ``kind`` for this import.
    job_model = None
    kind: str = ""
    fields: FieldSet
    #: Issue code → message: :data:`ISSUE_MESSAGES` plus the app's own codes.
    messages: dict = ISSUE_MESSAGES
    #: Keep the checked rows of a clean check for the import (:func:`save_checked_rows`),
    #: with these non-JSON values.
    keeps_checked_rows: bool = False
    value_types: dict[str, type] = {}
    #: The key of "rows merged into an existing record" in :meth:`planned_counts`.
    merged_key: str = "merged"
    #: The issue code of a unique key taken by someone else while writing.
    taken_meanwhile: str = "unexpected"
    msg_action = gettext_lazy("Choose skip or merge.")
    msg_not_duplicate = gettext_lazy("Row %(row)s is not a duplicate.")
    msg_locked: str = ""
    log_name = "Import"

    # -- the app's parts ------------------------------------------------------------------

    @property
    def jobs(self):
        """The manager of this kind's jobs."""
        raise NotImplementedError

    def may_import(self, user) -> bool:
        raise NotImplementedError

    def field_label(self, name: str) -> str:
        return name

    def suggest_mapping(self, headers: list[str], user) -> dict[str, str]:
        return self.fields.suggest_mapping(headers)

    def analyse(self, job, progress: ProgressCallback | None = None) -> Analysis:
        """Read and check every row of the job's file. No writes."""
        raise NotImplementedError

    def load_checked(self, job) -> Analysis | None:
        """The rows kept by the check, verified again; None: read the file again."""
        return None

    def duplicate_entry(self, planned) -> dict:
        raise NotImplementedError

    def sample_entry(self, planned) -> dict:
        raise NotImplementedError

    def is_locked(self, duplicate: dict) -> bool:
        """A duplicate that can only be skipped."""
        return False

    def changes_since_preview(self, job, analysis: Analysis) -> list[dict]:
        return []

    def write(self, job, analysis: Analysis) -> tuple[tuple[int, int, int], list[int]]:
        """Write everything (inside the caller's transaction): (created, merged, skipped), ids.

        Raise :class:`Conflict` for a change found while writing.
        """
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------

    def describe(self, item: dict, headers: list[str] | None = None) -> str:
        return describe_issue(item, headers, messages=self.messages, label=self.field_label)

    def mapping_problems(self, mapping: dict[str, str]) -> list[dict]:
        return self.fields.mapping_problems(mapping)

    def file_error(self, code: str, **params) -> ImportFileError:
        return ImportFileError(code, messages=self.messages, **params)

    def start_import(self, *, user, uploaded):
        """Step 1: check an uploaded file and store it with a new job; nothing if it fails.

        ``uploaded`` is a Django ``UploadedFile`` (or any ``File`` with ``name`` and ``size``).
        """
        if not self.may_import(user):
            raise self.file_error("not_allowed")
        if user.store_id is None:
            raise self.file_error("no_store")
        filename = os.path.basename(uploaded.name or "")[:255]
        uploaded.open("rb")
        inspection = inspect_file(
            uploaded,
            filename,
            uploaded.size,
            recognise=self.fields.recognise,
            suggest=lambda headers: self.suggest_mapping(headers, user),
        )
        job = self.job_model(
            kind=self.kind,
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

    def progress_saver(self, job) -> ProgressCallback:
        def save(done: int, total: int) -> None:
            # Autocommitted (never inside the import's transaction), so a poll sees it at once.
            self.job_model.all_kinds.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

        return save

    def fail(self, job, issues: list[dict], *, count: int | None = None):
        job.status = job.Status.FAILED
        job.error_summary = {"issues": issues[:MAX_STORED_ERRORS], "count": count or len(issues)}
        job.finished_at = timezone.now()
        job.save()
        return job

    def build_report(self, analysis: Analysis) -> dict:
        return {
            "data_rows": analysis.data_rows,
            "valid_rows": len(analysis.rows),
            "new_rows": sum(1 for r in analysis.rows if r.kind == "new"),
            "error_rows": analysis.error_rows,
            "issue_count": analysis.issue_count,
            "issues": analysis.issues,
            "duplicates": [self.duplicate_entry(r) for r in analysis.duplicates],
            "sample": [self.sample_entry(r) for r in analysis.rows[:SAMPLE_SIZE]],
            "checked_at": timezone.now().isoformat(),
        }

    def check_import(self, job):
        """Step 2: check every row and keep the report for the preview. Writes no records."""
        job.status = job.Status.CHECKING
        job.processed_rows = 0
        job.started_at = timezone.now()
        job.finished_at = None
        job.error_summary = {}
        job.save()
        started = time.monotonic()
        if self.keeps_checked_rows:
            delete_checked_rows(job)
        try:
            analysis = self.analyse(job, progress=self.progress_saver(job))
            if self.keeps_checked_rows and not analysis.issue_count:
                save_checked_rows(job, analysis.rows, self.value_types)
        except ImportFileError as exc:
            return self.fail(job, [exc.as_issue()])
        except Exception:
            logger.exception("Checking %s %s failed", self.log_name.lower(), job.pk)
            return self.fail(job, [issue("unexpected")])
        logger.info(
            "%s %s: checked %s rows in %.1f s",
            self.log_name,
            job.pk,
            analysis.data_rows,
            time.monotonic() - started,
        )
        job.report = self.build_report(analysis)
        job.total_rows = job.processed_rows = analysis.data_rows
        # Per-row choices only make sense for rows that are still duplicates.
        rows = {str(d["row"]) for d in job.report["duplicates"]}
        job.row_actions = {row: action for row, action in job.row_actions.items() if row in rows}
        job.status = job.Status.PREVIEWED
        job.finished_at = timezone.now()
        job.save()
        return job

    def row_action(self, job, duplicate: dict) -> str:
        """What happens to a duplicate row: "merge" or "skip" (a locked one: always skip)."""
        if self.is_locked(duplicate):
            return job.DuplicateAction.SKIP
        return job.row_actions.get(str(duplicate["row"]), job.duplicate_action)

    def planned_counts(self, job) -> dict[str, int]:
        """Records created, rows merged and rows skipped if the user confirms now."""
        report = job.report or {}
        merged = skipped = 0
        for duplicate in report.get("duplicates", []):
            if self.row_action(job, duplicate) == job.DuplicateAction.MERGE:
                merged += 1
            else:
                skipped += 1
        return {"created": report.get("new_rows", 0), self.merged_key: merged, "skipped": skipped}

    def can_confirm(self, job) -> bool:
        report = job.report or {}
        return (
            job.status == job.Status.PREVIEWED
            and not report.get("issue_count")
            and report.get("valid_rows", 0) > 0
        )

    def set_duplicate_action(self, job, action: str, *, row: int | None = None) -> None:
        if action not in job.DuplicateAction.values:
            raise ValidationError(self.msg_action)
        if row is None:
            job.duplicate_action = action
            job.row_actions = {}
            job.save(update_fields=["duplicate_action", "row_actions", "updated_at"])
            return
        duplicate = next((d for d in job.report.get("duplicates", []) if d["row"] == row), None)
        if duplicate is None:
            raise ValidationError(self.msg_not_duplicate % {"row": row})
        if action == job.DuplicateAction.MERGE and self.is_locked(duplicate):
            raise ValidationError(self.msg_locked)
        job.row_actions = {**job.row_actions, str(row): action}
        job.save(update_fields=["row_actions", "updated_at"])

    def confirm_import(self, job) -> bool:
        """Mark a checked job as importing, once (a second click finds it already started)."""
        if not self.can_confirm(job):
            return False
        started = self.jobs.filter(pk=job.pk, status=job.Status.PREVIEWED).update(
            status=job.Status.IMPORTING,
            processed_rows=0,
            started_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if started:
            job.refresh_from_db()
        return bool(started)

    def run_import(self, job):
        """Step 3: check again, then write all rows in one transaction, or nothing."""
        user = job.user
        if job.status != job.Status.IMPORTING:
            return job
        if not (user.is_active and self.may_import(user)):
            return self.fail(job, [issue("not_allowed")])
        if user.store_id != job.store_id:
            return self.fail(job, [issue("no_store")])
        started = time.monotonic()
        try:
            analysis = self.load_checked(job)
            if analysis is None:  # nothing kept (or unreadable): read the file again
                analysis = self.analyse(job, progress=self.progress_saver(job))
        except ImportFileError as exc:
            return self.fail(job, [exc.as_issue()])
        except Exception:
            logger.exception("%s %s failed while reading", self.log_name, job.pk)
            return self.fail(job, [issue("unexpected")])
        if analysis.issue_count:
            return self.fail(job, analysis.issues, count=analysis.issue_count)
        conflicts = self.changes_since_preview(job, analysis)
        if conflicts:
            return self.fail(job, conflicts)
        self.jobs.filter(pk=job.pk).update(
            processed_rows=analysis.data_rows, total_rows=analysis.data_rows
        )
        read_seconds = time.monotonic() - started
        try:
            with transaction.atomic():
                counts, created_ids = self.write(job, analysis)
        except Conflict as exc:
            return self.fail(job, exc.problems)
        except IntegrityError:
            logger.info(
                "%s %s hit a unique key while writing", self.log_name, job.pk, exc_info=True
            )
            return self.fail(job, [issue(self.taken_meanwhile)])
        except Exception:
            logger.exception("%s %s failed while writing", self.log_name, job.pk)
            return self.fail(job, [issue("unexpected")])
        job.status = job.Status.DONE
        job.total_rows = job.processed_rows = analysis.data_rows
        job.created_count, job.merged_count, job.skipped_count = counts
        job.report = {**job.report, "created_ids": created_ids[:CREATED_LINKS]}
        job.finished_at = timezone.now()
        job.save()
        logger.info(
            "%s %s: %s rows read in %.1f s, %s created and %s merged in %.1f s",
            self.log_name,
            job.pk,
            analysis.data_rows,
            read_seconds,
            counts[0],
            counts[1],
            time.monotonic() - started - read_seconds,
        )
        # The records are in the database (with their history); the upload is not needed.
        delete_checked_rows(job)
        job.file.delete(save=True)
        return job


def recheck_scope(queryset, ids: list[int]) -> None:
    """After writing: every new record is in the user's scope (``queryset``), or nothing is."""
    for start in range(0, len(ids), BATCH_SIZE * 4):
        chunk = ids[start : start + BATCH_SIZE * 4]
        if queryset.filter(pk__in=chunk).count() != len(chunk):
            raise PermissionDenied("imported records outside the user's scope")
