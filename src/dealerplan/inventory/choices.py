from django.db import models
from django.utils.translation import gettext_lazy as _


class VehicleStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered from factory")
    IN_TRANSIT = "in_transit", _("In transit")
    IN_STOCK = "in_stock", _("In stock")
    RESERVED = "reserved", _("Reserved")
    SOLD = "sold", _("Sold")
    DELIVERED = "delivered", _("Delivered")

    @classmethod
    def current(cls) -> tuple[str, ...]:
        """Vehicles the store still holds or awaits: what the stock page shows by default."""
        return (cls.ORDERED, cls.IN_TRANSIT, cls.IN_STOCK, cls.RESERVED)
