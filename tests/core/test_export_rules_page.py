"""导出权限: a store's managers set which roles export which list and from how many rows
an approval is needed; bad input saves nothing; another store's rules are out of reach."""

import pytest
from django.urls import reverse

from dealerplan.core.choices import Role
from dealerplan.core.exports_policy import (
    EDITABLE_LISTS,
    EDITABLE_ROLES,
    default_policy,
    policy_for,
)
from dealerplan.core.models import ExportPolicy

URL = reverse("exports:policy")


def form_for(store, **changes):
    """The grid as the page shows it with the defaults, then ``changes`` on top."""
    data = {"store": store.pk}
    for name in EDITABLE_LISTS:
        for role in EDITABLE_ROLES:
            policy = default_policy(role, name)
            key = f"{role}:{name}"
            if policy.allowed:
                data[f"allowed-{key}"] = "on"
            data[f"max-{key}"] = "" if policy.max_rows is None else str(policy.max_rows)
    data.update(changes)
    return data


def test_the_defaults_saved_unchanged_store_no_rule(personas, login):
    response = login(personas.sales_manager).post(URL, form_for(personas.store))
    assert response.status_code == 302
    assert not ExportPolicy.objects.exists()


def test_a_manager_lets_consultants_export_customers_up_to_a_limit(personas, login):
    key = "consultant:customers:customer_list"
    data = form_for(personas.store, **{f"allowed-{key}": "on", f"max-{key}": "1,000"})
    response = login(personas.sales_manager).post(URL, data)
    assert response.status_code == 302
    policy = policy_for(personas.consultant, "customers:customer_list")
    assert policy.allowed and policy.max_rows == 1000
    assert ExportPolicy.objects.count() == 1


def test_a_bad_row_limit_is_named_and_nothing_is_saved(personas, login):
    good, bad = "consultant:customers:customer_list", "finance:orders:order_list"
    data = form_for(personas.store, **{f"allowed-{good}": "on", f"max-{bad}": "十"})
    response = login(personas.sales_manager).post(URL, data)
    assert response.status_code == 400
    assert "销售订单" in response.text and "财务" in response.text
    assert not ExportPolicy.objects.exists()


def test_the_page_shows_each_list_and_role(personas, login):
    response = login(personas.general_manager).get(URL)
    assert response.status_code == 200
    for label in ("客户", "应收账款", "月度对账"):
        assert label in response.text
    assert str(Role(Role.MARKETING).label) in response.text


def test_consultants_may_not_edit_the_rules(personas, login):
    assert login(personas.consultant).get(URL).status_code == 403


def test_another_stores_rules_are_a_404(personas, login):
    client = login(personas.other_manager)
    assert client.get(URL, {"store": personas.store.pk}).status_code == 404
    assert client.post(URL, form_for(personas.store)).status_code == 404
    assert not ExportPolicy.objects.exists()


def test_the_group_picks_a_store(personas, login):
    client = login(personas.group_manager)
    response = client.get(URL, {"store": personas.other_store.pk})
    assert response.status_code == 200 and personas.other_store.name in response.text
    key = "marketing:deals:deal_list"
    client.post(URL, form_for(personas.other_store, **{f"max-{key}": "5"}))
    assert ExportPolicy.objects.get().store == personas.other_store


@pytest.mark.parametrize("persona", ["sales_manager", "showroom_manager"])
def test_managers_find_the_rules_and_the_log_in_the_sidebar(personas, login, persona):
    text = login(getattr(personas, persona)).get(reverse("exports:log")).text
    assert URL in text and reverse("exports:log") in text


def test_the_rules_page_keeps_its_query_count_as_rules_and_exports_grow(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.sales_manager)
    client.get(URL)  # the first request stamps the session

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    before = count()
    for name in EDITABLE_LISTS:
        for role in EDITABLE_ROLES:
            ExportPolicy.objects.create(
                store=personas.store, role=role, list_name=name, max_rows_without_approval=7
            )
    assert count() == before
