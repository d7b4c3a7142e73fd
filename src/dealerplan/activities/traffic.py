"""The traffic register (来店(电)客户登记表) and the showroom KPIs computed from it.

Domain rules as plain functions (no request objects): views, API and commands all call
:func:`register_traffic`, :func:`mark_departed` and :func:`mark_responded`. The KPI functions
take a queryset that is already scoped (``TrafficEntry.objects.visible_to(user)``) and answer
with a fixed number of aggregate queries, whatever the number of entries.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Trim
from dealerplan.core.choices import Role
from dealerplan.core.phone import normalize_phone
from dealerplan.customers.choices import IntentionLevel, SourceChannel
from dealerplan.customers.models import Customer
from dealerplan.customers.services import save_customer
from dealerplan.org.models import User

from .choices import ActivityKind, TrafficKind, VisitType
from .models import Activity, TrafficEntry
from .services import record_activity

#: Who registers traffic: the front desk (showroom manager), consultants and managers.
EDIT_ROLES = frozenset(
    {
        Role.CONSULTANT,
        Role.SHOWROOM_MANAGER,
        Role.SALES_MANAGER,
        Role.GENERAL_MANAGER,
        Role.GROUP_MANAGER,
        Role.ADMIN,
    }
)

#: Who opens the KPI page. Consultants see their own figures (their scope), managers the store.
KPI_ROLES = frozenset({Role.CONSULTANT, *Role.managers()})

#: Local time of the showroom: hours of the day are counted in it on every database.
SHOWROOM_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")

#: An arrival this far ahead of the server clock is a typing mistake, not a visitor.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)

#: The source channel a traffic kind implies when the form leaves the channel empty.
CHANNEL_FOR_KIND = {
    TrafficKind.WALK_IN: SourceChannel.WALK_IN,
    TrafficKind.CALL_IN: SourceChannel.PHONE_IN,
    TrafficKind.ONLINE: SourceChannel.ONLINE,
}

#: Kinds whose first response time is measured (phone and online leads).
RESPONSE_KINDS = (TrafficKind.CALL_IN, TrafficKind.ONLINE)

EXISTING_CUSTOMER_LABEL = _("Existing customer")

MSG_NO_STORE = _("Your account has no store; ask an administrator.")
MSG_LEFT_BEFORE_ARRIVAL = _("The departure time must be later than the arrival time.")
MSG_ARRIVAL_IN_FUTURE = _("The arrival time cannot be in the future.")
MSG_RESPONSE_BEFORE_ARRIVAL = _("The first response cannot be earlier than the arrival time.")
MSG_CARD_NEEDS_PHONE = _("Enter the visitor's phone number to open a lead card.")
MSG_CARD_NEEDS_NAME = _("Enter the visitor's name to open a lead card.")
MSG_CONSULTANT_OTHER_STORE = _("Choose a consultant of this store.")
MSG_NOT_WALK_IN = _("Only showroom walk-ins have a departure time.")
MSG_ALREADY_LEFT = _("The departure has already been recorded.")
MSG_NOT_REMOTE = _("Only phone and online enquiries have a response time.")
MSG_ALREADY_RESPONDED = _("The first response has already been recorded.")


def can_register_traffic(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in EDIT_ROLES)


def can_see_kpis(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in KPI_ROLES)


def can_see_visitor_phone(user, entry: TrafficEntry) -> bool:
    """Phones are masked for anyone but the entry's consultant and managers."""
    return user.is_manager or (entry.consultant_id is not None and entry.consultant_id == user.pk)


def annotate_visibility(queryset, user):
    """Mark each entry with what ``user`` may see of it, in the same query.

    ``customer_visible``: the linked card is in the user's scope (else say only "an existing
    customer"); ``show_phone``: the user is a manager or the entry's consultant (else the
    visitor's phone is masked).
    """
    visible = Customer.objects.visible_to(user).filter(pk=OuterRef("customer_id"))
    if user.is_manager:
        show_phone = Value(True, output_field=BooleanField())
    else:
        show_phone = ExpressionWrapper(Q(consultant_id=user.pk), output_field=BooleanField())
    return queryset.annotate(customer_visible=Exists(visible), show_phone=show_phone)


def entry_title(entry: TrafficEntry) -> str:
    """ "来店 2026-05-14 10:32" in showroom local time (the model's ``__str__`` shows UTC)."""
    local = timezone.localtime(entry.arrived_at)
    return f"{entry.get_kind_display()} {local:%Y-%m-%d %H:%M}"


def store_consultants(user):
    """The active consultants a user may assign an entry to (their store, or every store)."""
    return User.objects.visible_to(user).filter(is_active=True, role=Role.CONSULTANT)


# -- registering --------------------------------------------------------------------------------


@dataclass
class Registration:
    """What :func:`register_traffic` did, so the caller can tell the user."""

    entry: TrafficEntry
    #: A new lead card was opened from this entry.
    card_opened: bool = False
    #: The phone matched a customer card that already existed.
    linked_existing: bool = False
    #: Whether the user may see the linked customer; if not, say only "an existing customer".
    customer_visible: bool = False


def find_customer_by_phone(store_id, phone: str) -> Customer | None:
    """The store's customer with this (normalised) phone, whoever owns the card.

    Deliberately not scoped to the user: a visitor is linked to their card even when it belongs
    to another consultant. Callers must not reveal the card's details unless
    ``Customer.objects.visible_to(user)`` contains it.
    """
    if not phone or store_id is None:
        return None
    return Customer.objects.filter(store_id=store_id, phone=phone).first()


def guess_visit_type(entry: TrafficEntry) -> str:
    """F or S for an entry whose form left "first or repeat" empty.

    A repeat (S) when the linked customer already has an earlier entry of the same kind in the
    register (an earlier showroom visit for a walk-in, an earlier call for a call-in); otherwise
    a first visit (F). A card that exists without any visit (say, opened from an online enquiry)
    still makes the customer's first walk-in an F, so 再回展厅率 counts true returns only.
    """
    if entry.customer_id is None:
        return VisitType.FIRST
    earlier = TrafficEntry.objects.filter(
        customer_id=entry.customer_id, kind=entry.kind, arrived_at__lt=entry.arrived_at
    ).exclude(pk=entry.pk)
    return VisitType.REPEAT if earlier.exists() else VisitType.FIRST


def _check_times(entry: TrafficEntry, now) -> dict:
    errors = {}
    if entry.arrived_at and entry.arrived_at > now + FUTURE_TOLERANCE:
        errors["arrived_at"] = ValidationError(MSG_ARRIVAL_IN_FUTURE, code="future")
    if entry.left_at and entry.arrived_at and entry.left_at <= entry.arrived_at:
        errors["left_at"] = ValidationError(MSG_LEFT_BEFORE_ARRIVAL, code="left_before_arrival")
    if entry.first_response_at and entry.arrived_at and entry.first_response_at < entry.arrived_at:
        errors["first_response_at"] = ValidationError(
            MSG_RESPONSE_BEFORE_ARRIVAL, code="response_before_arrival"
        )
    return errors


@transaction.atomic
def register_traffic(*, user, entry: TrafficEntry, open_card: bool = False) -> Registration:
    """Record a new traffic entry, or save changes to one, on behalf of ``user``.

    In one transaction: the phone is normalised (an invalid one is a ``visitor_phone`` error and
    nothing is written); a consultant's entry is always their own; the entry is linked to the
    store's customer with the same phone (even one the user cannot see); when there is none and
    ``open_card`` is set, a lead card is opened through ``save_customer`` (level B, source from
    the channel, owned by the entry's consultant); an empty "first or repeat" is guessed by
    :func:`guess_visit_type` and an empty channel follows the kind. A walk-in newly linked to a
    card is logged as a reception (:func:`log_reception`). Afterwards the entry must be
    visible to the user, or everything is rolled back.
    """
    if not can_register_traffic(user):
        raise PermissionDenied
    is_new = entry.pk is None
    previous = None
    if is_new:
        if entry.store_id is None:
            if user.store_id is None:
                raise ValidationError(MSG_NO_STORE, code="no_store")
            entry.store_id = user.store_id
    else:
        previous = (
            TrafficEntry.objects.visible_to(user)
            .filter(pk=entry.pk)
            .values("visitor_phone", "customer_id")
            .first()
        )
        if previous is None:
            raise PermissionDenied

    if user.sees_only_own:
        entry.consultant = user
    elif entry.consultant_id is not None:
        consultant_store = (
            User.objects.filter(pk=entry.consultant_id).values_list("store_id", flat=True).first()
        )
        if consultant_store != entry.store_id:
            raise ValidationError({"consultant": MSG_CONSULTANT_OTHER_STORE}, code="other_store")

    errors = {}
    try:
        entry.visitor_phone = normalize_phone(entry.visitor_phone)
    except ValidationError as exc:
        errors["visitor_phone"] = exc
    entry.visitor_name = (entry.visitor_name or "").strip()
    errors.update(_check_times(entry, timezone.now()))
    if errors:
        raise ValidationError(errors)

    if not entry.channel:
        entry.channel = CHANNEL_FOR_KIND.get(entry.kind, SourceChannel.OTHER)

    result = Registration(entry=entry)
    keep_link = (
        previous is not None
        and previous["customer_id"] is not None
        and previous["visitor_phone"] == entry.visitor_phone
        and entry.customer_id == previous["customer_id"]
    )
    if not keep_link:
        customer = find_customer_by_phone(entry.store_id, entry.visitor_phone)
        entry.customer = customer
        if customer is not None:
            result.linked_existing = True
        elif open_card:
            entry.customer = _open_card(user, entry)
            result.card_opened = True

    if not entry.visit_type:
        entry.visit_type = guess_visit_type(entry)

    entry.save()
    if not TrafficEntry.objects.visible_to(user).filter(pk=entry.pk).exists():
        raise PermissionDenied
    previous_customer = previous["customer_id"] if previous else None
    if entry.customer_id is not None and entry.customer_id != previous_customer:
        log_reception(user, entry)
    if entry.customer_id is not None:
        result.customer_visible = (
            Customer.objects.visible_to(user).filter(pk=entry.customer_id).exists()
        )
    return result


def log_reception(user, entry: TrafficEntry) -> Activity | None:
    """A walk-in just linked to a card is a showroom reception on the customer's timeline.

    Recorded for the entry's consultant (the front desk when nobody served the visitor) at the
    arrival time, through the follow-up engine: the last contact moves to the visit and the
    next follow-up follows the store's rule. The card may belong to another consultant; the
    link itself was the decision, so the receiver's scope is not checked again.
    """
    if entry.kind != TrafficKind.WALK_IN or entry.customer_id is None:
        return None
    customer = Customer.objects.select_for_update().get(pk=entry.customer_id)
    return record_activity(
        owner=entry.consultant or user,
        customer=customer,
        kind=ActivityKind.RECEPTION,
        notes=entry.notes,
        done_at=entry.arrived_at,
    )


def _intended_trim(entry: TrafficEntry):
    """The model the visitor asked about, carried onto the new card: the trim when the series
    has only one on sale, else the series named in the notes for the consultant to narrow."""
    if entry.series_id is None:
        return None, entry.notes
    trims = list(Trim.objects.filter(series_id=entry.series_id, is_active=True)[:2])
    if len(trims) == 1:
        return trims[0], entry.notes
    interest = _("Model of interest: %(series)s") % {"series": entry.series.name}
    return None, "\n".join(filter(None, [interest, entry.notes]))


def _open_card(user, entry: TrafficEntry) -> Customer:
    errors = {}
    if not entry.visitor_phone:
        errors["visitor_phone"] = ValidationError(MSG_CARD_NEEDS_PHONE, code="card_needs_phone")
    if not entry.visitor_name:
        errors["visitor_name"] = ValidationError(MSG_CARD_NEEDS_NAME, code="card_needs_name")
    if errors:
        raise ValidationError(errors)
    trim, notes = _intended_trim(entry)
    customer = Customer(
        store_id=entry.store_id,
        owner_id=entry.consultant_id,
        name=entry.visitor_name,
        phone=entry.visitor_phone,
        source=entry.channel,
        intention_level=IntentionLevel.B,
        last_contact_at=entry.arrived_at,
        intended_trim=trim,
        notes=notes,
    )
    try:
        return save_customer(user=user, customer=customer)
    except ValidationError as exc:
        # save_customer names the field "phone"; on this form it is the visitor's phone.
        if hasattr(exc, "error_dict") and "phone" in exc.error_dict:
            raise ValidationError({"visitor_phone": exc.error_dict["phone"]}) from exc
        raise


def _editable_entry(user, entry_id) -> TrafficEntry:
    if not can_register_traffic(user):
        raise PermissionDenied
    entry = TrafficEntry.objects.visible_to(user).select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise TrafficEntry.DoesNotExist
    return entry


@transaction.atomic
def mark_departed(*, user, entry_id, at=None) -> TrafficEntry:
    """The quick "departed" action for a walk-in still in the showroom: ``left_at`` = now."""
    entry = _editable_entry(user, entry_id)
    if entry.kind != TrafficKind.WALK_IN:
        raise ValidationError(MSG_NOT_WALK_IN, code="not_walk_in")
    if entry.left_at is not None:
        raise ValidationError(MSG_ALREADY_LEFT, code="already_left")
    at = at or timezone.now()
    if at <= entry.arrived_at:
        raise ValidationError(MSG_LEFT_BEFORE_ARRIVAL, code="left_before_arrival")
    entry.left_at = at
    entry.save(update_fields=["left_at", "updated_at"])
    return entry


@transaction.atomic
def mark_responded(*, user, entry_id, at=None) -> TrafficEntry:
    """The quick "answered" action for a phone or online enquiry: ``first_response_at`` = now."""
    entry = _editable_entry(user, entry_id)
    if entry.kind not in RESPONSE_KINDS:
        raise ValidationError(MSG_NOT_REMOTE, code="not_remote")
    if entry.first_response_at is not None:
        raise ValidationError(MSG_ALREADY_RESPONDED, code="already_responded")
    at = at or timezone.now()
    if at < entry.arrived_at:
        raise ValidationError(MSG_RESPONSE_BEFORE_ARRIVAL, code="response_before_arrival")
    entry.first_response_at = at
    entry.save(update_fields=["first_response_at", "updated_at"])
    return entry


# -- periods ------------------------------------------------------------------------------------


def local_day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the current (showroom) time zone, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def in_period(queryset, date_from: datetime.date | None, date_to: datetime.date | None):
    """Entries that arrived on local dates ``date_from`` … ``date_to`` (both included)."""
    if date_from:
        queryset = queryset.filter(arrived_at__gte=local_day_start(date_from))
    if date_to:
        queryset = queryset.filter(
            arrived_at__lt=local_day_start(date_to + datetime.timedelta(days=1))
        )
    return queryset


def this_month(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    return today.replace(day=1), today


# -- KPIs ---------------------------------------------------------------------------------------


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with one decimal (37.5), or None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _minutes(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        seconds = Decimal(str(value.total_seconds()))
    else:  # some backends answer a number of microseconds
        seconds = Decimal(str(value)) / Decimal(1_000_000)
    return (seconds / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


WALK_IN = Q(kind=TrafficKind.WALK_IN)
REMOTE = Q(kind__in=RESPONSE_KINDS)

RESPONSE_TIME = ExpressionWrapper(
    F("first_response_at") - F("arrived_at"), output_field=DurationField()
)
STAY_TIME = ExpressionWrapper(F("left_at") - F("arrived_at"), output_field=DurationField())


def _kpi_aggregates() -> dict:
    """One dictionary of aggregates; used for the whole period and per consultant."""
    return {
        "total": Count("pk"),
        "walk_ins": Count("pk", filter=WALK_IN),
        "call_ins": Count("pk", filter=Q(kind=TrafficKind.CALL_IN)),
        "online": Count("pk", filter=Q(kind=TrafficKind.ONLINE)),
        "first_entries": Count("pk", filter=Q(visit_type=VisitType.FIRST)),
        "carded_first_entries": Count(
            "pk", filter=Q(visit_type=VisitType.FIRST, customer__isnull=False)
        ),
        "first_walk_ins": Count("pk", filter=WALK_IN & Q(visit_type=VisitType.FIRST)),
        "repeat_walk_ins": Count("pk", filter=WALK_IN & Q(visit_type=VisitType.REPEAT)),
        "test_drives": Count("pk", filter=WALK_IN & Q(test_drive=True)),
        "wechat_added": Count("pk", filter=Q(wechat_added=True)),
        "responded": Count("pk", filter=REMOTE & Q(first_response_at__isnull=False)),
        "avg_response": Avg(RESPONSE_TIME, filter=REMOTE & Q(first_response_at__isnull=False)),
        "stays": Count("pk", filter=WALK_IN & Q(left_at__isnull=False)),
        "avg_stay": Avg(STAY_TIME, filter=WALK_IN & Q(left_at__isnull=False)),
    }


@dataclass
class TrafficKpis:
    """The showroom figures of one period (and optionally one consultant).

    Definitions (every count is over the entries of the period, archived entries excluded):

    * **traffic** – all entries; split into walk-ins, call-ins and online enquiries.
    * **建卡率 card rate** – first-time entries (visit type F, any kind) that are linked to a
      customer card ÷ first-time entries. An entry counts as carded whether its card was opened
      from it (建卡) or the visitor's phone matched a card that already existed; repeat entries
      (S) are left out because their card was counted on the first visit.
    * **再回展厅率 return rate** – repeat walk-ins (S) ÷ first walk-ins (F) in the same period.
      It can exceed 100 % when many earlier visitors come back in a quiet period.
    * **试驾率 test-drive rate** – walk-ins with a test drive ÷ walk-ins.
    * **WeChat rate** – entries with WeChat added ÷ all entries.
    * **average response time** – mean of ``first_response_at − arrived_at`` in minutes, over
      call-ins and online enquiries that have a first response; unanswered ones are counted in
      ``unanswered``.
    * **average stay** – mean of ``left_at − arrived_at`` in minutes, over walk-ins with a
      departure time.

    A rate whose denominator is zero is ``None`` (shown as "—"), never an error.
    """

    total: int = 0
    walk_ins: int = 0
    call_ins: int = 0
    online: int = 0
    first_entries: int = 0
    carded_first_entries: int = 0
    first_walk_ins: int = 0
    repeat_walk_ins: int = 0
    test_drives: int = 0
    wechat_added: int = 0
    responded: int = 0
    avg_response_minutes: Decimal | None = None
    stays: int = 0
    avg_stay_minutes: Decimal | None = None
    #: Set on the rows of :func:`kpis_by_consultant`.
    consultant_id: int | None = None
    consultant_name: str = ""

    @classmethod
    def from_row(cls, row: dict) -> TrafficKpis:
        return cls(
            total=row["total"] or 0,
            walk_ins=row["walk_ins"] or 0,
            call_ins=row["call_ins"] or 0,
            online=row["online"] or 0,
            first_entries=row["first_entries"] or 0,
            carded_first_entries=row["carded_first_entries"] or 0,
            first_walk_ins=row["first_walk_ins"] or 0,
            repeat_walk_ins=row["repeat_walk_ins"] or 0,
            test_drives=row["test_drives"] or 0,
            wechat_added=row["wechat_added"] or 0,
            responded=row["responded"] or 0,
            avg_response_minutes=_minutes(row["avg_response"]),
            stays=row["stays"] or 0,
            avg_stay_minutes=_minutes(row["avg_stay"]),
        )

    @property
    def remote(self) -> int:
        return self.call_ins + self.online

    @property
    def unanswered(self) -> int:
        return self.remote - self.responded

    @property
    def card_rate(self) -> Decimal | None:
        return rate(self.carded_first_entries, self.first_entries)

    @property
    def return_rate(self) -> Decimal | None:
        return rate(self.repeat_walk_ins, self.first_walk_ins)

    @property
    def test_drive_rate(self) -> Decimal | None:
        return rate(self.test_drives, self.walk_ins)

    @property
    def wechat_rate(self) -> Decimal | None:
        return rate(self.wechat_added, self.total)


def traffic_kpis(queryset) -> TrafficKpis:
    """The KPIs of a scoped, period-filtered queryset, in one aggregate query."""
    row = queryset.order_by().aggregate(**_kpi_aggregates())
    return TrafficKpis.from_row(row)


def kpis_by_consultant(queryset) -> list[TrafficKpis]:
    """The same KPIs per consultant (most traffic first), in one grouped query.

    Entries without a consultant form their own row (``consultant_id`` None).
    """
    name_fields = ("consultant__username", "consultant__last_name", "consultant__first_name")
    rows = (
        queryset.order_by()
        .values("consultant", *name_fields)
        .annotate(**_kpi_aggregates())
        .order_by("-total", "consultant")
    )
    result = []
    for row in rows:
        kpis = TrafficKpis.from_row(row)
        kpis.consultant_id = row["consultant"]
        full = f"{row['consultant__last_name'] or ''}{row['consultant__first_name'] or ''}".strip()
        kpis.consultant_name = full or row["consultant__username"] or ""
        result.append(kpis)
    return result


@dataclass(frozen=True)
class HourRow:
    hour: int
    total: int
    walk_ins: int
    call_ins: int
    online: int

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00"


def traffic_by_hour(queryset) -> list[HourRow]:
    """Entries per hour of arrival in showroom local time, in one grouped query.

    Every hour from the first to the last busy one is listed (quiet hours in between as zero),
    so the table and the chart show a continuous day. Empty list when there is no traffic.
    """
    rows = (
        queryset.order_by()
        .annotate(hour=ExtractHour("arrived_at", tzinfo=SHOWROOM_TZ))
        .values("hour")
        .annotate(
            total=Count("pk"),
            walk_ins=Count("pk", filter=WALK_IN),
            call_ins=Count("pk", filter=Q(kind=TrafficKind.CALL_IN)),
            online=Count("pk", filter=Q(kind=TrafficKind.ONLINE)),
        )
        .order_by("hour")
    )
    by_hour = {row["hour"]: row for row in rows}
    if not by_hour:
        return []
    result = []
    for hour in range(min(by_hour), max(by_hour) + 1):
        row = by_hour.get(hour, {})
        result.append(
            HourRow(
                hour=hour,
                total=row.get("total", 0),
                walk_ins=row.get("walk_ins", 0),
                call_ins=row.get("call_ins", 0),
                online=row.get("online", 0),
            )
        )
    return result
