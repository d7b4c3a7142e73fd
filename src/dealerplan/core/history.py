"""The audit trail as people read it: who changed what, when, from where, before → after.

django-simple-history stores one full row per save; here consecutive rows are compared
(``diff_against``) and values shown with field verbose names, choice labels and related names.
Pages fetch the row ids first (one narrow query), then only the rows on the page and the row
before each, so the query count stays fixed however long the history grows.
"""

import datetime
import ipaddress
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

#: Fields never shown in a history table (secrets, bookkeeping).
HIDDEN_FIELDS = frozenset({"id", "password", "last_login", "created_at", "updated_at"})

PER_PAGE = 50


def request_ip_address() -> str | None:
    """Default of ``ip_address`` on historical rows: the address of the request being served.

    ``HistoryRequestMiddleware`` exposes the request; axes resolves the client address the
    same way login throttling does. Outside a request (commands, tasks) there is none.
    """
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    address = get_client_ip_address(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def has_history(model) -> bool:
    return hasattr(model, "history") and hasattr(model.history, "model")


def shown_fields(model) -> list[models.Field]:
    """The tracked fields a person edits, in model order."""
    history_model = model.history.model
    return [
        f
        for f in history_model.tracked_fields
        if f.editable and f.name not in HIDDEN_FIELDS and not f.many_to_many
    ]


def field_choices(model) -> list[tuple[str, str]]:
    return [(f.name, str(f.verbose_name)) for f in shown_fields(model)]


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    record: object
    kind: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def when(self) -> datetime.datetime:
        return self.record.history_date

    @property
    def user(self):
        return self.record.history_user

    @property
    def ip_address(self) -> str | None:
        return getattr(self.record, "ip_address", None)

    @property
    def kind_label(self) -> str:
        return {
            "+": pgettext_lazy("audit", "Created"),
            "~": pgettext_lazy("audit", "Changed"),
            "-": pgettext_lazy("audit", "Deleted"),
        }[self.kind]


@dataclass
class HistoryPage:
    entries: list[HistoryEntry]
    page: object
    total: int


EMPTY = "—"


def _format(value, f: models.Field, related_names: dict) -> str:
    if value is None or value == "":
        return EMPTY
    if f.is_relation:
        return related_names.get((f.related_model, value), f"#{value}")
    if f.flatchoices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    return str(value)


def _related_names(pairs, fields_by_name) -> dict:
    """One query per related model on the page, whatever the number of rows."""
    wanted: dict = {}
    for name, values in pairs:
        f = fields_by_name[name]
        if f.is_relation:
            wanted.setdefault(f.related_model, set()).update(v for v in values if v is not None)
    names = {}
    for related_model, pks in wanted.items():
        if not pks:
            continue
        for obj in related_model._base_manager.filter(pk__in=pks):
            names[(related_model, obj.pk)] = str(obj)
    return names


def history_page(obj, *, field_name: str | None = None, page=1, per_page=PER_PAGE):
    """One page of ``obj``'s changes, newest first; ``field_name`` keeps changes of one field."""
    model = type(obj)
    fields = shown_fields(model)
    fields_by_name = {f.name: f for f in fields}
    if field_name not in fields_by_name:
        field_name = None
    history = obj.history.order_by("-history_date", "-history_id")

    if field_name:
        attname = fields_by_name[field_name].attname
        rows = list(history.values_list("history_id", "history_type", attname))
        wanted = []
        for i, (history_id, history_type, value) in enumerate(rows):
            previous = rows[i + 1] if i + 1 < len(rows) else None
            if previous is None:
                if value not in (None, ""):
                    wanted.append(history_id)
            elif history_type != "-" and previous[2] != value:
                wanted.append(history_id)
        ordered = [r[0] for r in rows]
    else:
        ordered = list(history.values_list("history_id", flat=True))
        wanted = ordered

    paginator = Paginator(wanted, per_page)
    page_obj = paginator.get_page(page)
    position = {history_id: i for i, history_id in enumerate(ordered)}
    page_ids = list(page_obj.object_list)
    previous_ids = {ordered[position[h] + 1]: h for h in page_ids if position[h] + 1 < len(ordered)}
    records = {
        r.history_id: r
        for r in model.history.filter(history_id__in=[*page_ids, *previous_ids]).select_related(
            "history_user"
        )
    }
    previous_of = {h: records.get(p) for p, h in previous_ids.items()}

    names = [field_name] if field_name else list(fields_by_name)
    diffs = []
    for history_id in page_ids:
        record = records[history_id]
        previous = previous_of.get(history_id)
        if previous is None or record.history_type == "+":
            pairs = [
                (n, (None, getattr(record, fields_by_name[n].attname)))
                for n in names
                if getattr(record, fields_by_name[n].attname) not in (None, "")
            ]
            if record.history_type == "+" and not field_name:
                pairs = []  # a new record: the detail card shows its values
        else:
            delta = record.diff_against(previous, included_fields=names)
            pairs = [(c.field, (c.old, c.new)) for c in delta.changes]
        diffs.append((record, pairs))

    related = _related_names(
        [(n, values) for _record, pairs in diffs for n, values in pairs], fields_by_name
    )
    entries = []
    order = {n: i for i, n in enumerate(names)}
    for record, pairs in diffs:
        pairs.sort(key=lambda p: order[p[0]])
        changes = [
            FieldChange(
                name=n,
                label=str(fields_by_name[n].verbose_name),
                before=_format(before, fields_by_name[n], related),
                after=_format(after, fields_by_name[n], related),
            )
            for n, (before, after) in pairs
        ]
        if record.history_type == "~" and not changes:
            continue  # saved with nothing a person would see as changed
        entries.append(HistoryEntry(record=record, kind=record.history_type, changes=changes))
    return HistoryPage(entries=entries, page=page_obj, total=paginator.count)
