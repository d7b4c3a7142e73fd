from django.db import models
from django.utils.translation import gettext_lazy as _


class PipelineKind(models.TextChoices):
    RETAIL = "retail", _("Retail")
    FLEET = "fleet", _("Fleet / tender")


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
