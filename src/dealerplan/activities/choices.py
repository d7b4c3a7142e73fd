from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")
    RECEPTION = "reception", _("Showroom reception")
    TEST_DRIVE = "test_drive", _("Test drive")
    MESSAGE = "message", _("Message (WeChat / SMS)")
    #: A record on the customer's timeline that is not a contact (e.g. a deal changed stage).
    NOTE = "note", _("Note")

    @classmethod
    def contacts(cls) -> frozenset[str]:
        """Kinds that count as contact with the customer (last contact, follow-up rhythm)."""
        return frozenset(set(cls.values) - {cls.NOTE})


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached, interested")
    NO_ANSWER = "no_answer", _("No answer")
    APPOINTMENT = "appointment", _("Appointment made")
    QUOTED = "quoted", _("Quotation given")
    ORDERED = "ordered", _("Ordered")
    NOT_INTERESTED = "not_interested", _("Not interested")
    OTHER = "other", _("Other")


class TrafficKind(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    CALL_IN = "call_in", _("Call-in")
    ONLINE = "online", _("Online enquiry")


class VisitType(models.TextChoices):
    FIRST = "F", _("First visit (F)")
    REPEAT = "S", _("Repeat visit (S)")


class LostReason(models.TextChoices):
    """Standard 战败 reason codes, so the monthly analysis can count them."""

    COMPETITOR = "competitor", _("Bought a competitor's car")
    PRICE = "price", _("Price or discount")
    BUDGET = "budget", _("Budget not enough")
    POSTPONED = "postponed", _("Purchase postponed")
    OTHER_DEALER = "other_dealer", _("Bought our brand at another dealer")
    USED_CAR = "used_car", _("Bought a used car")
    UNREACHABLE = "unreachable", _("Cannot be reached")
    PRODUCT = "product", _("Product does not fit (space, power, range)")
    OTHER = "other", _("Other")


class LostStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned to the consultant")
