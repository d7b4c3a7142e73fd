"""Every API endpoint obeys the UI's scope: another consultant's or another store's record is a
404 in detail and absent from the list; managers see their store; group users every store."""

import pytest
from django.urls import reverse

from tests.api.factories_api import MAKERS, customer_of
from tests.factories import PaymentFactory, SalesOrderFactory, VehicleFactory

OWNER_SCOPED = [name for name in MAKERS if name != "vehicle"]


def list_ids(client, basename, **params) -> set[int]:
    response = client.get(reverse(f"api:{basename}-list"), params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def detail_status(client, basename, record) -> int:
    return client.get(reverse(f"api:{basename}-detail", args=[record.pk])).status_code


@pytest.mark.django_db
class TestConsultantScope:
    @pytest.mark.parametrize("basename", OWNER_SCOPED)
    def test_consultant_sees_own_record_but_not_a_colleagues(self, api, personas, basename):
        own = MAKERS[basename](personas.consultant)
        colleagues = MAKERS[basename](personas.colleague)
        client = api(personas.consultant)

        assert detail_status(client, basename, own) == 200
        assert detail_status(client, basename, colleagues) == 404
        ids = list_ids(client, basename)
        assert own.pk in ids and colleagues.pk not in ids

    def test_consultant_sees_the_stores_stock_but_not_another_stores(self, api, personas):
        ours = VehicleFactory(store=personas.store)
        theirs = VehicleFactory(store=personas.other_store)
        client = api(personas.consultant)

        assert detail_status(client, "vehicle", ours) == 200
        assert detail_status(client, "vehicle", theirs) == 404
        assert list_ids(client, "vehicle") == {ours.pk}


@pytest.mark.django_db
class TestStoreScope:
    @pytest.mark.parametrize("basename", list(MAKERS))
    def test_manager_sees_the_store_but_not_another_store(self, api, personas, basename):
        ours = MAKERS[basename](personas.consultant)
        theirs = MAKERS[basename](personas.other_consultant)
        client = api(personas.sales_manager)

        assert detail_status(client, basename, ours) == 200
        assert detail_status(client, basename, theirs) == 404
        ids = list_ids(client, basename)
        assert ours.pk in ids and theirs.pk not in ids

    @pytest.mark.parametrize("basename", ["customer", "deal", "order", "vehicle", "plan"])
    def test_group_manager_sees_every_store(self, api, personas, basename):
        ours = MAKERS[basename](personas.consultant)
        theirs = MAKERS[basename](personas.other_consultant)
        assert {ours.pk, theirs.pk} <= list_ids(api(personas.group_manager), basename)

    def test_finance_sees_the_payments_of_its_store_only(self, api, personas):
        ours = MAKERS["payment"](personas.consultant)
        colleagues = MAKERS["payment"](personas.colleague)
        theirs = MAKERS["payment"](personas.other_consultant)
        client = api(personas.finance)

        assert list_ids(client, "payment") == {ours.pk, colleagues.pk}
        assert detail_status(client, "payment", theirs) == 404

    def test_order_detail_lists_only_its_own_payments(self, api, personas):
        payment = MAKERS["payment"](personas.consultant)
        PaymentFactory(order=SalesOrderFactory(customer=customer_of(personas.colleague)))
        body = (
            api(personas.finance).get(reverse("api:order-detail", args=[payment.order.pk])).json()
        )
        assert [row["id"] for row in body["payments"]] == [payment.pk]
        assert body["paid_amount"] == "5000.00"


@pytest.mark.django_db
class TestScopedReferences:
    def test_activity_cannot_be_logged_on_a_colleagues_customer(self, api, personas):
        theirs = customer_of(personas.colleague)
        response = api(personas.consultant).post(
            reverse("api:activity-list"), {"customer": theirs.pk, "kind": "call"}, format="json"
        )
        assert response.status_code == 400
        assert "customer" in response.json()
        assert not theirs.activities.exists()

    def test_order_cannot_take_another_stores_vehicle(self, api, personas):
        order = SalesOrderFactory(customer=customer_of(personas.consultant))
        foreign = VehicleFactory(store=personas.other_store, trim=order.trim)
        response = api(personas.sales_manager).post(
            reverse("api:order-allocate-vehicle", args=[order.pk]),
            {"vehicle": foreign.pk},
            format="json",
        )
        assert response.status_code == 400
        order.refresh_from_db()
        assert order.vehicle_id is None

    def test_out_of_scope_action_is_404(self, api, personas):
        deal = MAKERS["deal"](personas.other_consultant)
        response = api(personas.sales_manager).post(
            reverse("api:deal-move", args=[deal.pk]), {"stage": deal.stage_id}, format="json"
        )
        assert response.status_code == 404
