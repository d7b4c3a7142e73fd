from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from dealerplan.core.models import (
    BusinessModel,
    HistoricalAuditModel,
    ScopedManager,
    ScopedQuerySet,
    TimeStampedModel,
)
from dealerplan.core.pinyin import search_keys

from .choices import AccountTier, CustomerKind, Gender, IntentionLevel, SourceChannel
from .search import MIN_PHONE_DIGITS, PLATE_FRAGMENT, VIN_FRAGMENT, search_customers  # noqa: F401


class CustomerQuerySet(ScopedQuerySet):
    def search(self, query: str):
        """Name, any 4+ digits of a phone, pinyin (full or initials), a VIN (full or tail) or a
        plate (full or 4+ characters) on one of the customer's orders."""
        return search_customers(self, query)


class Customer(BusinessModel):
    """A person or organisation the store sells to: a lead card until delivery, then an owner."""

    kind = models.CharField(
        _("type"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    phone = models.CharField(
        _("phone"),
        max_length=20,
        help_text=_("Mobile (11 digits) or landline with area code; unique within the store."),
    )
    wechat = models.CharField(_("WeChat ID"), max_length=50, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        help_text=_("The consultant responsible for this customer."),
    )
    source = models.CharField(
        _("source channel"),
        max_length=20,
        choices=SourceChannel.choices,
        default=SourceChannel.WALK_IN,
    )
    intention_level = models.CharField(
        _("intention level"),
        max_length=1,
        choices=IntentionLevel.choices,
        default=IntentionLevel.B,
    )
    account_tier = models.CharField(
        _("account tier"), max_length=10, choices=AccountTier.choices, default=AccountTier.OTHER
    )
    tier_overridden = models.BooleanField(
        _("tier set by hand"),
        default=False,
        help_text=_("When set, the yearly recomputation keeps the tier chosen by hand."),
    )
    intended_trim = models.ForeignKey(
        "catalog.Trim",
        verbose_name=_("intended trim"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    budget = models.DecimalField(
        _("budget"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    district = models.CharField(_("district"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    assigned_at = models.DateTimeField(
        _("owned since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the current owner took the customer (claim, assignment, transfer)."),
    )
    pool_since = models.DateTimeField(
        _("in the public pool since"), null=True, blank=True, editable=False, db_index=True
    )
    notes = models.TextField(_("notes"), blank=True)
    search_text = models.CharField(_("search keys"), max_length=500, blank=True, editable=False)

    objects = ScopedManager.from_queryset(CustomerQuerySet)()

    scope_owner_path = "owner"

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "phone"], name="customer_phone_unique_per_store"
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="customer_budget_not_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["store", "owner", "next_follow_up_at"], name="customer_follow_up_idx"
            ),
            models.Index(fields=["store", "intention_level"], name="customer_level_idx"),
            models.Index(fields=["store", "-created_at"], name="customer_recent_idx"),
            # The group's list: newest active customers of all stores, page 1 without a sort.
            models.Index(
                fields=["-created_at"],
                condition=Q(is_archived=False),
                name="customer_active_recent_idx",
            ),
            # The monthly visit tables list only the VIP and tier-1 accounts (3 % of the rows).
            models.Index(
                fields=["store", "owner"],
                condition=Q(
                    account_tier__in=[AccountTier.VIP, AccountTier.TIER1], is_archived=False
                ),
                name="customer_key_account_idx",
            ),
            # The overview's counts (customers, open leads, overdue, due today) of a store,
            # answered from the index alone.
            models.Index(
                fields=["store", "intention_level", "next_follow_up_at"],
                condition=Q(is_archived=False),
                name="customer_followup_idx",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("customers:customer_detail", args=[self.pk])

    def build_search_text(self) -> str:
        return search_keys(self.name)[:500]

    @property
    def is_open_lead(self) -> bool:
        return self.intention_level in IntentionLevel.open_levels()

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None and self.pool_since is not None

    def assignment_history(self, limit: int = 20):
        """Newest ownership moves first, with the people named, for the customer page."""
        return self.assignments.select_related("from_user", "to_user", "by")[:limit]


class Contact(TimeStampedModel):
    """A person at an organisation customer: who decides, and what they care about."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    title = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    interests = models.CharField(
        _("interests and hobbies"),
        max_length=200,
        blank=True,
        help_text=_("What they enjoy talking about: golf, tea, football..."),
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "customer__store"
    scope_owner_path = "customer__owner"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_decision_maker", "name"]

    def __str__(self):
        return self.name


class TierPolicy(TimeStampedModel):
    """Purchase thresholds (last 12 months, CNY) that place a customer in an account tier."""

    store = models.OneToOneField(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="tier_policy"
    )
    vip_min_amount = models.DecimalField(
        _("VIP from (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("1000000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    tier1_min_amount = models.DecimalField(
        _("tier 1 from (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("300000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    tier2_min_amount = models.DecimalField(
        _("tier 2 from (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("100000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    lookback_days = models.PositiveSmallIntegerField(_("look back (days)"), default=365)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("tier thresholds")
        verbose_name_plural = _("tier thresholds")

    def __str__(self):
        return str(self.store)


class LevelChange(models.Model):
    """One move of a customer between intention levels, for the monthly level report."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="level_changes",
    )
    from_level = models.CharField(
        _("from level"), max_length=1, choices=IntentionLevel.choices, blank=True
    )
    to_level = models.CharField(_("to level"), max_length=1, choices=IntentionLevel.choices)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedManager()

    scope_store_path = "customer__store"
    scope_owner_path = "customer__owner"

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["customer", "changed_at"], name="level_change_idx")]

    def __str__(self):
        return f"{self.customer}: {self.from_level or '·'} → {self.to_level}"


def import_upload_path(instance, filename: str) -> str:
    """Uploads are stored under a random name; the user's file name is kept on the job only."""
    import os
    import uuid

    extension = os.path.splitext(filename)[1].lower()[:8]
    return f"imports/{uuid.uuid4().hex}{extension}"


class ImportJobManager(ScopedManager):
    """Import jobs of one kind only (``kind=None``: every kind)."""

    def __init__(self, kind: str | None = None):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.kind is None else queryset.filter(kind=self.kind)


class ImportJob(TimeStampedModel):
    """One upload of customers and leads (or of a stock list): mapped, checked, previewed,
    then imported at once.

    ``objects`` holds customer imports only, so the customer pages, task and command never
    meet a stock list; ``stock_jobs`` holds the stock imports and ``all_kinds`` both.
    """

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        STOCK = "stock", _("Stock")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        PREVIEWED = "previewed", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class DuplicateAction(models.TextChoices):
        SKIP = "skip", _("Skip")
        MERGE = "merge", _("Merge into the existing customer")

    kind = models.CharField(
        pgettext_lazy("import", "kind"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.CUSTOMERS,
        editable=False,
    )
    store = models.ForeignKey(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.CASCADE,
        related_name="customer_imports",
    )
    original_filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(
        _("stored file"), upload_to=import_upload_path, max_length=255, blank=True
    )
    file_type = models.CharField(_("file type"), max_length=10)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    encoding = models.CharField(_("text encoding"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED, db_index=True
    )
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    headers = models.JSONField(_("column headers"), default=list, blank=True)
    sample_rows = models.JSONField(_("sample rows"), default=list, blank=True)
    mapping = models.JSONField(
        _("column mapping"), default=dict, blank=True, help_text=_("Column number → field.")
    )
    duplicate_action = models.CharField(
        _("duplicates"),
        max_length=10,
        choices=DuplicateAction.choices,
        default=DuplicateAction.SKIP,
    )
    row_actions = models.JSONField(
        _("actions per row"), default=dict, blank=True, help_text=_("Row number → skip or merge.")
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("customers created"), default=0)
    merged_count = models.PositiveIntegerField(_("rows merged"), default=0)
    skipped_count = models.PositiveIntegerField(_("rows skipped"), default=0)
    report = models.JSONField(_("check report"), default=dict, blank=True)
    error_summary = models.JSONField(_("error summary"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ImportJobManager(Kind.CUSTOMERS)
    stock_jobs = ImportJobManager(Kind.STOCK)
    all_kinds = ImportJobManager()

    scope_store_path = "store"
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-created_at"]
        default_manager_name = "all_kinds"
        indexes = [models.Index(fields=["user", "-created_at"], name="import_job_user_idx")]

    def __str__(self):
        return self.original_filename

    def get_absolute_url(self):
        if self.kind == self.Kind.STOCK:
            return reverse("inventory:import_job", args=[self.pk])
        return reverse("customers:import_job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


class PoolRule(TimeStampedModel):
    """公海规则: when an unattended lead returns to the store's public pool, and claim limits."""

    store = models.OneToOneField(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="pool_rule"
    )
    h_days = models.PositiveSmallIntegerField(
        _("level H: days without follow-up"),
        null=True,
        blank=True,
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: never recycled."),
    )
    a_days = models.PositiveSmallIntegerField(
        _("level A: days without follow-up"),
        null=True,
        blank=True,
        default=15,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: never recycled."),
    )
    b_days = models.PositiveSmallIntegerField(
        _("level B: days without follow-up"),
        null=True,
        blank=True,
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: never recycled."),
    )
    c_days = models.PositiveSmallIntegerField(
        _("level C: days without follow-up"),
        null=True,
        blank=True,
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: never recycled."),
    )
    recycle_lost = models.BooleanField(
        _("approved lost leads go to the pool"),
        default=True,
        help_text=_("A lead whose lost request was approved returns to the pool for others."),
    )
    claim_limit = models.PositiveIntegerField(
        _("claim limit (open leads per consultant)"),
        default=150,
        validators=[MinValueValidator(1)],
        help_text=_("A consultant holding this many open leads (H/A/B/C) cannot claim more."),
    )
    cooling_off_days = models.PositiveSmallIntegerField(
        _("cooling-off (days)"),
        default=30,
        help_text=_("Days before the previous owner may claim a lead back from the pool."),
    )

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("public pool rules")
        verbose_name_plural = _("public pool rules")

    def __str__(self):
        return str(self.store)

    def days_by_level(self) -> dict[str, int]:
        """Open levels that are recycled, with their day limits (``None`` levels left out)."""
        days = {"H": self.h_days, "A": self.a_days, "B": self.b_days, "C": self.c_days}
        return {level: n for level, n in days.items() if n}


class AssignmentKind(models.TextChoices):
    RECYCLED = "recycled", _("Recycled to the pool")
    RELEASED = "released", _("Released to the pool")
    CLAIMED = "claimed", _("Claimed from the pool")
    ASSIGNED = "assigned", _("Assigned by a manager")
    TRANSFERRED = "transferred", _("Transferred")
    HANDOVER = "handover", _("Departure handover")

    @classmethod
    def into_pool(cls) -> tuple[str, ...]:
        return (cls.RECYCLED, cls.RELEASED)


class CustomerAssignment(models.Model):
    """One move of a customer between owners or the public pool (``None`` side: the pool)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("assignment", "to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(
        pgettext_lazy("assignment", "kind"), max_length=20, choices=AssignmentKind.choices
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the nightly recycling."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = ScopedManager()

    scope_store_path = "customer__store"
    scope_owner_path = "customer__owner"

    class Meta:
        verbose_name = _("customer assignment")
        verbose_name_plural = _("customer assignments")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="assignment_customer_idx"),
            models.Index(fields=["from_user", "kind", "-at"], name="assignment_from_idx"),
        ]

    def __str__(self):
        return f"{self.customer}: {self.get_kind_display()}"
