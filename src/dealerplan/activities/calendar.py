"""The week calendar, the private .ics feed and the daily reminders.

Plain functions over models, no request objects: the calendar views, the feed and the
``send_reminders`` command all come through here. Scope comes from ``visible_to`` as everywhere
else; times are stored in UTC and shown (and cut into days) in the store's time zone,
Asia/Shanghai.
"""

import datetime
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dealerplan.core.choices import Role
from dealerplan.customers.choices import LEVEL_PRIORITY, IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.org.models import User

from .choices import ActivityKind, ActivityStatus
from .models import Activity, CalendarFeed, Notification, NotificationKind

logger = logging.getLogger(__name__)

#: Bootstrap icon per activity kind, and for a due follow-up.
KIND_ICONS = {
    ActivityKind.CALL: "telephone",
    ActivityKind.VISIT: "briefcase",
    ActivityKind.RECEPTION: "shop",
    ActivityKind.TEST_DRIVE: "car-front",
    ActivityKind.MESSAGE: "chat-dots",
}
FOLLOW_UP_ICON = "bell"

#: How long an activity lasts in a phone calendar when no duration was entered.
DEFAULT_MINUTES = {
    ActivityKind.CALL: 15,
    ActivityKind.VISIT: 60,
    ActivityKind.RECEPTION: 60,
    ActivityKind.TEST_DRIVE: 30,
    ActivityKind.MESSAGE: 15,
}

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 90

#: Managers who receive the store's overdue summary each morning.
DIGEST_MANAGER_ROLES = (Role.SALES_MANAGER, Role.SHOWROOM_MANAGER, Role.GENERAL_MANAGER)
#: At most this many customers per section of a consultant's e-mail (the totals are exact).
DIGEST_LIMIT = 30
#: The oldest overdue customers listed per consultant in a manager's summary.
MANAGER_OLDEST = 3


def local_tz():
    return timezone.get_default_timezone()


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=local_tz())


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The local day as a half-open range of aware datetimes."""
    return local_midnight(day), local_midnight(day + datetime.timedelta(days=1))


def level_priority():
    """H first, then A, B, C (and O, D after them) for ordering in the database."""
    return Case(
        *[When(intention_level=level, then=Value(rank)) for level, rank in LEVEL_PRIORITY.items()],
        default=Value(len(LEVEL_PRIORITY)),
        output_field=IntegerField(),
    )


def follow_up_customers(user):
    """Customers the user may see who can fall due: not archived, not lost (F)."""
    return (
        Customer.objects.visible_to(user)
        .filter(is_archived=False, next_follow_up_at__isnull=False)
        .exclude(intention_level=IntentionLevel.F)
    )


# -- weeks --------------------------------------------------------------------------------------

_WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Week:
    """An ISO week, Monday to Sunday, in local time."""

    monday: datetime.date

    @classmethod
    def containing(cls, day: datetime.date) -> "Week":
        return cls(day - datetime.timedelta(days=day.weekday()))

    @classmethod
    def parse(cls, value: str) -> "Week":
        """``2026-W48`` (or ``2026W48``) to a week; ``ValueError`` if there is no such week."""
        match = _WEEK_RE.match(value or "")
        if not match:
            raise ValueError(value)
        year, number = int(match.group(1)), int(match.group(2))
        return cls(datetime.date.fromisocalendar(year, number, 1))

    @property
    def iso(self) -> str:
        year, number, _weekday = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def year(self) -> int:
        return self.monday.isocalendar()[0]

    @property
    def number(self) -> int:
        return self.monday.isocalendar()[1]

    @property
    def sunday(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=6)

    @property
    def days(self) -> list[datetime.date]:
        return [self.monday + datetime.timedelta(days=i) for i in range(7)]

    @property
    def start(self) -> datetime.datetime:
        return local_midnight(self.monday)

    @property
    def end(self) -> datetime.datetime:
        return local_midnight(self.monday + datetime.timedelta(days=7))

    @property
    def previous(self) -> "Week":
        return Week(self.monday - datetime.timedelta(days=7))

    @property
    def next(self) -> "Week":
        return Week(self.monday + datetime.timedelta(days=7))

    def __contains__(self, day: datetime.date) -> bool:
        return self.monday <= day <= self.sunday


def resolve_week(
    *, week: str | None, date: str | None, today: datetime.date
) -> tuple[Week, str | None]:
    """The week asked for by ``?week=2026-W48`` or ``?date=2026-11-25``, else this week.

    Returns the week and, when the input could not be read, a message for the user.
    """
    if week:
        try:
            return Week.parse(week), None
        except ValueError:
            return Week.containing(today), _(
                "“%(value)s” is not a week (expected e.g. 2026-W48); showing this week."
            ) % {"value": week[:20]}
    if date:
        try:
            return Week.containing(datetime.date.fromisoformat(date.strip())), None
        except ValueError:
            return Week.containing(today), _(
                "“%(value)s” is not a date (expected e.g. 2026-11-25); showing this week."
            ) % {"value": date[:20]}
    return Week.containing(today), None


# -- the week view ------------------------------------------------------------------------------


@dataclass
class CalendarEntry:
    """One line in a day: a planned activity, or a customer whose follow-up falls due."""

    at: datetime.datetime  # local
    customer: Customer
    activity: Activity | None = None
    overdue: bool = False

    @property
    def is_follow_up(self) -> bool:
        return self.activity is None

    @property
    def icon(self) -> str:
        return (
            FOLLOW_UP_ICON if self.activity is None else KIND_ICONS.get(self.activity.kind, "dot")
        )

    @property
    def label(self) -> str:
        if self.activity is None:
            return _("Follow-up due")
        return self.activity.get_kind_display()


@dataclass
class CalendarDay:
    date: datetime.date
    is_today: bool
    activities: list[CalendarEntry] = field(default_factory=list)
    follow_ups: list[CalendarEntry] = field(default_factory=list)

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def is_empty(self) -> bool:
        return not self.activities and not self.follow_ups

    @property
    def weekday_label(self) -> str:
        return weekday_label(self.date)


def weekday_label(day: datetime.date) -> str:
    return [
        pgettext("short weekday", "Mon"),
        pgettext("short weekday", "Tue"),
        pgettext("short weekday", "Wed"),
        pgettext("short weekday", "Thu"),
        pgettext("short weekday", "Fri"),
        pgettext("short weekday", "Sat"),
        pgettext("short weekday", "Sun"),
    ][day.weekday()]


@dataclass
class WeekPlan:
    week: Week
    days: list[CalendarDay]

    def count(self, kind: str) -> int:
        return sum(1 for d in self.days for e in d.activities if e.activity.kind == kind)

    @property
    def calls(self) -> int:
        return self.count(ActivityKind.CALL)

    @property
    def visits(self) -> int:
        return self.count(ActivityKind.VISIT)

    @property
    def activity_total(self) -> int:
        return sum(len(d.activities) for d in self.days)

    @property
    def follow_up_total(self) -> int:
        return sum(len(d.follow_ups) for d in self.days)


def calendar_subjects(viewer):
    """Whose week ``viewer`` may open: their own; a manager also their store's consultants."""
    users = User.objects.visible_to(viewer).filter(is_active=True)
    if not viewer.is_manager:
        return users.filter(pk=viewer.pk)
    return users.filter(Q(role=Role.CONSULTANT) | Q(pk=viewer.pk))


def resolve_subject(viewer, user_id: str | None):
    """The user whose week is shown; 404 for anyone ``viewer`` may not look at."""
    if not user_id or str(user_id) == str(viewer.pk):
        return viewer
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise Http404 from None
    subject = calendar_subjects(viewer).filter(pk=pk).first()
    if subject is None:
        raise Http404
    return subject


def week_plan(*, viewer, subject, week: Week, now: datetime.datetime | None = None) -> WeekPlan:
    """``subject``'s planned activities and due follow-ups of ``week``, by day, in two queries.

    Both queries start from what ``viewer`` may see. A follow-up is not listed again on a day
    where the customer already has a planned activity: the activity is the follow-up.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = {day: CalendarDay(date=day, is_today=day == today) for day in week.days}

    activities = (
        Activity.objects.visible_to(viewer)
        .filter(
            owner=subject,
            status=ActivityStatus.PLANNED,
            is_archived=False,
            planned_at__gte=week.start,
            planned_at__lt=week.end,
        )
        .select_related("customer")
        .order_by("planned_at", "pk")
    )
    scheduled = set()
    for activity in activities:
        at = timezone.localtime(activity.planned_at)
        days[at.date()].activities.append(
            CalendarEntry(
                at=at,
                customer=activity.customer,
                activity=activity,
                overdue=activity.planned_at < now,
            )
        )
        scheduled.add((activity.customer_id, at.date()))

    customers = (
        follow_up_customers(viewer)
        .filter(owner=subject, next_follow_up_at__gte=week.start, next_follow_up_at__lt=week.end)
        .annotate(priority=level_priority())
        .order_by("priority", "next_follow_up_at", "pk")
    )
    today_start = local_midnight(today)
    for customer in customers:
        at = timezone.localtime(customer.next_follow_up_at)
        if (customer.pk, at.date()) in scheduled:
            continue
        days[at.date()].follow_ups.append(
            CalendarEntry(
                at=at, customer=customer, overdue=customer.next_follow_up_at < today_start
            )
        )
    return WeekPlan(week=week, days=list(days.values()))


# -- the private calendar feed ------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def feed_of(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


@transaction.atomic
def create_feed(user) -> CalendarFeed:
    """The user's feed, created with a fresh token the first time."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"token": new_token()})
    return feed


@transaction.atomic
def rotate_feed(user) -> CalendarFeed:
    """A new token for the user's feed: the old subscription address stops working at once."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return create_feed(user)
    feed.token = new_token()
    feed.rotated_at = timezone.now()
    feed.save(update_fields=["token", "rotated_at", "updated_at"])
    return feed


def feed_user(token: str):
    """The active user a feed token belongs to, or ``None``."""
    if not token:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )
    return feed.user if feed else None


def feed_activities(user, now: datetime.datetime | None = None):
    """The user's planned activities from 30 days ago to 90 days ahead."""
    now = now or timezone.now()
    return (
        Activity.objects.visible_to(user)
        .filter(
            owner=user,
            status=ActivityStatus.PLANNED,
            is_archived=False,
            planned_at__gte=now - datetime.timedelta(days=FEED_PAST_DAYS),
            planned_at__lt=now + datetime.timedelta(days=FEED_FUTURE_DAYS),
        )
        .select_related("customer")
        .order_by("planned_at", "pk")
    )


def ics_escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped."""
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_datetime(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold_line(line: str, limit: int = 75) -> str:
    """Fold a content line at ``limit`` octets (RFC 5545 3.1), never inside a UTF-8 character.

    Continuation lines start with one space, which counts towards their ``limit`` octets.
    """
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n".join(parts)


def activity_end(activity: Activity) -> datetime.datetime:
    minutes = activity.duration_minutes or DEFAULT_MINUTES.get(activity.kind, 30)
    return activity.planned_at + datetime.timedelta(minutes=minutes)


def render_ics(
    *,
    user,
    activities: Iterable[Activity],
    customer_url: Callable[[Customer], str],
    uid_domain: str,
    now: datetime.datetime | None = None,
) -> str:
    """An iCalendar (RFC 5545) document of ``activities``, CRLF line ends, folded lines."""
    now = now or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//dealerplan//calendar//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + ics_escape(_("Work plan · %(name)s") % {"name": user.display_name}),
        "X-WR-TIMEZONE:" + settings.TIME_ZONE,
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for activity in activities:
        customer = activity.customer
        summary = _("%(kind)s · %(customer)s") % {
            "kind": activity.get_kind_display(),
            "customer": customer.name,
        }
        if activity.is_important:
            summary = _("[Important] %(summary)s") % {"summary": summary}
        url = customer_url(customer)
        description = [activity.notes.strip()] if activity.notes.strip() else []
        if activity.next_step:
            description.append(_("Next step: %(step)s") % {"step": activity.next_step})
        description.append(
            _("Customer: %(name)s (level %(level)s)")
            % {"name": customer.name, "level": customer.intention_level}
        )
        description.append(_("Customer page: %(url)s") % {"url": url})
        stamp = activity.updated_at or activity.created_at or now
        lines += [
            "BEGIN:VEVENT",
            f"UID:activity-{activity.pk}@{uid_domain}",
            f"DTSTAMP:{ics_datetime(stamp)}",
            f"LAST-MODIFIED:{ics_datetime(stamp)}",
            f"DTSTART:{ics_datetime(activity.planned_at)}",
            f"DTEND:{ics_datetime(activity_end(activity))}",
            "SUMMARY:" + ics_escape(summary),
        ]
        location = activity.location or (
            customer.address if activity.kind == ActivityKind.VISIT else ""
        )
        if location:
            lines.append("LOCATION:" + ics_escape(location))
        lines += [
            "DESCRIPTION:" + ics_escape("\n".join(description)),
            "URL:" + url,
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


# -- notifications ------------------------------------------------------------------------------


def notifications_for(user):
    """The user's own notifications, newest first (a manager never sees a colleague's)."""
    return Notification.objects.visible_to(user).filter(user=user)


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return notifications_for(user).filter(read_at__isnull=True).count()


def mark_all_read(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def mark_read(user, pk: int) -> Notification:
    """Mark one of the user's notifications read; 404 for anyone else's."""
    notification = notifications_for(user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


# -- daily reminders ----------------------------------------------------------------------------


@dataclass
class DueItem:
    customer: Customer
    due_at: datetime.datetime  # local
    days_overdue: int
    url: str = ""


@dataclass
class DailyDigest:
    """A consultant's morning list: overdue follow-ups, those due today, today's plan."""

    user: object
    today: datetime.date
    overdue: list[DueItem]
    overdue_total: int
    due_today: list[DueItem]
    due_today_total: int
    planned: list[Activity]

    @property
    def is_empty(self) -> bool:
        return not (self.overdue_total or self.due_today_total or self.planned)


@dataclass
class ConsultantOverdue:
    consultant: object
    count: int
    oldest: list[DueItem]


@dataclass
class ManagerDigest:
    """A store manager's morning summary: overdue follow-ups per consultant."""

    user: object
    today: datetime.date
    rows: list[ConsultantOverdue]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def is_empty(self) -> bool:
        return self.total == 0


def _due_item(customer: Customer, today: datetime.date, base_url: str) -> DueItem:
    due_at = timezone.localtime(customer.next_follow_up_at)
    return DueItem(
        customer=customer,
        due_at=due_at,
        days_overdue=max(0, (today - due_at.date()).days),
        url=absolute_url(base_url, customer.get_absolute_url()),
    )


def absolute_url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}" if base_url else ""


def build_daily_digest(user, today: datetime.date, *, base_url: str = "") -> DailyDigest:
    """What ``user`` has to follow up on ``today``: H before A before B before C in each part."""
    start, end = day_bounds(today)
    mine = follow_up_customers(user).filter(owner=user).annotate(priority=level_priority())
    order = ("priority", "next_follow_up_at", "pk")
    overdue = mine.filter(next_follow_up_at__lt=start)
    due_today = mine.filter(next_follow_up_at__gte=start, next_follow_up_at__lt=end)
    totals = mine.filter(next_follow_up_at__lt=end).aggregate(
        overdue=Count("pk", filter=Q(next_follow_up_at__lt=start)),
        today=Count("pk", filter=Q(next_follow_up_at__gte=start)),
    )
    planned = (
        Activity.objects.visible_to(user)
        .filter(
            owner=user,
            status=ActivityStatus.PLANNED,
            is_archived=False,
            planned_at__gte=start,
            planned_at__lt=end,
        )
        .select_related("customer")
        .order_by("planned_at", "pk")
    )
    return DailyDigest(
        user=user,
        today=today,
        overdue=[_due_item(c, today, base_url) for c in overdue.order_by(*order)[:DIGEST_LIMIT]],
        overdue_total=totals["overdue"],
        due_today=[
            _due_item(c, today, base_url) for c in due_today.order_by(*order)[:DIGEST_LIMIT]
        ],
        due_today_total=totals["today"],
        planned=list(planned),
    )


def build_manager_digest(manager, today: datetime.date, *, base_url: str = "") -> ManagerDigest:
    """Overdue follow-ups of each active consultant of the manager's store, most first."""
    start = local_midnight(today)
    consultants = list(
        User.objects.visible_to(manager)
        .filter(store_id=manager.store_id, role=Role.CONSULTANT, is_active=True)
        .order_by("last_name", "first_name", "username")
    )
    overdue = follow_up_customers(manager).filter(
        owner__in=[c.pk for c in consultants], next_follow_up_at__lt=start
    )
    counts = {
        row["owner_id"]: row["n"]
        for row in overdue.order_by().values("owner_id").annotate(n=Count("pk"))
    }
    oldest: dict[int, list[DueItem]] = {}
    ranked = overdue.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("owner_id")],
            order_by=[F("next_follow_up_at").asc(), F("pk").asc()],
        )
    ).filter(rank__lte=MANAGER_OLDEST)
    for customer in ranked.order_by("owner_id", "next_follow_up_at", "pk"):
        oldest.setdefault(customer.owner_id, []).append(_due_item(customer, today, base_url))
    rows = [
        ConsultantOverdue(consultant=c, count=counts.get(c.pk, 0), oldest=oldest.get(c.pk, []))
        for c in consultants
    ]
    rows.sort(key=lambda row: -row.count)
    return ManagerDigest(user=manager, today=today, rows=rows)


@dataclass
class RenderedReminder:
    subject: str
    text: str
    html: str
    title: str
    body: str


def render_daily_digest(digest: DailyDigest, *, base_url: str = "") -> RenderedReminder:
    context = {
        "digest": digest,
        "user": digest.user,
        "calendar_url": absolute_url(base_url, reverse("calendar:week")),
        "customers_url": absolute_url(base_url, reverse("customers:customer_list")),
    }
    subject = _("Follow-ups for %(date)s: %(overdue)s overdue, %(today)s due today") % {
        "date": digest.today.isoformat(),
        "overdue": digest.overdue_total,
        "today": digest.due_today_total,
    }
    body = _(
        "%(overdue)s overdue follow-ups, %(today)s due today, %(planned)s activities planned today."
    ) % {
        "overdue": digest.overdue_total,
        "today": digest.due_today_total,
        "planned": len(digest.planned),
    }
    return RenderedReminder(
        subject=subject,
        text=render_to_string("emails/daily_digest.txt", context),
        html=render_to_string("emails/daily_digest.html", context),
        title=_("Today's follow-ups (%(date)s)") % {"date": digest.today.isoformat()},
        body=body,
    )


def render_manager_digest(digest: ManagerDigest, *, base_url: str = "") -> RenderedReminder:
    context = {
        "digest": digest,
        "user": digest.user,
        "customers_url": absolute_url(
            base_url, reverse("customers:customer_list") + "?follow_up=overdue"
        ),
    }
    subject = _("Overdue follow-ups in the store on %(date)s: %(total)s") % {
        "date": digest.today.isoformat(),
        "total": digest.total,
    }
    behind = [row for row in digest.rows if row.count]
    body = "；".join(
        _("%(name)s: %(count)s overdue") % {"name": row.consultant.display_name, "count": row.count}
        for row in behind
    )
    return RenderedReminder(
        subject=subject,
        text=render_to_string("emails/manager_digest.txt", context),
        html=render_to_string("emails/manager_digest.html", context),
        title=_("Overdue follow-ups of the store (%(date)s)") % {"date": digest.today.isoformat()},
        body=body,
    )


@dataclass
class ReminderRun:
    """What one run of ``send_reminders`` did (or, in a dry run, would do)."""

    today: datetime.date
    dry_run: bool = False
    notified: list[str] = field(default_factory=list)
    emailed: list[str] = field(default_factory=list)
    no_email: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    nothing_due: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def reminder_recipients():
    return (
        User.objects.filter(
            is_active=True,
            store__isnull=False,
            store__is_active=True,
            role__in=[Role.CONSULTANT, *DIGEST_MANAGER_ROLES],
        )
        .select_related("store")
        .order_by("store_id", "username")
    )


def send_reminders(
    *, now: datetime.datetime | None = None, dry_run: bool = False, base_url: str = ""
) -> ReminderRun:
    """Each active consultant's follow-up list and each store manager's overdue summary.

    Mail goes through Django's e-mail backend from ``DEFAULT_FROM_EMAIL``, written in the site
    language (Chinese); every recipient also gets an in-app notification, which doubles as the
    record of what was sent: one per user, kind and local day (a unique constraint), so a second
    run on the same day sends nothing new. A recipient without an e-mail address still gets the
    notification. A mail that fails is rolled back with its notification and retried next run.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = ReminderRun(today=today, dry_run=dry_run)
    done = set(
        Notification.objects.filter(
            for_date=today,
            kind__in=[NotificationKind.DAILY_DIGEST, NotificationKind.MANAGER_DIGEST],
        ).values_list("user_id", "kind")
    )
    connection = None if dry_run else get_connection()
    with translation.override(settings.LANGUAGE_CODE):
        for user in reminder_recipients():
            name = user.username
            if user.role == Role.CONSULTANT:
                kind = NotificationKind.DAILY_DIGEST
                url = reverse("calendar:week")
                digest = build_daily_digest(user, today, base_url=base_url)
                render = render_daily_digest
            else:
                kind = NotificationKind.MANAGER_DIGEST
                url = reverse("customers:customer_list") + "?follow_up=overdue"
                digest = build_manager_digest(user, today, base_url=base_url)
                render = render_manager_digest
            if (user.pk, kind) in done:
                run.already_sent.append(name)
                continue
            if digest.is_empty:
                run.nothing_due.append(name)
                continue
            message = render(digest, base_url=base_url)
            if dry_run:
                run.notified.append(name)
                (run.emailed if user.email else run.no_email).append(name)
                continue
            try:
                with transaction.atomic():
                    notification = Notification.objects.create(
                        user=user,
                        store=user.store,
                        kind=kind,
                        title=message.title,
                        body=message.body,
                        url=url,
                        for_date=today,
                    )
                    if user.email:
                        mail = EmailMultiAlternatives(
                            subject=message.subject,
                            body=message.text,
                            from_email=settings.DEFAULT_FROM_EMAIL,
                            to=[user.email],
                            connection=connection,
                        )
                        mail.attach_alternative(message.html, "text/html")
                        mail.send()
                        notification.emailed_at = timezone.now()
                        notification.save(update_fields=["emailed_at"])
            except IntegrityError:  # another run got there first
                run.already_sent.append(name)
                continue
            except Exception:
                logger.exception("Reminder for %s could not be sent", name)
                run.failed.append(name)
                continue
            run.notified.append(name)
            (run.emailed if user.email else run.no_email).append(name)
    return run
