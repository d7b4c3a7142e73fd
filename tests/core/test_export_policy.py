"""Exports are a permission per role and list, need a manager's approval above a row limit,
are all logged, and carry who exported them in the workbook's properties."""

import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dealerplan.core.choices import Role
from dealerplan.core.exports_policy import MSG_REFUSED, default_policy
from dealerplan.core.models import ExportLog, ExportPolicy, ExportRequest
from tests.factories import CustomerFactory, SalesOrderFactory, UserFactory

CUSTOMERS = reverse("customers:customer_list")
ORDERS = reverse("orders:order_list")
LOG = reverse("exports:log")


@pytest.fixture
def marketing(personas):
    return UserFactory(username="marketing", store=personas.store, role=Role.MARKETING)


@pytest.fixture
def data(personas):
    customers = [CustomerFactory(owner=personas.consultant, name=f"甲{n}") for n in range(3)]
    for customer in customers:
        SalesOrderFactory(customer=customer)
    return customers


def workbook(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("persona", "url", "allowed"),
    [
        ("consultant", CUSTOMERS, False),
        ("finance", CUSTOMERS, False),
        ("marketing", CUSTOMERS, False),
        ("showroom_manager", CUSTOMERS, True),
        ("sales_manager", CUSTOMERS, True),
        ("general_manager", CUSTOMERS, True),
        ("group_manager", CUSTOMERS, True),
        ("consultant", ORDERS, True),
        ("finance", ORDERS, True),
        ("marketing", ORDERS, False),
        ("sales_manager", ORDERS, True),
    ],
)
def test_each_role_may_or_may_not_export_each_list(
    personas, data, marketing, login, persona, url, allowed
):
    user = marketing if persona == "marketing" else getattr(personas, persona)
    response = login(user).get(url + "?export=xlsx")
    if allowed:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        log = ExportLog.objects.get()
        assert (log.user, log.row_count) == (user, 3)
    else:
        assert response.status_code == 302
        assert response["Location"] == url
        list_title = "客户" if url == CUSTOMERS else "销售订单"
        assert message_texts(response) == [str(MSG_REFUSED % {"list": list_title})]
        assert not ExportLog.objects.exists()


def test_the_refusal_message_is_in_chinese(personas, data, login):
    response = login(personas.consultant).get(CUSTOMERS + "?export=xlsx", follow=True)
    message = str(MSG_REFUSED % {"list": "客户"})
    assert message in response.content.decode()
    assert "“客户”" in message  # the list named in Chinese; the sentence from the catalogue
    assert not ExportLog.objects.exists()


def test_a_stores_policy_overrides_the_default(personas, data, login):
    ExportPolicy.objects.create(
        store=personas.store,
        role=Role.CONSULTANT,
        list_name="customers:customer_list",
        allowed=True,
        max_rows_without_approval=100,
    )
    ExportPolicy.objects.create(
        store=personas.store, role=Role.FINANCE, list_name="orders:order_list", allowed=False
    )
    assert login(personas.consultant).get(CUSTOMERS + "?export=xlsx").status_code == 200
    assert login(personas.finance).get(ORDERS + "?export=xlsx").status_code == 302


def test_another_stores_policy_does_not_apply(personas, data, login):
    ExportPolicy.objects.create(
        store=personas.other_store,
        role=Role.CONSULTANT,
        list_name="customers:customer_list",
        allowed=True,
    )
    assert login(personas.consultant).get(CUSTOMERS + "?export=xlsx").status_code == 302


def test_the_log_records_user_store_list_filters_and_rows(personas, data, login):
    login(personas.sales_manager).get(CUSTOMERS + "?export=xlsx&q=甲1&page=2")
    log = ExportLog.objects.get()
    assert log.user == personas.sales_manager
    assert log.store == personas.store
    assert log.list_name == "customers:customer_list"
    assert log.query == "q=%E7%94%B21"
    assert log.row_count == 1


def test_the_log_page_lists_the_stores_exports_for_managers_only(personas, data, login):
    login(personas.sales_manager).get(CUSTOMERS + "?export=xlsx")
    login(personas.other_manager).get(reverse("orders:order_list") + "?export=xlsx")
    page = login(personas.general_manager).get(LOG)
    assert page.status_code == 200
    assert personas.sales_manager.display_name in page.text
    assert personas.other_manager.display_name not in page.text
    for user in (personas.consultant, personas.finance):
        assert login(user).get(LOG).status_code == 403


def test_the_log_page_does_a_fixed_number_of_queries(personas, data, login):
    client = login(personas.sales_manager)
    client.get(CUSTOMERS + "?export=xlsx")
    with CaptureQueriesContext(connection) as few:
        client.get(LOG)
    for _ in range(10):
        client.get(CUSTOMERS + "?export=xlsx")
    with CaptureQueriesContext(connection) as many:
        client.get(LOG)
    assert len(many) == len(few)


# -- approval of long exports -----------------------------------------------------------------


@pytest.fixture
def small_limit(settings):
    settings.EXPORT_ROWS_WITHOUT_APPROVAL = 2


def test_a_long_export_becomes_a_request_and_downloads_once_after_approval(
    personas, data, login, small_limit
):
    consultant = login(personas.consultant)
    response = consultant.get(ORDERS + "?export=xlsx&status=")
    assert response.status_code == 302
    request = ExportRequest.objects.get()
    assert response["Location"] == reverse("exports:request", args=[request.pk])
    assert (request.status, request.row_count, request.user) == (
        ExportRequest.Status.REQUESTED,
        3,
        personas.consultant,
    )
    assert not ExportLog.objects.exists()
    # Asking again does not pile up requests.
    consultant.get(ORDERS + "?export=xlsx&status=")
    assert ExportRequest.objects.count() == 1
    # Not approved yet: no download link.
    page = consultant.get(reverse("exports:request", args=[request.pk]))
    assert "export_request=" not in page.text

    manager = login(personas.sales_manager)
    assert request.title in manager.get(LOG).text
    manager.post(reverse("exports:decide", args=[request.pk]), {"decision": "approve"})
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (
        ExportRequest.Status.APPROVED,
        personas.sales_manager,
    )

    consultant = login(personas.consultant)
    page = consultant.get(reverse("exports:request", args=[request.pk]))
    download = f"{ORDERS}?status=&export=xlsx&export_request={request.pk}"
    assert download.replace("&", "&amp;") in page.text
    response = consultant.get(download)
    assert response.status_code == 200
    assert len(list(workbook(response).active.iter_rows())) == 4
    log = ExportLog.objects.get()
    assert (log.request, log.row_count) == (request, 3)
    request.refresh_from_db()
    assert request.status == ExportRequest.Status.DOWNLOADED
    # Once only.
    again = consultant.get(download)
    assert again.status_code == 302
    assert ExportLog.objects.count() == 1


def test_an_approval_does_not_cover_other_filters(personas, data, login, small_limit):
    login(personas.consultant).get(ORDERS + "?export=xlsx")
    request = ExportRequest.objects.get()
    request.status = ExportRequest.Status.APPROVED
    request.save()
    response = login(personas.consultant).get(
        f"{ORDERS}?export=xlsx&q=SO&export_request={request.pk}"
    )
    assert response.status_code == 302
    assert not ExportLog.objects.exists()


def test_a_declined_request_never_downloads(personas, data, login, small_limit):
    login(personas.consultant).get(ORDERS + "?export=xlsx")
    request = ExportRequest.objects.get()
    login(personas.sales_manager).post(
        reverse("exports:decide", args=[request.pk]), {"decision": "decline"}
    )
    request.refresh_from_db()
    assert request.status == ExportRequest.Status.DECLINED
    response = login(personas.consultant).get(f"{ORDERS}?export=xlsx&export_request={request.pk}")
    assert response.status_code == 302
    assert not ExportLog.objects.exists()


def test_only_a_manager_of_the_store_decides(personas, data, login, small_limit):
    login(personas.consultant).get(ORDERS + "?export=xlsx")
    request = ExportRequest.objects.get()
    decide = reverse("exports:decide", args=[request.pk])
    assert login(personas.finance).post(decide, {"decision": "approve"}).status_code == 403
    assert login(personas.other_manager).post(decide, {"decision": "approve"}).status_code == 404
    assert (
        login(personas.colleague).get(reverse("exports:request", args=[request.pk])).status_code
        == 404
    )
    request.refresh_from_db()
    assert request.status == ExportRequest.Status.REQUESTED


def test_managers_need_no_approval_however_long(personas, data, login, small_limit):
    assert login(personas.sales_manager).get(ORDERS + "?export=xlsx").status_code == 200
    assert not ExportRequest.objects.exists()


# -- the workbook says who exported it ---------------------------------------------------------


def test_the_workbook_carries_the_exporting_user_and_time(personas, data, login):
    response = login(personas.sales_manager).get(CUSTOMERS + "?export=xlsx")
    properties = workbook(response).properties
    assert personas.sales_manager.username in properties.creator
    assert properties.title == "客户"
    assert personas.sales_manager.display_name in properties.description


def test_defaults_follow_the_brief():
    assert not default_policy(Role.CONSULTANT, "customers:customer_list").allowed
    assert default_policy(Role.SALES_MANAGER, "customers:customer_list").allowed
    assert default_policy(Role.FINANCE, "orders:order_list").allowed
    assert default_policy(Role.FINANCE, "orders:receivables").allowed
