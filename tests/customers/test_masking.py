"""Phone numbers are masked (138****8000) for everyone but the owner and the store's managers.

The sweep: a user who sees the customer without owning it (finance and marketing see the whole
store; a colleague sees a pool lead) finds no full phone number in any page, export or API
response that shows the customer.
"""

import datetime
import html
import io
import re
import zipfile

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from dealerplan.core.choices import Role
from dealerplan.core.models import ExportPolicy, PhoneReveal
from dealerplan.core.privacy import can_see_full_phone, display_phone, mask_phone
from dealerplan.customers.privacy_views import MSG_REVEAL_LIMIT
from dealerplan.deals.models import Deal
from dealerplan.orders.models import SalesOrder
from tests.api.factories_api import api_client
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    PaymentFactory,
    SalesOrderFactory,
    UserFactory,
)

PHONE = "13812348000"
CONTACT_PHONE = "13987654321"
LANDLINE = "010-65521234"
#: Any mainland mobile number not embedded in a longer run of digits.
MOBILE = re.compile(rb"(?<!\d)1[3-9]\d{9}(?!\d)")


def xlsx_text(content: bytes) -> bytes:
    """Every XML part of a workbook, uncompressed and unescaped (raw .xlsx bytes are a zip)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return html.unescape(xml).encode("utf-8")


@pytest.fixture
def customer(personas):
    customer = CustomerFactory(owner=personas.consultant, name="王先生", phone=PHONE)
    ContactFactory(customer=customer, name="王太太", phone=CONTACT_PHONE)
    ActivityFactory(customer=customer)
    deal = DealFactory(customer=customer)
    order = SalesOrderFactory(customer=customer, deal=deal)
    PaymentFactory(order=order)
    return customer


@pytest.fixture
def marketing(personas):
    return UserFactory(username="marketing", store=personas.store, role=Role.MARKETING)


# -- the rule ----------------------------------------------------------------------------------


def test_mask_phone_keeps_prefix_and_last_four_digits():
    assert mask_phone("13812348000") == "138****8000"
    assert mask_phone("010-65521234") == "010-****1234"
    assert mask_phone("0755-2345678") == "0755-***5678"


@pytest.mark.parametrize(
    ("persona", "full"),
    [
        ("consultant", True),
        ("showroom_manager", True),
        ("sales_manager", True),
        ("general_manager", True),
        ("group_manager", True),
        ("colleague", False),
        ("finance", False),
        ("other_manager", False),
    ],
)
def test_only_owner_and_the_stores_managers_see_the_full_number(personas, customer, persona, full):
    user = getattr(personas, persona)
    assert can_see_full_phone(user, customer) is full
    assert display_phone(user, customer) == (PHONE if full else "138****8000")


def test_a_landline_is_masked_sensibly(personas):
    customer = CustomerFactory(owner=personas.consultant, phone=LANDLINE)
    assert display_phone(personas.finance, customer) == "010-****1234"


# -- the sweep ---------------------------------------------------------------------------------


def html_pages(customer):
    order = SalesOrder.objects.get(customer=customer)
    deal = Deal.objects.get(customer=customer)
    return [
        reverse("customers:customer_list"),
        reverse("customers:customer_list") + "?q=王",
        reverse("customers:customer_list") + "?q=8000",
        reverse("customers:customer_detail", args=[customer.pk]),
        reverse("customers:customer_card", args=[customer.pk]),
        reverse("customers:autocomplete") + "?q=王",
        reverse("customers:autocomplete") + "?q=8000",
        reverse("deals:deal_list"),
        reverse("deals:deal_detail", args=[deal.pk]),
        reverse("orders:order_list"),
        reverse("orders:order_detail", args=[order.pk]),
    ]


def api_urls(customer):
    return [
        "/api/v1/customers/",
        f"/api/v1/customers/{customer.pk}/",
        "/api/v1/contacts/",
        "/api/v1/deals/",
        "/api/v1/orders/",
        "/api/v1/payments/",
        "/api/v1/activities/",
    ]


@pytest.mark.parametrize("persona", ["finance", "marketing"])
def test_store_wide_non_manager_sees_no_full_phone_anywhere(
    personas, customer, marketing, login, persona
):
    user = marketing if persona == "marketing" else getattr(personas, persona)
    client = login(user)
    shown = 0
    for url in html_pages(customer):
        response = client.get(url)
        if response.status_code != 200:
            continue
        shown += b"\xe7\x8e\x8b" in response.content  # 王
        assert PHONE.encode() not in response.content, url
        assert CONTACT_PHONE.encode() not in response.content, url
        assert not MOBILE.findall(response.content), url
    assert shown >= 3  # the sweep did reach pages that show the customer
    detail = client.get(reverse("customers:customer_detail", args=[customer.pk]))
    assert b"138****8000" in detail.content
    assert b"139****4321" in detail.content


@pytest.mark.parametrize("persona", ["finance", "marketing"])
def test_store_wide_non_manager_gets_no_full_phone_from_the_api(
    personas, customer, marketing, persona
):
    user = marketing if persona == "marketing" else getattr(personas, persona)
    client = api_client(user)
    reached = 0
    for url in api_urls(customer):
        response = client.get(url)
        if response.status_code != 200:
            continue
        reached += 1
        assert not MOBILE.findall(response.content), url
    assert reached >= 3
    data = client.get(f"/api/v1/customers/{customer.pk}/").json()
    assert data["phone"] == "138****8000"
    assert data["contacts"][0]["phone"] == "139****4321"


def test_an_allowed_export_by_a_non_manager_carries_masked_phones(personas, customer, login):
    ExportPolicy.objects.create(
        store=personas.store,
        role=Role.FINANCE,
        list_name="customers:customer_list",
        allowed=True,
    )
    response = login(personas.finance).get(reverse("customers:customer_list") + "?export=xlsx")
    assert response.status_code == 200
    text = xlsx_text(b"".join(response.streaming_content))
    assert "王先生".encode() in text
    assert b"138****8000" in text
    assert not MOBILE.findall(text)


def test_the_managers_export_has_the_full_number(personas, customer, login):
    response = login(personas.sales_manager).get(
        reverse("customers:customer_list") + "?export=xlsx"
    )
    assert PHONE.encode() in xlsx_text(b"".join(response.streaming_content))


def test_a_colleague_sees_a_pool_lead_without_its_number(personas, login):
    lead = CustomerFactory(
        owner=None,
        store=personas.store,
        phone=PHONE,
        name="公海客户",
        pool_since=timezone.now() - datetime.timedelta(days=3),
    )
    client = login(personas.colleague)
    pages = [reverse("customers:pool"), reverse("customers:pool_detail", args=[lead.pk])]
    reached = 0
    for url in pages:
        response = client.get(url)
        if response.status_code == 200:
            reached += 1
            assert not MOBILE.findall(response.content), url
    assert reached >= 1
    assert not MOBILE.findall(api_client(personas.colleague).get("/api/v1/customers/").content)


def test_owner_and_manager_pages_show_the_full_number(personas, customer, login):
    for user in (personas.consultant, personas.sales_manager):
        page = login(user).get(reverse("customers:customer_detail", args=[customer.pk]))
        assert f'href="tel:{PHONE}"'.encode() in page.content
        assert api_client(user).get(f"/api/v1/customers/{customer.pk}/").json()["phone"] == PHONE


# -- showing a number on purpose ----------------------------------------------------------------


def reveal(client, customer):
    return client.post(
        reverse("customers:reveal_phone", args=[customer.pk]), REMOTE_ADDR="10.1.2.3"
    )


def test_show_number_reveals_it_once_and_logs_who_when_and_where(personas, customer, login):
    response = reveal(login(personas.finance), customer)
    assert response.status_code == 200
    assert PHONE in response.text
    row = PhoneReveal.objects.get()
    assert (row.user, row.customer, row.ip) == (personas.finance, customer, "10.1.2.3")


def test_show_number_needs_post(personas, customer, login):
    response = login(personas.finance).get(reverse("customers:reveal_phone", args=[customer.pk]))
    assert response.status_code == 405
    assert not PhoneReveal.objects.exists()


def test_the_owner_revealing_is_not_counted(personas, customer, login):
    assert PHONE in reveal(login(personas.consultant), customer).text
    assert not PhoneReveal.objects.exists()


def test_daily_reveal_limit_stops_with_a_chinese_message_and_resets_next_day(
    personas, login, settings
):
    settings.PHONE_REVEALS_PER_DAY = 2
    customers = [CustomerFactory(owner=personas.consultant) for _ in range(3)]
    with time_machine.travel(datetime.datetime(2026, 5, 14, 10, 0, tzinfo=datetime.UTC)):
        client = login(personas.finance)
        assert customers[0].phone in reveal(client, customers[0]).text
        assert customers[1].phone in reveal(client, customers[1]).text
        refused = reveal(client, customers[2])
        assert customers[2].phone not in refused.text
        assert escape(MSG_REVEAL_LIMIT % {"limit": 2}) in refused.text  # 您今天已查看 2 个号码…
        assert PhoneReveal.objects.count() == 2
    with time_machine.travel(datetime.datetime(2026, 5, 15, 10, 0, tzinfo=datetime.UTC)):
        client = login(personas.finance)  # a new day, a new login (idle sessions expire)
        assert customers[2].phone in reveal(client, customers[2]).text


def test_a_customer_out_of_scope_cannot_be_revealed(personas, login):
    theirs = CustomerFactory(owner=personas.other_consultant)
    assert reveal(login(personas.finance), theirs).status_code == 404
    mine = CustomerFactory(owner=personas.colleague)
    assert reveal(login(personas.consultant), mine).status_code == 404
    assert not PhoneReveal.objects.exists()
