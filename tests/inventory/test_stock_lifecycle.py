"""Stock keeping by hand: ordered → in transit → in stock, audited; sales-order statuses locked."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dealerplan.inventory import services
from dealerplan.inventory.models import Vehicle
from tests.factories import (
    ColorFactory,
    SalesOrderFactory,
    TrimFactory,
    VehicleFactory,
    vin_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def ordered_car(store, **kwargs):
    return VehicleFactory(store=store, status="ordered", arrival_date=None, **kwargs)


@pytest.mark.django_db
class TestTransitions:
    def test_ordered_car_goes_in_transit_then_into_stock_with_its_arrival_date(
        self, personas, frozen
    ):
        car = ordered_car(personas.store)
        services.mark_in_transit(user=personas.sales_manager, vehicle=car)
        car.refresh_from_db()
        assert car.status == "in_transit"
        arrived = TODAY - datetime.timedelta(days=2)
        services.receive_into_stock(
            user=personas.sales_manager, vehicle=car, arrival_date=arrived, location=" B-07 "
        )
        car.refresh_from_db()
        assert (car.status, car.arrival_date, car.location) == ("in_stock", arrived, "B-07")
        assert services.days_in_stock(car.arrival_date) == 2

    def test_an_ordered_car_may_be_received_without_passing_through_transit(self, personas):
        car = ordered_car(personas.store, location="A-01")
        services.receive_into_stock(
            user=personas.showroom_manager, vehicle=car, arrival_date=TODAY, location=""
        )
        car.refresh_from_db()
        assert car.status == "in_stock" and car.location == "A-01", "blank location keeps it"

    @pytest.mark.parametrize("status", ["reserved", "sold", "delivered"])
    def test_car_held_by_a_sales_order_is_not_moved_by_hand(self, personas, status):
        car = VehicleFactory(store=personas.store, status=status)
        with pytest.raises(ValidationError) as error:
            services.mark_in_transit(user=personas.sales_manager, vehicle=car)
        assert error.value.code == "held_by_order"
        assert "销售订单" in error.value.messages[0] or "sales order" in error.value.messages[0]
        with pytest.raises(ValidationError) as error:
            services.receive_into_stock(
                user=personas.sales_manager, vehicle=car, arrival_date=TODAY
            )
        assert error.value.code == "held_by_order"
        car.refresh_from_db()
        assert car.status == status

    def test_only_an_ordered_car_goes_in_transit(self, personas):
        car = VehicleFactory(store=personas.store, status="in_stock")
        with pytest.raises(ValidationError) as error:
            services.mark_in_transit(user=personas.sales_manager, vehicle=car)
        assert error.value.code == "not_ordered"

    def test_a_car_already_in_stock_cannot_be_received_again(self, personas):
        car = VehicleFactory(store=personas.store, status="in_stock")
        with pytest.raises(ValidationError) as error:
            services.receive_into_stock(
                user=personas.sales_manager, vehicle=car, arrival_date=TODAY
            )
        assert error.value.code == "not_arriving"

    def test_arrival_date_is_required_and_not_in_the_future(self, personas, frozen):
        car = ordered_car(personas.store)
        with pytest.raises(ValidationError) as error:
            services.receive_into_stock(user=personas.sales_manager, vehicle=car, arrival_date=None)
        assert error.value.error_dict["arrival_date"][0].code == "required"
        tomorrow = TODAY + datetime.timedelta(days=1)
        with pytest.raises(ValidationError) as error:
            services.receive_into_stock(
                user=personas.sales_manager, vehicle=car, arrival_date=tomorrow
            )
        assert error.value.error_dict["arrival_date"][0].code == "arrival_future"
        car.refresh_from_db()
        assert car.status == "ordered"

    def test_consultant_may_not_move_stock(self, personas):
        car = ordered_car(personas.store)
        with pytest.raises(PermissionDenied):
            services.mark_in_transit(user=personas.consultant, vehicle=car)

    def test_another_stores_car_cannot_be_moved(self, personas):
        car = ordered_car(personas.other_store)
        with pytest.raises(PermissionDenied):
            services.mark_in_transit(user=personas.sales_manager, vehicle=car)

    def test_every_step_is_audited_with_user_and_reason(self, personas, frozen):
        car = ordered_car(personas.store)
        services.mark_in_transit(user=personas.sales_manager, vehicle=car)
        services.receive_into_stock(
            user=personas.showroom_manager, vehicle=car, arrival_date=TODAY, location="C-3"
        )
        rows = list(car.history.order_by("history_date", "history_id"))
        assert [r.status for r in rows] == ["ordered", "in_transit", "in_stock"]
        assert [r.history_change_reason for r in rows[1:]] == ["in_transit", "received"]
        assert rows[1].history_user == personas.sales_manager
        assert rows[2].history_user == personas.showroom_manager
        assert rows[2].arrival_date == TODAY and rows[2].location == "C-3"


@pytest.mark.django_db
class TestHandEditGuard:
    def edit(self, client, car, **overrides):
        data = {
            "vin": car.vin,
            "trim": car.trim_id,
            "color": car.color_id,
            "status": car.status,
            "cost": "120000.00",
        }
        data.update(overrides)
        return client.post(reverse("inventory:vehicle_edit", args=[car.pk]), data)

    def test_edit_form_offers_only_the_hand_statuses(self, login, personas):
        car = VehicleFactory(store=personas.store)
        response = login(personas.sales_manager).get(
            reverse("inventory:vehicle_edit", args=[car.pk])
        )
        choices = [value for value, _label in response.context["form"].fields["status"].choices]
        assert choices == ["ordered", "in_transit", "in_stock"]

    def test_edit_form_cannot_mark_a_car_sold(self, login, personas):
        car = VehicleFactory(store=personas.store, status="in_stock")
        response = self.edit(login(personas.sales_manager), car, status="sold")
        assert response.status_code == 200
        car.refresh_from_db()
        assert car.status == "in_stock"

    def test_reserved_car_keeps_its_status_whatever_the_form_posts(self, login, personas):
        car = VehicleFactory(store=personas.store, status="reserved")
        response = self.edit(login(personas.sales_manager), car, status="in_stock", location="D-1")
        assert response.status_code == 302
        car.refresh_from_db()
        assert (car.status, car.location) == ("reserved", "D-1")

    def test_service_refuses_moving_a_reserved_car_with_a_clear_code(self, personas):
        car = VehicleFactory(store=personas.store, status="reserved")
        car.status = "in_stock"
        with pytest.raises(ValidationError) as error:
            services.save_vehicle(user=personas.sales_manager, vehicle=car)
        assert error.value.error_dict["status"][0].code == "held_by_order"
        assert Vehicle.objects.get(pk=car.pk).status == "reserved"

    def test_new_vehicle_cannot_start_as_sold(self, personas):
        car = Vehicle(
            vin=vin_for(880001), trim=TrimFactory(), color=ColorFactory(), status="sold", cost=1
        )
        with pytest.raises(ValidationError) as error:
            services.save_vehicle(user=personas.sales_manager, vehicle=car)
        assert error.value.error_dict["status"][0].code == "status_by_order"


@pytest.mark.django_db
class TestDetailPageSteps:
    def test_ordered_car_shows_both_next_steps_to_a_stock_editor(self, login, personas):
        car = ordered_car(personas.store)
        page = login(personas.sales_manager).get(car.get_absolute_url()).text
        assert reverse("inventory:vehicle_in_transit", args=[car.pk]) in page
        assert reverse("inventory:vehicle_receive", args=[car.pk]) in page

    def test_car_in_transit_offers_only_receiving(self, login, personas):
        car = VehicleFactory(store=personas.store, status="in_transit", arrival_date=None)
        page = login(personas.sales_manager).get(car.get_absolute_url()).text
        assert reverse("inventory:vehicle_in_transit", args=[car.pk]) not in page
        assert reverse("inventory:vehicle_receive", args=[car.pk]) in page

    def test_consultant_sees_the_car_but_no_step_buttons(self, login, personas):
        car = ordered_car(personas.store)
        page = login(personas.consultant).get(car.get_absolute_url()).text
        assert reverse("inventory:vehicle_receive", args=[car.pk]) not in page

    def test_reserved_car_links_its_order_instead_of_buttons(self, login, personas):
        car = VehicleFactory(store=personas.store, status="reserved")
        order = SalesOrderFactory(
            customer__owner=personas.consultant, vehicle=car, trim=car.trim, status="allocated"
        )
        page = login(personas.sales_manager).get(car.get_absolute_url()).text
        assert reverse("inventory:vehicle_receive", args=[car.pk]) not in page
        assert order.number in page

    def test_receive_button_moves_the_car_and_the_history_shows_it(self, login, personas, frozen):
        car = ordered_car(personas.store)
        client = login(personas.sales_manager)
        response = client.post(
            reverse("inventory:vehicle_receive", args=[car.pk]),
            {"arrival_date": TODAY.isoformat(), "location": "A-12"},
        )
        assert response.status_code == 302
        car.refresh_from_db()
        assert car.status == "in_stock" and car.location == "A-12"
        page = client.get(car.get_absolute_url()).text
        assert "已向厂家订车 → 在库" in page

    def test_bad_step_gets_a_message_and_changes_nothing(self, login, personas, frozen):
        car = ordered_car(personas.store)
        client = login(personas.sales_manager)
        tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
        response = client.post(
            reverse("inventory:vehicle_receive", args=[car.pk]),
            {"arrival_date": tomorrow},
            follow=True,
        )
        assert [str(m) for m in response.context["messages"]]
        car.refresh_from_db()
        assert car.status == "ordered"

    def test_consultant_posting_a_step_gets_403(self, login, personas):
        car = ordered_car(personas.store)
        response = login(personas.consultant).post(
            reverse("inventory:vehicle_in_transit", args=[car.pk])
        )
        assert response.status_code == 403
        car.refresh_from_db()
        assert car.status == "ordered"

    def test_other_stores_car_is_404_for_a_step(self, login, personas):
        car = ordered_car(personas.other_store)
        response = login(personas.sales_manager).post(
            reverse("inventory:vehicle_in_transit", args=[car.pk])
        )
        assert response.status_code == 404
        car.refresh_from_db()
        assert car.status == "ordered"

    def test_steps_accept_post_only(self, login, personas):
        car = ordered_car(personas.store)
        response = login(personas.sales_manager).get(
            reverse("inventory:vehicle_in_transit", args=[car.pk])
        )
        assert response.status_code == 405
