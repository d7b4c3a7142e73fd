from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodType(models.TextChoices):
    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")
    DAY = "day", _("Day")


class PlanScope(models.TextChoices):
    STORE = "store", _("Store")
    TEAM = "team", _("Team")
    CONSULTANT = "consultant", _("Consultant")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")
    LOCKED = "locked", _("Locked")


class Metric(models.TextChoices):
    """What a plan line counts; units and activity counts are whole, money is to the fen."""

    UNITS = "units", _("Units")
    REVENUE = "revenue", _("Revenue")
    GROSS_PROFIT = "gross_profit", _("Gross profit")
    NEW_CARDS = "new_cards", _("New lead cards")
    CALLS = "calls", _("Calls")
    VISITS = "visits", _("Visits")
    TEST_DRIVES = "test_drives", _("Test drives")

    @classmethod
    def money(cls) -> frozenset[str]:
        return frozenset({cls.REVENUE, cls.GROSS_PROFIT})
