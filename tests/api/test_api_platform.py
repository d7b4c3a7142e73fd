"""Authentication, paging, throttling, filters shared with the pages, and the offline docs."""

import io
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dealerplan.activities.traffic_filtersets import TrafficEntryFilterSet
from dealerplan.api.checks import check_api_rate
from dealerplan.customers.filtersets import CustomerFilterSet
from dealerplan.deals.filtersets import DealFilterSet
from dealerplan.inventory.filtersets import VehicleFilterSet
from dealerplan.orders.filtersets import OrderFilterSet
from tests.api.factories_api import MAKERS
from tests.factories import CustomerFactory

CUSTOMERS = reverse("api:customer-list")


@pytest.mark.django_db
class TestAuthentication:
    @pytest.mark.parametrize("url", [CUSTOMERS, reverse("api:schema"), reverse("api:docs")])
    def test_anonymous_is_refused_with_401(self, url):
        response = APIClient().get(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"

    def test_token_authenticates_as_its_user(self, personas):
        CustomerFactory(owner=personas.consultant, name="张三")
        token = Token.objects.create(user=personas.consultant)
        response = APIClient().get(CUSTOMERS, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 200
        assert [row["name"] for row in response.json()["results"]] == ["张三"]

    def test_wrong_token_and_inactive_user_are_refused(self, personas):
        token = Token.objects.create(user=personas.consultant)
        assert APIClient().get(CUSTOMERS, HTTP_AUTHORIZATION="Token nope").status_code == 401
        personas.consultant.is_active = False
        personas.consultant.save(update_fields=["is_active"])
        response = APIClient().get(CUSTOMERS, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 401

    def test_signed_in_browser_session_reads_but_must_send_the_csrf_token(self, login, personas):
        client = login(personas.consultant)
        assert client.get(CUSTOMERS).status_code == 200
        csrf_client = APIClient(enforce_csrf_checks=True)
        csrf_client.force_login(personas.consultant, backend=MODEL_BACKEND)
        response = csrf_client.post(CUSTOMERS, {"name": "张三", "phone": "13812348000"})
        assert response.status_code == 403


MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.mark.django_db
class TestTokenCommand:
    def run(self, *args) -> str:
        out = io.StringIO()
        call_command("api_token", *args, stdout=out)
        return out.getvalue().strip()

    def test_issues_once_rotates_and_revokes(self, personas):
        first = self.run("consultant")
        assert first == Token.objects.get(user=personas.consultant).key
        assert self.run("consultant") == first
        rotated = self.run("consultant", "--rotate")
        assert rotated != first and Token.objects.get(user=personas.consultant).key == rotated
        self.run("consultant", "--revoke")
        assert not Token.objects.filter(user=personas.consultant).exists()

    def test_unknown_user_is_an_error(self, personas):
        with pytest.raises(CommandError):
            self.run("nobody")


@pytest.mark.django_db
class TestPaging:
    def test_pages_of_50_with_the_total_count(self, api, personas):
        CustomerFactory.create_batch(55, owner=personas.consultant)
        body = api(personas.consultant).get(CUSTOMERS).json()
        assert body["count"] == 55
        assert len(body["results"]) == 50
        assert body["next"].endswith("page=2")
        second = api(personas.consultant).get(CUSTOMERS, {"page": 2}).json()
        assert len(second["results"]) == 5 and second["next"] is None

    def test_page_size_is_the_callers_up_to_200(self, api, personas):
        CustomerFactory.create_batch(3, owner=personas.consultant)
        client = api(personas.consultant)
        assert len(client.get(CUSTOMERS, {"page_size": 2}).json()["results"]) == 2
        from dealerplan.api.policy import Pagination

        assert Pagination.max_page_size == 200

    @pytest.mark.parametrize("basename", list(MAKERS))
    def test_list_queries_do_not_grow_with_the_rows(self, api, personas, basename):
        client = api(personas.sales_manager)
        url, make = reverse(f"api:{basename}-list"), MAKERS[basename]

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries)

        make(personas.consultant)
        few = count_queries()
        for _ in range(12):
            make(personas.consultant)
        assert count_queries() == few


@pytest.mark.django_db
class TestThrottling:
    def test_a_user_over_the_rate_gets_429_and_others_carry_on(self, api, personas, settings):
        settings.API_RATE = "3/min"
        client = api(personas.consultant)
        codes = [client.get(CUSTOMERS).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert api(personas.colleague).get(CUSTOMERS).status_code == 200

    @pytest.mark.parametrize("rate", ["600/min", "10/s", "5000/day"])
    def test_well_formed_rates_pass_the_check(self, settings, rate):
        settings.API_RATE = rate
        assert check_api_rate() == []

    @pytest.mark.parametrize("rate", ["600", "fast", "600/fortnight", "0/min"])
    def test_a_malformed_rate_stops_start_up(self, settings, rate):
        settings.API_RATE = rate
        assert [error.id for error in check_api_rate()] == ["dealerplan.api.E001"]


@pytest.mark.django_db
class TestFiltersAreTheUIs:
    @pytest.fixture
    def schema(self, api, personas):
        return api(personas.sales_manager).get(reverse("api:schema"), {"format": "json"}).json()

    @pytest.mark.parametrize(
        ("path", "filterset"),
        [
            ("/api/v1/customers/", CustomerFilterSet),
            ("/api/v1/deals/", DealFilterSet),
            ("/api/v1/vehicles/", VehicleFilterSet),
            ("/api/v1/orders/", OrderFilterSet),
            ("/api/v1/traffic-entries/", TrafficEntryFilterSet),
        ],
    )
    def test_list_parameters_are_the_list_pages_filters(self, schema, path, filterset):
        names = {param["name"] for param in schema["paths"][path]["get"]["parameters"]}
        assert names - {"page", "page_size"} == set(filterset.base_filters)

    @pytest.mark.parametrize(
        "query", [{"intention_level": "open"}, {"q": "zs"}, {"follow_up": "none"}, {}]
    )
    def test_same_query_same_rows_as_the_customer_list_page(self, api, login, personas, query):
        CustomerFactory(owner=personas.consultant, name="张三", intention_level="H")
        CustomerFactory(owner=personas.consultant, name="李四", intention_level="D")
        CustomerFactory(owner=personas.colleague, name="赵森", intention_level="A")
        page = login(personas.sales_manager).get(reverse("customers:customer_list"), query)
        expected = {customer.pk for customer in page.context["filter"].qs}
        body = api(personas.sales_manager).get(CUSTOMERS, query).json()
        assert {row["id"] for row in body["results"]} == expected
        assert body["count"] == len(expected)

    def test_invalid_filter_value_is_400(self, api, personas):
        response = api(personas.consultant).get(CUSTOMERS, {"intention_level": "X"})
        assert response.status_code == 400
        assert "intention_level" in response.json()

    @pytest.mark.parametrize(
        ("name", "query"),
        [
            ("api:traffic-entry-list", {"date_to": "9999-12-31"}),
            ("api:traffic-entry-list", {"date_from": "0001-01-01"}),
            ("api:activity-list", {"date_to": "9999-12-31"}),
            ("api:order-list", {"date_from": "0001-01-01"}),
            ("api:activity-list", {"customer": "99999999999999999999999"}),
            ("api:plan-list", {"parent": "-1e300"}),
            ("api:customer-list", {"owner": "99999999999999999999999"}),
        ],
    )
    def test_out_of_range_dates_and_ids_are_400_not_500(self, api, personas, name, query):
        assert api(personas.sales_manager).get(reverse(name), query).status_code == 400


@pytest.mark.django_db
class TestDocs:
    def test_swagger_ui_is_served_from_our_own_static_files(self, login, personas):
        page = login(personas.consultant).get(reverse("api:docs"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "cdn." not in html and "https://" not in html
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            if src.startswith("/static/"):
                assert finders.find(src.removeprefix("/static/")), src
        nonce = re.search(r'<style nonce="([^"]+)"', html).group(1)
        assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
        assert "<script>" not in html  # no inline script: the start-up script is a file

    def test_the_start_up_script_points_at_our_schema(self, login, personas):
        script = login(personas.consultant).get(reverse("api:docs") + "?script")
        assert script.status_code == 200
        assert script["Content-Type"].startswith("application/javascript")
        assert reverse("api:schema") in script.content.decode()

    def test_schema_describes_every_endpoint(self, api, personas):
        schema = api(personas.consultant).get(reverse("api:schema"), {"format": "json"}).json()
        assert schema["openapi"].startswith("3.")
        for prefix in ("customers", "activities", "traffic-entries", "deals", "vehicles"):
            assert f"/api/v1/{prefix}/" in schema["paths"]
        assert "/api/v1/orders/{id}/payments/" in schema["paths"]
