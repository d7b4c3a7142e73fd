"""Registering traffic: the fast form and ``register_traffic`` behind it."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from dealerplan.activities import traffic
from dealerplan.activities.models import TrafficEntry
from dealerplan.customers.models import Customer
from tests.factories import CustomerFactory, SeriesFactory, TrafficEntryFactory, TrimFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 15, 15, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def form_errors(response) -> dict:
    return {
        name: [str(e) for e in errors] for name, errors in response.context["form"].errors.items()
    }


def post(client, **overrides):
    data = {
        "kind": "walk_in",
        "arrived_at": "2026-03-15T14:30",
        "visit_type": "",
        "party_size": "1",
        "channel": "",
    }
    data.update({key: value for key, value in overrides.items() if value is not None})
    return client.post(reverse("traffic:traffic_add"), data)


@pytest.mark.django_db
class TestFastForm:
    def test_form_opens_with_arrival_now_in_local_time(self, login, personas):
        page = login(personas.consultant).get(reverse("traffic:traffic_add")).text
        assert 'value="2026-03-15T15:00"' in page
        assert "建卡" in page

    def test_anonymous_walk_in_is_recorded_for_the_consultant(self, login, personas):
        response = post(login(personas.consultant))
        assert response.status_code == 302
        assert response["Location"] == reverse("traffic:traffic_list")
        entry = TrafficEntry.objects.get()
        assert entry.consultant == personas.consultant
        assert entry.store == personas.store
        assert entry.arrived_at == datetime.datetime(2026, 3, 15, 14, 30, tzinfo=SHANGHAI)
        assert entry.channel == "walk_in"
        assert entry.visit_type == "F"
        assert entry.customer is None
        assert entry.visitor_name == "" and entry.visitor_phone == ""

    def test_empty_channel_follows_the_type(self, login, personas):
        post(login(personas.consultant), kind="call_in")
        assert TrafficEntry.objects.get().channel == "phone_in"

    def test_chosen_channel_is_kept(self, login, personas):
        post(login(personas.consultant), channel="referral")
        assert TrafficEntry.objects.get().channel == "referral"

    def test_save_and_add_another_returns_to_an_empty_form(self, login, personas):
        response = post(login(personas.consultant), add_another="1")
        assert response["Location"] == reverse("traffic:traffic_add")

    def test_series_of_interest_is_limited_to_our_brand(self, login, personas):
        ours = SeriesFactory(name="迈腾")
        theirs = SeriesFactory(name="凯美瑞", brand__name="丰田", brand__is_competitor=True)
        client = login(personas.consultant)
        page = client.get(reverse("traffic:traffic_add")).text
        assert "迈腾" in page and "凯美瑞" not in page
        response = post(client, series=theirs.pk)
        assert "series" in form_errors(response)
        post(client, series=ours.pk)
        assert TrafficEntry.objects.get().series == ours

    def test_departure_before_arrival_is_refused_with_a_clear_message(self, login, personas):
        response = post(login(personas.consultant), left_at="2026-03-15T14:00")
        assert response.status_code == 200
        assert form_errors(response)["left_at"] == ["离店时间必须晚于到店时间。"]
        assert not TrafficEntry.objects.exists()

    def test_arrival_in_the_future_is_refused(self, login, personas):
        response = post(login(personas.consultant), arrived_at="2026-03-15T18:00")
        assert form_errors(response)["arrived_at"] == ["到店时间不能晚于现在。"]
        assert not TrafficEntry.objects.exists()

    def test_invalid_phone_is_a_field_error_and_nothing_is_written(self, login, personas):
        response = post(
            login(personas.consultant), visitor_phone="12345", visitor_name="王先生", open_card="on"
        )
        assert response.status_code == 200
        assert "手机" in form_errors(response)["visitor_phone"][0]
        assert not TrafficEntry.objects.exists()
        assert not Customer.objects.exists()

    def test_errors_are_in_english_after_switching_language(self, login, personas):
        client = login(personas.consultant)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        with translation.override("en"):
            response = post(client, left_at="2026-03-15T14:00", visitor_phone="12345")
        assert "The departure time must be later than the arrival time." in response.text
        assert "Enter a valid mobile" in response.text
        assert "离店" not in response.text
        assert not TrafficEntry.objects.exists()

    def test_consultant_cannot_book_an_entry_to_a_colleague(self, login, personas):
        post(login(personas.consultant), consultant=personas.colleague.pk)
        assert TrafficEntry.objects.get().consultant == personas.consultant

    def test_manager_picks_a_consultant_of_the_store_only(self, login, personas):
        client = login(personas.showroom_manager)
        response = post(client, consultant=personas.other_consultant.pk)
        assert "consultant" in form_errors(response)
        assert not TrafficEntry.objects.exists()
        post(client, consultant=personas.colleague.pk)
        assert TrafficEntry.objects.get().consultant == personas.colleague

    def test_manager_may_record_an_unserved_visitor(self, login, personas):
        response = post(login(personas.showroom_manager))
        assert response.status_code == 302
        assert TrafficEntry.objects.get().consultant is None

    def test_finance_cannot_open_the_form(self, login, personas):
        assert login(personas.finance).get(reverse("traffic:traffic_add")).status_code == 403


@pytest.mark.django_db
class TestLinking:
    def test_phone_of_own_customer_links_and_names_them(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, name="老朋友", phone="13812348000")
        client = login(personas.consultant)
        response = post(client, visitor_phone="138 1234 8000")
        entry = TrafficEntry.objects.get()
        assert entry.customer == customer
        assert entry.visitor_phone == "13812348000"
        page = client.get(response["Location"]).text
        assert "已关联客户 老朋友" in page

    def test_phone_of_colleagues_customer_links_without_revealing_the_card(self, login, personas):
        customer = CustomerFactory(owner=personas.colleague, name="同事的客户", phone="13812348000")
        client = login(personas.consultant)
        response = post(client, visitor_phone="13812348000")
        assert TrafficEntry.objects.get().customer == customer
        page = client.get(response["Location"]).text
        assert "已有客户档案" in page
        assert "同事的客户" not in page and personas.colleague.display_name not in page
        customer.refresh_from_db()
        assert customer.owner == personas.colleague  # the card stays where it was

    def test_other_stores_customer_with_the_same_phone_is_not_linked(self, login, personas):
        CustomerFactory(owner=personas.other_consultant, phone="13812348000")
        post(login(personas.consultant), visitor_phone="13812348000")
        assert TrafficEntry.objects.get().customer is None

    def test_open_card_creates_a_level_b_lead_with_source_from_the_channel(self, login, personas):
        client = login(personas.consultant)
        response = post(
            client,
            kind="call_in",
            visitor_name="新客户",
            visitor_phone="13900001111",
            open_card="on",
        )
        customer = Customer.objects.get()
        assert (customer.name, customer.phone) == ("新客户", "13900001111")
        assert customer.intention_level == "B"
        assert customer.source == "phone_in"
        assert customer.owner == personas.consultant and customer.store == personas.store
        assert TrafficEntry.objects.get().customer == customer
        assert "已为 新客户 建卡" in client.get(response["Location"]).text

    def test_the_card_takes_the_series_only_trim_as_the_intended_trim(self, login, personas):
        trim = TrimFactory()
        post(
            login(personas.consultant),
            visitor_name="看车的",
            visitor_phone="13900001111",
            series=trim.series.pk,
            open_card="on",
        )
        assert Customer.objects.get().intended_trim == trim

    def test_with_several_trims_the_card_names_the_series_in_its_notes(self, login, personas):
        trim = TrimFactory()
        TrimFactory(series=trim.series)
        post(
            login(personas.consultant),
            visitor_name="看车的",
            visitor_phone="13900001111",
            series=trim.series.pk,
            open_card="on",
        )
        customer = Customer.objects.get()
        assert customer.intended_trim is None
        assert f"意向车系：{trim.series.name}" in customer.notes

    def test_manager_opens_the_card_for_the_chosen_consultant(self, login, personas):
        post(
            login(personas.showroom_manager),
            consultant=personas.colleague.pk,
            visitor_name="分给同事",
            visitor_phone="13900001111",
            open_card="on",
            channel="event",
        )
        customer = Customer.objects.get()
        assert customer.owner == personas.colleague
        assert customer.source == "event"

    def test_open_card_needs_a_phone_and_a_name(self, login, personas):
        response = post(login(personas.consultant), open_card="on")
        errors = form_errors(response)
        assert errors["visitor_phone"] == ["建卡需要填写访客电话。"]
        assert errors["visitor_name"] == ["建卡需要填写访客姓名。"]
        assert not TrafficEntry.objects.exists()
        assert not Customer.objects.exists()

    def test_open_card_for_a_known_phone_links_instead_of_duplicating(self, login, personas):
        customer = CustomerFactory(owner=personas.colleague, phone="13900001111")
        post(
            login(personas.consultant),
            visitor_name="重复建卡",
            visitor_phone="13900001111",
            open_card="on",
        )
        assert Customer.objects.count() == 1
        assert TrafficEntry.objects.get().customer == customer

    def test_repeat_walk_in_of_a_known_customer_becomes_s_when_not_chosen(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, phone="13812348000")
        TrafficEntryFactory(
            consultant=personas.consultant,
            customer=customer,
            arrived_at=NOW - datetime.timedelta(days=3),
        )
        post(login(personas.consultant), visitor_phone="13812348000")
        assert TrafficEntry.objects.latest("arrived_at").visit_type == "S"

    def test_known_customer_without_an_earlier_walk_in_is_a_first_visit(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, phone="13812348000")
        TrafficEntryFactory(  # they phoned before, but never came
            consultant=personas.consultant,
            customer=customer,
            kind="call_in",
            arrived_at=NOW - datetime.timedelta(days=3),
        )
        post(login(personas.consultant), visitor_phone="13812348000")
        assert TrafficEntry.objects.latest("arrived_at").visit_type == "F"

    def test_a_chosen_visit_type_is_kept(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, phone="13812348000")
        TrafficEntryFactory(
            consultant=personas.consultant,
            customer=customer,
            arrived_at=NOW - datetime.timedelta(days=3),
        )
        post(login(personas.consultant), visitor_phone="13812348000", visit_type="F")
        assert TrafficEntry.objects.latest("arrived_at").visit_type == "F"


@pytest.mark.django_db
class TestEditing:
    def edit(self, client, entry, **overrides):
        data = {
            "kind": entry.kind,
            "arrived_at": "2026-03-15T14:30",
            "visit_type": entry.visit_type,
            "party_size": "1",
            "channel": entry.channel,
            "visitor_phone": entry.visitor_phone,
        }
        data.update(overrides)
        return client.post(reverse("traffic:traffic_edit", args=[entry.pk]), data)

    def test_edit_keeps_the_link_while_the_phone_is_unchanged(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, phone="13812348000")
        entry = TrafficEntryFactory(
            consultant=personas.consultant, customer=customer, visitor_phone="13812348000"
        )
        customer.phone = "13812349999"  # the card's number changed since
        customer.save()
        response = self.edit(login(personas.consultant), entry, notes="补充备注")
        assert response["Location"] == reverse("traffic:traffic_detail", args=[entry.pk])
        entry.refresh_from_db()
        assert entry.customer == customer and entry.notes == "补充备注"

    def test_edit_with_a_new_phone_relinks(self, login, personas):
        entry = TrafficEntryFactory(consultant=personas.consultant)
        customer = CustomerFactory(owner=personas.consultant, phone="13812348000")
        self.edit(login(personas.consultant), entry, visitor_phone="13812348000")
        entry.refresh_from_db()
        assert entry.customer == customer

    def test_edit_records_the_departure(self, login, personas):
        entry = TrafficEntryFactory(
            consultant=personas.consultant, arrived_at=NOW - datetime.timedelta(minutes=30)
        )
        self.edit(login(personas.consultant), entry, left_at="2026-03-15T14:55")
        entry.refresh_from_db()
        assert entry.left_at == datetime.datetime(2026, 3, 15, 14, 55, tzinfo=SHANGHAI)


@pytest.mark.django_db
class TestRegisterTrafficService:
    def new_entry(self, store, **fields):
        return TrafficEntry(store=store, arrived_at=NOW, **fields)

    def test_rolls_back_everything_when_a_later_step_fails(self, personas, monkeypatch):
        def broken_save(self, *args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(TrafficEntry, "save", broken_save)
        entry = self.new_entry(
            personas.store, visitor_name="回滚", visitor_phone="13900001111", channel=""
        )
        with pytest.raises(RuntimeError):
            traffic.register_traffic(user=personas.consultant, entry=entry, open_card=True)
        assert not Customer.objects.exists()

    def test_read_only_roles_are_refused(self, personas):
        entry = self.new_entry(personas.store)
        with pytest.raises(PermissionDenied):
            traffic.register_traffic(user=personas.finance, entry=entry)

    def test_user_without_store_gets_a_clear_error(self, personas):
        entry = TrafficEntry(arrived_at=NOW)
        with pytest.raises(ValidationError) as exc:
            traffic.register_traffic(user=personas.group_manager, entry=entry)
        assert "门店" in exc.value.messages[0]

    def test_consultant_of_another_store_is_refused(self, personas):
        entry = self.new_entry(personas.store, consultant=personas.other_consultant)
        with pytest.raises(ValidationError) as exc:
            traffic.register_traffic(user=personas.sales_manager, entry=entry)
        assert "consultant" in exc.value.error_dict
        assert not TrafficEntry.objects.exists()

    def test_response_before_arrival_is_refused(self, personas):
        entry = self.new_entry(
            personas.store,
            kind="call_in",
            first_response_at=NOW - datetime.timedelta(minutes=1),
        )
        with pytest.raises(ValidationError) as exc:
            traffic.register_traffic(user=personas.consultant, entry=entry)
        assert "first_response_at" in exc.value.error_dict

    def test_editing_an_invisible_entry_is_refused(self, personas):
        entry = TrafficEntryFactory(consultant=personas.colleague)
        entry.notes = "改别人的"
        with pytest.raises(PermissionDenied):
            traffic.register_traffic(user=personas.consultant, entry=entry)
        entry.refresh_from_db()
        assert entry.notes == ""
