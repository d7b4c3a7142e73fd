from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dealerplan.core.choices import Role
from dealerplan.core.models import HistoricalAuditModel, ScopedQuerySet, TimeStampedModel
from dealerplan.core.phone import normalize_phone


class Store(TimeStampedModel):
    """A dealership (4S store); the unit of scope for everything else."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedQuerySet.as_manager()

    scope_store_path = "pk"

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Team(TimeStampedModel):
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=100)
    leader = models.ForeignKey(
        "org.User",
        verbose_name=_("leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedQuerySet.as_manager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["store", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="team_name_unique_per_store")
        ]

    def __str__(self):
        return self.name


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A member of staff. The role decides scope; the store anchors it."""

    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CONSULTANT)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    history = HistoricalRecords(bases=[HistoricalAuditModel])
    objects = ScopedUserManager()

    scope_store_path = "store"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.display_name

    def clean(self):
        super().clean()
        if self.phone:
            self.phone = normalize_phone(self.phone)

    @property
    def display_name(self) -> str:
        full = f"{self.last_name}{self.first_name}".strip()
        return full or self.username

    def get_full_name(self) -> str:
        # Chinese names put the family name first, without a space.
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def sees_all_stores(self) -> bool:
        return self.is_superuser or self.role in Role.group_wide()

    @property
    def sees_only_own(self) -> bool:
        return not self.sees_all_stores and self.role == Role.CONSULTANT

    @property
    def is_manager(self) -> bool:
        return self.is_superuser or self.role in Role.managers()
