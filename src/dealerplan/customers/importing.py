"""Import customers and leads from an Excel workbook (.xlsx) or a CSV file.

The steps are the shared ones of ``core.importing`` (one ``ImportJob`` per upload): the upload
is checked and stored, the user matches the columns, every row is checked with the same rules
as the customer form (a preview, nothing written), then everything is written in one
transaction, or nothing at all. What is the customers' own lives here:

- the fields and their Chinese and English headers, the owner column for managers only;
- the row rules (choices, trims on sale, the store's consultants) in :class:`RowCleaner`;
- duplicates: a phone repeated in the file, or already used in the store (merge or skip; a
  card another consultant owns can only be skipped, and is not named);
- the check keeps its cleaned rows beside the upload, so the import re-verifies them (trims,
  owners, phones) without reading the file again;
- the write: new cards (``bulk_create`` or, on PostgreSQL, COPY) with their history and level
  history, and merges into existing cards.

No request objects here: views, tasks, the management command and the benchmark all call these
functions.
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
from django.utils.translation import pgettext_lazy
from simple_history.utils import bulk_update_with_history

from dealerplan.catalog.models import Trim
from dealerplan.core import importing as base
from dealerplan.core.choices import Role
from dealerplan.core.importing import (
    XLSX_CONTENT_TYPE,
    Ambiguous,
    Analysis,
    ImportField,
    ImportFileError,
    choice_key,
    column_title,
    issue,
    to_text,
)
from dealerplan.core.phone import MSG_INVALID as PHONE_INVALID_MESSAGE
from dealerplan.core.phone import normalize_phone
from dealerplan.org.models import User

from .choices import AccountTier, CustomerKind, Gender, IntentionLevel, SourceChannel
from .models import Customer, ImportJob, LevelChange
from .services import can_edit_customers

__all__ = [
    "XLSX_CONTENT_TYPE",
    "ImportFileError",
    "analyse",
    "can_confirm",
    "check_import",
    "column_title",
    "confirm_import",
    "describe_issue",
    "issue",
    "planned_counts",
    "row_action",
    "run_import",
    "set_duplicate_action",
    "start_import",
]

logger = logging.getLogger(__name__)

#: More data rows than this are refused (split the file).
MAX_DATA_ROWS = 100_000
#: Files with fewer rows are checked and imported within the request; bigger ones in the queue.
INLINE_ROW_LIMIT = 2000
#: New customers built and inserted at a time (inside the one transaction).
WRITE_CHUNK = 2000
#: Phones per ``IN (...)`` lookup.
LOOKUP_CHUNK = 2000
#: Rows per INSERT / UPDATE statement.
BATCH_SIZE = base.BATCH_SIZE


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------

#: Row-level issues: code → message (formatted with the issue's params).
ISSUE_MESSAGES = {
    **base.ISSUE_MESSAGES,
    "phone_invalid": PHONE_INVALID_MESSAGE,
    "trim_unknown": _(
        "No trim “%(value)s” on sale in the catalogue: write the trim name, or the series and "
        "the trim, as in the catalogue."
    ),
    "owner_unknown": _(
        "No active sales consultant of your store has the user name or full name “%(value)s”."
    ),
    "owner_ambiguous": _("Several consultants are called “%(value)s”: use the user name."),
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
    "phone_taken_meanwhile": _(
        "A phone number in the file was saved by someone else while importing: nothing was "
        "imported. Check the file again."
    ),
    "not_allowed": _("You may not import customers."),
}


def describe_issue(item: dict, headers: list[str] | None = None) -> str:
    """``第 5 行 电话（C列）：请输入有效的手机号…`` in the active language."""
    return base.describe_issue(item, headers, messages=ISSUE_MESSAGES, label=field_label)


def describe_issues(items: list[dict], headers: list[str]) -> list[str]:
    return [describe_issue(item, headers) for item in items]


# ---------------------------------------------------------------------------------------------
# Fields and header recognition
# ---------------------------------------------------------------------------------------------

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
FIELDS = base.FieldSet(IMPORT_FIELDS)
FIELDS_BY_NAME = FIELDS.by_name
REQUIRED_FIELDS = FIELDS.required


def field_label(name: str) -> str:
    """The field's name as the customer form shows it, in the active language."""
    if name == "name":
        return capfirst(str(pgettext_lazy("person", "name")))
    try:
        return capfirst(str(Customer._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # an unknown name in a stored mapping
        return name


def allows_owner_column(user) -> bool:
    """Managers may give each row an owner; a consultant's imports are always theirs."""
    return not user.sees_only_own


def field_choices(*, allow_owner: bool) -> list[tuple[str, str]]:
    return [
        (f.name, field_label(f.name)) for f in IMPORT_FIELDS if allow_owner or not f.managers_only
    ]


def recognise_header(text) -> str | None:
    return FIELDS.recognise(text)


def suggest_mapping(headers: list[str], *, allow_owner: bool) -> dict[str, str]:
    """Column index (as a string, for JSON) → field, first column wins for each field."""
    return FIELDS.suggest_mapping(headers, allow_managers_only=allow_owner)


def mapping_problems(mapping: dict[str, str]) -> list[dict]:
    return FIELDS.mapping_problems(mapping)


# ---------------------------------------------------------------------------------------------
# Cleaning rows with the form's rules
# ---------------------------------------------------------------------------------------------

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
        _choice_lookups[name] = base.choice_lookup(choices, extra)
    return _choice_lookups[name]


def _choice_hint(name: str) -> str:
    with translation.override("zh-hans"):
        zh = [str(label) for _value, label in _CHOICE_EXTRAS[name][0]]
    if name == "intention_level":
        zh = [value for value, _label in IntentionLevel.choices]
    return "、".join(zh) if translation.get_language() == "zh-hans" else ", ".join(zh)


_TEXT_LIMITS = {"name": 100, "wechat": 50, "district": 50, "address": 200}
_BUDGET_FIELD = Customer._meta.get_field("budget")


def _trim_lookup() -> dict[str, object]:
    """Normalised "trim", "series trim" and "brand series trim" → (id, label) or ambiguous."""
    candidates: dict[str, list[Trim]] = {}
    trims = Trim.objects.filter(is_active=True, series__brand__is_competitor=False).select_related(
        "series__brand"
    )
    for trim in trims:
        keys = {
            choice_key(trim.name),
            choice_key(f"{trim.series.name}{trim.name}"),
            choice_key(f"{trim.series.brand.name}{trim.series.name}{trim.name}"),
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
            lookup[key] = Ambiguous(labels[:3])
    return lookup


def _owner_lookup(user) -> dict[str, object]:
    """User name or full name → (id, display name) among the consultants the user may assign."""
    lookup: dict[str, object] = {}
    by_name: dict[str, list[User]] = {}
    consultants = User.objects.visible_to(user).filter(is_active=True, role=Role.CONSULTANT)
    for consultant in consultants:
        full_name = choice_key(consultant.get_full_name())
        if full_name:
            by_name.setdefault(full_name, []).append(consultant)
    for key, found in by_name.items():
        if len(found) == 1:
            lookup[key] = (found[0].pk, found[0].display_name)
        else:
            lookup[key] = Ambiguous([u.username for u in found][:3])
    for consultant in consultants:  # user names win over full names
        lookup[choice_key(consultant.username)] = (consultant.pk, consultant.display_name)
    return lookup


class RowCleaner(base.RowCleaner):
    """Turns a row's cells into customer field values, or row-level issues.

    Only non-empty cells give values, so an import merge never blanks a field; defaults
    (level B, walk-in, tier other) come from the model when a customer is created.
    """

    required = REQUIRED_FIELDS
    constant_fields = frozenset(
        {*_CHOICE_EXTRAS, "intended_trim", "owner", "budget", "next_follow_up_at", "district"}
    )

    def __init__(self, *, user, mapping: dict[str, str]):
        self.user = user
        allow_owner = allows_owner_column(user)
        super().__init__(
            sorted(
                (int(col), name)
                for col, name in mapping.items()
                if FIELDS.allowed(name, allow_managers_only=allow_owner)
            )
        )
        fields = set(self.column_of)
        self.trims = _trim_lookup() if "intended_trim" in fields else {}
        self.owners = _owner_lookup(user) if "owner" in fields else {}

    def clean_value(self, name: str, value, data: dict | None = None) -> dict:
        if name == "phone":
            return {"phone": normalize_phone(to_text(value))}
        if name in _TEXT_LIMITS:
            text = to_text(value)
            if len(text) > _TEXT_LIMITS[name]:
                raise ValidationError(
                    "", code="too_long", params={"limit": _TEXT_LIMITS[name], "length": len(text)}
                )
            return {name: text}
        if name == "notes":
            return {"notes": to_text(value)}
        if name in _CHOICE_EXTRAS:
            text = to_text(value)
            key = choice_key(text)
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
                amount = base.parse_amount(value)
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError("", code="number") from exc
            _BUDGET_FIELD.run_validators(amount)
            return {"budget": amount}
        if name == "next_follow_up_at":
            try:
                return {"next_follow_up_at": base.parse_datetime(value)}
            except (ValueError, OverflowError, TypeError) as exc:
                raise ValidationError("", code="date") from exc
        if name == "intended_trim":
            text = to_text(value)
            found = self.trims.get(choice_key(text))
            if found is None:
                raise ValidationError("", code="trim_unknown", params={"value": text})
            if isinstance(found, Ambiguous):
                raise ValidationError(
                    "",
                    code="trim_ambiguous",
                    params={"value": text, "matches": "、".join(found.labels)},
                )
            return {"intended_trim_id": found[0], "intended_trim_label": found[1]}
        if name == "owner":
            text = to_text(value)
            found = self.owners.get(choice_key(text))
            if found is None:
                raise ValidationError("", code="owner_unknown", params={"value": text})
            if isinstance(found, Ambiguous):
                raise ValidationError("", code="owner_ambiguous", params={"value": text})
            return {"owner_id": found[0], "owner_label": found[1]}
        raise ValidationError("", code="choice", params={"value": str(value), "choices": ""})


# ---------------------------------------------------------------------------------------------
# Checking a whole file
# ---------------------------------------------------------------------------------------------


@dataclass
class PlannedRow(base.PlannedRow):
    """``kind``: new, file (same phone as an earlier row) or store (phone in the store)."""

    first_row: int | None = None
    customer_id: int | None = None
    customer_name: str = ""
    visible: bool = True


def analyse(job: ImportJob, *, progress: base.ProgressCallback | None = None) -> Analysis:
    """Read and check every row of the job's file; look up phones in the store. No writes."""
    result = Analysis()
    problems = mapping_problems(job.mapping)
    if problems:
        result.issues = problems
        result.issue_count = len(problems)
        return result
    cleaner = RowCleaner(user=job.user, mapping=job.mapping)
    for row_number, data, row_problems in base.clean_rows(
        job, cleaner, result, max_rows=MAX_DATA_ROWS, progress=progress
    ):
        if row_problems:
            result.add_problems(row_problems)
        else:
            result.rows.append(PlannedRow(row=row_number, data=data))
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


def _duplicate_entry(planned: PlannedRow) -> dict:
    return {
        "row": planned.row,
        "name": planned.data.get("name", ""),
        "phone": planned.data.get("phone", ""),
        "kind": planned.kind,
        "first_row": planned.first_row,
        "customer_id": planned.customer_id,
        "customer_name": planned.customer_name,
        "visible": planned.visible,
    }


#: Values of the checked rows that JSON does not hold as they are.
VALUE_TYPES = {"budget": Decimal, "next_follow_up_at": datetime.datetime}


def _load_checked_rows(job: ImportJob) -> Analysis | None:
    """The rows saved by the check, re-verified against today's catalogue, staff and phones."""
    saved = base.load_checked_rows(job, VALUE_TYPES)
    if saved is None:
        return None
    result = Analysis(data_rows=job.report.get("data_rows", 0))
    result.rows = [PlannedRow(row=row, data=data) for row, data in saved]
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


# ---------------------------------------------------------------------------------------------
# The import
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
            customer.search_text = search_text  # bulk inserts do not call save()
            customers.append(customer)
        ids = base.create_with_history(Customer, customers, user=user, reason="import", date=now)
        LevelChange.objects.bulk_create(
            [
                LevelChange(
                    customer_id=pk,
                    from_level="",
                    to_level=customer.intention_level,
                    changed_at=now,
                    changed_by=user,
                )
                for pk, customer in zip(ids, customers, strict=True)
            ],
            batch_size=BATCH_SIZE,
        )
        created_ids.extend(ids)
    _apply_merges(job, merges, now)
    # Re-check scope after the write, as save_customer does: all new cards are the user's to see.
    base.recheck_scope(Customer.objects.visible_to(user), created_ids)
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


# ---------------------------------------------------------------------------------------------
# The steps (core.importing), with the customers' parts
# ---------------------------------------------------------------------------------------------


class CustomerImporter(base.Importer):
    job_model = ImportJob
    kind = ImportJob.Kind.CUSTOMERS
    fields = FIELDS
    messages = ISSUE_MESSAGES
    keeps_checked_rows = True
    value_types = VALUE_TYPES
    merged_key = "merged"
    taken_meanwhile = "phone_taken_meanwhile"
    msg_locked = ISSUE_MESSAGES["owned_elsewhere"]

    @property
    def jobs(self):
        return ImportJob.objects

    def may_import(self, user) -> bool:
        return can_edit_customers(user)

    def field_label(self, name: str) -> str:
        return field_label(name)

    def suggest_mapping(self, headers: list[str], user) -> dict[str, str]:
        return suggest_mapping(headers, allow_owner=allows_owner_column(user))

    def analyse(self, job, progress=None) -> Analysis:
        return analyse(job, progress=progress)

    def load_checked(self, job) -> Analysis | None:
        return _load_checked_rows(job)

    def duplicate_entry(self, planned) -> dict:
        return _duplicate_entry(planned)

    def sample_entry(self, planned) -> dict:
        return _sample_entry(planned)

    def is_locked(self, duplicate: dict) -> bool:
        """Another consultant's card: it can only be skipped."""
        return duplicate["kind"] == "store" and not duplicate["visible"]

    def changes_since_preview(self, job, analysis: Analysis) -> list[dict]:
        return _changes_since_preview(job, analysis)

    def write(self, job, analysis: Analysis):
        return _write(job, analysis)


IMPORTER = CustomerImporter()

start_import = IMPORTER.start_import
check_import = IMPORTER.check_import
confirm_import = IMPORTER.confirm_import
run_import = IMPORTER.run_import
row_action = IMPORTER.row_action
planned_counts = IMPORTER.planned_counts
can_confirm = IMPORTER.can_confirm
set_duplicate_action = IMPORTER.set_duplicate_action


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
    return base.template_workbook(
        title="客户导入",
        columns=TEMPLATE_HEADERS,
        example=example,
        required=REQUIRED_FIELDS,
        number_formats={
            "phone": "@",
            "next_follow_up_at": "yyyy-mm-dd hh:mm",
            "budget": "#,##0",
        },
        # Phones as text, so Excel neither drops a leading 0 nor writes 1.38E+10.
        text_columns=("phone",),
        lists=lists,
        explanations=explanations,
        first_column_width=16,
    )
