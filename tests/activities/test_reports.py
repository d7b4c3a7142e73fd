"""The daily activity report and the monthly lead level report, on hand-computed fixtures."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities.reports import daily_activity_report, level_report
from dealerplan.customers.models import LevelChange
from tests.factories import ActivityFactory, CustomerFactory, SalesOrderFactory, UserFactory
from tests.view_suite import export_rows

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 18)


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SH)


@pytest.mark.django_db
class TestDailyReport:
    def setup_day(self, personas):
        mine = CustomerFactory(owner=personas.consultant, created_at=at(DAY, 9))
        theirs = CustomerFactory(
            owner=personas.colleague, created_at=at(DAY - datetime.timedelta(days=3), 9)
        )
        for hour in (9, 10, 11):
            ActivityFactory(customer=mine, kind="call", done_at=at(DAY, hour))
        ActivityFactory(customer=mine, kind="visit", done_at=at(DAY, 15))
        ActivityFactory(
            customer=mine, kind="call", done_at=at(DAY, 23) + datetime.timedelta(hours=2)
        )
        ActivityFactory(
            customer=mine, kind="call", status="planned", done_at=None, planned_at=at(DAY, 16)
        )
        ActivityFactory(customer=theirs, kind="test_drive", done_at=at(DAY, 14))
        SalesOrderFactory(customer=theirs, order_date=DAY)
        SalesOrderFactory(customer=theirs, order_date=DAY, status="cancelled")
        return mine, theirs

    def test_manager_sees_every_consultant_with_local_day_bounds(self, personas):
        self.setup_day(personas)
        rows = {
            r.consultant.username: r for r in daily_activity_report(personas.sales_manager, DAY)
        }
        me, colleague = rows["consultant"], rows["colleague"]
        assert (me.calls, me.visits, me.new_cards, me.orders) == (3, 1, 1, 0)
        assert (colleague.test_drives, colleague.orders, colleague.new_cards) == (1, 1, 0)
        assert "other_consultant" not in rows

    def test_consultant_sees_only_their_own_row(self, personas):
        self.setup_day(personas)
        rows = daily_activity_report(personas.consultant, DAY)
        assert [r.consultant for r in rows] == [personas.consultant]

    def test_page_and_export(self, login, personas):
        self.setup_day(personas)
        client = login(personas.sales_manager)
        url = reverse("activities:daily_report")
        page = client.get(url, {"date": "2026-11-18"})
        assert page.status_code == 200 and "销售活动日报表" in page.text
        rows = export_rows(client.get(url, {"date": "2026-11-18", "export": "xlsx"}))
        assert rows[0][:3] == ("销售顾问", "电话", "拜访")
        assert len(rows) == 3

    def test_bad_date_falls_back_to_today(self, login, personas):
        with time_machine.travel(at(DAY, 10), tick=False):
            page = login(personas.consultant).get(
                reverse("activities:daily_report"), {"date": "2026-13-45"}
            )
        assert page.status_code == 200 and "2026-11-18" in page.text

    def test_query_count_does_not_grow_with_consultants(self, login, personas):
        client = login(personas.sales_manager)

        def queries():
            with CaptureQueriesContext(connection) as ctx:
                client.get(reverse("activities:daily_report"), {"date": "2026-11-18"})
            return len(ctx.captured_queries)

        few = queries()
        for i in range(15):
            person = UserFactory(username=f"extra{i}", store=personas.store)
            ActivityFactory(customer=CustomerFactory(owner=person), done_at=at(DAY, 10))
        assert queries() == few


@pytest.mark.django_db
class TestLevelReport:
    def test_carried_over_moves_and_month_end(self, personas):
        nov = datetime.date(2026, 11, 1)
        old = CustomerFactory(
            owner=personas.consultant,
            intention_level="H",
            created_at=at(datetime.date(2026, 9, 1), 10),
        )
        LevelChange.objects.create(
            customer=old, from_level="", to_level="C", changed_at=at(datetime.date(2026, 9, 1), 10)
        )
        LevelChange.objects.create(
            customer=old,
            from_level="C",
            to_level="B",
            changed_at=at(datetime.date(2026, 10, 20), 10),
        )
        LevelChange.objects.create(
            customer=old,
            from_level="B",
            to_level="A",
            changed_at=at(datetime.date(2026, 11, 5), 10),
        )
        LevelChange.objects.create(
            customer=old,
            from_level="A",
            to_level="H",
            changed_at=at(datetime.date(2026, 12, 2), 10),
        )
        new = CustomerFactory(
            owner=personas.consultant,
            intention_level="C",
            created_at=at(datetime.date(2026, 11, 10), 10),
        )
        LevelChange.objects.create(
            customer=new,
            from_level="",
            to_level="B",
            changed_at=at(datetime.date(2026, 11, 10), 10),
        )
        LevelChange.objects.create(
            customer=new,
            from_level="B",
            to_level="C",
            changed_at=at(datetime.date(2026, 11, 20), 10),
        )
        legacy = CustomerFactory(
            owner=personas.consultant,
            intention_level="D",
            created_at=at(datetime.date(2025, 1, 1), 10),
        )
        rows = {r.consultant.username: r for r in level_report(personas.sales_manager, nov)}
        row = rows["consultant"]
        assert dict(row.carried_over) == {"B": 1}
        assert row.new == 1
        assert dict(row.at_end) == {"A": 1, "C": 1, "D": 1}
        assert (row.upgrades, row.downgrades) == (1, 1)
        assert legacy.pk  # kept its current level since its card opened

    def test_page_and_scope(self, login, personas):
        CustomerFactory(owner=personas.colleague, intention_level="B")
        page = login(personas.consultant).get(reverse("activities:level_report"))
        assert page.status_code == 200
        assert personas.colleague.display_name not in page.text
        rows = export_rows(
            login(personas.sales_manager).get(
                reverse("activities:level_report"), {"export": "xlsx"}
            )
        )
        assert {r[0] for r in rows[1:]} == {
            personas.consultant.display_name,
            personas.colleague.display_name,
        }
