import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities.calendar import fold_line, ics_escape
from dealerplan.activities.models import CalendarFeed
from tests.calendar.factories_calendar import CalendarFeedFactory
from tests.calendar.helpers import ics_unescape, local, parse_events, unfold
from tests.factories import ActivityFactory, CustomerFactory

NOW = local(2026, 11, 25, 10, 0)


def planned(customer, at, **kwargs):
    kwargs.setdefault("status", "planned")
    return ActivityFactory(customer=customer, planned_at=at, done_at=None, **kwargs)


def feed_url(feed) -> str:
    return reverse("calendar:feed", args=[feed.token])


class TestFolding:
    def test_short_line_is_left_alone(self):
        assert fold_line("SUMMARY:电话 · 张三") == "SUMMARY:电话 · 张三"

    def test_long_line_folds_at_75_octets_without_splitting_characters(self):
        line = "DESCRIPTION:" + "客户对迈腾很感兴趣，下周再约试驾。" * 10
        folded = fold_line(line)
        parts = folded.split("\r\n")
        assert len(parts) > 1
        assert all(len(part.encode("utf-8")) <= 75 for part in parts)
        assert all(part.startswith(" ") for part in parts[1:])
        # Each part is whole characters, and unfolding gives the line back.
        assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line

    def test_ascii_line_of_exactly_75_octets_is_not_folded(self):
        line = "X" * 75
        assert fold_line(line) == line
        assert fold_line(line + "Y") == line + "\r\n Y"

    def test_text_values_are_escaped(self):
        assert ics_escape("a,b;c\\d\r\ne") == "a\\,b\\;c\\\\d\\ne"


@pytest.mark.django_db
class TestFeedSettings:
    url = reverse("calendar:feed_settings")

    def test_anonymous_user_is_sent_to_login(self, client):
        assert client.get(self.url).status_code == 302

    def test_address_is_created_on_request_and_shown_with_webcal_form(self, login, personas):
        client = login(personas.consultant)
        page = client.get(self.url)
        assert page.context["feed"] is None
        assert not CalendarFeed.objects.exists()
        response = client.post(self.url, {"action": "create"})
        assert response.status_code == 302
        feed = CalendarFeed.objects.get(user=personas.consultant)
        assert len(feed.token) >= 43
        page = client.get(self.url).text
        assert f"http://testserver{feed_url(feed)}" in page
        assert f"webcal://testserver{feed_url(feed)}" in page
        assert "data-copy" in page
        # Asking again keeps the same address.
        client.post(self.url, {"action": "create"})
        assert CalendarFeed.objects.get(user=personas.consultant).token == feed.token

    def test_rotating_makes_the_old_address_404(self, client, login, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        old_url = feed_url(feed)
        assert client.get(old_url).status_code == 200
        login(personas.consultant).post(self.url, {"action": "rotate"})
        feed.refresh_from_db()
        assert feed.rotated_at is not None
        client.logout()
        assert client.get(old_url).status_code == 404
        assert client.get(feed_url(feed)).status_code == 200

    def test_each_user_sees_only_their_own_address(self, login, personas):
        theirs = CalendarFeedFactory(user=personas.colleague)
        page = login(personas.consultant).get(self.url)
        assert page.context["feed"] is None
        assert theirs.token not in page.text

    def test_unknown_action_changes_nothing(self, login, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        login(personas.consultant).post(self.url, {"action": "drop"})
        assert CalendarFeed.objects.get().token == feed.token


@pytest.mark.django_db
class TestFeed:
    @time_machine.travel(NOW, tick=False)
    def test_feed_lists_the_users_planned_activities_as_events(self, client, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        customer = CustomerFactory(owner=personas.consultant, name="张三", intention_level="H")
        activity = planned(
            customer,
            local(2026, 11, 26, 9, 30),
            kind="call",
            notes="谈价格, 带上报价单; 第二行\n第三行",
            location="朝阳区建国路 88 号",
        )
        response = client.get(feed_url(feed))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        text = response.content.decode("utf-8")
        assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
        [event] = parse_events(text)
        assert event["UID"] == f"activity-{activity.pk}@testserver"
        assert event["SUMMARY"] == "电话 · 张三"
        assert event["DTSTART"] == "20261126T013000Z"
        assert event["DTEND"] == "20261126T014500Z"  # a call lasts 15 minutes by default
        assert event["DTSTAMP"].endswith("Z")
        assert ics_unescape(event["LOCATION"]) == "朝阳区建国路 88 号"
        description = ics_unescape(event["DESCRIPTION"])
        assert description.startswith("谈价格, 带上报价单; 第二行\n第三行")
        assert f"http://testserver{customer.get_absolute_url()}" in description
        assert "BEGIN:VCALENDAR" in unfold(text) and "VERSION:2.0" in unfold(text)

    @time_machine.travel(NOW, tick=False)
    def test_lines_end_with_crlf_and_fold_at_75_octets(self, client, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        customer = CustomerFactory(owner=personas.consultant, name="北京金桥医药集团有限公司")
        planned(
            customer,
            local(2026, 11, 26, 14),
            kind="visit",
            duration_minutes=90,
            notes="带上新款迈腾的资料和报价，顺便了解车队更新的预算。" * 4,
        )
        body = client.get(feed_url(feed)).content
        assert b"\n" not in body.replace(b"\r\n", b"")
        assert b"\r" not in body.replace(b"\r\n", b"")
        lines = body.split(b"\r\n")[:-1]
        assert all(len(line) <= 75 for line in lines)
        assert any(line.startswith(b" ") for line in lines)  # something was folded
        for line in lines:
            line.decode("utf-8")  # no character cut in half
        [event] = parse_events(body.decode("utf-8"))
        assert event["DTEND"] == "20261126T073000Z"  # 14:00 local + 90 minutes, in UTC
        assert event["SUMMARY"] == "拜访 · 北京金桥医药集团有限公司"

    @time_machine.travel(NOW, tick=False)
    def test_feed_holds_only_that_users_planned_work_in_the_window(self, client, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        mine = CustomerFactory(owner=personas.consultant, name="我的客户")
        inside = [
            planned(mine, NOW - datetime.timedelta(days=29)),
            planned(mine, NOW + datetime.timedelta(days=89)),
        ]
        planned(mine, NOW - datetime.timedelta(days=31))
        planned(mine, NOW + datetime.timedelta(days=91))
        planned(mine, NOW + datetime.timedelta(days=1), status="done")
        planned(mine, NOW + datetime.timedelta(days=1), status="cancelled")
        planned(mine, NOW + datetime.timedelta(days=1), is_archived=True)
        planned(
            CustomerFactory(owner=personas.colleague, name="同事客户"),
            NOW + datetime.timedelta(days=1),
        )
        planned(
            CustomerFactory(owner=personas.other_consultant, name="外店客户"),
            NOW + datetime.timedelta(days=1),
        )
        text = client.get(feed_url(feed)).content.decode("utf-8")
        uids = {event["UID"] for event in parse_events(text)}
        assert uids == {f"activity-{a.pk}@testserver" for a in inside}
        assert "同事客户" not in text and "外店客户" not in text

    @time_machine.travel(NOW, tick=False)
    def test_uid_is_stable_between_fetches(self, client, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        planned(CustomerFactory(owner=personas.consultant), NOW + datetime.timedelta(days=2))
        first = parse_events(client.get(feed_url(feed)).content.decode())
        second = parse_events(client.get(feed_url(feed)).content.decode())
        assert [e["UID"] for e in first] == [e["UID"] for e in second]
        assert first == second

    def test_unknown_token_is_404(self, client, personas):
        CalendarFeedFactory(user=personas.consultant)
        url = reverse("calendar:feed", args=["x" * 43])
        assert client.get(url).status_code == 404

    def test_inactive_users_token_is_404(self, client, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        personas.consultant.is_active = False
        personas.consultant.save()
        assert client.get(feed_url(feed)).status_code == 404

    def test_feed_needs_no_login_and_refuses_post(self, client, personas):
        feed = CalendarFeedFactory(user=personas.consultant)
        assert client.get(feed_url(feed)).status_code == 200
        assert client.post(feed_url(feed)).status_code == 405

    def test_query_count_does_not_grow_with_activities(self, client, personas):
        feed = CalendarFeedFactory(user=personas.consultant)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(feed_url(feed)).status_code == 200
            return len(ctx.captured_queries)

        def add(n):
            for i in range(n):
                planned(
                    CustomerFactory(owner=personas.consultant),
                    NOW.now(NOW.tzinfo) + datetime.timedelta(days=1 + i % 50),
                )

        add(2)
        few = count_queries()
        add(40)
        assert count_queries() == few
