"""Base models every business record is composed from, and the one place scope is enforced."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


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


class BusinessModel(TimeStampedModel, ArchivableModel, StoreScopedModel):
    """A store's business record: timestamps, archive flag, store scope and an audit trail."""

    history = HistoricalRecords(inherit=True)
    objects = ScopedManager()

    class Meta:
        abstract = True
