"""The consultant's end-of-day work log and the manager's view of who has filed."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealerplan.activities import services
from dealerplan.activities.models import DailyLog
from tests.factories import ActivityFactory, CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
EVENING = datetime.datetime(2026, 11, 18, 17, 30, tzinfo=SH)
TODAY = EVENING.date()


@pytest.fixture
def frozen():
    with time_machine.travel(EVENING, tick=False):
        yield EVENING


@pytest.mark.django_db
class TestDailyLog:
    def test_form_is_prefilled_with_the_days_numbers_and_open_items(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, name="王总")
        ActivityFactory.create_batch(
            2, customer=customer, kind="call", done_at=EVENING - datetime.timedelta(hours=5)
        )
        ActivityFactory(
            customer=customer,
            kind="visit",
            status="planned",
            done_at=None,
            planned_at=EVENING + datetime.timedelta(days=1),
            is_important=True,
            notes="送合同",
        )
        page = login(personas.consultant).get(reverse("activities:daily_log")).text
        assert "电话 2" in page and "王总: 送合同" in page

    def test_filing_then_correcting_keeps_one_log_per_day(self, login, personas, frozen):
        client = login(personas.consultant)
        url = reverse("activities:daily_log")
        assert client.post(url, {"summary": "打了30个电话"}).status_code == 302
        assert (
            client.post(url, {"summary": "打了32个电话", "tomorrow": "拜访王总"}).status_code == 302
        )
        log = DailyLog.objects.get()
        assert (log.summary, log.tomorrow, log.date) == ("打了32个电话", "拜访王总", TODAY)
        assert log.store == personas.store

    def test_empty_summary_is_refused_in_chinese(self, login, personas, frozen):
        response = login(personas.consultant).post(
            reverse("activities:daily_log"), {"summary": " "}
        )
        assert response.status_code == 200 and "必填" in response.text
        assert not DailyLog.objects.exists()

    def test_only_today_or_yesterday(self, personas, frozen):
        with pytest.raises(ValidationError):
            services.submit_daily_log(
                user=personas.consultant, day=TODAY - datetime.timedelta(days=2), summary="补交"
            )
        assert not DailyLog.objects.exists()

    def test_manager_sees_who_has_not_filed(self, login, personas, frozen):
        services.submit_daily_log(user=personas.consultant, day=TODAY, summary="完成")
        page = login(personas.sales_manager).get(reverse("activities:daily_report")).text
        assert "尚未提交工作日志" in page
        warning = page.split("尚未提交工作日志")[1].split("</div>")[0]
        assert personas.colleague.display_name in warning
        assert personas.consultant.display_name not in warning

    def test_logs_are_scoped(self, login, personas, frozen):
        log = services.submit_daily_log(user=personas.colleague, day=TODAY, summary="同事日志")
        other = services.submit_daily_log(user=personas.other_consultant, day=TODAY, summary="外店")
        url = reverse("activities:daily_log_detail", args=[log.pk])
        assert login(personas.consultant).get(url).status_code == 404
        assert login(personas.sales_manager).get(url).status_code == 200
        other_url = reverse("activities:daily_log_detail", args=[other.pk])
        assert login(personas.sales_manager).get(other_url).status_code == 404

    def test_my_day_reminds_in_the_afternoon(self, login, personas, frozen):
        page = login(personas.consultant).get(reverse("activities:my_day")).text
        assert "下班前提交今日工作日志" in page
