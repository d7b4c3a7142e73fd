import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dealerplan.activities.calendar import Week, resolve_week
from tests.calendar.helpers import local
from tests.factories import ActivityFactory, CustomerFactory

NOW = local(2026, 11, 25, 10, 0)  # Wednesday of ISO week 2026-W48 (23–29 November)


def planned(customer, at, **kwargs):
    kwargs.setdefault("status", "planned")
    return ActivityFactory(customer=customer, planned_at=at, done_at=None, **kwargs)


def day_names(response, index) -> tuple[list[str], list[str]]:
    day = response.context["plan"].days[index]
    return (
        [entry.customer.name for entry in day.activities],
        [entry.customer.name for entry in day.follow_ups],
    )


class TestWeek:
    def test_iso_week_parses_to_its_monday(self):
        assert Week.parse("2026-W48").monday == datetime.date(2026, 11, 23)
        assert Week.parse("2026w01").monday == datetime.date(2025, 12, 29)
        assert Week.parse("2020-W53").sunday == datetime.date(2021, 1, 3)

    @pytest.mark.parametrize("value", ["2026-W54", "2025-W53", "2026-48", "W48", "", "abc"])
    def test_impossible_week_is_refused(self, value):
        with pytest.raises(ValueError):
            Week.parse(value)

    def test_week_navigation_crosses_the_year(self):
        week = Week.parse("2026-W01")
        assert week.previous.iso == "2025-W52"
        assert week.next.iso == "2026-W02"
        assert Week.parse("2026-W53").next.iso == "2027-W01"

    def test_week_bounds_are_local_midnights(self):
        week = Week.parse("2026-W48")
        assert week.start == local(2026, 11, 23, 0, 0)
        assert week.end == local(2026, 11, 30, 0, 0)
        assert week.days[0] == datetime.date(2026, 11, 23)
        assert len(week.days) == 7

    def test_date_picks_the_week_containing_it(self):
        week, error = resolve_week(week=None, date="2026-12-02", today=datetime.date(2026, 1, 1))
        assert week.iso == "2026-W49" and error is None

    def test_unreadable_week_falls_back_to_this_week_with_a_chinese_message(self):
        today = datetime.date(2026, 11, 25)
        week, error = resolve_week(week="2026-W99", date=None, today=today)
        assert week.iso == "2026-W48"
        assert "2026-W99" in error and "本周" in error
        week, error = resolve_week(week=None, date="2026-13-01", today=today)
        assert week.iso == "2026-W48" and "日期" in error


@pytest.mark.django_db
class TestWeekView:
    url = reverse("calendar:week")

    def test_anonymous_user_is_sent_to_login(self, client):
        response = client.get(self.url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    @time_machine.travel(NOW, tick=False)
    def test_activities_fall_on_their_local_day_monday_first(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, name="张三")
        # 23:30 on Monday in Shanghai is 15:30 UTC on Monday; 00:30 Tuesday is Monday in UTC.
        planned(customer, local(2026, 11, 23, 23, 30), kind="call")
        planned(
            CustomerFactory(owner=personas.consultant, name="李四"),
            local(2026, 11, 24, 0, 30),
            kind="visit",
        )
        response = login(personas.consultant).get(self.url)
        plan = response.context["plan"]
        assert plan.days[0].date == datetime.date(2026, 11, 23)
        assert plan.days[0].weekday_label == "周一"
        assert day_names(response, 0)[0] == ["张三"]
        assert day_names(response, 1)[0] == ["李四"]
        page = response.text
        assert customer.get_absolute_url() in page
        assert "23:30" in page and "00:30" in page
        assert "bi-telephone" in page and "bi-briefcase" in page

    @time_machine.travel(NOW, tick=False)
    def test_only_this_weeks_planned_activities_of_the_user_are_shown(self, login, personas):
        mine = CustomerFactory(owner=personas.consultant, name="本周客户")
        planned(mine, local(2026, 11, 29, 23, 59))
        planned(
            CustomerFactory(owner=personas.consultant, name="下周客户"), local(2026, 11, 30, 0, 0)
        )
        planned(
            CustomerFactory(owner=personas.consultant, name="上周客户"), local(2026, 11, 22, 23, 59)
        )
        ActivityFactory(
            customer=CustomerFactory(owner=personas.consultant, name="已完成客户"),
            status="done",
            planned_at=local(2026, 11, 24, 9),
            done_at=NOW,
        )
        planned(
            CustomerFactory(owner=personas.consultant, name="已取消客户"),
            local(2026, 11, 24, 9),
            status="cancelled",
        )
        planned(CustomerFactory(owner=personas.colleague, name="同事客户"), local(2026, 11, 24, 9))
        page = login(personas.consultant).get(self.url).text
        assert "本周客户" in page
        for name in ("下周客户", "上周客户", "已完成客户", "已取消客户", "同事客户"):
            assert name not in page

    @time_machine.travel(NOW, tick=False)
    def test_due_follow_ups_are_listed_per_day_hottest_first(self, login, personas):
        CustomerFactory(
            owner=personas.consultant,
            name="B级客户",
            intention_level="B",
            next_follow_up_at=local(2026, 11, 26, 9),
        )
        CustomerFactory(
            owner=personas.consultant,
            name="H级客户",
            intention_level="H",
            next_follow_up_at=local(2026, 11, 26, 16),
        )
        CustomerFactory(
            owner=personas.consultant,
            name="战败客户",
            intention_level="F",
            next_follow_up_at=local(2026, 11, 26, 9),
        )
        CustomerFactory(
            owner=personas.consultant,
            name="归档客户",
            is_archived=True,
            next_follow_up_at=local(2026, 11, 26, 9),
        )
        CustomerFactory(
            owner=personas.colleague, name="同事的客户", next_follow_up_at=local(2026, 11, 26, 9)
        )
        response = login(personas.consultant).get(self.url)
        assert day_names(response, 3)[1] == ["H级客户", "B级客户"]
        assert response.context["plan"].follow_up_total == 2
        page = response.text
        for name in ("战败客户", "归档客户", "同事的客户"):
            assert name not in page

    @time_machine.travel(NOW, tick=False)
    def test_follow_up_with_a_planned_activity_that_day_is_not_listed_twice(self, login, personas):
        customer = CustomerFactory(
            owner=personas.consultant, name="王五", next_follow_up_at=local(2026, 11, 27, 10)
        )
        planned(customer, local(2026, 11, 27, 10))
        response = login(personas.consultant).get(self.url)
        assert day_names(response, 4) == (["王五"], [])

    @time_machine.travel(NOW, tick=False)
    def test_week_and_date_parameters_navigate(self, login, personas):
        planned(
            CustomerFactory(owner=personas.consultant, name="十二月客户"), local(2026, 12, 2, 9)
        )
        client = login(personas.consultant)
        response = client.get(self.url, {"week": "2026-W49"})
        assert response.context["week"].iso == "2026-W49"
        assert "十二月客户" in response.text
        assert response.context["previous_url"] == "?week=2026-W48"
        assert response.context["next_url"] == "?week=2026-W50"
        assert not response.context["is_this_week"]
        response = client.get(self.url, {"date": "2026-12-06"})
        assert response.context["week"].iso == "2026-W49"
        assert "十二月客户" in response.text
        this_week = client.get(self.url)
        assert this_week.context["week"].iso == "2026-W48"
        assert this_week.context["is_this_week"]
        assert "十二月客户" not in this_week.text

    @time_machine.travel(NOW, tick=False)
    def test_bad_week_shows_this_week_with_a_warning(self, login, personas):
        response = login(personas.consultant).get(self.url, {"week": "2026-W77"})
        assert response.status_code == 200
        assert response.context["week"].iso == "2026-W48"
        assert "2026-W77" in response.text and "已显示本周" in response.text

    @time_machine.travel(NOW, tick=False)
    def test_manager_picks_a_consultant_of_the_store(self, login, personas):
        planned(CustomerFactory(owner=personas.consultant, name="顾问客户"), local(2026, 11, 24, 9))
        client = login(personas.sales_manager)
        own = client.get(self.url)
        assert "顾问客户" not in own.text
        subjects = own.context["subjects"]
        assert personas.consultant in subjects and personas.colleague in subjects
        assert personas.other_consultant not in subjects
        response = client.get(self.url, {"user": personas.consultant.pk})
        assert response.status_code == 200
        assert response.context["subject"] == personas.consultant
        assert "顾问客户" in response.text
        # Navigation keeps the chosen consultant.
        assert f"user={personas.consultant.pk}" in response.context["next_url"]

    @pytest.mark.parametrize(
        ("viewer", "subject"),
        [
            ("consultant", "colleague"),
            ("finance", "consultant"),
            ("sales_manager", "other_consultant"),
            ("other_manager", "consultant"),
        ],
    )
    def test_week_of_someone_out_of_reach_is_404(self, login, personas, viewer, subject):
        response = login(getattr(personas, viewer)).get(
            self.url, {"user": getattr(personas, subject).pk}
        )
        assert response.status_code == 404

    def test_garbage_user_parameter_is_404(self, login, personas):
        response = login(personas.sales_manager).get(self.url, {"user": "abc"})
        assert response.status_code == 404

    def test_group_manager_may_open_a_consultants_week_in_any_store(self, login, personas):
        response = login(personas.group_manager).get(
            self.url, {"user": personas.other_consultant.pk}
        )
        assert response.status_code == 200

    def test_consultant_has_no_person_picker(self, login, personas):
        response = login(personas.consultant).get(self.url, {"user": personas.consultant.pk})
        assert response.status_code == 200
        assert response.context["subjects"] == []
        assert 'name="user"' not in response.text

    @pytest.mark.parametrize("viewer", ["consultant", "sales_manager"])
    def test_query_count_does_not_grow_with_events(self, login, personas, viewer):
        client = login(getattr(personas, viewer))
        params = {"week": "2026-W48"}
        if viewer == "sales_manager":
            params["user"] = personas.consultant.pk

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(self.url, params).status_code == 200
            return len(ctx.captured_queries)

        def add(n):
            for i in range(n):
                customer = CustomerFactory(
                    owner=personas.consultant,
                    next_follow_up_at=local(2026, 11, 23 + i % 7, 15),
                )
                planned(
                    customer,
                    local(2026, 11, 23 + (i + 1) % 7, 9 + i % 8),
                    kind=["call", "visit", "reception", "test_drive"][i % 4],
                )

        add(2)
        few = count_queries()
        add(40)
        assert count_queries() == few

    @time_machine.travel(NOW, tick=False)
    def test_page_is_english_after_switching_language(self, login, personas):
        client = login(personas.consultant)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        with translation.override("en"):
            page = client.get(self.url).text
        assert "Calendar" in page and "Mon" in page and "Week 48, 2026" in page
        assert "周一" not in page
