import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.inventory.models import (
    FactoryOrder,
    FactoryOrderLine,
    FactoryOrderStatus,
    ReorderReason,
    ReorderSettings,
)
from tests.factories import ColorFactory, TrimFactory
from tests.view_suite import export_rows

MONDAY = datetime.date(2026, 11, 30)
CURRENT = reverse("reorder:current")
LIST = reverse("reorder:list")


@pytest.fixture(autouse=True)
def _on_a_monday():
    with time_machine.travel(datetime.datetime(2026, 11, 30, 9, 0, 0), tick=False):
        yield


def make_order(store, week_start=MONDAY, lines=1, **kwargs):
    order = FactoryOrder.objects.create(store=store, week_start=week_start, **kwargs)
    color = ColorFactory()
    for _ in range(lines):
        FactoryOrderLine.objects.create(
            order=order,
            trim=TrimFactory(),
            color=color,
            forecast_qty="7.3",
            in_stock=2,
            in_transit=1,
            on_order=1,
            suggested_qty=3,
            ordered_qty=3,
            reason=ReorderReason.ORDER,
        )
    return order


def detail(order):
    return reverse("reorder:detail", args=[order.pk])


@pytest.mark.django_db
class TestAccess:
    @pytest.mark.parametrize("url", [CURRENT, LIST, "detail", "settings"])
    def test_anonymous_user_is_sent_to_login(self, client, personas, url):
        if url == "detail":
            url = detail(make_order(personas.store))
        elif url == "settings":
            url = reverse("reorder:settings")
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    @pytest.mark.parametrize("who", ["consultant", "finance"])
    def test_non_managers_are_refused(self, login, personas, who):
        order = make_order(personas.store)
        client = login(getattr(personas, who))
        for url in (CURRENT, LIST, detail(order), reverse("reorder:settings")):
            assert client.get(url).status_code == 403
        assert client.post(reverse("reorder:prepare")).status_code == 403
        assert client.post(detail(order), {"action": "submit"}).status_code == 403
        order.refresh_from_db()
        assert order.status == FactoryOrderStatus.DRAFT

    @pytest.mark.parametrize("who", ["showroom_manager", "sales_manager", "general_manager"])
    def test_store_managers_open_this_weeks_page(self, login, personas, who):
        assert login(getattr(personas, who)).get(CURRENT).status_code == 200

    def test_another_stores_order_is_404_in_detail_submit_and_export(self, login, personas):
        theirs = make_order(personas.other_store)
        client = login(personas.sales_manager)
        assert client.get(detail(theirs)).status_code == 404
        assert client.get(detail(theirs) + "?export=xlsx").status_code == 404
        line = theirs.lines.get()
        response = client.post(detail(theirs), {"action": "submit", f"qty-{line.pk}": "9"})
        assert response.status_code == 404
        line.refresh_from_db()
        assert line.ordered_qty == 3
        theirs.refresh_from_db()
        assert theirs.status == FactoryOrderStatus.DRAFT

    def test_list_and_its_export_show_only_the_users_store(self, login, personas):
        make_order(personas.store)
        make_order(personas.other_store, week_start=MONDAY - datetime.timedelta(weeks=1))
        client = login(personas.sales_manager)
        page = client.get(LIST)
        assert list(page.context["table"].data) == [FactoryOrder.objects.get(store=personas.store)]
        rows = export_rows(client.get(LIST + "?export=xlsx"))
        assert len(rows) == 2  # header + our one order

    def test_group_manager_sees_every_stores_orders(self, login, personas):
        theirs = make_order(personas.other_store)
        client = login(personas.group_manager)
        response = client.get(CURRENT)
        assert response.status_code == 302 and response["Location"] == LIST
        assert client.get(detail(theirs)).status_code == 200
        assert len(client.get(LIST).context["table"].data) == 1

    def test_sidebar_shows_factory_orders_to_managers_only(self, login, personas):
        assert f'href="{CURRENT}"' in login(personas.sales_manager).get(LIST).text
        home = login(personas.consultant).get(reverse("activities:my_day")).text
        assert f'href="{CURRENT}"' not in home


@pytest.mark.django_db
class TestThisWeek:
    def test_without_a_draft_the_page_offers_to_prepare_it(self, login, personas):
        response = login(personas.sales_manager).get(CURRENT)
        assert response.status_code == 200
        assert reverse("reorder:prepare") in response.text
        assert not FactoryOrder.objects.exists()  # a GET writes nothing

    def test_prepare_creates_the_draft_and_opens_it(self, login, personas):
        client = login(personas.sales_manager)
        response = client.post(reverse("reorder:prepare"))
        order = FactoryOrder.objects.get()
        assert (order.store, order.week_start) == (personas.store, MONDAY)
        assert response["Location"] == detail(order)
        assert client.get(CURRENT)["Location"] == detail(order)

    def test_detail_shows_the_suggestion_table_with_inputs(self, login, personas):
        order = make_order(personas.store)
        line = order.lines.get()
        page = login(personas.sales_manager).get(detail(order)).text
        assert line.trim.name in page
        assert f'name="qty-{line.pk}"' in page
        assert 'name="action" value="submit"' in page


@pytest.mark.django_db
class TestEditAndSubmit:
    def test_manager_saves_adjusted_quantities(self, login, personas):
        order = make_order(personas.store, lines=2)
        first, second = order.lines.order_by("pk")
        response = login(personas.sales_manager).post(
            detail(order), {"action": "save", f"qty-{first.pk}": "5", f"qty-{second.pk}": "0"}
        )
        assert response.status_code == 302
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.ordered_qty, second.ordered_qty) == (5, 0)
        assert first.history.first().ordered_qty == 5  # audited
        order.refresh_from_db()
        assert order.status == FactoryOrderStatus.DRAFT

    @pytest.mark.parametrize("bad", ["-1", "abc", "1000", ""])
    def test_bad_quantity_gets_a_message_and_saves_nothing(self, login, personas, bad):
        order = make_order(personas.store, lines=2)
        first, second = order.lines.order_by("pk")
        response = login(personas.sales_manager).post(
            detail(order), {"action": "submit", f"qty-{first.pk}": "8", f"qty-{second.pk}": bad}
        )
        assert response.status_code == 400
        assert response.context["form"].errors
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
        first.refresh_from_db()
        order.refresh_from_db()
        assert first.ordered_qty == 3
        assert order.status == FactoryOrderStatus.DRAFT

    def test_submit_records_the_order_and_locks_it(self, login, personas):
        order = make_order(personas.store)
        line = order.lines.get()
        client = login(personas.sales_manager)
        client.post(detail(order), {"action": "submit", f"qty-{line.pk}": "4"})
        order.refresh_from_db()
        line.refresh_from_db()
        assert order.status == FactoryOrderStatus.SUBMITTED
        assert order.submitted_by == personas.sales_manager
        assert line.ordered_qty == 4
        page = client.get(detail(order)).text
        assert f'name="qty-{line.pk}"' not in page
        client.post(detail(order), {"action": "save", f"qty-{line.pk}": "9"})
        line.refresh_from_db()
        assert line.ordered_qty == 4

    def test_export_has_one_row_per_line(self, login, personas):
        order = make_order(personas.store, lines=3)
        response = login(personas.sales_manager).get(detail(order) + "?export=xlsx")
        rows = export_rows(response)
        assert len(rows) == 4
        assert rows[1][9] == 3  # ordered


@pytest.mark.django_db
class TestSettings:
    def test_manager_saves_the_stores_settings(self, login, personas):
        response = login(personas.sales_manager).post(
            reverse("reorder:settings"),
            {"lead_time_weeks": "4", "target_days_of_supply": "45", "aged_share_limit": "0.25"},
        )
        assert response.status_code == 302
        conf = ReorderSettings.objects.get(store=personas.store)
        assert (conf.lead_time_weeks, conf.target_days_of_supply) == (4, 45)

    def test_bad_settings_are_refused(self, login, personas):
        response = login(personas.sales_manager).post(
            reverse("reorder:settings"),
            {"lead_time_weeks": "0", "target_days_of_supply": "45", "aged_share_limit": "2"},
        )
        assert response.status_code == 400
        assert not ReorderSettings.objects.exists()


@pytest.mark.django_db
class TestQueryCounts:
    def count(self, client, url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    def test_list_queries_do_not_grow_with_orders(self, login, personas):
        client = login(personas.sales_manager)
        make_order(personas.store)
        few = self.count(client, LIST)
        for weeks in range(1, 6):
            make_order(personas.store, week_start=MONDAY - datetime.timedelta(weeks=weeks))
        assert self.count(client, LIST) == few

    def test_detail_queries_do_not_grow_with_lines(self, login, personas):
        client = login(personas.sales_manager)
        small = make_order(personas.store, lines=1)
        big = make_order(personas.store, week_start=MONDAY - datetime.timedelta(weeks=1), lines=8)
        assert self.count(client, detail(big)) == self.count(client, detail(small))
