"""Showroom KPIs on a hand-computed month of traffic, with the clock frozen."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities import traffic
from dealerplan.activities.models import TrafficEntry
from tests.factories import CustomerFactory, TrafficEntryFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=SHANGHAI)


def at(day, hour, minute=0):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def month(personas):
    """March 2026 for the consultant (7 entries) and the colleague (2), plus noise.

    consultant:
      W1 walk-in F carded, test drive, WeChat, 03-02 10:10–10:40 (30 min)
      W2 walk-in F no card, 03-02 10:50–11:10 (20 min)
      W3 walk-in S carded, test drive, 03-05 14:05, no departure
      W4 walk-in F carded, 03-10 09:30–10:30 (60 min)
      C1 call-in F carded, 03-03 09:00, answered 09:05 (5 min)
      C2 call-in S no card, 03-04 16:00, answered 16:15 (15 min)
      O1 online F no card, 03-01 00:10 local (still February in UTC), unanswered
    colleague:
      W5 walk-in F carded, test drive, 03-12 11:00
      C3 online F no card, 03-12 11:20, answered 11:50 (30 min)
    not counted: 02-28 23:50 local, another store's entry, an archived entry.
    """
    me, colleague = personas.consultant, personas.colleague
    card = CustomerFactory(owner=me)

    def entry(who, **fields):
        return TrafficEntryFactory(consultant=who, **fields)

    entry(me, arrived_at=at(2, 10, 10), left_at=at(2, 10, 40), customer=card, test_drive=True,
          wechat_added=True)  # fmt: skip
    entry(me, arrived_at=at(2, 10, 50), left_at=at(2, 11, 10))
    entry(me, arrived_at=at(5, 14, 5), visit_type="S", customer=card, test_drive=True)
    entry(me, arrived_at=at(10, 9, 30), left_at=at(10, 10, 30), customer=card)
    entry(me, kind="call_in", arrived_at=at(3, 9), first_response_at=at(3, 9, 5), customer=card)
    entry(me, kind="call_in", visit_type="S", arrived_at=at(4, 16),
          first_response_at=at(4, 16, 15))  # fmt: skip
    entry(me, kind="online", arrived_at=at(1, 0, 10))
    other_card = CustomerFactory(owner=colleague)
    entry(colleague, arrived_at=at(12, 11), customer=other_card, test_drive=True)
    entry(colleague, kind="online", arrived_at=at(12, 11, 20), first_response_at=at(12, 11, 50))
    # Not in the period, not in the store, archived.
    entry(me, arrived_at=datetime.datetime(2026, 2, 28, 23, 50, tzinfo=SHANGHAI))
    entry(personas.other_consultant, arrived_at=at(3, 10))
    entry(me, arrived_at=at(3, 10), is_archived=True)
    return personas


def march(user):
    queryset = TrafficEntry.objects.visible_to(user).filter(is_archived=False)
    return traffic.in_period(queryset, datetime.date(2026, 3, 1), datetime.date(2026, 3, 15))


@pytest.mark.django_db
class TestKpiFormulas:
    def test_consultants_figures_match_the_hand_count(self, month):
        kpis = traffic.traffic_kpis(march(month.consultant))
        assert (kpis.total, kpis.walk_ins, kpis.call_ins, kpis.online) == (7, 4, 2, 1)
        # 建卡率: first-time entries W1 W2 W4 C1 O1, of which W1 W4 C1 have a card.
        assert (kpis.carded_first_entries, kpis.first_entries) == (3, 5)
        assert kpis.card_rate == Decimal("60.0")
        # 再回展厅率: repeat walk-ins W3 ÷ first walk-ins W1 W2 W4.
        assert kpis.return_rate == Decimal("33.3")
        # 试驾率: W1 and W3 of four walk-ins.
        assert kpis.test_drive_rate == Decimal("50.0")
        # Response: (5 + 15) / 2; O1 is still unanswered.
        assert kpis.avg_response_minutes == Decimal("10.0")
        assert (kpis.responded, kpis.unanswered) == (2, 1)
        # Stay: (30 + 20 + 60) / 3 walk-ins with a departure.
        assert kpis.avg_stay_minutes == Decimal("36.7")
        assert kpis.wechat_rate == Decimal("14.3")

    def test_store_figures_add_the_colleague(self, month):
        kpis = traffic.traffic_kpis(march(month.sales_manager))
        assert (kpis.total, kpis.walk_ins, kpis.online) == (9, 5, 2)
        assert kpis.card_rate == Decimal("57.1")  # 4 of 7 first-time entries
        assert kpis.test_drive_rate == Decimal("60.0")  # 3 of 5 walk-ins
        assert kpis.avg_response_minutes == Decimal("16.7")  # (5 + 15 + 30) / 3

    def test_figures_per_consultant(self, month):
        rows = traffic.kpis_by_consultant(march(month.sales_manager))
        assert [(row.consultant_name, row.total) for row in rows] == [
            (month.consultant.display_name, 7),
            (month.colleague.display_name, 2),
        ]
        colleague = rows[1]
        assert colleague.card_rate == Decimal("50.0")
        assert colleague.return_rate == Decimal("0.0")
        assert colleague.avg_stay_minutes is None

    def test_traffic_by_hour_counts_in_local_time_and_fills_quiet_hours(self, month):
        hours = traffic.traffic_by_hour(march(month.consultant))
        busy = {row.hour: row.total for row in hours if row.total}
        assert busy == {0: 1, 9: 2, 10: 2, 14: 1, 16: 1}
        assert [row.hour for row in hours] == list(range(0, 17))
        assert hours[0].online == 1 and hours[0].label == "00:00"
        nine = hours[9]
        assert (nine.walk_ins, nine.call_ins) == (1, 1)

    def test_no_traffic_gives_no_rates_instead_of_an_error(self, personas):
        kpis = traffic.traffic_kpis(march(personas.consultant))
        assert kpis.total == 0
        assert kpis.card_rate is None and kpis.return_rate is None
        assert kpis.test_drive_rate is None and kpis.wechat_rate is None
        assert kpis.avg_response_minutes is None and kpis.avg_stay_minutes is None
        assert traffic.traffic_by_hour(march(personas.consultant)) == []
        assert traffic.kpis_by_consultant(march(personas.consultant)) == []

    def test_walk_ins_without_first_visits_have_no_return_rate(self, personas):
        TrafficEntryFactory(consultant=personas.consultant, arrived_at=at(3, 10), visit_type="S")
        kpis = traffic.traffic_kpis(march(personas.consultant))
        assert kpis.return_rate is None
        assert kpis.card_rate is None  # no first-time entries either
        assert kpis.test_drive_rate == Decimal("0.0")

    @pytest.mark.parametrize(
        ("numerator", "denominator", "expected"),
        [(1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")), (5, 4, Decimal("125.0")), (1, 0, None)],
    )
    def test_rate_rounds_half_up_to_one_decimal(self, numerator, denominator, expected):
        assert traffic.rate(numerator, denominator) == expected


@pytest.mark.django_db
class TestKpiPage:
    def test_page_defaults_to_this_month_and_shows_the_figures(self, login, month):
        response = login(month.sales_manager).get(reverse("traffic:kpis"))
        assert response.status_code == 200
        assert response.context["date_from"] == datetime.date(2026, 3, 1)
        assert response.context["date_to"] == datetime.date(2026, 3, 15)
        page = response.text
        assert 'value="2026-03-01"' in page and 'value="2026-03-15"' in page
        assert "57.1%" in page and "60.0%" in page
        assert "16.7 分钟" in page
        assert 'id="traffic-hour-chart"' in page and "echarts.min.js" in page
        assert month.colleague.display_name in page  # the per-consultant table

    def test_consultant_sees_only_their_own_figures(self, login, month):
        response = login(month.consultant).get(reverse("traffic:kpis"))
        assert response.context["kpis"].total == 7
        assert response.context["per_consultant"] == []
        assert "consultant" not in response.context["form"].fields

    def test_manager_narrows_to_one_consultant_and_a_period(self, login, month):
        response = login(month.showroom_manager).get(
            reverse("traffic:kpis"),
            {"date_from": "2026-03-12", "date_to": "2026-03-12", "consultant": month.colleague.pk},
        )
        kpis = response.context["kpis"]
        assert (kpis.total, kpis.walk_ins, kpis.online) == (2, 1, 1)
        assert kpis.avg_response_minutes == Decimal("30.0")

    def test_empty_period_shows_dashes(self, login, personas):
        response = login(personas.sales_manager).get(reverse("traffic:kpis"))
        assert response.status_code == 200
        cards = {str(card["label"]): card["value"] for card in response.context["cards"]}
        assert cards["建卡率"] == "—" and cards["试驾率"] == "—"
        assert cards["平均响应时间"] == "—"
        assert "该期间没有来店(电)登记" in response.text

    def test_end_before_start_is_explained_and_the_month_is_shown(self, login, month):
        response = login(month.sales_manager).get(
            reverse("traffic:kpis"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
        )
        assert response.status_code == 200
        assert "结束日期不能早于开始日期" in response.text
        assert response.context["kpis"].total == 9

    def test_another_stores_manager_sees_only_their_own_store(self, login, month):
        response = login(month.other_manager).get(reverse("traffic:kpis"))
        assert response.context["kpis"].total == 1  # their consultant's walk-in on 03-03
        assert month.consultant.display_name not in response.text

    def test_finance_may_not_open_the_kpis(self, login, personas):
        assert login(personas.finance).get(reverse("traffic:kpis")).status_code == 403

    def test_anonymous_user_is_sent_to_login(self, client):
        response = client.get(reverse("traffic:kpis"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_english_page(self, login, month):
        client = login(month.sales_manager)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        page = client.get(reverse("traffic:kpis")).text
        assert "Card rate" in page and "Return rate" in page and "建卡率" not in page

    def test_page_query_count_does_not_grow_with_entries(self, login, personas):
        client = login(personas.sales_manager)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("traffic:kpis")).status_code == 200
            return len(ctx.captured_queries)

        def add(count, who):
            for n in range(count):
                TrafficEntryFactory(
                    consultant=who,
                    arrived_at=at(1 + n % 14, 9 + n % 10),
                    left_at=at(1 + n % 14, 9 + n % 10, 30),
                    kind=("walk_in", "call_in", "online")[n % 3],
                )

        add(3, personas.consultant)
        few = count_queries()
        add(40, personas.consultant)
        add(20, personas.colleague)
        assert count_queries() == few
