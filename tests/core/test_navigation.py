"""The sidebar is trimmed by role, and never links to a page that would refuse the user."""

import pytest

from dealerplan.core.choices import Role
from dealerplan.core.navigation import nav_for
from tests.factories import UserFactory

PERSONA_ROLES = {
    Role.CONSULTANT: "consultant",
    Role.SHOWROOM_MANAGER: "showroom_manager",
    Role.SALES_MANAGER: "sales_manager",
    Role.GENERAL_MANAGER: "general_manager",
    Role.FINANCE: "finance",
    Role.GROUP_MANAGER: "group_manager",
}


def user_for(personas, role):
    if role in PERSONA_ROLES:
        return getattr(personas, PERSONA_ROLES[role])
    if role == Role.MARKETING:
        return UserFactory(username="marketing", store=personas.store, role=Role.MARKETING)
    # An administrator of the whole group: staff, no store of their own.
    return UserFactory(username="admin", store=None, role=Role.ADMIN, is_staff=True)


def opens(client, url) -> int:
    """Final status of a sidebar link; a redirect must land on a page, not on the login."""
    response = client.get(url, follow=True)
    landed = response.redirect_chain[-1][0] if response.redirect_chain else url
    signed_out = landed.startswith(("/accounts/login/", "/admin/login/"))
    return 401 if signed_out else response.status_code


def sidebar(user) -> dict[str, str]:
    """Links of the user's sidebar by their (English) label."""
    from django.utils import translation

    with translation.override("en"):
        return {item["label"]: item["url"] for item in nav_for(user, "/")}


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_every_sidebar_link_opens_for_the_role(login, personas, role):
    user = user_for(personas, role)
    client = login(user)
    links = sidebar(user)
    assert links, "every role has a sidebar"
    refused = {
        label: status for label, url in links.items() if (status := opens(client, url)) != 200
    }
    assert refused == {}


@pytest.mark.django_db
def test_superuser_without_store_gets_no_link_that_needs_one(login, personas):
    root = UserFactory(username="root", store=None, role=Role.ADMIN, is_staff=True)
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])
    client = login(root)
    links = sidebar(root)
    assert "Follow-up rules" not in links
    assert {label: opens(client, url) for label, url in links.items()} == {
        label: 200 for label in links
    }


@pytest.mark.django_db
def test_finance_sees_money_and_reports_not_the_sales_floor(personas):
    links = sidebar(personas.finance)
    for label in ("My Day", "Sales orders", "Receivables", "Daily report", "Lead levels"):
        assert label in links
    for label in (
        "Deal board",
        "Deals",
        "Project tracking",
        "Plans",
        "Monthly work plans",
        "Follow-up rules",
        "Customers",
        "Traffic register",
        "Week plan",
    ):
        assert label not in links


@pytest.mark.django_db
def test_marketing_sees_customers_traffic_and_reports(personas):
    links = sidebar(user_for(personas, Role.MARKETING))
    for label in ("My Day", "Customers", "Traffic register", "Daily report", "Lead levels"):
        assert label in links
    for label in ("Deal board", "Sales orders", "Receivables", "Plans", "Follow-up rules"):
        assert label not in links


@pytest.mark.django_db
def test_consultant_sees_the_sales_floor_without_manager_entries(personas):
    links = sidebar(personas.consultant)
    for label in ("My Day", "Customers", "Deal board", "Sales orders", "Plans", "Week plan"):
        assert label in links
    for label in ("Overview", "Follow-up rules", "Administration"):
        assert label not in links


@pytest.mark.django_db
def test_sales_manager_keeps_every_section(personas):
    links = sidebar(personas.sales_manager)
    for label in ("Overview", "Deal board", "Receivables", "Plans", "Follow-up rules"):
        assert label in links
