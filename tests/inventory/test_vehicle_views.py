import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from dealerplan.inventory.models import Vehicle
from dealerplan.inventory.services import aging_bucket, days_in_stock
from tests.factories import ColorFactory, TrimFactory, VehicleFactory, vin_for
from tests.view_suite import ScopedViewSuite, export_rows

VALID_VIN = vin_for(990001)


class TestVehicleViews(ScopedViewSuite):
    model = Vehicle
    list_url_name = "inventory:vehicle_list"
    detail_url_name = "inventory:vehicle_detail"
    add_url_name = "inventory:vehicle_add"
    edit_url_name = "inventory:vehicle_edit"
    admin_change_url_name = "admin:inventory_vehicle_change"
    label_attr = "vin"
    owner_scoped = False
    editor = "sales_manager"

    def make_record(self, owner):
        return VehicleFactory(store=owner.store)

    def valid_form_data(self, personas):
        return {
            "vin": VALID_VIN.lower(),
            "trim": TrimFactory().pk,
            "color": ColorFactory().pk,
            "status": "in_stock",
            "arrival_date": "2026-11-01",
            "cost": "118000.00",
        }


@pytest.mark.django_db
class TestVehicleForm:
    def post(self, client, **overrides):
        data = {
            "vin": VALID_VIN,
            "trim": TrimFactory().pk,
            "color": ColorFactory().pk,
            "status": "in_stock",
            "cost": "118000.00",
        }
        data.update(overrides)
        return client.post(reverse("inventory:vehicle_add"), data)

    def test_vin_is_stored_upper_case_without_spaces(self, login, personas):
        self.post(login(personas.sales_manager), vin=" " + VALID_VIN.lower() + " ")
        assert Vehicle.objects.get().vin == VALID_VIN

    @pytest.mark.parametrize(
        ("vin", "message"),
        [
            ("LFV2A21K", "17"),
            (
                VALID_VIN[:8] + "X" + VALID_VIN[9:]
                if VALID_VIN[8] != "X"
                else VALID_VIN[:8] + "1" + VALID_VIN[9:],
                "校验位",
            ),
            ("LFV2A21KOP0000001", "I、O"),
        ],
    )
    def test_bad_vin_gets_a_chinese_field_error_and_saves_nothing(
        self, login, personas, vin, message
    ):
        response = self.post(login(personas.sales_manager), vin=vin)
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["vin"])
        assert not Vehicle.objects.exists()

    def test_negative_cost_is_refused_in_chinese_and_english(self, login, personas):
        client = login(personas.sales_manager)
        response = self.post(client, cost="-1")
        assert "大于或等于" in response.text
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        with translation.override("en"):
            response = self.post(client, cost="-1", vin="LFV2A21K")
        assert "greater than or equal to 0" in response.text
        assert "A VIN has exactly 17 characters." in response.text
        assert not Vehicle.objects.exists()

    def test_vin_registered_in_another_store_is_refused(self, login, personas):
        VehicleFactory(store=personas.other_store, vin=VALID_VIN)
        response = self.post(login(personas.sales_manager))
        assert response.status_code == 200
        assert "已" in " ".join(response.context["form"].errors["vin"])
        assert Vehicle.objects.count() == 1


@pytest.mark.django_db
def test_stock_list_filters_aged_vehicles(login, personas):
    today = datetime.date.today()
    old = VehicleFactory(store=personas.store, arrival_date=today - datetime.timedelta(days=120))
    new = VehicleFactory(store=personas.store, arrival_date=today - datetime.timedelta(days=5))
    page = login(personas.consultant).get(reverse("inventory:vehicle_list"), {"aging": ">90"})
    assert old.vin in page.text and new.vin not in page.text


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, ">90"),
        (400, ">90"),
        (None, None),
    ],
)
def test_aging_bucket_edges(days, bucket):
    assert aging_bucket(days) == bucket


def test_days_in_stock_never_negative():
    today = datetime.date(2026, 11, 29)
    assert days_in_stock(datetime.date(2026, 12, 5), today) == 0
    assert days_in_stock(datetime.date(2026, 11, 1), today) == 28


@pytest.mark.django_db
def test_stock_page_hides_sold_vehicles_unless_asked(login, personas):
    in_stock = VehicleFactory(store=personas.store, status="in_stock")
    delivered = VehicleFactory(store=personas.store, status="delivered")
    client = login(personas.consultant)
    page = client.get(reverse("inventory:vehicle_list")).text
    assert in_stock.vin in page and delivered.vin not in page
    page = client.get(reverse("inventory:vehicle_list"), {"status": "all"}).text
    assert in_stock.vin in page and delivered.vin in page


@pytest.mark.django_db
def test_stock_list_shows_money_with_separators_and_exports_numbers(login, personas):
    VehicleFactory(store=personas.store, cost=Decimal("182697.50"))
    client = login(personas.consultant)
    assert "¥182,697.50" in client.get(reverse("inventory:vehicle_list")).text
    rows = export_rows(client.get(reverse("inventory:vehicle_list"), {"export": "xlsx"}))
    cost_index = rows[0].index("成本")
    assert rows[1][cost_index] == 182697.5
