from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dealerplan.core.choices import Role
from dealerplan.core.models import (
    BusinessModel,
    HistoricalAuditModel,
    ScopedManager,
    TimeStampedModel,
)
from dealerplan.customers.choices import SourceChannel

from .choices import (
    ActivityKind,
    ActivityStatus,
    LostReason,
    LostStatus,
    Outcome,
    TrafficKind,
    VisitType,
)


class Activity(BusinessModel):
    """A call, visit, reception, test drive or message: planned, then done."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    kind = models.CharField(_("type"), max_length=20, choices=ActivityKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.DONE
    )
    planned_at = models.DateTimeField(_("planned for"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    location = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    is_important = models.BooleanField(
        _("important open item"),
        default=False,
        help_text=_("Shown on the daily log until it is done."),
    )

    scope_owner_path = "owner"

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-done_at", "-planned_at"]
        indexes = [
            models.Index(fields=["store", "owner", "done_at"], name="activity_done_idx"),
            models.Index(fields=["store", "owner", "planned_at"], name="activity_planned_idx"),
            # Open work only: My Day's important items and the calendar skip years of done rows.
            models.Index(
                fields=["owner", "planned_at"],
                condition=models.Q(status=ActivityStatus.PLANNED),
                name="activity_open_idx",
            ),
            # My Day's important open items: a handful among a consultant's planned rows.
            models.Index(
                fields=["owner", "planned_at"],
                condition=models.Q(status=ActivityStatus.PLANNED, is_important=True),
                name="activity_important_idx",
            ),
            models.Index(fields=["customer", "-done_at"], name="activity_customer_idx"),
            # Done work by kind over a period (the funnel's measured rates): calls, test drives.
            models.Index(
                fields=["store", "kind", "done_at"],
                include=["customer", "outcome"],
                condition=models.Q(status=ActivityStatus.DONE, is_archived=False),
                name="activity_done_kind_idx",
            ),
            # Did the customer come after an appointment call: done receptions and test drives.
            models.Index(
                fields=["customer", "done_at"],
                condition=models.Q(
                    kind__in=[ActivityKind.RECEPTION, ActivityKind.TEST_DRIVE],
                    status=ActivityStatus.DONE,
                    is_archived=False,
                ),
                name="activity_show_idx",
            ),
            # The monthly visit tables: a customer's last, this month's and planned visits ...
            models.Index(
                fields=["customer", "status", "done_at", "planned_at"],
                condition=models.Q(kind=ActivityKind.VISIT),
                name="activity_visit_customer_idx",
            ),
            # ... and each consultant's visits done in a month, to whom.
            models.Index(
                fields=["owner", "done_at"],
                include=["customer"],
                condition=models.Q(kind=ActivityKind.VISIT, status=ActivityStatus.DONE),
                name="activity_visit_done_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.customer}"

    @property
    def happened_at(self):
        return self.done_at or self.planned_at


class TrafficEntry(BusinessModel):
    """来店(电)客户登记表: every walk-in and call-in, including visitors who leave no details."""

    kind = models.CharField(
        _("type"), max_length=20, choices=TrafficKind.choices, default=TrafficKind.WALK_IN
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="traffic_entries",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="traffic_entries",
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    party_size = models.PositiveSmallIntegerField(
        _("party size"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    visit_type = models.CharField(
        _("first or repeat"), max_length=1, choices=VisitType.choices, default=VisitType.FIRST
    )
    series = models.ForeignKey(
        "catalog.Series",
        verbose_name=_("model of interest"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=SourceChannel.choices, default=SourceChannel.WALK_IN
    )
    test_drive = models.BooleanField(_("test drive"), default=False)
    wechat_added = models.BooleanField(_("WeChat added"), default=False)
    visitor_name = models.CharField(_("visitor name"), max_length=100, blank=True)
    visitor_phone = models.CharField(_("visitor phone"), max_length=20, blank=True)
    first_response_at = models.DateTimeField(
        _("first response at"),
        null=True,
        blank=True,
        help_text=_("For phone and online leads: when a consultant first answered."),
    )
    notes = models.TextField(_("notes"), blank=True)

    scope_owner_path = "consultant"

    class Meta:
        verbose_name = _("traffic entry")
        verbose_name_plural = _("traffic entries")
        ordering = ["-arrived_at"]
        indexes = [
            models.Index(fields=["store", "arrived_at"], name="traffic_arrived_idx"),
            # A customer's walk-ins by time (did an appointment call bring them in).
            models.Index(
                fields=["customer", "arrived_at"],
                condition=models.Q(kind=TrafficKind.WALK_IN, is_archived=False),
                name="traffic_walk_in_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_at__isnull=True)
                | models.Q(left_at__gte=models.F("arrived_at")),
                name="traffic_left_after_arrival",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.arrived_at:%Y-%m-%d %H:%M}"


class FollowUpPolicy(TimeStampedModel):
    """A store's follow-up rhythm: days between contacts per intention level and account tier."""

    store = models.OneToOneField(
        "org.Store",
        verbose_name=_("store"),
        on_delete=models.CASCADE,
        related_name="follow_up_policy",
    )
    h_days = models.PositiveSmallIntegerField(_("level H (days)"), default=2)
    a_days = models.PositiveSmallIntegerField(_("level A (days)"), default=7)
    b_days = models.PositiveSmallIntegerField(_("level B (days)"), default=14)
    c_days = models.PositiveSmallIntegerField(_("level C (days)"), default=30)
    o_days = models.PositiveSmallIntegerField(_("level O, ordered (days)"), default=7)
    vip_visit_days = models.PositiveSmallIntegerField(_("VIP visit (days)"), default=30)
    tier1_visit_days = models.PositiveSmallIntegerField(_("tier 1 visit (days)"), default=60)
    tier2_visit_days = models.PositiveSmallIntegerField(
        _("tier 2 visit (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: visited on demand, no automatic date."),
    )

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")

    def __str__(self):
        return str(self.store)


class ActivityQuota(TimeStampedModel):
    """Calls a day and visits a week expected of a role in a store (30 and 20 by default)."""

    store = models.ForeignKey(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    calls_per_day = models.PositiveSmallIntegerField(_("calls per day"), default=30)
    visits_per_week = models.PositiveSmallIntegerField(_("visits per week"), default=20)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("activity quota")
        verbose_name_plural = _("activity quotas")
        constraints = [
            models.UniqueConstraint(fields=["store", "role"], name="activity_quota_unique_role")
        ]

    def __str__(self):
        return f"{self.store} · {self.get_role_display()}"


class CalendarFeed(TimeStampedModel):
    """A user's private calendar subscription: whoever holds the token reads their plan."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True)

    objects = ScopedManager()

    scope_store_path = "user__store"
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)


class NotificationKind(models.TextChoices):
    DAILY_DIGEST = "daily_digest", _("Daily follow-up list")
    MANAGER_DIGEST = "manager_digest", _("Overdue summary of the store")
    MESSAGE = "message", _("Message")


class Notification(models.Model):
    """An in-app message for one user; reminders also record here what was sent and when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    store = models.ForeignKey(
        "org.Store",
        verbose_name=_("store"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(
        _("type"), max_length=30, choices=NotificationKind.choices, default=NotificationKind.MESSAGE
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    for_date = models.DateField(
        _("for date"),
        null=True,
        blank=True,
        help_text=_("The local day a daily reminder is for; one reminder of a kind per day."),
    )
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = ScopedManager()

    scope_store_path = "store"
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["user", "-created_at"], name="notification_recent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "for_date"],
                condition=models.Q(for_date__isnull=False),
                name="notification_once_per_day",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DailyLog(BusinessModel):
    """工作日志: what a consultant did today and what stays open, submitted before leaving."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="daily_logs",
    )
    date = models.DateField(_("date"))
    summary = models.TextField(_("work done today"))
    open_items = models.TextField(_("important open items"), blank=True)
    tomorrow = models.TextField(_("plan for tomorrow"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    scope_owner_path = "owner"

    class Meta:
        verbose_name = _("daily work log")
        verbose_name_plural = _("daily work logs")
        ordering = ["-date", "owner"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "date"], name="daily_log_one_per_day")
        ]

    def __str__(self):
        return f"{self.owner} {self.date:%Y-%m-%d}"


class LostRequest(BusinessModel):
    """A consultant's request to mark a lead lost (战败); a manager approves or returns it."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="lost_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="lost_requests",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=LostReason.choices)
    competitor = models.ForeignKey(
        "catalog.Series",
        verbose_name=_("competitor model bought"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    previous_level = models.CharField(_("level before"), max_length=1, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LostStatus.choices, default=LostStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("manager's note"), max_length=200, blank=True)

    scope_owner_path = "requested_by"

    class Meta:
        verbose_name = _("lost lead request")
        verbose_name_plural = _("lost lead requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status="pending"),
                name="one_pending_lost_request_per_customer",
            )
        ]
        indexes = [models.Index(fields=["store", "status", "decided_at"], name="lost_status_idx")]

    def __str__(self):
        return f"{self.customer} · {self.get_reason_display()}"
