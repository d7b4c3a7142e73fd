"""LargeListPaginator: exact counts for ordinary lists, an estimate for huge ones, same rows."""

import pytest
from django.core.paginator import EmptyPage, Paginator
from django.urls import reverse
from django.utils import translation

from dealerplan.core.pagination import LargeListPaginator, about
from dealerplan.customers.models import Customer
from tests.factories import CustomerFactory


class SmallLimit(LargeListPaginator):
    exact_count_limit = 5
    deep_page_offset = 4


@pytest.fixture
def customers(personas):
    CustomerFactory.create_batch(13, owner=personas.consultant)
    return Customer.objects.visible_to(personas.consultant).order_by("-created_at", "pk")


@pytest.mark.django_db
class TestLargeListPaginator:
    def test_a_list_under_the_limit_is_counted_exactly(self, customers):
        paginator = LargeListPaginator(customers, 5)
        assert paginator.count == 13 and paginator.display_count == 13
        assert not paginator.count_is_estimate and paginator.num_pages == 3

    def test_a_list_over_the_limit_shows_an_estimate(self, customers):
        paginator = SmallLimit(customers, 5)
        assert paginator.count > 5 and paginator.count_is_estimate
        with translation.override("en"):
            assert str(paginator.display_count).startswith("about ")

    def test_every_page_holds_the_same_rows_as_the_plain_paginator(self, customers):
        plain = Paginator(customers, 3)
        for number in plain.page_range:
            large = SmallLimit(customers, 3)  # a fresh paginator per request, as in the view
            assert list(large.page(number)) == list(plain.page(number)), number

    def test_the_last_page_found_replaces_the_estimate_with_the_true_count(self, customers):
        paginator = SmallLimit(customers, 5)
        page = paginator.page(3)
        assert len(page) == 3 and not page.has_next()
        assert paginator.count == 13 and not paginator.count_is_estimate

    def test_a_page_past_the_end_is_empty_even_when_the_count_was_estimated(self, customers):
        with pytest.raises(EmptyPage):
            SmallLimit(customers, 5).page(9)

    def test_about_rounds_to_two_significant_digits(self):
        with translation.override("en"):
            assert about(987_654) == "about 990,000"
            assert about(2_001) == "about 2,000"


@pytest.mark.django_db
def test_customer_list_pages_past_the_first_show_the_right_rows(login, personas):
    CustomerFactory.create_batch(30, owner=personas.consultant)
    page = login(personas.consultant).get(reverse("customers:customer_list"), {"page": 2})
    assert page.status_code == 200
    assert page.context["result_count"] == 30
    assert len(page.context["table"].page) == 5
