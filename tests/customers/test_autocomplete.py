"""The customer picker: the search endpoint behind it and the deal form that uses it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.core.choices import Role
from dealerplan.customers.autocomplete import LIMIT
from dealerplan.deals.models import Deal
from tests.deals.factories_deals import default_stages
from tests.factories import CustomerFactory, SalesOrderFactory, UserFactory, VehicleFactory

URL = reverse("customers:autocomplete")


def found(client, q) -> list[str]:
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return [row["label"] for row in response.json()["results"]]


@pytest.mark.django_db
class TestEndpoint:
    def test_finds_by_name_phone_fragment_and_pinyin_initials(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="张三", phone="13812348000")
        CustomerFactory(owner=personas.consultant, name="李四", phone="13900001111")
        client = login(personas.consultant)
        assert found(client, "张") == ["张三"]
        assert found(client, "2348") == ["张三"]
        assert found(client, "zs") == ["张三"]
        assert found(client, "ls") == ["李四"]

    def test_finds_by_the_vin_tail_of_a_car_sold_to_the_customer(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, name="王五")
        vehicle = VehicleFactory(store=personas.store)
        SalesOrderFactory(customer=customer, vehicle=vehicle)
        assert found(login(personas.consultant), vehicle.vin[-8:]) == ["王五"]

    def test_another_stores_customer_never_appears(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="张三")
        CustomerFactory(owner=personas.other_consultant, name="张三丰", phone="13812348000")
        for user in (personas.consultant, personas.sales_manager, personas.finance):
            client = login(user)
            assert found(client, "张") == ["张三"]
            assert found(client, "13812348000") == []

    def test_consultant_sees_only_own_customers_manager_sees_the_store(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="张三")
        CustomerFactory(owner=personas.colleague, name="张四")
        assert found(login(personas.consultant), "zs") == ["张三"]
        assert sorted(found(login(personas.sales_manager), "张")) == ["张三", "张四"]

    def test_archived_customers_are_not_offered(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="张三", is_archived=True)
        assert found(login(personas.consultant), "张") == []

    def test_at_most_twenty_with_a_flag_for_more(self, login, personas):
        for _ in range(LIMIT + 5):
            CustomerFactory(owner=personas.consultant, name="张三")
        data = login(personas.consultant).get(URL, {"q": "zs"}).json()
        assert LIMIT == 20
        assert len(data["results"]) == 20
        assert data["more"] is True

    def test_empty_query_answers_nothing(self, login, personas):
        CustomerFactory(owner=personas.consultant)
        assert login(personas.consultant).get(URL).json() == {"results": [], "more": False}

    def test_query_count_does_not_grow_with_matches(self, login, personas):
        client = login(personas.sales_manager)
        for _ in range(2):
            CustomerFactory(owner=personas.colleague, name="张三")
        client.get(URL, {"q": "zs"})  # warm the session
        with CaptureQueriesContext(connection) as few:
            assert len(client.get(URL, {"q": "zs"}).json()["results"]) == 2
        for _ in range(LIMIT):
            CustomerFactory(owner=personas.colleague, name="张三")
        with CaptureQueriesContext(connection) as many:
            assert len(client.get(URL, {"q": "zs"}).json()["results"]) == 20
        assert len(many) == len(few)

    def test_phone_is_masked_for_users_who_neither_own_nor_manage(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="张三", phone="13812348000")
        marketing = UserFactory(username="marketing", store=personas.store, role=Role.MARKETING)
        (row,) = login(marketing).get(URL, {"q": "zs"}).json()["results"]
        assert "138****8000" in row["detail"]
        assert personas.consultant.display_name in row["detail"]
        (own,) = login(personas.consultant).get(URL, {"q": "zs"}).json()["results"]
        assert "13812348000" in own["detail"]

    def test_anonymous_is_refused(self, client, personas):
        CustomerFactory(owner=personas.consultant, name="张三")
        assert client.get(URL, {"q": "zs"}).status_code == 403


def deal_data(personas, customer_id) -> dict:
    stage = default_stages(personas.store)["意向"]
    return {
        "title": "新商机",
        "customer": customer_id,
        "pipeline": stage.pipeline_id,
        "stage": stage.pk,
        "amount": "150000.00",
        "units": "1",
    }


@pytest.mark.django_db
class TestDealFormPicker:
    def test_form_renders_a_search_box_not_the_store_customer_list(self, login, personas):
        for n in range(5):
            CustomerFactory(owner=personas.consultant, name=f"老客户{n}")
        page = login(personas.consultant).get(reverse("deals:deal_add")).text
        assert 'role="combobox"' in page
        assert f'data-url="{URL}"' in page
        assert 'type="hidden" name="customer"' in page
        assert "dealerplan/autocomplete.js" in page
        assert "老客户" not in page

    def test_chosen_customer_is_shown_by_name(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, name="预选客户")
        page = login(personas.consultant).get(
            reverse("deals:deal_add") + f"?customer={customer.pk}"
        )
        assert 'value="预选客户"' in page.text
        assert f'value="{customer.pk}"' in page.text

    def test_own_customer_posted_through_the_picker_is_saved(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = login(personas.consultant).post(
            reverse("deals:deal_add"), deal_data(personas, customer.pk)
        )
        assert response.status_code == 302
        assert Deal.objects.get().customer == customer

    @pytest.mark.parametrize("owner", ["colleague", "other_consultant"])
    def test_out_of_scope_customer_posted_by_hand_is_a_form_error(self, login, personas, owner):
        theirs = CustomerFactory(owner=getattr(personas, owner), name="别人的客户")
        response = login(personas.consultant).post(
            reverse("deals:deal_add"), deal_data(personas, theirs.pk)
        )
        assert response.status_code == 200
        assert "客户" in str(response.context["form"].errors["customer"])
        assert "别人的客户" not in response.text  # the picker does not reveal the name
        assert not Deal.objects.exists()

    def test_no_customer_chosen_is_required_error(self, login, personas):
        response = login(personas.consultant).post(
            reverse("deals:deal_add"), deal_data(personas, "")
        )
        assert response.status_code == 200
        assert "customer" in response.context["form"].errors
        assert not Deal.objects.exists()
