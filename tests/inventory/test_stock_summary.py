"""Stock by trim × colour, aging buckets and the 重点销售 flag on the summary and the list."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities import my_day
from dealerplan.inventory import services
from dealerplan.inventory.summary import stock_summary
from dealerplan.inventory.tables import FOCUS_SALE
from tests.factories import ColorFactory, TrimFactory, VehicleFactory
from tests.view_suite import export_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def catalogue():
    white = ColorFactory(name="极地白")
    black = ColorFactory(name="星空黑")
    trim = TrimFactory(name="200TSI 舒适型")
    return trim, white, black


def test_aged_threshold_is_the_one_my_day_counts():
    assert services.AGED_STOCK_DAYS == my_day.AGED_STOCK_DAYS


@pytest.mark.django_db
class TestSummary:
    def test_counts_by_status_and_age_bucket_edges(self, personas, catalogue, frozen):
        trim, white, _black = catalogue
        for days in (0, 30, 31, 60, 61, 90, 91, 400):
            VehicleFactory(store=personas.store, trim=trim, color=white, arrival_date=ago(days))
        undated = {"status": "in_stock", "arrival_date": None}
        VehicleFactory(store=personas.store, trim=trim, color=white, **undated)
        VehicleFactory(store=personas.store, trim=trim, color=white, status="ordered")
        VehicleFactory(store=personas.store, trim=trim, color=white, status="in_transit")
        VehicleFactory(store=personas.store, trim=trim, color=white, status="reserved")
        VehicleFactory(store=personas.store, trim=trim, color=white, status="delivered")
        VehicleFactory(store=personas.store, trim=trim, color=white, is_archived=True)

        (row,) = stock_summary(personas.sales_manager).rows
        assert row.counts["ordered"] == 1
        assert row.counts["in_transit"] == 1
        assert row.counts["in_stock"] == 9
        assert row.counts["reserved"] == 1
        assert [count for _key, count in row.bucket_counts()] == [2, 2, 2, 2]
        assert row.aged == 2, "over 90 days: 91 and 400"

    def test_rows_are_trim_by_colour_with_totals(self, personas, catalogue, frozen):
        trim, white, black = catalogue
        VehicleFactory(store=personas.store, trim=trim, color=white, arrival_date=ago(100))
        VehicleFactory(store=personas.store, trim=trim, color=black, arrival_date=ago(5))
        VehicleFactory(store=personas.store, trim=trim, color=black, arrival_date=ago(6))
        summary = stock_summary(personas.consultant)
        assert [(r.color, r.counts["in_stock"], r.aged) for r in summary.rows] == [
            ("星空黑", 2, 0),
            ("极地白", 1, 1),
        ]
        assert summary.totals.counts["in_stock"] == 3 and summary.totals.aged == 1

    def test_other_stores_stock_is_not_counted(self, personas, catalogue):
        trim, white, _black = catalogue
        VehicleFactory(store=personas.other_store, trim=trim, color=white)
        assert stock_summary(personas.sales_manager).rows == []
        assert len(stock_summary(personas.group_manager).rows) == 1

    def test_page_flags_aged_rows_and_links_the_filtered_list(
        self, login, personas, catalogue, frozen
    ):
        trim, white, black = catalogue
        VehicleFactory(store=personas.store, trim=trim, color=white, arrival_date=ago(120))
        VehicleFactory(store=personas.store, trim=trim, color=black, arrival_date=ago(3))
        page = login(personas.consultant).get(reverse("inventory:stock_summary")).text
        assert page.count('class="is-aged"') == 1
        assert str(FOCUS_SALE) in page  # 重点销售
        assert f"trim={trim.pk}&amp;color={white.pk}&amp;aged=on" in page
        assert "合计" in page
        # Phones: the matrix scrolls sideways inside .table-responsive, first column sticky.
        assert "table-responsive" in page and "sticky-col" in page

    def test_page_query_count_stays_fixed_as_rows_grow(self, login, personas, frozen):
        client = login(personas.sales_manager)

        def add_rows(n):
            for i in range(n):
                VehicleFactory(
                    store=personas.store, trim=TrimFactory(), color=ColorFactory(name=f"色{i}")
                )

        add_rows(2)
        with CaptureQueriesContext(connection) as small:
            assert client.get(reverse("inventory:stock_summary")).status_code == 200
        add_rows(12)
        with CaptureQueriesContext(connection) as big:
            page = client.get(reverse("inventory:stock_summary"))
        assert page.context["rows"] and len(page.context["rows"]) == 14
        assert len(big) == len(small)
        stock_queries = [q for q in big.captured_queries if "inventory_vehicle" in q["sql"]]
        assert len(stock_queries) == 1, "the matrix is one aggregate query"

    def test_export_is_the_matrix_with_a_totals_row(self, login, personas, catalogue, frozen):
        trim, white, _black = catalogue
        VehicleFactory(store=personas.store, trim=trim, color=white, arrival_date=ago(100))
        VehicleFactory(store=personas.store, trim=trim, color=white, status="in_transit")
        rows = export_rows(
            login(personas.consultant).get(reverse("inventory:stock_summary"), {"export": "xlsx"})
        )
        header = rows[0]
        assert header[:3] == ("车型配置", "年款", "颜色")
        assert "在途" in header and str(FOCUS_SALE) in header
        assert rows[1][0] == str(trim) and rows[1][2] == "极地白"
        assert rows[1][header.index("在途")] == 1
        assert rows[1][header.index(str(FOCUS_SALE))] == 1
        assert rows[-1][0] == "合计" and rows[-1][header.index("在库")] == 1

    def test_export_is_scoped(self, login, personas, catalogue):
        trim, white, _black = catalogue
        VehicleFactory(store=personas.other_store, trim=trim, color=white)
        rows = export_rows(
            login(personas.sales_manager).get(
                reverse("inventory:stock_summary"), {"export": "xlsx"}
            )
        )
        assert len(rows) == 2 and rows[-1][0] == "合计"

    def test_anonymous_user_is_sent_to_login(self, client, db):
        response = client.get(reverse("inventory:stock_summary"))
        assert response.status_code == 302


@pytest.mark.django_db
class TestVehicleListFlag:
    def test_list_shows_badge_on_aged_cars_only(self, login, personas, frozen):
        VehicleFactory(store=personas.store, arrival_date=ago(91))
        VehicleFactory(store=personas.store, arrival_date=ago(90))
        page = login(personas.consultant).get(reverse("inventory:vehicle_list")).text
        assert page.count(f">{FOCUS_SALE}</span>") == 1

    def test_aged_only_filter(self, login, personas, frozen):
        old = VehicleFactory(store=personas.store, arrival_date=ago(120))
        new = VehicleFactory(store=personas.store, arrival_date=ago(10))
        reserved = VehicleFactory(store=personas.store, arrival_date=ago(120), status="reserved")
        page = login(personas.consultant).get(reverse("inventory:vehicle_list"), {"aged": "on"})
        assert old.vin in page.text
        assert new.vin not in page.text and reserved.vin not in page.text

    def test_trim_and_colour_filters_match_the_summary_links(self, login, personas, catalogue):
        trim, white, black = catalogue
        mine = VehicleFactory(store=personas.store, trim=trim, color=white)
        other = VehicleFactory(store=personas.store, trim=trim, color=black)
        page = login(personas.consultant).get(
            reverse("inventory:vehicle_list"), {"trim": trim.pk, "color": white.pk}
        )
        assert mine.vin in page.text and other.vin not in page.text

    def test_export_has_the_focus_sale_column(self, login, personas, frozen):
        aged = VehicleFactory(store=personas.store, arrival_date=ago(200))
        VehicleFactory(store=personas.store, arrival_date=ago(1))
        rows = export_rows(
            login(personas.consultant).get(reverse("inventory:vehicle_list"), {"export": "xlsx"})
        )
        flag = rows[0].index(str(FOCUS_SALE))
        by_vin = {row[0]: row[flag] for row in rows[1:]}
        assert by_vin[aged.vin] == str(FOCUS_SALE)
        assert set(by_vin.values()) == {None, str(FOCUS_SALE)}

    def test_list_query_count_stays_fixed_as_rows_grow(self, login, personas):
        client = login(personas.sales_manager)
        for _ in range(2):
            VehicleFactory(store=personas.store)
        with CaptureQueriesContext(connection) as small:
            client.get(reverse("inventory:vehicle_list"))
        for _ in range(10):
            VehicleFactory(store=personas.store)
        with CaptureQueriesContext(connection) as big:
            client.get(reverse("inventory:vehicle_list"))
        assert len(big) == len(small)

    def test_unticked_aged_box_leaves_the_filters_folded_on_phones(self, login, personas):
        page = login(personas.consultant).get(reverse("inventory:vehicle_list"))
        assert not page.context["filter_form"].has_changed()
