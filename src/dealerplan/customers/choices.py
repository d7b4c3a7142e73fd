from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANIZATION = "organization", _("Organization")


class IntentionLevel(models.TextChoices):
    """Lead temperature (H/A/B/C open), then ordered, delivered or lost."""

    H = "H", _("H · buys within 7 days")
    A = "A", _("A · buys within a month")
    B = "B", _("B · buys within 3 months")
    C = "C", _("C · longer term")
    O = "O", _("O · ordered")  # noqa: E741
    D = "D", _("D · delivered (owner)")
    F = "F", _("F · lost")

    @classmethod
    def open_levels(cls) -> tuple[str, ...]:
        return (cls.H, cls.A, cls.B, cls.C)


#: Priority when sorting follow-ups: hottest first.
LEVEL_PRIORITY = {"H": 0, "A": 1, "B": 2, "C": 3, "O": 4, "D": 5, "F": 6}


class AccountTier(models.TextChoices):
    VIP = "vip", _("VIP")
    TIER1 = "tier1", _("Tier 1")
    TIER2 = "tier2", _("Tier 2")
    OTHER = "other", _("Other")


class SourceChannel(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE_IN = "phone_in", _("Phone call-in")
    ONLINE = "online", _("Online")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event or trade show")
    OUTBOUND = "outbound", _("Outbound call or visit")
    FLEET = "fleet", _("Fleet / tender")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")
