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

from dealerplan.core.models import BusinessModel, ScopedManager, ScopedQuerySet, TimeStampedModel
from dealerplan.core.phone import phone_search_digits
from dealerplan.core.pinyin import search_keys

from .choices import AccountTier, CustomerKind, Gender, IntentionLevel, SourceChannel


class CustomerQuerySet(ScopedQuerySet):
    def search(self, query: str):
        """Name, phone fragment or pinyin (full or initials), through one indexed text column."""
        query = (query or "").strip().lower()
        if not query:
            return self
        digits = phone_search_digits(query)
        if digits and len(digits) >= 3 and len(digits) == len(query.replace(" ", "")):
            return self.filter(phone__contains=digits)
        return self.filter(Q(name__icontains=query) | Q(search_text__contains=query))


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

    history = HistoricalRecords()
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
        _("VIP from (CNY)"), max_digits=14, decimal_places=2, default=Decimal("1000000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    tier1_min_amount = models.DecimalField(
        _("tier 1 from (CNY)"), max_digits=14, decimal_places=2, default=Decimal("300000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    tier2_min_amount = models.DecimalField(
        _("tier 2 from (CNY)"), max_digits=14, decimal_places=2, default=Decimal("100000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    lookback_days = models.PositiveSmallIntegerField(_("look back (days)"), default=365)

    history = HistoricalRecords()
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
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
        related_name="level_changes",
    )
    from_level = models.CharField(
        _("from level"), max_length=1, choices=IntentionLevel.choices, blank=True
    )
    to_level = models.CharField(_("to level"), max_length=1, choices=IntentionLevel.choices)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    activity = models.ForeignKey(
        "activities.Activity", verbose_name=_("activity"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
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
