"""A walk-in linked to a customer card is a showroom reception on the customer's timeline."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealerplan.activities import traffic
from dealerplan.activities.choices import ActivityKind, TrafficKind
from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.customers.models import Customer
from tests.factories import CustomerFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 16, 15, 0, tzinfo=SHANGHAI)
ARRIVED = datetime.datetime(2026, 3, 16, 14, 30, tzinfo=SHANGHAI)
PHONE = "13812348000"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def register(user, *, consultant=None, kind=TrafficKind.WALK_IN, phone=PHONE, **extra):
    open_card = extra.pop("open_card", False)
    entry = TrafficEntry(
        kind=kind,
        arrived_at=extra.pop("arrived_at", ARRIVED),
        visitor_phone=phone,
        consultant=consultant,
        **extra,
    )
    return traffic.register_traffic(user=user, entry=entry, open_card=open_card).entry


def receptions(customer):
    return list(Activity.objects.filter(customer=customer, kind=ActivityKind.RECEPTION))


@pytest.mark.django_db
class TestReceptionOnLink:
    def test_walk_in_of_own_customer_logs_a_reception_and_moves_last_contact(self, personas):
        customer = CustomerFactory(
            owner=personas.consultant,
            phone=PHONE,
            intention_level="A",
            last_contact_at=NOW - datetime.timedelta(days=20),
        )
        register(personas.consultant, notes="看了新款速腾")
        (reception,) = receptions(customer)
        assert reception.owner == personas.consultant
        assert reception.done_at == ARRIVED
        assert reception.status == "done"
        assert reception.notes == "看了新款速腾"
        customer.refresh_from_db()
        assert customer.last_contact_at == ARRIVED
        # Level A is due again a week after the visit, at 10:00.
        assert customer.next_follow_up_at == datetime.datetime(2026, 3, 23, 10, tzinfo=SHANGHAI)

    def test_colleagues_customer_is_received_by_the_consultant_at_the_desk(self, personas):
        customer = CustomerFactory(owner=personas.colleague, phone=PHONE)
        register(personas.consultant)
        (reception,) = receptions(customer)
        assert reception.owner == personas.consultant
        customer.refresh_from_db()
        assert customer.last_contact_at == ARRIVED
        assert customer.owner == personas.colleague

    def test_front_desk_records_the_reception_for_the_serving_consultant(self, personas):
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE)
        register(personas.showroom_manager, consultant=personas.consultant)
        assert receptions(customer)[0].owner == personas.consultant

    def test_unserved_visitor_is_received_by_the_front_desk(self, personas):
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE)
        register(personas.showroom_manager)
        assert receptions(customer)[0].owner == personas.showroom_manager

    def test_an_earlier_visit_does_not_move_last_contact_back(self, personas):
        later = NOW - datetime.timedelta(hours=1)
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE, last_contact_at=later)
        register(personas.consultant, arrived_at=NOW - datetime.timedelta(days=1))
        customer.refresh_from_db()
        assert customer.last_contact_at == later
        assert len(receptions(customer)) == 1

    def test_phone_call_in_is_not_a_showroom_reception(self, personas):
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE)
        register(personas.consultant, kind=TrafficKind.CALL_IN)
        assert receptions(customer) == []

    def test_visitor_without_a_card_logs_nothing(self, personas):
        register(personas.consultant)
        assert not Activity.objects.exists()

    def test_other_stores_customer_is_neither_linked_nor_touched(self, personas):
        theirs = CustomerFactory(owner=personas.other_consultant, phone=PHONE)
        register(personas.consultant)
        assert receptions(theirs) == []
        theirs.refresh_from_db()
        assert theirs.last_contact_at is None

    def test_card_opened_from_the_walk_in_starts_with_its_reception(self, personas):
        register(personas.consultant, visitor_name="新客户", open_card=True)
        customer = Customer.objects.get(phone=PHONE)
        (reception,) = receptions(customer)
        assert reception.done_at == ARRIVED
        customer.refresh_from_db()
        assert customer.next_follow_up_at is not None


@pytest.mark.django_db
class TestEditing:
    def test_saving_again_with_the_same_link_logs_no_second_reception(self, personas):
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE)
        entry = register(personas.consultant)
        entry.left_at = NOW
        traffic.register_traffic(user=personas.consultant, entry=entry)
        assert len(receptions(customer)) == 1

    def test_phone_added_later_links_and_logs_the_reception(self, personas):
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE)
        entry = register(personas.consultant, phone="")
        assert receptions(customer) == []
        entry.visitor_phone = PHONE
        traffic.register_traffic(user=personas.consultant, entry=entry)
        (reception,) = receptions(customer)
        assert reception.done_at == ARRIVED

    def test_form_link_shows_on_the_customer_timeline(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE)
        client = login(personas.consultant)
        response = client.post(
            reverse("traffic:traffic_add"),
            {
                "kind": "walk_in",
                "arrived_at": "2026-03-16T14:30",
                "visit_type": "",
                "party_size": "2",
                "channel": "",
                "visitor_phone": PHONE,
            },
        )
        assert response.status_code == 302
        page = client.get(reverse("customers:customer_detail", args=[customer.pk])).text
        assert str(ActivityKind.RECEPTION.label) in page
        customer.refresh_from_db()
        assert customer.last_contact_at == ARRIVED

    def test_failed_registration_logs_nothing(self, personas):
        customer = CustomerFactory(owner=personas.consultant, phone=PHONE)
        with pytest.raises(ValidationError):
            register(personas.consultant, arrived_at=NOW + datetime.timedelta(hours=2))
        assert receptions(customer) == []
        customer.refresh_from_db()
        assert customer.last_contact_at is None
