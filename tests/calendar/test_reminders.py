import io
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dealerplan.activities.calendar import build_manager_digest, send_reminders
from dealerplan.activities.models import Notification
from tests.calendar.helpers import local
from tests.factories import ActivityFactory, CustomerFactory, UserFactory

NOW = local(2026, 11, 25, 8, 30)  # Wednesday morning in Shanghai


def due(owner, name, level, at, **kwargs):
    return CustomerFactory(
        owner=owner, name=name, intention_level=level, next_follow_up_at=at, **kwargs
    )


def planned(customer, at, **kwargs):
    kwargs.setdefault("status", "planned")
    return ActivityFactory(customer=customer, planned_at=at, done_at=None, **kwargs)


def mail_to(mailoutbox, user):
    found = [m for m in mailoutbox if m.to == [user.email]]
    assert len(found) == 1, [m.to for m in mailoutbox]
    return found[0]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def run(**options):
    out = io.StringIO()
    call_command("send_reminders", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def team(personas):
    """Email addresses for the store's consultants and managers (the other store's too)."""
    for name in (
        "consultant",
        "colleague",
        "sales_manager",
        "showroom_manager",
        "general_manager",
        "other_consultant",
        "other_manager",
    ):
        user = getattr(personas, name)
        user.email = f"{user.username}@example.com"
        user.save()
    return personas


@pytest.fixture
def consultant_day(team):
    c = team.consultant
    due(c, "逾期C", "C", local(2026, 11, 20, 10))
    due(c, "逾期H", "H", local(2026, 11, 24, 10))
    due(c, "逾期A", "A", local(2026, 11, 22, 10))
    due(c, "今日B", "B", local(2026, 11, 25, 10))
    due(c, "今日H", "H", local(2026, 11, 25, 15))
    due(c, "明日A", "A", local(2026, 11, 26, 10))
    due(c, "战败客户", "F", local(2026, 11, 20, 10))
    due(c, "归档客户", "H", local(2026, 11, 20, 10), is_archived=True)
    planned(
        CustomerFactory(owner=c, name="今日拜访客户"),
        local(2026, 11, 25, 14),
        kind="visit",
        location="望京 SOHO",
    )
    planned(CustomerFactory(owner=c, name="明日电话客户"), local(2026, 11, 26, 9))
    due(team.colleague, "同事逾期", "H", local(2026, 11, 21, 10))
    due(team.colleague, "同事更早逾期", "B", local(2026, 11, 18, 10))
    due(team.other_consultant, "外店逾期", "H", local(2026, 11, 19, 10))
    return team


@pytest.mark.django_db
class TestConsultantDigest:
    def test_overdue_first_then_due_today_hottest_first_then_todays_plan(
        self, mailoutbox, consultant_day, settings
    ):
        settings.DEFAULT_FROM_EMAIL = "dealerplan@example.com"
        run()
        mail = mail_to(mailoutbox, consultant_day.consultant)
        assert mail.from_email == "dealerplan@example.com"
        assert mail.subject == "2026-11-25 跟进提醒：逾期 3 个，今日到期 2 个"
        body = mail.body
        order = [
            "已逾期（3）",
            "逾期H",
            "逾期A",
            "逾期C",
            "今日到期（2）",
            "今日H",
            "今日B",
            "今日计划（1）",
            "今日拜访客户",
        ]
        positions = [body.index(text) for text in order]
        assert positions == sorted(positions)
        assert "已逾期 5 天" in body  # 逾期C was due on the 20th
        assert "14:00 拜访 · 今日拜访客户 · 望京 SOHO" in body
        for absent in ("明日A", "明日电话客户", "战败客户", "归档客户"):
            assert absent not in body
        html = mail.alternatives[0]
        assert html[1] == "text/html" and "逾期H" in html[0]

    def test_consultants_mail_never_lists_a_colleagues_customers(self, mailoutbox, consultant_day):
        run()
        mine = mail_to(mailoutbox, consultant_day.consultant)
        theirs = mail_to(mailoutbox, consultant_day.colleague)
        assert "同事逾期" not in mine.body and "外店逾期" not in mine.body
        assert "同事逾期" in theirs.body and "逾期H" not in theirs.body
        assert "外店逾期" in mail_to(mailoutbox, consultant_day.other_consultant).body

    def test_links_use_the_base_url(self, mailoutbox, consultant_day):
        run(base_url="https://crm.example.com/")
        body = mail_to(mailoutbox, consultant_day.consultant).body
        assert "https://crm.example.com/customers/" in body
        assert "https://crm.example.com/calendar/" in body

    def test_in_app_notification_records_the_day(self, mailoutbox, consultant_day):
        run()
        note = Notification.objects.get(user=consultant_day.consultant)
        assert note.kind == "daily_digest"
        assert note.for_date.isoformat() == "2026-11-25"
        assert note.store == consultant_day.store
        assert note.emailed_at is not None and note.read_at is None
        assert note.title == "今日跟进清单（2026-11-25）"
        assert "逾期跟进 3 个" in note.body

    def test_second_run_on_the_same_day_sends_nothing_new(self, mailoutbox, consultant_day):
        run()
        sent, notes = len(mailoutbox), Notification.objects.count()
        assert sent > 0
        output = run()
        assert len(mailoutbox) == sent
        assert Notification.objects.count() == notes
        assert "already sent today: " in output

    def test_next_day_sends_again(self, mailoutbox, consultant_day):
        run()
        sent = len(mailoutbox)
        with time_machine.travel(local(2026, 11, 26, 8, 30), tick=False):
            run()
        assert len(mailoutbox) == 2 * sent

    def test_user_without_email_still_gets_the_notification(self, mailoutbox, consultant_day):
        consultant_day.consultant.email = ""
        consultant_day.consultant.save()
        output = run()
        assert all(m.to != [""] for m in mailoutbox)
        note = Notification.objects.get(user=consultant_day.consultant)
        assert note.emailed_at is None
        assert "no e-mail address (notification only): 1 (consultant)" in output

    def test_nothing_due_means_nothing_sent(self, mailoutbox, team):
        due(team.consultant, "明日客户", "H", local(2026, 11, 26, 10))
        run()
        assert mailoutbox == []
        assert not Notification.objects.exists()

    def test_inactive_consultant_gets_nothing(self, mailoutbox, consultant_day):
        consultant_day.consultant.is_active = False
        consultant_day.consultant.save()
        run()
        assert not [m for m in mailoutbox if m.to == [consultant_day.consultant.email]]
        assert not Notification.objects.filter(user=consultant_day.consultant).exists()

    def test_dry_run_sends_and_records_nothing(self, mailoutbox, consultant_day):
        output = run(dry_run=True)
        assert mailoutbox == []
        assert not Notification.objects.exists()
        assert output.startswith("[dry run]")
        assert "consultant" in output

    def test_before_the_at_time_nothing_is_sent(self, mailoutbox, consultant_day):
        output = run(at="09:00")
        assert mailoutbox == []
        assert "nothing sent" in output
        run(at="08:30")
        assert mailoutbox

    def test_malformed_at_is_a_clear_error(self, consultant_day):
        with pytest.raises(CommandError, match="HH:MM"):
            run(at="half past eight")

    def test_failed_mail_is_rolled_back_and_retried_next_run(self, mailoutbox, consultant_day):
        with mock.patch(
            "dealerplan.activities.calendar.EmailMultiAlternatives.send",
            side_effect=OSError("smtp down"),
        ):
            result = send_reminders()
        assert "consultant" in result.failed
        assert not Notification.objects.exists()
        with (
            pytest.raises(CommandError),
            mock.patch(
                "dealerplan.activities.calendar.EmailMultiAlternatives.send",
                side_effect=OSError("smtp down"),
            ),
        ):
            run()
        run()
        assert mail_to(mailoutbox, consultant_day.consultant)


@pytest.mark.django_db
class TestManagerDigest:
    def test_each_store_manager_gets_the_overdue_summary_per_consultant(
        self, mailoutbox, consultant_day
    ):
        run()
        for manager in ("sales_manager", "showroom_manager", "general_manager"):
            body = mail_to(mailoutbox, getattr(consultant_day, manager)).body
            assert "本店逾期跟进共 5 个" in body
            consultant = consultant_day.consultant.display_name
            colleague = consultant_day.colleague.display_name
            assert f"{consultant}：逾期 3 个" in body
            assert f"{colleague}：逾期 2 个" in body
            # Most overdue consultant first; oldest customers first within each.
            assert body.index(consultant) < body.index(colleague)
            assert body.index("逾期C") < body.index("逾期A") < body.index("逾期H")
            assert body.index("同事更早逾期") < body.index("同事逾期")
            assert "外店逾期" not in body
            assert "今日H" not in body  # due today is not overdue
        other = mail_to(mailoutbox, consultant_day.other_manager).body
        assert "外店逾期" in other and "逾期C" not in other
        assert Notification.objects.filter(kind="manager_digest").count() == 4

    def test_oldest_few_are_listed_but_all_are_counted(self, consultant_day):
        for day in range(1, 8):
            due(consultant_day.colleague, f"老客户{day}", "C", local(2026, 10, day, 10))
        digest = build_manager_digest(consultant_day.sales_manager, NOW.date())
        row = next(r for r in digest.rows if r.consultant == consultant_day.colleague)
        assert row.count == 9
        assert [i.customer.name for i in row.oldest] == ["老客户1", "老客户2", "老客户3"]
        assert digest.rows[0].consultant == consultant_day.colleague

    def test_manager_digest_is_sent_once_a_day(self, mailoutbox, consultant_day):
        run()
        run()
        assert len([m for m in mailoutbox if m.to == [consultant_day.sales_manager.email]]) == 1

    def test_store_without_overdue_sends_managers_nothing(self, mailoutbox, team):
        due(team.consultant, "今日客户", "H", local(2026, 11, 25, 10))
        run()
        assert [m.to for m in mailoutbox] == [[team.consultant.email]]

    def test_consultant_of_the_store_without_overdue_is_listed_with_zero(self, consultant_day):
        idle = UserFactory(username="idle", store=consultant_day.store)
        digest = build_manager_digest(consultant_day.sales_manager, NOW.date())
        row = next(r for r in digest.rows if r.consultant == idle)
        assert row.count == 0 and row.oldest == []
        assert digest.total == 5
