"""The sidebar: which sections each role sees. Apps add their entries here as they gain pages."""

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .choices import Role

MANAGER_ROLES = frozenset(Role.managers() | {Role.FINANCE, Role.MARKETING})
#: The sales floor and its managers: leads, deals, stock and plans.
SALES_ROLES = frozenset(Role.managers() | {Role.CONSULTANT})
#: Customers and the traffic register: sales, and marketing for its campaigns and sources.
CUSTOMER_ROLES = SALES_ROLES | {Role.MARKETING}
#: Orders and receivables: sales, and finance for invoices and payments.
ORDER_ROLES = SALES_ROLES | {Role.FINANCE}


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str] | None = None  # None: every signed-in user
    staff_only: bool = False
    section: str = ""
    needs_store: bool = False  # the page works on the user's own store (403 without one)

    def allowed(self, user) -> bool:
        if self.staff_only and not user.is_staff:
            return False
        if self.needs_store and user.store_id is None:
            return False
        return self.roles is None or user.is_superuser or user.role in self.roles


# Section headings have their own translation context: "Plans" the heading is not "Plans" the page.
WORK = pgettext_lazy("nav section", "My work")
CUSTOMERS = pgettext_lazy("nav section", "Customers")
SALES = pgettext_lazy("nav section", "Sales")
PLANS = pgettext_lazy("nav section", "Plans")
REPORTS = pgettext_lazy("nav section", "Reports")
SETTINGS = pgettext_lazy("nav section", "Settings")
RULE_EDITORS = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN})

NAV_ITEMS = [
    NavItem(_("My Day"), "activities:my_day", "sun", section=WORK),
    NavItem(_("Overview"), "home", "house", roles=MANAGER_ROLES, section=WORK),
    NavItem(_("Calendar"), "calendar:week", "calendar-week", roles=SALES_ROLES, section=WORK),
    NavItem(
        _("Week plan"), "planning:week_plan", "calendar2-week", roles=SALES_ROLES, section=WORK
    ),
    NavItem(
        _("Customers"),
        "customers:customer_list",
        "people",
        roles=CUSTOMER_ROLES,
        section=CUSTOMERS,
    ),
    NavItem(
        _("Traffic register"),
        "traffic:traffic_list",
        "door-open",
        roles=CUSTOMER_ROLES,
        section=CUSTOMERS,
    ),
    NavItem(_("Public pool"), "customers:pool", "inboxes", roles=SALES_ROLES, section=CUSTOMERS),
    NavItem(
        _("Lost leads"),
        "activities:lost_list",
        "x-octagon",
        roles=SALES_ROLES,
        section=CUSTOMERS,
    ),
    NavItem(_("Deals"), "deals:deal_list", "briefcase", roles=SALES_ROLES, section=SALES),
    NavItem(_("Deal board"), "deals:board", "kanban", roles=SALES_ROLES, section=SALES),
    NavItem(
        _("Project tracking"),
        "deals:tracking",
        "clipboard-data",
        roles=SALES_ROLES,
        section=SALES,
    ),
    NavItem(_("Sales orders"), "orders:order_list", "receipt", roles=ORDER_ROLES, section=SALES),
    NavItem(_("Receivables"), "orders:receivables", "cash-coin", roles=ORDER_ROLES, section=SALES),
    NavItem(
        _("Monthly reconciliation"),
        "finance:reconciliation",
        "journal-check",
        roles=frozenset(
            {Role.FINANCE, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_MANAGER, Role.ADMIN}
        ),
        section=SALES,
    ),
    NavItem(_("Stock"), "inventory:vehicle_list", "car-front", roles=SALES_ROLES, section=SALES),
    NavItem(
        _("Stock summary"), "inventory:stock_summary", "grid-3x3", roles=SALES_ROLES, section=SALES
    ),
    NavItem(_("Factory orders"), "reorder:current", "truck", roles=Role.managers(), section=SALES),
    NavItem(_("Plans"), "planning:plan_list", "bullseye", roles=SALES_ROLES, section=PLANS),
    NavItem(
        _("Plan vs actual"),
        "planning:progress",
        "graph-up-arrow",
        roles=SALES_ROLES,
        section=PLANS,
    ),
    NavItem(
        _("Monthly work plans"),
        "planning:document_list",
        "journal-text",
        roles=SALES_ROLES,
        section=PLANS,
    ),
    NavItem(
        _("Monthly customer visit plan"),
        "planning:visit_plan",
        "geo-alt",
        roles=SALES_ROLES,
        section=PLANS,
    ),
    NavItem(_("Daily report"), "activities:daily_report", "clipboard-data", section=REPORTS),
    NavItem(_("Lead levels"), "activities:level_report", "bar-chart-steps", section=REPORTS),
    NavItem(_("Sales reports"), "reports:hub", "table", section=REPORTS),
    NavItem(
        _("Dashboard"), "reports:dashboard", "speedometer2", roles=SALES_ROLES, section=REPORTS
    ),
    NavItem(
        _("Follow-up rules"),
        "activities:rules",
        "sliders",
        roles=RULE_EDITORS,
        section=SETTINGS,
        needs_store=True,
    ),
    NavItem(
        _("Export log"),
        "exports:log",
        "journal-arrow-down",
        roles=Role.managers(),
        section=SETTINGS,
    ),
    NavItem(
        _("Export rules"), "exports:policy", "shield-lock", roles=Role.managers(), section=SETTINGS
    ),
    NavItem(_("Administration"), "admin:index", "gear", staff_only=True, section=SETTINGS),
]


def nav_for(user, path: str) -> list[dict]:
    """The user's sidebar; only the entry whose address matches the page best is active."""
    items = [dict(item) for item in _entries(*_nav_key(user))]
    matches = [
        i for i in items if (path == i["url"] if i["url"] == "/" else path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items


def _nav_key(user) -> tuple:
    """Everything ``NavItem.allowed`` and the labels depend on."""
    return (
        user.role,
        user.is_superuser,
        user.is_staff,
        user.store_id is None,
        get_language(),
        get_script_prefix(),
    )


@lru_cache(maxsize=256)
def _entries(role, is_superuser, is_staff, no_store, language, prefix) -> tuple[dict, ...]:
    """The sidebar of one kind of user, built once: every page shows it, the URLs never change."""
    who = SimpleNamespace(
        role=role,
        is_superuser=is_superuser,
        is_staff=is_staff,
        store_id=None if no_store else 0,
    )
    entries = []
    for item in NAV_ITEMS:
        if not item.allowed(who):
            continue
        section = str(item.section)
        entries.append(
            {
                "label": str(item.label),
                "url": reverse(item.url_name),
                "icon": item.icon,
                "active": False,
                "section": section,
                "new_section": bool(section) and (not entries or entries[-1]["section"] != section),
            }
        )
    return tuple(entries)
