"""A customer's personal-information requests: a full copy, and erasure that keeps the figures."""

import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.core.models import PersonalDataRequest
from dealerplan.customers.models import Contact, Customer
from dealerplan.customers.personal_data import MSG_CONFIRM_MISMATCH
from dealerplan.orders.models import SalesOrder
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    PaymentFactory,
    SalesOrderFactory,
    TrafficEntryFactory,
)

PHONE = "13812348000"


@pytest.fixture
def customer(personas):
    customer = CustomerFactory(
        owner=personas.consultant,
        name="王先生",
        phone=PHONE,
        wechat="wang_wx",
        address="朝阳路 1 号",
        notes="喜欢黑色，身份证 110101199001011234",
    )
    customer.intention_level = "A"
    customer.save()
    ContactFactory(customer=customer, name="王太太", phone="13987654321", notes="周末有空")
    ActivityFactory(customer=customer, notes="电话里说下周来店")
    TrafficEntryFactory(
        consultant=personas.consultant,
        customer=customer,
        visitor_name="王先生",
        visitor_phone=PHONE,
    )
    deal = DealFactory(customer=customer, amount=Decimal("150000.00"))
    order = SalesOrderFactory(customer=customer, deal=deal, notes="送脚垫")
    PaymentFactory(order=order, amount=Decimal("5000.00"))
    return customer


def url(customer):
    return reverse("customers:personal_data", args=[customer.pk])


def download(client, customer, file_format, reason="客户来电要求提供副本"):
    return client.post(
        url(customer),
        {"action": "export", "export-file_format": file_format, "export-reason": reason},
    )


def erase(client, customer, confirmation=None, reason="客户书面要求删除"):
    return client.post(
        url(customer),
        {
            "action": "erase",
            "erase-reason": reason,
            "erase-confirmation": f"#{customer.pk}" if confirmation is None else confirmation,
        },
    )


# -- the copy -----------------------------------------------------------------------------------


def test_manager_downloads_everything_held_as_json_and_it_is_logged(personas, customer, login):
    response = download(login(personas.sales_manager), customer, "json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    sections = {s["title"]: s["rows"] for s in data["sections"]}
    assert sections["客户"][0]["phone"] == PHONE
    assert sections["客户"][0]["wechat"] == "wang_wx"
    assert [c["name"] for c in sections["联系人"]] == ["王太太"]
    # customer, contacts, activities, level history, ownership, traffic, deals, orders, payments
    counts = [len(section["rows"]) for section in data["sections"]]
    assert counts == [1, 1, 1, 0, 0, 1, 1, 1, 1]
    assert data["sections"][8]["rows"][0]["amount"] == "5000.00"
    request = PersonalDataRequest.objects.get()
    assert (request.kind, request.customer, request.by, request.file_format) == (
        "export",
        customer,
        personas.sales_manager,
        "json",
    )
    assert request.reason == "客户来电要求提供副本"


def test_the_excel_copy_has_a_sheet_per_kind_and_names_who_exported_it(personas, customer, login):
    response = download(login(personas.general_manager), customer, "xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 9
    first = list(book.worksheets[0].iter_rows(values_only=True))
    assert "王先生" in first[1]
    assert PHONE in first[1]
    assert personas.general_manager.username in book.properties.creator


def test_a_reason_is_required(personas, customer, login):
    response = download(login(personas.sales_manager), customer, "json", reason="")
    assert response.status_code == 400
    assert not PersonalDataRequest.objects.exists()


@pytest.mark.parametrize("persona", ["consultant", "finance", "colleague"])
def test_only_managers_handle_requests(personas, customer, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(url(customer)).status_code in (403, 404)
    assert download(client, customer, "json").status_code in (403, 404)
    assert erase(client, customer).status_code in (403, 404)
    assert not PersonalDataRequest.objects.exists()
    assert Customer.objects.get(pk=customer.pk).name == "王先生"


def test_another_stores_manager_gets_404(personas, customer, login):
    client = login(personas.other_manager)
    assert client.get(url(customer)).status_code == 404
    assert erase(client, customer).status_code == 404


# -- erasure ------------------------------------------------------------------------------------


def test_erasure_anonymises_personal_data_and_keeps_the_figures(personas, customer, login):
    order_total = SalesOrder.objects.get(customer=customer).total
    response = erase(login(personas.sales_manager), customer)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == f"已删除客户 #{customer.pk}" or customer.name.endswith(
        f"#{customer.pk}"
    )
    assert PHONE not in customer.phone
    assert (customer.wechat, customer.address, customer.notes) == ("", "", "")
    contact = Contact.objects.get(customer=customer)
    assert (contact.phone, contact.notes) == ("", "")
    assert contact.name != "王太太"
    assert Activity.objects.get(customer=customer).notes == ""
    entry = TrafficEntry.objects.get(customer=customer)
    assert (entry.visitor_name, entry.visitor_phone) == ("", "")
    order = SalesOrder.objects.get(customer=customer)
    assert (order.total, order.notes) == (order_total, "")
    assert customer.intention_level == "A"
    assert Activity.objects.filter(customer=customer).count() == 1
    request = PersonalDataRequest.objects.get()
    assert (request.kind, request.by, request.reason) == (
        "erase",
        personas.sales_manager,
        "客户书面要求删除",
    )


def test_erasure_also_clears_the_change_history(personas, customer, login):
    erase(login(personas.sales_manager), customer)
    assert not Customer.history.filter(id=customer.pk, phone=PHONE).exists()
    assert not Customer.history.filter(id=customer.pk, name="王先生").exists()
    assert not Contact.history.filter(customer_id=customer.pk, name="王太太").exists()
    assert Customer.history.filter(id=customer.pk).count() >= 2  # the audit trail stays


def test_erasure_needs_the_typed_confirmation(personas, customer, login):
    response = erase(login(personas.sales_manager), customer, confirmation="yes")
    assert response.status_code == 400
    assert str(escape(MSG_CONFIRM_MISMATCH)) in response.content.decode()
    customer.refresh_from_db()
    assert customer.name == "王先生"
    assert not PersonalDataRequest.objects.exists()


def test_an_erased_customer_is_not_erased_twice(personas, customer, login):
    client = login(personas.sales_manager)
    erase(client, customer)
    assert erase(client, customer).status_code == 400
    assert PersonalDataRequest.objects.count() == 1


def test_the_customer_page_offers_personal_data_to_managers_only(personas, customer, login):
    detail = reverse("customers:customer_detail", args=[customer.pk])
    assert url(customer) in login(personas.sales_manager).get(detail).text
    assert url(customer) not in login(personas.consultant).get(detail).text
