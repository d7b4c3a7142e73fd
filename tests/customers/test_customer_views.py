import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dealerplan.customers.models import Customer
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    SalesOrderFactory,
    TrimFactory,
    VehicleFactory,
)
from tests.view_suite import ScopedViewSuite, export_rows


@pytest.fixture(autouse=True)
def _exports_allowed(request):
    """Consultants here export their customers; the export policy is tested on its own."""
    if "personas" in request.fixturenames or "db" in request.fixturenames:
        request.getfixturevalue("consultants_export_customers")


class TestCustomerViews(ScopedViewSuite):
    model = Customer
    list_url_name = "customers:customer_list"
    detail_url_name = "customers:customer_detail"
    add_url_name = "customers:customer_add"
    edit_url_name = "customers:customer_edit"
    admin_change_url_name = "admin:customers_customer_change"

    def make_record(self, owner):
        return CustomerFactory(owner=owner, store=owner.store)

    def valid_form_data(self, personas):
        return {
            "kind": "individual",
            "name": "张三",
            "phone": "138 1234 8000",
            "source": "walk_in",
            "intention_level": "A",
            "account_tier": "other",
            "budget": "180000",
        }


def form_errors(response) -> dict:
    return {
        name: [str(e) for e in errors] for name, errors in response.context["form"].errors.items()
    }


@pytest.mark.django_db
class TestCustomerForm:
    def post_new(self, client, **overrides):
        data = {
            "kind": "individual",
            "name": "李四",
            "phone": "13900001111",
            "source": "walk_in",
            "intention_level": "B",
            "account_tier": "other",
        }
        data.update(overrides)
        return client.post(reverse("customers:customer_add"), data)

    def test_new_customer_belongs_to_the_consultant_with_normalised_phone(self, login, personas):
        response = self.post_new(login(personas.consultant), phone="+86 139-0000-1111")
        customer = Customer.objects.get()
        assert response["Location"] == customer.get_absolute_url()
        assert customer.owner == personas.consultant
        assert customer.store == personas.store
        assert customer.phone == "13900001111"

    def test_malformed_phone_gets_a_chinese_field_error_and_saves_nothing(self, login, personas):
        response = self.post_new(login(personas.consultant), phone="12345")
        assert response.status_code == 200
        assert "手机" in form_errors(response)["phone"][0]
        assert "手机" in response.text
        assert not Customer.objects.exists()

    def test_phone_used_by_a_colleague_in_the_store_is_refused(self, login, personas):
        CustomerFactory(owner=personas.colleague, phone="13900001111")
        response = self.post_new(login(personas.consultant), phone="139 0000 1111")
        assert response.status_code == 200
        assert "已" in form_errors(response)["phone"][0]
        assert Customer.objects.count() == 1

    def test_same_phone_in_another_store_is_allowed(self, login, personas):
        CustomerFactory(owner=personas.other_consultant, phone="13900001111")
        response = self.post_new(login(personas.consultant))
        assert response.status_code == 302
        assert Customer.objects.count() == 2

    def test_negative_budget_is_refused_in_chinese(self, login, personas):
        response = self.post_new(login(personas.consultant), budget="-1")
        assert response.status_code == 200
        assert "大于或等于" in form_errors(response)["budget"][0]
        assert not Customer.objects.exists()

    def test_errors_are_in_english_after_switching_language(self, login, personas):
        client = login(personas.consultant)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        with translation.override("en"):
            response = self.post_new(client, phone="12345", budget="-5")
        page = response.text
        assert "Enter a valid mobile" in page
        assert "greater than or equal to 0" in page
        assert "手机" not in page
        assert not Customer.objects.exists()

    def test_consultant_cannot_give_a_card_to_a_colleague(self, login, personas):
        response = self.post_new(login(personas.consultant), owner=personas.colleague.pk)
        assert response.status_code == 302
        assert Customer.objects.get().owner == personas.consultant

    def test_manager_assigns_owner_within_the_store_only(self, login, personas):
        client = login(personas.sales_manager)
        response = self.post_new(client, owner=personas.other_consultant.pk)
        assert response.status_code == 200
        assert "owner" in form_errors(response)
        response = self.post_new(client, owner=personas.colleague.pk)
        assert response.status_code == 302
        assert Customer.objects.get().owner == personas.colleague

    def test_changing_tier_by_hand_marks_it_overridden(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        data = {
            "kind": "individual",
            "name": customer.name,
            "phone": customer.phone,
            "source": "walk_in",
            "intention_level": "B",
            "account_tier": "vip",
        }
        response = login(personas.consultant).post(
            reverse("customers:customer_edit", args=[customer.pk]), data
        )
        assert response.status_code == 302
        customer.refresh_from_db()
        assert customer.account_tier == "vip" and customer.tier_overridden


@pytest.mark.django_db
class TestCustomerList:
    def test_search_by_pinyin_initials_finds_chinese_name(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="张三")
        CustomerFactory(owner=personas.consultant, name="李四")
        page = login(personas.consultant).get(reverse("customers:customer_list"), {"q": "zs"})
        assert "张三" in page.text and "李四" not in page.text

    def test_search_by_polyphonic_surname_reading(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="曾小贤")
        client = login(personas.consultant)
        for query in ("zxx", "cxx"):
            assert "曾小贤" in client.get(reverse("customers:customer_list"), {"q": query}).text

    def test_search_by_phone_fragment(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="王五", phone="13812348000")
        CustomerFactory(owner=personas.consultant, name="赵六", phone="13900000000")
        page = login(personas.consultant).get(reverse("customers:customer_list"), {"q": "8000"})
        assert "王五" in page.text and "赵六" not in page.text

    def test_export_returns_exactly_the_filtered_rows(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="热客户", intention_level="H")
        CustomerFactory(owner=personas.consultant, name="冷客户", intention_level="C")
        response = login(personas.consultant).get(
            reverse("customers:customer_list"), {"intention_level": "H", "export": "xlsx"}
        )
        rows = export_rows(response)
        names = [row[0] for row in rows[1:]]
        assert names == ["热客户"]
        assert rows[0][0] == "姓名"

    def test_archived_customers_are_hidden_unless_asked_for(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="已归档客户", is_archived=True)
        client = login(personas.consultant)
        assert "已归档客户" not in client.get(reverse("customers:customer_list")).text
        page = client.get(reverse("customers:customer_list"), {"status": "archived"})
        assert "已归档客户" in page.text

    @pytest.mark.parametrize("user", ["consultant", "sales_manager"])
    def test_list_query_count_does_not_grow_with_rows(self, login, personas, user):
        trim = TrimFactory()
        client = login(getattr(personas, user))

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("customers:customer_list")).status_code == 200
            return len(ctx.captured_queries)

        client.get(reverse("customers:customer_list"))  # the first request stamps the session
        CustomerFactory.create_batch(10, owner=personas.consultant, intended_trim=trim)
        with_10 = count_queries()
        CustomerFactory.create_batch(190, owner=personas.consultant, intended_trim=trim)
        assert count_queries() == with_10


@pytest.mark.django_db
class TestCustomerDetail:
    def test_timeline_shows_the_customers_activities(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, budget=Decimal("200000.00"))
        ActivityFactory(customer=customer, notes="客户对迈腾很感兴趣")
        page = login(personas.consultant).get(customer.get_absolute_url()).text
        assert "客户对迈腾很感兴趣" in page

    def test_detail_query_count_does_not_grow_with_activities(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        client = login(personas.consultant)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(customer.get_absolute_url()).status_code == 200
            return len(ctx.captured_queries)

        ActivityFactory.create_batch(3, customer=customer)
        few = count_queries()
        ActivityFactory.create_batch(40, customer=customer)
        assert count_queries() == few


@pytest.mark.django_db
def test_timeline_puts_planned_work_first_then_newest_history(login, personas):
    customer = CustomerFactory(owner=personas.consultant)
    now = timezone.now()
    ActivityFactory(customer=customer, notes="上周电话", done_at=now - datetime.timedelta(days=7))
    ActivityFactory(customer=customer, notes="昨天拜访", done_at=now - datetime.timedelta(days=1))
    ActivityFactory(
        customer=customer,
        notes="明天试驾",
        status="planned",
        done_at=None,
        planned_at=now + datetime.timedelta(days=1),
    )
    page = login(personas.consultant).get(customer.get_absolute_url()).text
    assert page.index("明天试驾") < page.index("昨天拜访") < page.index("上周电话")


@pytest.mark.django_db
class TestSearch:
    def test_four_digits_of_a_phone_find_the_customer_fewer_find_nothing(self, personas):
        customer = CustomerFactory(owner=personas.consultant, phone="13812348000")
        mine = Customer.objects.visible_to(personas.consultant)
        assert list(mine.search("1234")) == [customer]
        assert list(mine.search("138 1234 8000")) == [customer]
        assert list(mine.search("800")) == []

    def test_vin_or_its_tail_finds_the_buyer(self, personas):
        buyer = CustomerFactory(owner=personas.consultant, name="买车人")
        vehicle = VehicleFactory(store=personas.store)
        SalesOrderFactory(customer=buyer, vehicle=vehicle)
        CustomerFactory(owner=personas.consultant, name="路人")
        mine = Customer.objects.visible_to(personas.consultant)
        assert list(mine.search(vehicle.vin)) == [buyer]
        assert list(mine.search(vehicle.vin[-8:].lower())) == [buyer]

    def test_two_characters_of_a_name_or_two_initials_find_the_customer(self, personas):
        zhang = CustomerFactory(owner=personas.consultant, name="张晓阳")
        CustomerFactory(owner=personas.consultant, name="李晓红")
        mine = Customer.objects.visible_to(personas.consultant)
        assert list(mine.search("张晓")) == [zhang]
        assert list(mine.search("晓阳")) == [zhang]
        assert set(mine.search("zx")) == {zhang}
        assert list(mine.search("xy")) == [zhang]

    def test_digits_of_a_plate_find_the_buyer_as_well_as_phones(self, personas):
        buyer = CustomerFactory(owner=personas.consultant, phone="13900000001")
        SalesOrderFactory(customer=buyer, plate_number="京A12345")
        caller = CustomerFactory(owner=personas.consultant, phone="13812345678")
        CustomerFactory(owner=personas.consultant, phone="13700000000")
        mine = Customer.objects.visible_to(personas.consultant)
        assert set(mine.search("12345")) == {buyer, caller}
        assert list(mine.search("京a·123")) == [buyer]

    def test_a_plate_on_another_stores_customer_stays_invisible(self, personas):
        stranger = CustomerFactory(owner=personas.other_consultant)
        SalesOrderFactory(customer=stranger, plate_number="京B54321")
        assert list(Customer.objects.visible_to(personas.consultant).search("54321")) == []

    def test_top_bar_search_box_is_on_every_page(self, login, personas):
        page = login(personas.consultant).get(reverse("activities:my_day")).text
        assert 'role="search"' in page and 'name="q"' in page
