"""A deal's stage move is noted on the customer's timeline and paces the customer's follow-up."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealerplan.activities.choices import ActivityKind
from dealerplan.activities.models import Activity
from dealerplan.deals import services
from dealerplan.deals.models import Deal
from tests.deals.factories_deals import default_stages, make_deal
from tests.factories import CustomerFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 16, 15, 0, tzinfo=SHANGHAI)  # a Monday afternoon


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def at_ten(days: int) -> datetime.datetime:
    return datetime.datetime.combine(
        NOW.date() + datetime.timedelta(days=days), datetime.time(10), tzinfo=SHANGHAI
    )


def notes_of(customer):
    return list(Activity.objects.filter(customer=customer, kind=ActivityKind.NOTE))


@pytest.mark.django_db
class TestStageMoveNote:
    def test_move_puts_a_note_with_both_stage_names_on_the_customer(self, personas):
        deal = make_deal(personas.consultant, "试驾")
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["报价"])
        (note,) = notes_of(deal.customer)
        assert "试驾 → 报价" in note.notes
        assert note.owner == personas.consultant
        assert note.store == personas.store
        assert note.status == "done"
        assert note.done_at == NOW

    def test_customer_follow_up_is_the_stages_not_the_earlier_level_rule(self, personas):
        # Level H would be due again in 2 days; the quote stage paces at 3.
        customer = CustomerFactory(owner=personas.consultant, intention_level="H")
        deal = make_deal(personas.consultant, "试驾", customer=customer)
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["报价"])
        customer.refresh_from_db()
        assert customer.next_follow_up_at == at_ten(3)
        assert customer.next_follow_up_at == deal.next_follow_up_at

    def test_a_far_follow_up_is_brought_to_the_stages_pace(self, personas):
        customer = CustomerFactory(
            owner=personas.consultant, intention_level="C", next_follow_up_at=at_ten(25)
        )
        deal = make_deal(personas.consultant, "意向", customer=customer)
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["试驾"])
        customer.refresh_from_db()
        assert customer.next_follow_up_at == at_ten(5)

    def test_a_sooner_date_the_consultant_set_is_kept(self, personas):
        customer = CustomerFactory(owner=personas.consultant, next_follow_up_at=at_ten(1))
        deal = make_deal(personas.consultant, "意向", customer=customer)
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["试驾"])
        customer.refresh_from_db()
        assert customer.next_follow_up_at == at_ten(1)
        assert len(notes_of(customer)) == 1

    def test_an_overdue_follow_up_moves_to_the_stages_date(self, personas):
        customer = CustomerFactory(owner=personas.consultant, next_follow_up_at=at_ten(-4))
        deal = make_deal(personas.consultant, "意向", customer=customer)
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["报价"])
        customer.refresh_from_db()
        assert customer.next_follow_up_at == at_ten(3)

    def test_a_note_is_not_a_contact(self, personas):
        last = NOW - datetime.timedelta(days=6)
        customer = CustomerFactory(owner=personas.consultant, last_contact_at=last)
        deal = make_deal(personas.consultant, "意向", customer=customer)
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["试驾"])
        customer.refresh_from_db()
        assert customer.last_contact_at == last

    def test_closing_stage_is_noted_and_leaves_the_follow_up_alone(self, personas):
        customer = CustomerFactory(owner=personas.consultant, next_follow_up_at=at_ten(9))
        deal = make_deal(personas.consultant, "报价", customer=customer)
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["订单"])
        customer.refresh_from_db()
        assert customer.next_follow_up_at == at_ten(9)
        assert "报价 → 订单" in notes_of(customer)[0].notes

    def test_moving_to_the_current_stage_notes_nothing(self, personas):
        deal = make_deal(personas.consultant, "试驾")
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["试驾"])
        assert notes_of(deal.customer) == []

    def test_refused_move_writes_no_note(self, personas):
        deal = make_deal(personas.consultant, "试驾")
        with pytest.raises(ValidationError):
            services.move_deal(personas.consultant, deal, default_stages(personas.store)["投标"])
        assert notes_of(deal.customer) == []

    def test_managers_move_is_noted_as_theirs(self, personas):
        deal = make_deal(personas.consultant, "意向")
        services.move_deal(personas.sales_manager, deal, default_stages(personas.store)["试驾"])
        (note,) = notes_of(deal.customer)
        assert note.owner == personas.sales_manager

    def test_card_handed_to_a_colleague_still_moves_without_a_note(self, personas):
        deal = make_deal(personas.consultant, "意向")
        deal.customer.owner = personas.colleague
        deal.customer.save(update_fields=["owner"])
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["试驾"])
        deal.refresh_from_db()
        assert deal.stage.name == "试驾"
        assert notes_of(deal.customer) == []

    def test_stage_changed_in_the_edit_form_is_noted_too(self, personas):
        deal = make_deal(personas.consultant, "意向")
        deal.stage = default_stages(personas.store)["报价"]
        services.save_deal(personas.consultant, deal)
        assert "意向 → 报价" in notes_of(deal.customer)[0].notes

    def test_new_deal_and_unchanged_stage_edits_note_nothing(self, personas):
        stage = default_stages(personas.store)["意向"]
        customer = CustomerFactory(owner=personas.consultant)
        deal = services.save_deal(
            personas.consultant,
            Deal(customer=customer, pipeline=stage.pipeline, stage=stage, title="新商机"),
        )
        deal.title = "改个标题"
        services.save_deal(personas.consultant, deal)
        assert notes_of(customer) == []


@pytest.mark.django_db
def test_board_move_shows_on_the_customer_timeline(login, personas):
    deal = make_deal(personas.consultant, "试驾")
    client = login(personas.consultant)
    response = client.post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": default_stages(personas.store)["报价"].pk},
        headers={"Accept": "application/json"},
    )
    assert response.json()["ok"] is True
    page = client.get(reverse("customers:customer_detail", args=[deal.customer.pk])).text
    assert "试驾 → 报价" in page
