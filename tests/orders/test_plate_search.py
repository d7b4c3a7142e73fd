"""A customer is found by the plate on one of their orders, full or a 4+ character piece,
the way a VIN tail finds them; the customer list stays at a fixed number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.customers.models import Customer
from dealerplan.orders.models import normalize_plate
from tests.factories import CustomerFactory, SalesOrderFactory

pytestmark = pytest.mark.django_db


def customer_with_plate(owner, plate, **extra):
    customer = CustomerFactory(owner=owner, name="车主", phone="13900001111")
    SalesOrderFactory(customer=customer, plate_number=plate, total=Decimal("1"), **extra)
    return customer


@pytest.mark.parametrize("query", ["京A12345", "京a·12345", "A123", "京A12", "2345", "a1234"])
def test_customer_is_found_by_plate_or_a_piece_of_it(personas, query):
    owner = customer_with_plate(personas.consultant, "京A12345")
    CustomerFactory(owner=personas.consultant, name="别人")
    assert list(Customer.objects.search(query)) == [owner]


@pytest.mark.parametrize("query", ["A12", "京A", "wang"])
def test_too_short_pieces_do_not_search_plates(personas, query):
    customer_with_plate(personas.consultant, "京A12345")
    assert not Customer.objects.search(query).exists()


def test_new_energy_plate_and_phone_digits_both_match(personas):
    ev = customer_with_plate(personas.consultant, "京AD13900")
    caller = CustomerFactory(owner=personas.consultant, phone="13813900001")
    assert set(Customer.objects.search("13900")) == {ev, caller}


def test_a_cancelled_orders_plate_still_finds_its_customer(personas):
    owner = customer_with_plate(personas.consultant, "京N88888", status="cancelled")
    assert list(Customer.objects.search("N8888")) == [owner]


def test_normalising_keeps_letters_digits_and_the_province():
    assert normalize_plate(" 京ａ·d 123-45 ") == "京AD12345"


@pytest.mark.parametrize("user", ["consultant", "sales_manager"])
def test_customer_list_searched_by_plate_keeps_its_query_count(login, personas, user):
    client = login(getattr(personas, user))

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("customers:customer_list"), {"q": "京A1"})
            assert response.status_code == 200
        return len(ctx.captured_queries)

    def make(n, start):
        for i in range(start, start + n):
            customer = CustomerFactory(owner=personas.consultant)
            SalesOrderFactory(customer=customer, plate_number=f"京A1{i:04d}")

    make(3, 0)
    count_queries()  # the first page of a session also fills per-user caches
    few = count_queries()
    make(30, 100)
    assert count_queries() == few
    page = client.get(reverse("customers:customer_list"), {"q": "京A10101"}).text
    assert Customer.objects.search("京A10101").get().name in page
