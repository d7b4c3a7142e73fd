"""Import a stock list (库存表) from an Excel workbook (.xlsx) or a CSV file.

The customer import's flow and machinery, on the same ``ImportJob`` (kind "stock"):

1. :func:`start_import` checks the upload, stores it and proposes a column mapping from the
   headers (车架号, 车型, 颜色, 状态, 到店日期, 成本, 库位, 备注 or English names).
2. :func:`check_import` reads every row, reports each bad cell by row and column, and finds
   VINs repeated in the file or already registered. Nothing is written to vehicles.
3. :func:`run_import` reads and checks the file again, makes sure nothing changed since the
   preview, then writes every row in one transaction, or nothing at all.

A store holds hundreds of cars, not hundreds of thousands: the file is capped at
:data:`MAX_DATA_ROWS` rows and every step runs within the request.
"""

from __future__ import annotations

import datetime
import io
import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from dealerplan.catalog.models import Color, Trim
from dealerplan.core import vin as vins
from dealerplan.customers.importing import (
    EXCEL_ERRORS,
    FORMULA,
    ISSUE_MESSAGES,
    XLSX_CONTENT_TYPE,
    ImportFileError,
    _choice_key,
    _choice_lookup,
    _fail,
    _header_key,
    _is_blank,
    _job_rows,
    _json_safe,
    _parse_budget,
    _parse_datetime,
    _to_text,
    can_confirm,
    describe_issue,
    inspect_file,
    issue,
)
from dealerplan.customers.models import ImportJob

from . import services
from .choices import VehicleStatus
from .models import Vehicle

__all__ = [
    "XLSX_CONTENT_TYPE",
    "ImportFileError",
    "can_confirm",
    "check_import",
    "confirm_import",
    "describe",
    "run_import",
    "start_import",
]

logger = logging.getLogger(__name__)

#: More data rows than this are refused (split the file).
MAX_DATA_ROWS = 5000
#: Row-level errors kept in the report (the count is always exact).
MAX_STORED_ERRORS = 1000
#: Rows shown in the preview table.
SAMPLE_SIZE = 10
#: Rows per INSERT / UPDATE statement, and VINs per ``IN (...)`` lookup.
BATCH_SIZE = 500
#: Created vehicles linked from the summary page.
CREATED_LINKS = 20

#: The model year coded in a VIN's 10th character, in a 30-year cycle from 1980 (A).
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------

ISSUE_MESSAGES_STOCK = {
    **ISSUE_MESSAGES,
    "not_allowed": _("You may not import stock."),
    "vin_length": vins.MSG_LENGTH,
    "vin_chars": vins.MSG_CHARS,
    "vin_check_digit": vins.MSG_CHECK_DIGIT,
    "vin_repeated": _("The VIN %(vin)s is already in row %(first_row)s of this file."),
    "vin_other_store": _(
        "The VIN %(vin)s is registered at another store: it cannot be imported here."
    ),
    "trim_unknown": _(
        "No trim “%(value)s” in the catalogue: write the trim name, or the series and the "
        "trim, as in the catalogue."
    ),
    "color_unknown": _("No colour “%(value)s” for %(brand)s in the catalogue."),
    "color_unknown_any": _("No colour “%(value)s” in the catalogue."),
    "status_by_order": services.MSG_STATUS_BY_ORDER,
    "arrival_future": _("A car in stock cannot have arrived after today."),
    "cost_required": _("This VIN is not in stock yet: enter the cost of the new vehicle."),
    "vin_taken_since": _("The VIN %(vin)s was registered after the check: check the file again."),
    "held_since": _(
        "Vehicle %(vin)s was allocated to a sales order after the check: check the file again."
    ),
    "vin_taken_meanwhile": _(
        "A VIN in the file was saved by someone else while importing: nothing was imported. "
        "Check the file again."
    ),
}

#: Why a row whose VIN is already in stock can only be skipped.
LOCKED_REASONS = {
    "held_by_order": _("held by a sales order"),
    "archived": _("archived"),
}


def describe(item: dict, headers: list[str] | None = None) -> str:
    """``第 5 行 车架号（A列）：车架号（VIN）校验位…`` in the active language."""
    return describe_issue(item, headers, messages=ISSUE_MESSAGES_STOCK, label=field_label)


# ---------------------------------------------------------------------------------------------
# Fields and header recognition
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockField:
    name: str
    aliases: tuple[str, ...]
    required: bool = False


STOCK_FIELDS: tuple[StockField, ...] = (
    StockField(
        "vin",
        (
            "车架号",
            "车架号(VIN)",
            "车架号码",
            "VIN码",
            "VIN号",
            "车辆识别代号",
            "车辆识别号",
            "车辆识别码",
            "底盘号",
            "vin",
            "vin code",
            "vin number",
            "chassis number",
        ),
        required=True,
    ),
    StockField(
        "trim",
        (
            "车型",
            "配置",
            "车型配置",
            "车型/配置",
            "车款",
            "型号",
            "车型名称",
            "trim",
            "model",
            "car model",
        ),
        required=True,
    ),
    StockField(
        "color",
        (
            "颜色",
            "外观颜色",
            "车身颜色",
            "车色",
            "外观",
            "colour",
            "color",
            "exterior colour",
            "exterior color",
        ),
        required=True,
    ),
    StockField("status", ("状态", "车辆状态", "库存状态", "status", "stock status")),
    StockField(
        "arrival_date",
        (
            "到店日期",
            "入库日期",
            "到库日期",
            "到货日期",
            "到店时间",
            "入库时间",
            "arrival date",
            "arrival",
            "arrived",
            "received on",
        ),
    ),
    StockField(
        "cost",
        ("成本", "采购价", "采购成本", "进价", "进货价", "车辆成本", "cost", "purchase price"),
    ),
    StockField(
        "location",
        ("库位", "位置", "存放位置", "停放位置", "库位号", "location", "bay", "parking"),
    ),
    StockField("notes", ("备注", "备注信息", "说明", "notes", "note", "remarks", "comments")),
)
FIELDS_BY_NAME = {f.name: f for f in STOCK_FIELDS}
REQUIRED_FIELDS = tuple(f.name for f in STOCK_FIELDS if f.required)

_ALIASES: dict[str, str] = {}
for _field in STOCK_FIELDS:
    for _alias in (_field.name, *_field.aliases):
        _ALIASES.setdefault(_header_key(_alias), _field.name)


def field_label(name: str) -> str:
    try:
        return capfirst(str(Vehicle._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # an unknown name in a stored mapping
        return name


def field_choices() -> list[tuple[str, str]]:
    return [(f.name, field_label(f.name)) for f in STOCK_FIELDS]


def recognise_header(text) -> str | None:
    return _ALIASES.get(_header_key(text))


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """Column index (as a string, for JSON) → field, first column wins for each field."""
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        name = recognise_header(header)
        if name is not None and name not in mapping.values():
            mapping[str(index)] = name
    return mapping


def mapping_problems(mapping: dict[str, str]) -> list[dict]:
    chosen = [name for name in mapping.values() if name]
    problems = [
        issue("mapping_twice", field=name)
        for name in sorted({n for n in chosen if chosen.count(n) > 1})
    ]
    problems += [issue("mapping_required", field=n) for n in REQUIRED_FIELDS if n not in chosen]
    return problems


# ---------------------------------------------------------------------------------------------
# Step 1: the upload
# ---------------------------------------------------------------------------------------------


def start_import(*, user, uploaded) -> ImportJob:
    """Check an uploaded stock list and store it with a new job; nothing is stored if it fails."""
    if not services.can_edit_stock(user):
        raise PermissionDenied
    if user.store_id is None:
        raise ImportFileError("no_store")
    filename = os.path.basename(uploaded.name or "")[:255]
    uploaded.open("rb")
    inspection = inspect_file(
        uploaded,
        filename,
        uploaded.size,
        recognise=recognise_header,
        suggest=suggest_mapping,
    )
    job = ImportJob(
        kind=ImportJob.Kind.STOCK,
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
# Step 2: cleaning rows
# ---------------------------------------------------------------------------------------------

_STATUS_EXTRAS = {
    "订车": VehicleStatus.ORDERED,
    "已订车": VehicleStatus.ORDERED,
    "已订购": VehicleStatus.ORDERED,
    "订购": VehicleStatus.ORDERED,
    "厂家订车": VehicleStatus.ORDERED,
    "期车": VehicleStatus.ORDERED,
    "在途": VehicleStatus.IN_TRANSIT,
    "运输中": VehicleStatus.IN_TRANSIT,
    "已发运": VehicleStatus.IN_TRANSIT,
    "发运": VehicleStatus.IN_TRANSIT,
    "在库": VehicleStatus.IN_STOCK,
    "库存": VehicleStatus.IN_STOCK,
    "现车": VehicleStatus.IN_STOCK,
    "入库": VehicleStatus.IN_STOCK,
    "已入库": VehicleStatus.IN_STOCK,
    "到店": VehicleStatus.IN_STOCK,
    "已到店": VehicleStatus.IN_STOCK,
    "预留": VehicleStatus.RESERVED,
    "已预留": VehicleStatus.RESERVED,
    "已配车": VehicleStatus.RESERVED,
    "已售": VehicleStatus.SOLD,
    "售出": VehicleStatus.SOLD,
    "已销售": VehicleStatus.SOLD,
    "交车": VehicleStatus.DELIVERED,
    "已交车": VehicleStatus.DELIVERED,
    "ordered": VehicleStatus.ORDERED,
    "transit": VehicleStatus.IN_TRANSIT,
    "stock": VehicleStatus.IN_STOCK,
}
_status_lookup: dict[str, str] = {}


def status_lookup() -> dict[str, str]:
    if not _status_lookup:
        _status_lookup.update(_choice_lookup(VehicleStatus.choices, _STATUS_EXTRAS))
    return _status_lookup


def _status_hint() -> str:
    labels = [str(VehicleStatus(s).label) for s in services.HAND_STATUSES]
    return "、".join(labels) if translation.get_language() == "zh-hans" else ", ".join(labels)


def vin_model_year_matches(vin: str, model_year: int | None) -> bool:
    """Whether the VIN's 10th character can code this model year."""
    if model_year is None or len(vin) < 10 or vin[9] not in VIN_YEAR_CODES:
        return False
    return (model_year - 1980 - VIN_YEAR_CODES.index(vin[9])) % 30 == 0


@dataclass(frozen=True)
class TrimChoice:
    pk: int
    series_id: int
    name: str
    model_year: int | None
    is_active: bool
    brand_id: int
    brand: str
    label: str


def trim_lookup() -> dict[str, list[TrimChoice]]:
    """Normalised "trim", "series trim", "brand series trim" (optionally with "2026款") → trims.

    Trims taken off sale are kept: an old model year is exactly the stock to sell first.
    """
    lookup: dict[str, list[TrimChoice]] = {}
    trims = Trim.objects.filter(series__brand__is_competitor=False).select_related("series__brand")
    for trim in trims:
        series, brand = trim.series, trim.series.brand
        choice = TrimChoice(
            pk=trim.pk,
            series_id=series.pk,
            name=trim.name,
            model_year=trim.model_year,
            is_active=trim.is_active,
            brand_id=brand.pk,
            brand=brand.name,
            label=f"{series.name} {trim.name}",
        )
        names = [trim.name, f"{series.name}{trim.name}", f"{brand.name}{series.name}{trim.name}"]
        keys = {_choice_key(n) for n in names}
        if trim.model_year:
            year = str(trim.model_year)
            keys |= {_choice_key(f"{year}款{n}") for n in names}
            keys |= {_choice_key(f"{n}{year}款") for n in names}
            keys |= {_choice_key(f"{series.name}{year}款{trim.name}")}
        for key in keys:
            lookup.setdefault(key, []).append(choice)
    return lookup


def color_lookup() -> dict[str, list[tuple[int, int, str, str]]]:
    """Normalised colour name or paint code → (id, brand id, brand, name) of our brands."""
    lookup: dict[str, list[tuple[int, int, str, str]]] = {}
    colors = Color.objects.filter(brand__is_competitor=False).select_related("brand")
    for color in colors:
        entry = (color.pk, color.brand_id, color.brand.name, color.name)
        for key in {_choice_key(color.name), _choice_key(color.code) if color.code else ""}:
            if key:
                lookup.setdefault(key, []).append(entry)
    return lookup


def parse_date(value) -> datetime.date:
    moment = _parse_datetime(value)
    return moment.astimezone(timezone.get_default_timezone()).date()


_COST_FIELD = Vehicle._meta.get_field("cost")
_TEXT_LIMITS = {"location": Vehicle._meta.get_field("location").max_length}
CLEAN_ORDER = ("vin", "trim", "color", "status", "arrival_date", "cost", "location", "notes")


class StockRowCleaner:
    """Turns a row's cells into vehicle field values, or row-level issues.

    Empty optional cells give no value, so updating a car in stock never blanks a field. All
    lookups are loaded once; cleaning a row touches no database.
    """

    def __init__(self, *, mapping: dict[str, str], today: datetime.date | None = None):
        self.columns = {name: int(col) for col, name in mapping.items() if name in FIELDS_BY_NAME}
        self.trims = trim_lookup() if "trim" in self.columns else {}
        self.colors = color_lookup() if "color" in self.columns else {}
        self.today = today or timezone.localdate()

    def is_blank(self, values: tuple) -> bool:
        return all(_is_blank(values[c]) for c in self.columns.values() if c < len(values))

    def clean(self, row: int, values: tuple) -> tuple[dict, list[dict]]:
        data: dict = {}
        problems: list[dict] = []
        for name in CLEAN_ORDER:
            col = self.columns.get(name)
            if col is None:
                continue
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
                data.update(self.clean_value(name, value, data))
            except ValidationError as exc:
                error = exc.error_list[0]
                params = {key: _json_safe(v) for key, v in (error.params or {}).items()}
                problems.append(issue(error.code or "choice", row=row, col=col, **params))
        return data, problems

    def clean_value(self, name: str, value, data: dict) -> dict:
        if name == "vin":
            vin = vins.normalize_vin(_to_text(value))
            vins.validate_vin(vin)
            return {"vin": vin}
        if name == "trim":
            return self.clean_trim(_to_text(value), data.get("vin", ""))
        if name == "color":
            return self.clean_color(_to_text(value), data)
        if name == "status":
            text = _to_text(value)
            status = status_lookup().get(_choice_key(text))
            if status is None:
                raise ValidationError(
                    "", code="choice", params={"value": text, "choices": _status_hint()}
                )
            if status in services.ORDER_STATUSES:
                raise ValidationError(
                    "", code="status_by_order", params={"status": services.status_label(status)}
                )
            return {"status": status}
        if name == "arrival_date":
            try:
                arrival = parse_date(value)
            except (ValueError, OverflowError, TypeError) as exc:
                raise ValidationError("", code="date") from exc
            in_stock = data.get("status", VehicleStatus.IN_STOCK) == VehicleStatus.IN_STOCK
            if in_stock and arrival > self.today:
                raise ValidationError("", code="arrival_future")
            return {"arrival_date": arrival}
        if name == "cost":
            try:
                amount = _parse_budget(value)
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError("", code="number") from exc
            _COST_FIELD.run_validators(amount)
            return {"cost": amount}
        if name in _TEXT_LIMITS:
            text = _to_text(value)
            if len(text) > _TEXT_LIMITS[name]:
                raise ValidationError(
                    "", code="too_long", params={"limit": _TEXT_LIMITS[name], "length": len(text)}
                )
            return {name: text}
        return {"notes": _to_text(value)}

    def clean_trim(self, text: str, vin: str) -> dict:
        found = self.trims.get(_choice_key(text), [])
        if not found:
            raise ValidationError("", code="trim_unknown", params={"value": text})
        if len({(t.series_id, t.name) for t in found}) > 1:
            labels = sorted({t.label for t in found})[:3]
            raise ValidationError(
                "", code="trim_ambiguous", params={"value": text, "matches": "、".join(labels)}
            )
        # The same trim in several model years: the VIN's year, else the one on sale, else newest.
        by_vin = [t for t in found if vin_model_year_matches(vin, t.model_year)]
        pool = by_vin or [t for t in found if t.is_active] or found
        trim = max(pool, key=lambda t: t.model_year or 0)
        label = f"{trim.label} ({trim.model_year})" if len(found) > 1 else trim.label
        return {
            "trim_id": trim.pk,
            "trim_label": label,
            "brand_id": trim.brand_id,
            "brand": trim.brand,
        }

    def clean_color(self, text: str, data: dict) -> dict:
        found = self.colors.get(_choice_key(text), [])
        brand_id = data.get("brand_id")
        if brand_id is not None:
            found = [c for c in found if c[1] == brand_id]
            if not found:
                raise ValidationError(
                    "", code="color_unknown", params={"value": text, "brand": data["brand"]}
                )
        elif not found:
            raise ValidationError("", code="color_unknown_any", params={"value": text})
        color = found[0]
        return {"color_id": color[0], "color_label": color[3]}


# ---------------------------------------------------------------------------------------------
# Step 2: checking a whole file
# ---------------------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    row: int
    data: dict
    kind: str = "new"  # new | store (the VIN is already in the store's stock)
    vehicle_id: int | None = None
    current_status: str = ""
    locked: str = ""  # why the row can only be skipped (LOCKED_REASONS), else ""


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


def existing_vehicles(vin_list: list[str]) -> dict[str, dict]:
    """VIN → id, store, status and archive flag of vehicles already registered, any store."""
    found: dict[str, dict] = {}
    for start in range(0, len(vin_list), BATCH_SIZE):
        chunk = vin_list[start : start + BATCH_SIZE]
        rows = Vehicle.objects.filter(vin__in=chunk).values(
            "pk", "vin", "store_id", "status", "is_archived"
        )
        found.update({r["vin"]: r for r in rows})
    return found


def analyse(job: ImportJob) -> Analysis:
    """Read and check every row of the job's file; look the VINs up. No writes."""
    result = Analysis()
    problems = mapping_problems(job.mapping)
    if problems:
        result.issues, result.issue_count = problems, len(problems)
        return result
    cleaner = StockRowCleaner(mapping=job.mapping)
    vin_col = cleaner.columns["vin"]
    cost_col = cleaner.columns.get("cost")
    cleaned: list[tuple[int, dict, list[dict]]] = []
    first_row_by_vin: dict[str, int] = {}
    sheet, close = _job_rows(job)
    try:
        for row_number, values in sheet.rows:
            if row_number <= job.header_row or cleaner.is_blank(values):
                continue
            result.data_rows += 1
            if result.data_rows > MAX_DATA_ROWS:
                raise ImportFileError("too_many_rows", limit=f"{MAX_DATA_ROWS:,}")
            data, row_problems = cleaner.clean(row_number, values)
            vin = data.get("vin")
            if vin:
                first = first_row_by_vin.setdefault(vin, row_number)
                if first != row_number:
                    row_problems.append(
                        issue("vin_repeated", row=row_number, col=vin_col, vin=vin, first_row=first)
                    )
            cleaned.append((row_number, data, row_problems))
    finally:
        close()

    existing = existing_vehicles(list(first_row_by_vin))
    for row_number, data, row_problems in cleaned:
        match = existing.get(data.get("vin", ""))
        if match is not None and match["store_id"] != job.store_id:
            row_problems.append(
                issue("vin_other_store", row=row_number, col=vin_col, vin=data["vin"])
            )
        elif (
            match is None
            and "vin" in data
            and "cost" not in data
            and not any(cost_col is not None and p["col"] == cost_col for p in row_problems)
        ):
            row_problems.append(issue("cost_required", row=row_number, col=cost_col))
        if row_problems:
            result.error_rows += 1
            result.issue_count += len(row_problems)
            room = MAX_STORED_ERRORS - len(result.issues)
            if room > 0:
                result.issues.extend(
                    sorted(row_problems, key=lambda p: -1 if p["col"] is None else p["col"])[:room]
                )
            continue
        planned = PlannedRow(row=row_number, data=data)
        if match is not None:
            planned.kind = "store"
            planned.vehicle_id = match["pk"]
            planned.current_status = match["status"]
            if match["status"] in services.ORDER_STATUSES:
                planned.locked = "held_by_order"
            elif match["is_archived"]:
                planned.locked = "archived"
        result.rows.append(planned)
    return result


def _sample_entry(planned: PlannedRow) -> dict:
    data = planned.data
    entry = {
        "row": planned.row,
        "vin": data.get("vin", ""),
        "trim": data.get("trim_label", ""),
        "color": data.get("color_label", ""),
        "status": data.get("status", ""),
        "arrival_date": data["arrival_date"].isoformat() if "arrival_date" in data else "",
        "cost": f"{data['cost']:,.2f}" if "cost" in data else "",
        "location": data.get("location", ""),
        "notes": data.get("notes", ""),
        "kind": planned.kind,
    }
    return entry


def build_report(analysis: Analysis) -> dict:
    duplicates = [
        {
            "row": r.row,
            "vin": r.data["vin"],
            "kind": r.kind,
            "vehicle_id": r.vehicle_id,
            "status": r.current_status,
            "locked": r.locked,
            "visible": not r.locked,
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


def check_import(job: ImportJob) -> ImportJob:
    """Step 2: check every row and keep the report for the preview. Writes no vehicles."""
    job.status = ImportJob.Status.CHECKING
    job.processed_rows = 0
    job.started_at = timezone.now()
    job.finished_at = None
    job.error_summary = {}
    job.save()
    try:
        analysis = analyse(job)
    except ImportFileError as exc:
        return _fail(job, [exc.as_issue()])
    except Exception:
        logger.exception("Checking stock import %s failed", job.pk)
        return _fail(job, [issue("unexpected")])
    job.report = build_report(analysis)
    job.total_rows = job.processed_rows = analysis.data_rows
    rows = {str(d["row"]) for d in job.report["duplicates"]}
    job.row_actions = {row: action for row, action in job.row_actions.items() if row in rows}
    job.status = ImportJob.Status.PREVIEWED
    job.finished_at = timezone.now()
    job.save()
    return job


def row_action(job: ImportJob, duplicate: dict) -> str:
    """What happens to a row whose VIN is in stock: "merge" (update the car) or "skip"."""
    if duplicate.get("locked"):
        return ImportJob.DuplicateAction.SKIP
    return job.row_actions.get(str(duplicate["row"]), job.duplicate_action)


def planned_counts(job: ImportJob) -> dict[str, int]:
    """Vehicles created, updated and rows skipped if the user confirms now."""
    report = job.report or {}
    updated = skipped = 0
    for duplicate in report.get("duplicates", []):
        if row_action(job, duplicate) == ImportJob.DuplicateAction.MERGE:
            updated += 1
        else:
            skipped += 1
    return {"created": report.get("new_rows", 0), "updated": updated, "skipped": skipped}


MSG_ACTION = _("Choose skip or update.")
MSG_NOT_DUPLICATE = _("Row %(row)s holds no VIN already in stock.")
MSG_LOCKED = _("This car is held by a sales order or archived: the row can only be skipped.")


def set_duplicate_action(job: ImportJob, action: str, *, row: int | None = None) -> None:
    if action not in ImportJob.DuplicateAction.values:
        raise ValidationError(MSG_ACTION)
    if row is None:
        job.duplicate_action = action
        job.row_actions = {}
        job.save(update_fields=["duplicate_action", "row_actions", "updated_at"])
        return
    duplicate = next((d for d in job.report.get("duplicates", []) if d["row"] == row), None)
    if duplicate is None:
        raise ValidationError(MSG_NOT_DUPLICATE % {"row": row})
    if action == ImportJob.DuplicateAction.MERGE and duplicate.get("locked"):
        raise ValidationError(MSG_LOCKED)
    job.row_actions = {**job.row_actions, str(row): action}
    job.save(update_fields=["row_actions", "updated_at"])


# ---------------------------------------------------------------------------------------------
# Step 3: the import
# ---------------------------------------------------------------------------------------------

UPDATE_FIELDS = ("trim_id", "color_id", "status", "arrival_date", "cost", "location", "notes")


class _Conflict(Exception):
    def __init__(self, problems: list[dict]):
        super().__init__("stock changed since the check")
        self.problems = problems


def confirm_import(job: ImportJob) -> bool:
    """Mark a checked job as importing, once (a second click finds it already started)."""
    if not can_confirm(job):
        return False
    started = ImportJob.stock_jobs.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
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
    if not services.can_edit_stock(user):
        return _fail(job, [issue("not_allowed")])
    if user.store_id != job.store_id:
        return _fail(job, [issue("no_store")])
    try:
        analysis = analyse(job)
    except ImportFileError as exc:
        return _fail(job, [exc.as_issue()])
    except Exception:
        logger.exception("Stock import %s failed while reading", job.pk)
        return _fail(job, [issue("unexpected")])
    if analysis.issue_count:
        return _fail(job, analysis.issues, count=analysis.issue_count)
    conflicts = _changes_since_preview(job, analysis)
    if conflicts:
        return _fail(job, conflicts)
    try:
        with transaction.atomic():
            counts, created_ids = _write(job, analysis)
    except _Conflict as exc:
        return _fail(job, exc.problems)
    except IntegrityError:
        logger.info("Stock import %s hit a unique VIN while writing", job.pk, exc_info=True)
        return _fail(job, [issue("vin_taken_meanwhile")])
    except Exception:
        logger.exception("Stock import %s failed while writing", job.pk)
        return _fail(job, [issue("unexpected")])
    job.status = ImportJob.Status.DONE
    job.total_rows = job.processed_rows = analysis.data_rows
    job.created_count, job.merged_count, job.skipped_count = counts
    job.report = {**job.report, "created_ids": created_ids[:CREATED_LINKS]}
    job.finished_at = timezone.now()
    job.save()
    job.file.delete(save=True)  # the vehicles and their history hold everything now
    return job


def _changes_since_preview(job: ImportJob, analysis: Analysis) -> list[dict]:
    previewed = {d["row"]: d for d in job.report.get("duplicates", [])}
    vin_col = int(next(col for col, name in job.mapping.items() if name == "vin"))
    conflicts = []
    for planned in analysis.rows:
        if planned.kind == "new":
            continue
        before = previewed.get(planned.row)
        vin = planned.data["vin"]
        if before is None:
            conflicts.append(issue("vin_taken_since", row=planned.row, col=vin_col, vin=vin))
        elif (
            planned.locked
            and not before.get("locked")
            and row_action(job, before) == ImportJob.DuplicateAction.MERGE
        ):
            conflicts.append(issue("held_since", row=planned.row, col=vin_col, vin=vin))
    return conflicts


def _write(job: ImportJob, analysis: Analysis) -> tuple[tuple[int, int, int], list[int]]:
    user = job.user
    now = timezone.now()
    new_vehicles: list[Vehicle] = []
    updates: dict[int, tuple[int, dict]] = {}
    skipped = 0
    for planned in analysis.rows:
        data = planned.data
        if planned.kind == "new":
            new_vehicles.append(
                Vehicle(
                    store_id=job.store_id,
                    vin=data["vin"],
                    trim_id=data["trim_id"],
                    color_id=data["color_id"],
                    status=data.get("status", VehicleStatus.IN_STOCK),
                    arrival_date=data.get("arrival_date"),
                    cost=data["cost"],
                    location=data.get("location", ""),
                    notes=data.get("notes", ""),
                    created_at=now,
                )
            )
            continue
        duplicate = {"row": planned.row, "locked": planned.locked}
        if row_action(job, duplicate) != ImportJob.DuplicateAction.MERGE:
            skipped += 1
            continue
        updates[planned.vehicle_id] = (planned.row, data)
    created = bulk_create_with_history(
        new_vehicles,
        Vehicle,
        batch_size=BATCH_SIZE,
        default_user=user,
        default_change_reason=services.REASON_IMPORTED,
        default_date=now,
    )
    created_ids = [v.pk for v in created]
    _apply_updates(job, updates, now)
    # Re-check scope after the write, as save_vehicle does: every car is in the user's stock.
    for start in range(0, len(created_ids), BATCH_SIZE):
        chunk = created_ids[start : start + BATCH_SIZE]
        if Vehicle.objects.visible_to(user).filter(pk__in=chunk).count() != len(chunk):
            raise PermissionDenied("imported vehicles outside the user's scope")
    return (len(created_ids), len(updates), skipped), created_ids


def _apply_updates(job: ImportJob, updates: dict[int, tuple[int, dict]], now) -> None:
    user = job.user
    vin_col = int(next(col for col, name in job.mapping.items() if name == "vin"))
    changed: list[Vehicle] = []
    changed_fields: set[str] = set()
    ids = list(updates)
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        found = {
            v.pk: v
            for v in Vehicle.objects.visible_to(user).filter(pk__in=chunk).select_for_update()
        }
        if len(found) != len(chunk):
            raise IntegrityError("a vehicle to update is no longer in the user's stock")
        conflicts = []
        for pk in chunk:
            vehicle, (row, data) = found[pk], updates[pk]
            if vehicle.status in services.ORDER_STATUSES:
                conflicts.append(issue("held_since", row=row, col=vin_col, vin=vehicle.vin))
                continue
            changes = {
                key: data[key]
                for key in UPDATE_FIELDS
                if key in data and getattr(vehicle, key) != data[key]
            }
            if not changes:
                continue
            for key, value in changes.items():
                setattr(vehicle, key, value)
            vehicle.updated_at = now
            changed_fields.update(changes)
            changed.append(vehicle)
        if conflicts:
            raise _Conflict(conflicts)
    if changed:
        bulk_update_with_history(
            changed,
            Vehicle,
            fields=sorted(changed_fields | {"updated_at"}),
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=services.REASON_IMPORTED,
            default_date=now,
        )


# ---------------------------------------------------------------------------------------------
# The template workbook
# ---------------------------------------------------------------------------------------------

TEMPLATE_HEADERS = (
    ("车架号", "vin", 21),
    ("车型", "trim", 26),
    ("颜色", "color", 10),
    ("状态", "status", 9),
    ("到店日期", "arrival_date", 12),
    ("成本", "cost", 13),
    ("库位", "location", 10),
    ("备注", "notes", 24),
)


def template_workbook(*, example_trim: str = "", example_color: str = "") -> bytes:
    """The downloadable template: Chinese headers, one example row, a drop-down for status."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "库存导入"
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1D4ED8")
    required_fill = PatternFill("solid", fgColor="B91C1C")
    example = {
        "vin": vins.build_vin("LFV", "2A21K", "P1000001"),
        "trim": example_trim or "速腾 200TSI 舒适型",
        "color": example_color or "极地白",
        "status": "在库",
        "arrival_date": timezone.localdate(),
        "cost": Decimal("118000.00"),
        "location": "A-01",
        "notes": "示例行，导入前请删除",
    }
    for index, (title, name, width) in enumerate(TEMPLATE_HEADERS, start=1):
        cell = sheet.cell(row=1, column=index, value=title)
        cell.font = header_font
        cell.fill = required_fill if name in REQUIRED_FIELDS else header_fill
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
        value_cell = sheet.cell(row=2, column=index, value=example[name])
        if name == "arrival_date":
            value_cell.number_format = "yyyy-mm-dd"
        elif name == "cost":
            value_cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    validation = DataValidation(type="list", formula1='"已向厂家订车,在途,在库"', allow_blank=True)
    validation.add("D2:D5000")
    sheet.add_data_validation(validation)

    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    notes.append(["列", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in (
        ("车架号", "必填。17 位，不含 I、O、Q，第 9 位为校验位；同一文件内不能重复。"),
        ("车型", "必填。车型名称，或“车系 车型”，须与车型库一致；可加年款，如“2026款”。"),
        ("颜色", "必填。颜色名称或色号，须为该品牌车型库中的颜色。"),
        ("状态", "已向厂家订车 / 在途 / 在库，空白按 在库；已预留、已售、已交车由销售订单改变。"),
        ("到店日期", "如 2026-05-01 或 2026/5/1；在库车辆不能晚于今天。库龄从此日算起。"),
        ("成本", "数字，单位元，不能为负；也可写“11.8万”。新车辆必填。"),
        ("", "车架号已在本店库存中的行：预览时可选择更新或跳过；空白单元格不会清空原有内容。"),
        ("", "导入前会先预览并列出每一行的错误；确认后一次性全部导入，出错则全部不导入。"),
    ):
        notes.append(list(row))
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
