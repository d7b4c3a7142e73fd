"""The board reads counts, sums and the first cards of each stage in SQL, not every deal."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealerplan.deals import services
from dealerplan.deals import views as deal_views
from dealerplan.deals.models import Deal
from tests.deals.factories_deals import default_stages, make_deal


def closed_deal(owner, stage_name, *, days_ago, **extra):
    """A won/lost deal whose last change was ``days_ago`` days ago."""
    deal = make_deal(owner, stage_name, status="won" if stage_name == "订单" else "lost", **extra)
    Deal.objects.filter(pk=deal.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return deal


def column(response, name):
    return next(c for c in response.context["columns"] if c["stage"].name == name)


@pytest.mark.django_db
class TestBoardColumns:
    def test_header_counts_and_sums_every_deal_not_only_the_cards_shown(
        self, login, personas, monkeypatch
    ):
        monkeypatch.setattr(deal_views, "CARDS_PER_COLUMN", 2)
        for amount in ("100.10", "200.20", "300.30"):
            make_deal(personas.consultant, "试驾", amount=Decimal(amount))
        response = login(personas.consultant).get(reverse("deals:board"))
        test_drive = column(response, "试驾")
        assert (test_drive["count"], test_drive["amount"]) == (3, Decimal("600.60"))
        assert len(test_drive["deals"]) == 2 and test_drive["more"] == 1
        assert 'data-value="600.60"' in response.text  # the drag-and-drop script starts here
        empty = column(response, "报价")
        assert (empty["count"], empty["amount"], empty["deals"]) == (0, Decimal("0"), [])

    def test_closed_deals_stay_for_thirty_days_in_counts_and_cards(self, login, personas):
        recent = closed_deal(personas.consultant, "订单", days_ago=3, title="上周成交")
        closed_deal(personas.consultant, "订单", days_ago=45, title="早就成交")
        closed_deal(personas.consultant, "战败", days_ago=31, title="早就战败")
        response = login(personas.consultant).get(reverse("deals:board"))
        won = column(response, "订单")
        assert won["deals"] == [recent] and won["count"] == 1
        assert column(response, "战败")["count"] == 0
        assert "早就成交" not in response.text and "早就战败" not in response.text

    def test_cards_are_the_most_urgent_first_across_open_and_closed_deals(self, personas):
        now = timezone.now()
        in_3_days = now + datetime.timedelta(days=3)
        stage = default_stages(personas.store)["意向"]
        later = make_deal(personas.consultant, "意向", next_follow_up_at=in_3_days)
        sooner = make_deal(personas.consultant, "意向", next_follow_up_at=now)
        big = make_deal(
            personas.consultant,
            "意向",
            amount=Decimal("900000"),
            next_follow_up_at=in_3_days,
        )
        # Status and stage disagree (say an import): still on the board, in board order.
        odd = make_deal(personas.consultant, "意向", status="won", amount=Decimal("1"))
        deals = services.board_deals(personas.consultant, stage.pipeline)
        [intent] = services.board_columns(deals, [stage], per_column=3)
        expected = list(
            Deal.objects.filter(pk__in=[d.pk for d in (later, sooner, big, odd)]).order_by(
                *services.BOARD_ORDER
            )
        )
        assert intent.deals == expected[:3]
        # Earliest follow-up first, then the bigger deal (where NULLs sort is the database's).
        assert [d for d in intent.deals if d != odd][:2] == [sooner, big]
        assert (intent.count, intent.more) == (4, 1)

    def test_a_manager_can_show_one_consultants_cards(self, login, personas):
        make_deal(personas.consultant, "意向", title="顾问甲的商机")
        make_deal(personas.colleague, "意向", title="顾问乙的商机")
        url = reverse("deals:board") + f"?owner={personas.colleague.pk}"
        page = login(personas.sales_manager).get(url)
        assert "顾问乙的商机" in page.text and "顾问甲的商机" not in page.text
        assert column(page, "意向")["count"] == 1
        # A consultant's own scope wins over the parameter.
        page = login(personas.consultant).get(url)
        assert "顾问甲的商机" in page.text and "顾问乙的商机" not in page.text

    def test_query_count_stays_fixed_past_the_card_limit(self, login, personas, monkeypatch):
        monkeypatch.setattr(deal_views, "CARDS_PER_COLUMN", 2)
        client = login(personas.sales_manager)
        make_deal(personas.consultant, "意向")
        url = reverse("deals:board")
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for name in ("意向", "试驾", "报价"):
            for owner in (personas.consultant, personas.colleague):
                for _n in range(3):
                    make_deal(owner, name)
        closed_deal(personas.consultant, "订单", days_ago=1)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert [len(c["deals"]) for c in response.context["columns"]] == [2, 2, 2, 1, 0]
        assert len(many) == len(few)

    def test_card_links_are_the_deal_and_move_addresses(self, login, personas):
        deal = make_deal(personas.consultant, "意向")
        page = login(personas.consultant).get(reverse("deals:board")).text
        assert f'href="{deal.get_absolute_url()}"' in page
        move = reverse("deals:move", args=[deal.pk])
        assert f'data-move-url="{move}"' in page and f'action="{move}"' in page


@pytest.mark.django_db
def test_tracking_shows_follow_up_in_shanghai_time(login, personas):
    due = datetime.datetime(2027, 3, 10, 2, 30, tzinfo=datetime.UTC)
    make_deal(personas.consultant, "投标", title="公交项目", next_follow_up_at=due)
    with time_machine.travel(datetime.datetime(2027, 3, 1, tzinfo=datetime.UTC), tick=False):
        page = login(personas.consultant).get(reverse("deals:tracking")).text
    assert "2027-03-10 10:30" in page  # 02:30 UTC


@pytest.mark.django_db
def test_tracking_lists_only_fleet_projects_of_the_users_scope(login, personas):
    make_deal(personas.consultant, "投标", title="车队项目")
    make_deal(personas.consultant, "意向", title="零售商机")
    make_deal(personas.other_consultant, "投标", title="外店项目")
    response = login(personas.sales_manager).get(reverse("deals:tracking"))
    assert [d.title for d in response.context["table"].data] == ["车队项目"]
