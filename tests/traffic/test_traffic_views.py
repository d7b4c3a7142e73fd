import datetime
import itertools
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealerplan.activities.models import TrafficEntry
from tests.factories import CustomerFactory, SeriesFactory, TrafficEntryFactory
from tests.view_suite import ScopedViewSuite, export_rows

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
#: A Sunday afternoon in the showroom.
NOW = datetime.datetime(2026, 3, 15, 15, 0, tzinfo=SHANGHAI)

_numbers = itertools.count(1)


def local_input(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


class TestTrafficViews(ScopedViewSuite):
    model = TrafficEntry
    list_url_name = "traffic:traffic_list"
    detail_url_name = "traffic:traffic_detail"
    add_url_name = "traffic:traffic_add"
    edit_url_name = "traffic:traffic_edit"
    admin_change_url_name = "admin:activities_trafficentry_change"
    label_attr = "visitor_name"
    owner_scoped = True
    editor = "consultant"

    def make_record(self, owner):
        return TrafficEntryFactory(consultant=owner, visitor_name=f"访客{next(_numbers):04d}号")

    def valid_form_data(self, personas):
        return {
            "kind": "walk_in",
            "arrived_at": local_input(timezone.now() - datetime.timedelta(minutes=10)),
            "visit_type": "",
            "party_size": "2",
            "channel": "",
            "visitor_name": "新访客",
        }


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.mark.django_db
class TestTrafficList:
    def test_list_shows_today_by_default_and_any_day_when_dates_are_cleared(
        self, login, personas, frozen
    ):
        TrafficEntryFactory(consultant=personas.consultant, visitor_name="今天的访客")
        TrafficEntryFactory(
            consultant=personas.consultant,
            visitor_name="昨天的访客",
            arrived_at=NOW - datetime.timedelta(days=1),
        )
        client = login(personas.consultant)
        page = client.get(reverse("traffic:traffic_list")).text
        assert "今天的访客" in page and "昨天的访客" not in page
        assert 'value="2026-03-15"' in page
        page = client.get(reverse("traffic:traffic_list"), {"date_from": "", "date_to": ""}).text
        assert "今天的访客" in page and "昨天的访客" in page

    def test_today_follows_local_midnight_not_utc(self, login, personas, frozen):
        # 00:30 in Shanghai is still the previous day in UTC.
        TrafficEntryFactory(
            consultant=personas.consultant,
            visitor_name="凌晨访客",
            arrived_at=datetime.datetime(2026, 3, 15, 0, 30, tzinfo=SHANGHAI),
        )
        TrafficEntryFactory(
            consultant=personas.consultant,
            visitor_name="前一晚访客",
            arrived_at=datetime.datetime(2026, 3, 14, 23, 50, tzinfo=SHANGHAI),
        )
        page = login(personas.consultant).get(reverse("traffic:traffic_list")).text
        assert "凌晨访客" in page and "前一晚访客" not in page

    def test_export_returns_exactly_the_filtered_rows(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        TrafficEntryFactory(
            consultant=personas.consultant, visitor_name="试驾访客", test_drive=True
        )
        TrafficEntryFactory(
            consultant=personas.consultant,
            visitor_name="老客户来店",
            customer=customer,
            visit_type="S",
        )
        TrafficEntryFactory(consultant=personas.consultant, visitor_name="来电访客", kind="call_in")
        client = login(personas.consultant)
        url = reverse("traffic:traffic_list")
        rows = export_rows(client.get(url, {"test_drive": "yes", "export": "xlsx"}))
        assert [row[2] for row in rows[1:]] == ["试驾访客"]
        assert rows[0][0] == "到店时间"
        rows = export_rows(client.get(url, {"linked": "yes", "export": "xlsx"}))
        assert [row[2] for row in rows[1:]] == ["老客户来店"]
        rows = export_rows(client.get(url, {"kind": "call_in", "export": "xlsx"}))
        assert [row[2] for row in rows[1:]] == ["来电访客"]
        rows = export_rows(client.get(url, {"visit_type": "S", "export": "xlsx"}))
        assert [row[2] for row in rows[1:]] == ["老客户来店"]

    def test_export_keeps_local_arrival_time(self, login, personas, frozen):
        TrafficEntryFactory(consultant=personas.consultant, visitor_name="导出访客")
        rows = export_rows(
            login(personas.consultant).get(reverse("traffic:traffic_list"), {"export": "xlsx"})
        )
        assert rows[1][0] == datetime.datetime(2026, 3, 15, 15, 0)

    def test_filter_by_consultant_and_channel_for_managers(self, login, personas, frozen):
        TrafficEntryFactory(consultant=personas.consultant, visitor_name="甲访客", channel="online")
        TrafficEntryFactory(consultant=personas.colleague, visitor_name="乙访客")
        client = login(personas.showroom_manager)
        url = reverse("traffic:traffic_list")
        page = client.get(url, {"consultant": personas.colleague.pk}).text
        assert "乙访客" in page and "甲访客" not in page
        page = client.get(url, {"channel": "online"}).text
        assert "甲访客" in page and "乙访客" not in page

    def test_consultant_filter_offers_only_store_consultants(self, login, personas, frozen):
        page = login(personas.showroom_manager).get(reverse("traffic:traffic_list")).text
        assert personas.colleague.display_name in page
        assert personas.other_consultant.display_name not in page

    def test_consultants_get_no_consultant_filter(self, login, personas, frozen):
        response = login(personas.consultant).get(reverse("traffic:traffic_list"))
        assert "consultant" not in response.context["filter_form"].fields

    def test_search_by_visitor_phone_digits(self, login, personas, frozen):
        TrafficEntryFactory(
            consultant=personas.consultant, visitor_name="有电话", visitor_phone="13812348000"
        )
        TrafficEntryFactory(consultant=personas.consultant, visitor_name="无电话")
        page = login(personas.consultant).get(reverse("traffic:traffic_list"), {"q": "8000"}).text
        assert "有电话" in page and "无电话" not in page

    def test_phone_is_masked_for_users_who_are_not_its_consultant_or_a_manager(
        self, login, personas, frozen
    ):
        TrafficEntryFactory(
            consultant=personas.consultant, visitor_name="电话访客", visitor_phone="13812348000"
        )
        assert "13812348000" in login(personas.consultant).get(reverse("traffic:traffic_list")).text
        assert (
            "13812348000" in login(personas.sales_manager).get(reverse("traffic:traffic_list")).text
        )
        client = login(personas.finance)
        page = client.get(reverse("traffic:traffic_list")).text
        assert "138****8000" in page and "13812348000" not in page
        rows = export_rows(client.get(reverse("traffic:traffic_list"), {"export": "xlsx"}))
        assert "138****8000" in rows[1] and "13812348000" not in rows[1]

    def test_open_walk_ins_get_a_departed_button_and_calls_an_answered_button(
        self, login, personas, frozen
    ):
        open_walk_in = TrafficEntryFactory(consultant=personas.consultant)
        gone = TrafficEntryFactory(
            consultant=personas.consultant, left_at=NOW + datetime.timedelta(minutes=1)
        )
        call = TrafficEntryFactory(consultant=personas.consultant, kind="call_in")
        page = login(personas.consultant).get(reverse("traffic:traffic_list")).text
        assert reverse("traffic:traffic_depart", args=[open_walk_in.pk]) in page
        assert reverse("traffic:traffic_depart", args=[gone.pk]) not in page
        assert reverse("traffic:traffic_respond", args=[call.pk]) in page

    def test_finance_sees_the_list_without_action_buttons(self, login, personas, frozen):
        entry = TrafficEntryFactory(consultant=personas.consultant)
        response = login(personas.finance).get(reverse("traffic:traffic_list"))
        assert response.status_code == 200
        assert reverse("traffic:traffic_depart", args=[entry.pk]) not in response.text
        assert reverse("traffic:traffic_add") not in response.text

    @pytest.mark.parametrize("user", ["consultant", "showroom_manager"])
    def test_list_query_count_does_not_grow_with_rows(self, login, personas, user, frozen):
        series = SeriesFactory()
        client = login(getattr(personas, user))

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("traffic:traffic_list")).status_code == 200
            return len(ctx.captured_queries)

        def add(count):
            for _ in range(count):
                customer = CustomerFactory(owner=personas.consultant)
                TrafficEntryFactory(
                    consultant=personas.consultant, customer=customer, series=series
                )

        add(3)
        few = count_queries()
        add(30)
        assert count_queries() == few


@pytest.mark.django_db
class TestQuickActions:
    def htmx_post(self, client, url):
        return client.post(url, HTTP_HX_REQUEST="true")

    def test_departed_sets_left_at_to_now(self, login, personas, frozen):
        entry = TrafficEntryFactory(
            consultant=personas.consultant, arrived_at=NOW - datetime.timedelta(minutes=40)
        )
        client = login(personas.consultant)
        response = self.htmx_post(client, reverse("traffic:traffic_depart", args=[entry.pk]))
        assert response.status_code == 200
        assert "15:00" in response.text
        entry.refresh_from_db()
        assert entry.left_at == NOW

    def test_departed_twice_says_it_is_already_recorded(self, login, personas, frozen):
        entry = TrafficEntryFactory(
            consultant=personas.consultant,
            arrived_at=NOW - datetime.timedelta(minutes=40),
            left_at=NOW - datetime.timedelta(minutes=5),
        )
        response = self.htmx_post(
            login(personas.consultant), reverse("traffic:traffic_depart", args=[entry.pk])
        )
        assert "已记录" in response.text
        entry.refresh_from_db()
        assert entry.left_at == NOW - datetime.timedelta(minutes=5)

    def test_departed_without_htmx_redirects_to_the_entry(self, login, personas, frozen):
        entry = TrafficEntryFactory(
            consultant=personas.consultant, arrived_at=NOW - datetime.timedelta(minutes=40)
        )
        response = login(personas.showroom_manager).post(
            reverse("traffic:traffic_depart", args=[entry.pk])
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("traffic:traffic_detail", args=[entry.pk])
        entry.refresh_from_db()
        assert entry.left_at == NOW

    def test_answered_sets_first_response_for_a_call_in(self, login, personas, frozen):
        entry = TrafficEntryFactory(
            consultant=personas.consultant,
            kind="call_in",
            arrived_at=NOW - datetime.timedelta(minutes=7),
        )
        response = self.htmx_post(
            login(personas.consultant), reverse("traffic:traffic_respond", args=[entry.pk])
        )
        assert response.status_code == 200
        entry.refresh_from_db()
        assert entry.first_response_at == NOW

    def test_departed_is_refused_for_a_call_in(self, login, personas, frozen):
        entry = TrafficEntryFactory(consultant=personas.consultant, kind="call_in")
        response = self.htmx_post(
            login(personas.consultant), reverse("traffic:traffic_depart", args=[entry.pk])
        )
        assert "来店" in response.text
        entry.refresh_from_db()
        assert entry.left_at is None

    @pytest.mark.parametrize(
        ("user", "owner", "status"),
        [
            ("consultant", "colleague", 404),
            ("sales_manager", "other_consultant", 404),
            ("finance", "consultant", 403),
        ],
    )
    def test_out_of_scope_or_read_only_users_cannot_mark_departed(
        self, login, personas, frozen, user, owner, status
    ):
        entry = TrafficEntryFactory(
            consultant=getattr(personas, owner), arrived_at=NOW - datetime.timedelta(minutes=5)
        )
        response = self.htmx_post(
            login(getattr(personas, user)), reverse("traffic:traffic_depart", args=[entry.pk])
        )
        assert response.status_code == status
        entry.refresh_from_db()
        assert entry.left_at is None

    def test_get_is_not_allowed(self, login, personas, frozen):
        entry = TrafficEntryFactory(consultant=personas.consultant)
        response = login(personas.consultant).get(
            reverse("traffic:traffic_depart", args=[entry.pk])
        )
        assert response.status_code == 405


@pytest.mark.django_db
class TestTrafficDetail:
    def test_detail_shows_local_times_and_stay(self, login, personas, frozen):
        entry = TrafficEntryFactory(
            consultant=personas.consultant,
            arrived_at=NOW - datetime.timedelta(minutes=45),
            left_at=NOW,
            visitor_name="停留访客",
        )
        page = (
            login(personas.consultant).get(reverse("traffic:traffic_detail", args=[entry.pk])).text
        )
        assert "2026-03-15 14:15" in page and "2026-03-15 15:00" in page
        assert "45 分钟" in page

    def test_colleagues_customer_is_not_revealed_on_the_consultants_entry(
        self, login, personas, frozen
    ):
        secret = CustomerFactory(owner=personas.colleague, name="保密客户")
        entry = TrafficEntryFactory(consultant=personas.consultant, customer=secret)
        client = login(personas.consultant)
        page = client.get(reverse("traffic:traffic_detail", args=[entry.pk])).text
        assert "保密客户" not in page and personas.colleague.display_name not in page
        assert "已有客户档案" in page
        page = client.get(reverse("traffic:traffic_list")).text
        assert "保密客户" not in page and "已有客户档案" in page
        rows = export_rows(client.get(reverse("traffic:traffic_list"), {"export": "xlsx"}))
        assert "保密客户" not in rows[1] and "已有客户档案" in rows[1]

    def test_manager_sees_the_linked_customers_name(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.colleague, name="可见客户")
        entry = TrafficEntryFactory(consultant=personas.consultant, customer=customer)
        page = (
            login(personas.sales_manager)
            .get(reverse("traffic:traffic_detail", args=[entry.pk]))
            .text
        )
        assert "可见客户" in page and customer.get_absolute_url() in page


@pytest.mark.django_db
class TestPhoneLookup:
    def lookup(self, client, phone):
        return client.get(reverse("traffic:phone_lookup"), {"visitor_phone": phone}).text

    def test_own_customer_is_named(self, login, personas):
        CustomerFactory(owner=personas.consultant, name="我的客户", phone="13812348000")
        assert "我的客户" in self.lookup(login(personas.consultant), "138 1234 8000")

    def test_colleagues_customer_is_only_announced(self, login, personas):
        CustomerFactory(owner=personas.colleague, name="同事客户", phone="13812348000")
        text = self.lookup(login(personas.consultant), "13812348000")
        assert "已有客户档案" in text
        assert "同事客户" not in text and personas.colleague.display_name not in text

    def test_other_stores_customer_is_a_new_number(self, login, personas):
        CustomerFactory(owner=personas.other_consultant, name="外店客户", phone="13812348000")
        text = self.lookup(login(personas.consultant), "13812348000")
        assert "外店客户" not in text and "建卡" in text

    def test_half_typed_number_says_nothing_and_a_wrong_one_says_why(self, login, personas):
        client = login(personas.consultant)
        assert self.lookup(client, "1381").strip() == ""
        assert "手机" in self.lookup(client, "23812348000")

    def test_finance_may_not_probe_phone_numbers(self, login, personas):
        response = login(personas.finance).get(
            reverse("traffic:phone_lookup"), {"visitor_phone": "13812348000"}
        )
        assert response.status_code == 403
