"""The sidebar: which sections each role sees. Apps add their entries here as they gain pages."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role

MANAGER_ROLES = frozenset(Role.managers() | {Role.FINANCE, Role.MARKETING})


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str] | None = None  # None: every signed-in user
    staff_only: bool = False

    def allowed(self, user) -> bool:
        if self.staff_only and not user.is_staff:
            return False
        return self.roles is None or user.is_superuser or user.role in self.roles


NAV_ITEMS = [
    NavItem(_("My Day"), "activities:my_day", "sun"),
    NavItem(_("Overview"), "home", "house", roles=MANAGER_ROLES),
    NavItem(_("Calendar"), "calendar:week", "calendar-week"),
    NavItem(_("Plans"), "planning:plan_list", "bullseye"),
    NavItem(_("Monthly work plans"), "planning:document_list", "journal-text"),
    NavItem(_("Week plan"), "planning:week_plan", "calendar2-week"),
    NavItem(_("Monthly customer visit plan"), "planning:visit_plan", "geo-alt"),
    NavItem(_("Plan vs actual"), "planning:progress", "graph-up-arrow"),
    NavItem(_("Customers"), "customers:customer_list", "people"),
    NavItem(_("Traffic register"), "traffic:traffic_list", "door-open"),
    NavItem(_("Deals"), "deals:deal_list", "briefcase"),
    NavItem(_("Deal board"), "deals:board", "kanban"),
    NavItem(_("Project tracking"), "deals:tracking", "clipboard-data"),
    NavItem(_("Stock"), "inventory:vehicle_list", "car-front"),
    NavItem(_("Sales orders"), "orders:order_list", "receipt"),
    NavItem(_("Receivables"), "orders:receivables", "cash-coin"),
    NavItem(_("Daily report"), "activities:daily_report", "clipboard-data"),
    NavItem(_("Lead levels"), "activities:level_report", "bar-chart-steps"),
    NavItem(_("Lost leads"), "activities:lost_list", "x-octagon"),
    NavItem(
        _("Follow-up rules"),
        "activities:rules",
        "sliders",
        roles=frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN}),
    ),
    NavItem(_("Administration"), "admin:index", "gear", staff_only=True),
]


def nav_for(user, path: str) -> list[dict]:
    """The user's sidebar; only the entry whose address matches the page best is active."""
    items = []
    for item in NAV_ITEMS:
        if not item.allowed(user):
            continue
        url = reverse(item.url_name)
        items.append({"label": str(item.label), "url": url, "icon": item.icon, "active": False})
    matches = [
        i for i in items if (path == i["url"] if i["url"] == "/" else path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items
