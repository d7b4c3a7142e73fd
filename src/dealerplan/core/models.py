"""Base models every business record is composed from, and the one place scope is enforced."""

import functools

from django.db import models
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history import request_ip_address


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which rows a user may see.

    Models declare ``scope_store_path`` (lookup to the store id, ``None`` for data shared by the
    whole group) and ``scope_owner_path`` (lookup to the owning consultant, ``None`` when the
    whole store shares the record). Every list, detail, export, admin and API view starts from
    ``Model.objects.visible_to(user)``; nothing filters by hand.
    """

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_stores:
            return self
        store_path = getattr(self.model, "scope_store_path", None)
        if store_path is None:
            return self
        if user.store_id is None:
            return self.none()
        qs = self.filter(**{store_path: user.store_id})
        owner_path = getattr(self.model, "scope_owner_path", None)
        if owner_path and user.sees_only_own:
            qs = qs.filter(**{owner_path: user.pk})
        return qs

    def active(self):
        if hasattr(self.model, "is_archived"):
            return self.filter(is_archived=False)
        return self


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


@functools.lru_cache(maxsize=512)
def _choice_labels(field, language: str) -> dict:
    """A choice field's labels in one language, built once (Django rebuilds the mapping, and
    translates every label to hash it, on each ``get_FOO_display()``)."""
    return {key: force_str(label) for key, label in field.flatchoices}


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        """``get_FOO_display()`` from a cached label mapping; same result as Django's."""
        if not field.choices or isinstance(field.choices, CallableChoiceIterator):
            return super()._get_FIELD_display(field)  # choices that may change per call
        try:
            return _choice_labels(field, get_language() or "").get(
                getattr(self, field.attname), getattr(self, field.attname)
            )
        except TypeError:  # an unhashable value: Django's own way
            return super()._get_FIELD_display(field)


class ArchivableModel(models.Model):
    """Nothing is hard-deleted from the UI: records are archived, history keeps the rest."""

    is_archived = models.BooleanField(_("archived"), default=False, db_index=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        abstract = True

    def archive(self):
        self.is_archived = True
        self.archived_at = timezone.now()
        self.save(update_fields=["is_archived", "archived_at", "updated_at"])


class StoreScopedModel(models.Model):
    store = models.ForeignKey(
        "org.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="+"
    )

    scope_store_path = "store"
    scope_owner_path: str | None = None

    class Meta:
        abstract = True


class HistoricalAuditModel(models.Model):
    """Base of every historical table: where a change came from, beside who and when."""

    ip_address = models.GenericIPAddressField(
        _("client IP address"), null=True, blank=True, default=request_ip_address
    )

    class Meta:
        abstract = True


class BusinessModel(TimeStampedModel, ArchivableModel, StoreScopedModel):
    """A store's business record: timestamps, archive flag, store scope and an audit trail."""

    history = HistoricalRecords(inherit=True, bases=[HistoricalAuditModel])
    objects = ScopedManager()

    class Meta:
        abstract = True


def export_upload_path(job, filename: str) -> str:
    return f"exports/{job.user_id}/{job.pk}-{filename}"


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A file of exported rows belongs to whoever asked for it, and to nobody else."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user=user)


class ExportJob(TimeStampedModel):
    """A big list export written in the background; the page polls its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Writing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        "org.User",
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    path = models.CharField(_("list address"), max_length=255)
    query = models.TextField(_("filters"), blank=True)
    title = models.CharField(_("title"), max_length=100)
    filename = models.CharField(_("file name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_path, max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="export_job_user_idx")]

    def __str__(self):
        return self.filename

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


# --- personal information (个人信息保护法): export control and access logs -----------------


class ExportPolicy(TimeStampedModel):
    """May a role export a list, and how many rows before a manager must approve it.

    No row for (store, role, list): the defaults in ``exports_policy.DEFAULTS`` apply.
    """

    store = models.ForeignKey(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20)
    list_name = models.CharField(
        _("list"),
        max_length=100,
        help_text=_("The list's address name, e.g. customers:customer_list."),
    )
    allowed = models.BooleanField(_("may export"), default=True)
    max_rows_without_approval = models.PositiveIntegerField(
        _("rows without approval"),
        null=True,
        blank=True,
        help_text=_("Longer exports need a manager's approval. Empty: no limit."),
    )

    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("export permission")
        verbose_name_plural = _("export permissions")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "role", "list_name"], name="export_policy_unique"
            )
        ]

    def __str__(self):
        return f"{self.store} · {self.role} · {self.list_name}"


class ExportRequest(TimeStampedModel):
    """An export longer than the policy allows: requested, then approved or declined by a
    manager; an approved request downloads once."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", pgettext_lazy("export request", "Declined")
        DOWNLOADED = "downloaded", _("Downloaded")

    user = models.ForeignKey(
        "org.User", verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    store = models.ForeignKey(
        "org.Store",
        verbose_name=_("store"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    list_name = models.CharField(_("list"), max_length=100)
    title = models.CharField(_("title"), max_length=100)
    path = models.CharField(_("list address"), max_length=255)
    query = models.TextField(_("filters"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.REQUESTED,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        "org.User",
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)

    objects = ScopedManager()

    scope_store_path = "store"
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("export request")
        verbose_name_plural = _("export requests")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.title} ({self.row_count})"


class ExportLog(models.Model):
    """One export that left the system: who, which list, which filters, how many rows."""

    user = models.ForeignKey(
        "org.User", verbose_name=_("exported by"), on_delete=models.PROTECT, related_name="+"
    )
    store = models.ForeignKey(
        "org.Store",
        verbose_name=_("store"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    list_name = models.CharField(_("list"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    query = models.TextField(_("filters"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    request = models.ForeignKey(
        ExportRequest,
        verbose_name=_("approval"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = ScopedManager()

    scope_store_path = "store"
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["store", "-at"], name="export_log_store_idx")]

    def __str__(self):
        return f"{self.list_name} · {self.row_count}"


class PhoneReveal(models.Model):
    """A full phone number shown on purpose to someone who sees it masked."""

    user = models.ForeignKey(
        "org.User", verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(_("client IP address"), null=True, blank=True)

    objects = ScopedManager()

    scope_store_path = "customer__store"
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("phone number shown")
        verbose_name_plural = _("phone numbers shown")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="phone_reveal_user_idx")]

    def __str__(self):
        return f"{self.user} · {self.customer_id}"


class PersonalDataRequest(models.Model):
    """A data subject's request: everything held about a customer exported, or erased."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export of personal data")
        ERASE = "erase", _("Erasure of personal data")

    kind = models.CharField(pgettext_lazy("request", "kind"), max_length=10, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    store = models.ForeignKey(
        "org.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+"
    )
    by = models.ForeignKey(
        "org.User", verbose_name=_("done by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reason = models.CharField(_("reason"), max_length=200)
    file_format = models.CharField(_("format"), max_length=10, blank=True)

    objects = ScopedManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.customer_id}"
