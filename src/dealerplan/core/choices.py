from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A user's job in the dealership; it decides what they see (see ``visible_to``)."""

    CONSULTANT = "consultant", _("Sales consultant")
    SHOWROOM_MANAGER = "showroom_manager", _("Showroom manager")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    GENERAL_MANAGER = "general_manager", _("General manager")
    FINANCE = "finance", _("Finance")
    MARKETING = "marketing", _("Marketing")
    GROUP_MANAGER = "group_manager", _("Group management")
    ADMIN = "admin", _("Administrator")

    @classmethod
    def group_wide(cls) -> frozenset[str]:
        """Roles that see every store."""
        return frozenset({cls.GROUP_MANAGER, cls.ADMIN})

    @classmethod
    def managers(cls) -> frozenset[str]:
        """Roles that see and manage all of their own store's records."""
        return frozenset(
            {
                cls.SHOWROOM_MANAGER,
                cls.SALES_MANAGER,
                cls.GENERAL_MANAGER,
                cls.GROUP_MANAGER,
                cls.ADMIN,
            }
        )
