"""Import a stock list (库存表) from an Excel workbook (.xlsx) or a CSV file.

The shared steps of ``core.importing``, on the same ``ImportJob`` (kind "stock"): the upload is
checked and stored with a proposed column mapping (车架号, 车型, 颜色, 状态, 到店日期, 成本, 库位,
备注 or English names), every row is checked and each bad cell reported by row and column
(nothing written), then every row is written in one transaction, or nothing at all. What is the
stock's own lives here: the fields, the row rules (VIN check digit, trims by name and model
year, colours of the trim's brand, statuses a person may set), VINs repeated in the file or
registered elsewhere, cars already in stock (update or skip; one held by a sales order can only
be skipped), and the writes.

A store holds hundreds of cars, not hundreds of thousands: the file is capped at
:data:`MAX_DATA_ROWS` rows, every step runs within the request, and the import reads and checks
the file again rather than keeping the checked rows.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from dealerplan.catalog.models import Color, Trim
from dealerplan.core import importing as base
from dealerplan.core import vin as vins
from dealerplan.core.importing import (
    XLSX_CONTENT_TYPE,
    Analysis,
    Conflict,
    ImportField,
    ImportFileError,
    choice_key,
    choice_lookup,
    issue,
    parse_date,
    to_text,
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
    "parse_date",
    "run_import",
    "start_import",
]

logger = logging.getLogger(__name__)

#: More data rows than this are refused (split the file).
MAX_DATA_ROWS = 5000
#: Rows per INSERT / UPDATE statement, and VINs per ``IN (...)`` lookup.
BATCH_SIZE = base.BATCH_SIZE

#: The model year coded in a VIN's 10th character, in a 30-year cycle from 1980 (A).
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------

ISSUE_MESSAGES_STOCK = {
    **base.ISSUE_MESSAGES,
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

MSG_ACTION = _("Choose skip or update.")
MSG_NOT_DUPLICATE = _("Row %(row)s holds no VIN already in stock.")
MSG_LOCKED = _("This car is held by a sales order or archived: the row can only be skipped.")


def describe(item: dict, headers: list[str] | None = None) -> str:
    """``第 5 行 车架号（A列）：车架号（VIN）校验位…`` in the active language."""
    return base.describe_issue(item, headers, messages=ISSUE_MESSAGES_STOCK, label=field_label)


# ---------------------------------------------------------------------------------------------
# Fields and header recognition
# ---------------------------------------------------------------------------------------------

STOCK_FIELDS: tuple[ImportField, ...] = (
    ImportField(
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
    ImportField(
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
    ImportField(
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
    ImportField("status", ("状态", "车辆状态", "库存状态", "status", "stock status")),
    ImportField(
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
    ImportField(
        "cost",
        ("成本", "采购价", "采购成本", "进价", "进货价", "车辆成本", "cost", "purchase price"),
    ),
    ImportField(
        "location",
        ("库位", "位置", "存放位置", "停放位置", "库位号", "location", "bay", "parking"),
    ),
    ImportField("notes", ("备注", "备注信息", "说明", "notes", "note", "remarks", "comments")),
)
FIELDS = base.FieldSet(STOCK_FIELDS)
FIELDS_BY_NAME = FIELDS.by_name
REQUIRED_FIELDS = FIELDS.required


def field_label(name: str) -> str:
    try:
        return capfirst(str(Vehicle._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # an unknown name in a stored mapping
        return name


def field_choices() -> list[tuple[str, str]]:
    return [(f.name, field_label(f.name)) for f in STOCK_FIELDS]


def recognise_header(text) -> str | None:
    return FIELDS.recognise(text)


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """Column index (as a string, for JSON) → field, first column wins for each field."""
    return FIELDS.suggest_mapping(headers)


def mapping_problems(mapping: dict[str, str]) -> list[dict]:
    return FIELDS.mapping_problems(mapping)


# ---------------------------------------------------------------------------------------------
# Cleaning rows
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
        _status_lookup.update(choice_lookup(VehicleStatus.choices, _STATUS_EXTRAS))
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
        keys = {choice_key(n) for n in names}
        if trim.model_year:
            year = str(trim.model_year)
            keys |= {choice_key(f"{year}款{n}") for n in names}
            keys |= {choice_key(f"{n}{year}款") for n in names}
            keys |= {choice_key(f"{series.name}{year}款{trim.name}")}
        for key in keys:
            lookup.setdefault(key, []).append(choice)
    return lookup


def color_lookup() -> dict[str, list[tuple[int, int, str, str]]]:
    """Normalised colour name or paint code → (id, brand id, brand, name) of our brands."""
    lookup: dict[str, list[tuple[int, int, str, str]]] = {}
    colors = Color.objects.filter(brand__is_competitor=False).select_related("brand")
    for color in colors:
        entry = (color.pk, color.brand_id, color.brand.name, color.name)
        for key in {choice_key(color.name), choice_key(color.code) if color.code else ""}:
            if key:
                lookup.setdefault(key, []).append(entry)
    return lookup


_COST_FIELD = Vehicle._meta.get_field("cost")
_TEXT_LIMITS = {"location": Vehicle._meta.get_field("location").max_length}
CLEAN_ORDER = ("vin", "trim", "color", "status", "arrival_date", "cost", "location", "notes")


class StockRowCleaner(base.RowCleaner):
    """Turns a row's cells into vehicle field values, or row-level issues.

    Fields are cleaned in :data:`CLEAN_ORDER` (the trim needs the VIN's model year, the colour
    the trim's brand). Empty optional cells give no value, so updating a car in stock never
    blanks a field. All lookups are loaded once; cleaning a row touches no database.
    """

    required = REQUIRED_FIELDS
    constant_fields = frozenset({"status", "cost"})

    def __init__(self, *, mapping: dict[str, str], today: datetime.date | None = None):
        column_of = {name: int(col) for col, name in mapping.items() if name in FIELDS_BY_NAME}
        super().__init__((column_of[name], name) for name in CLEAN_ORDER if name in column_of)
        self.trims = trim_lookup() if "trim" in self.column_of else {}
        self.colors = color_lookup() if "color" in self.column_of else {}
        self.today = today or timezone.localdate()

    def clean_value(self, name: str, value, data: dict) -> dict:
        if name == "vin":
            vin = vins.normalize_vin(to_text(value))
            vins.validate_vin(vin)
            return {"vin": vin}
        if name == "trim":
            return self.clean_trim(to_text(value), data.get("vin", ""))
        if name == "color":
            return self.clean_color(to_text(value), data)
        if name == "status":
            text = to_text(value)
            status = status_lookup().get(choice_key(text))
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
                amount = base.parse_amount(value)
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError("", code="number") from exc
            _COST_FIELD.run_validators(amount)
            return {"cost": amount}
        if name in _TEXT_LIMITS:
            text = to_text(value)
            if len(text) > _TEXT_LIMITS[name]:
                raise ValidationError(
                    "", code="too_long", params={"limit": _TEXT_LIMITS[name], "length": len(text)}
                )
            return {name: text}
        return {"notes": to_text(value)}

    def clean_trim(self, text: str, vin: str) -> dict:
        found = self.trims.get(choice_key(text), [])
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
        found = self.colors.get(choice_key(text), [])
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
# Checking a whole file
# ---------------------------------------------------------------------------------------------


@dataclass
class PlannedRow(base.PlannedRow):
    """``kind``: new, or store (the VIN is already in the store's stock)."""

    vehicle_id: int | None = None
    current_status: str = ""
    locked: str = ""  # why the row can only be skipped (LOCKED_REASONS), else ""


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


def analyse(job: ImportJob, *, progress: base.ProgressCallback | None = None) -> Analysis:
    """Read and check every row of the job's file; look the VINs up. No writes."""
    result = Analysis()
    problems = mapping_problems(job.mapping)
    if problems:
        result.issues, result.issue_count = problems, len(problems)
        return result
    cleaner = StockRowCleaner(mapping=job.mapping)
    vin_col = cleaner.column_of["vin"]
    cost_col = cleaner.column_of.get("cost")
    cleaned: list[tuple[int, dict, list[dict]]] = []
    first_row_by_vin: dict[str, int] = {}
    for row_number, data, row_problems in base.clean_rows(
        job, cleaner, result, max_rows=MAX_DATA_ROWS, progress=progress
    ):
        vin = data.get("vin")
        if vin:
            first = first_row_by_vin.setdefault(vin, row_number)
            if first != row_number:
                row_problems.append(
                    issue("vin_repeated", row=row_number, col=vin_col, vin=vin, first_row=first)
                )
        cleaned.append((row_number, data, row_problems))

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
            result.add_problems(
                sorted(row_problems, key=lambda p: -1 if p["col"] is None else p["col"])
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
    return {
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


def _duplicate_entry(planned: PlannedRow) -> dict:
    return {
        "row": planned.row,
        "vin": planned.data["vin"],
        "kind": planned.kind,
        "vehicle_id": planned.vehicle_id,
        "status": planned.current_status,
        "locked": planned.locked,
        "visible": not planned.locked,
    }


# ---------------------------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------------------------

UPDATE_FIELDS = ("trim_id", "color_id", "status", "arrival_date", "cost", "location", "notes")


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
    created_ids = base.create_with_history(
        Vehicle, new_vehicles, user=user, reason=services.REASON_IMPORTED, date=now
    )
    _apply_updates(job, updates, now)
    # Re-check scope after the write, as save_vehicle does: every car is in the user's stock.
    base.recheck_scope(Vehicle.objects.visible_to(user), created_ids)
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
            raise Conflict(conflicts)
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
# The steps (core.importing), with the stock's parts
# ---------------------------------------------------------------------------------------------


class StockImporter(base.Importer):
    job_model = ImportJob
    kind = ImportJob.Kind.STOCK
    fields = FIELDS
    messages = ISSUE_MESSAGES_STOCK
    merged_key = "updated"
    taken_meanwhile = "vin_taken_meanwhile"
    msg_action = MSG_ACTION
    msg_not_duplicate = MSG_NOT_DUPLICATE
    msg_locked = MSG_LOCKED
    log_name = "Stock import"

    @property
    def jobs(self):
        return ImportJob.stock_jobs

    def may_import(self, user) -> bool:
        return services.can_edit_stock(user)

    def field_label(self, name: str) -> str:
        return field_label(name)

    def analyse(self, job, progress=None) -> Analysis:
        return analyse(job, progress=progress)

    def duplicate_entry(self, planned) -> dict:
        return _duplicate_entry(planned)

    def sample_entry(self, planned) -> dict:
        return _sample_entry(planned)

    def is_locked(self, duplicate: dict) -> bool:
        """A car held by a sales order, or archived: the row can only be skipped."""
        return bool(duplicate.get("locked"))

    def changes_since_preview(self, job, analysis: Analysis) -> list[dict]:
        return _changes_since_preview(job, analysis)

    def write(self, job, analysis: Analysis):
        return _write(job, analysis)


IMPORTER = StockImporter()

start_import = IMPORTER.start_import
check_import = IMPORTER.check_import
confirm_import = IMPORTER.confirm_import
run_import = IMPORTER.run_import
row_action = IMPORTER.row_action
planned_counts = IMPORTER.planned_counts
can_confirm = IMPORTER.can_confirm
set_duplicate_action = IMPORTER.set_duplicate_action


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
    explanations = (
        ("车架号", "必填。17 位，不含 I、O、Q，第 9 位为校验位；同一文件内不能重复。"),
        ("车型", "必填。车型名称，或“车系 车型”，须与车型库一致；可加年款，如“2026款”。"),
        ("颜色", "必填。颜色名称或色号，须为该品牌车型库中的颜色。"),
        ("状态", "已向厂家订车 / 在途 / 在库，空白按 在库；已预留、已售、已交车由销售订单改变。"),
        ("到店日期", "如 2026-05-01 或 2026/5/1；在库车辆不能晚于今天。库龄从此日算起。"),
        ("成本", "数字，单位元，不能为负；也可写“11.8万”。新车辆必填。"),
        ("", "车架号已在本店库存中的行：预览时可选择更新或跳过；空白单元格不会清空原有内容。"),
        ("", "导入前会先预览并列出每一行的错误；确认后一次性全部导入，出错则全部不导入。"),
    )
    return base.template_workbook(
        title="库存导入",
        columns=TEMPLATE_HEADERS,
        example=example,
        required=REQUIRED_FIELDS,
        number_formats={"arrival_date": "yyyy-mm-dd", "cost": "#,##0.00"},
        lists={"status": ["已向厂家订车", "在途", "在库"]},
        explanations=explanations,
        first_column_width=12,
    )
