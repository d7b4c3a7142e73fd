"""send_monthly_reports: last month's tables to each store's managers, once, on its first
working day. 1 November 2026 is a Sunday, so Monday 2 November is the first working day."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from dealerplan.planning.models import WorkdayOverride
from dealerplan.reports.models import MonthlyReportMail
from tests.reports.factories_reports import OCTOBER, month_plan, sale, series

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_WORKDAY = datetime.datetime(2026, 11, 2, 7, 30, tzinfo=SHANGHAI)
NEXT_DAY = datetime.datetime(2026, 11, 3, 7, 30, tzinfo=SHANGHAI)


@pytest.fixture
def october(personas):
    for person, address in (
        (personas.sales_manager, "sm@bj.example.com"),
        (personas.general_manager, "gm@bj.example.com"),
        (personas.other_manager, "sm@sh.example.com"),
        (personas.consultant, "consultant@bj.example.com"),  # not a recipient
    ):
        person.email = address
        person.save()
    sagitar = series("速腾")
    month_plan(personas.store, OCTOBER, consultant=personas.consultant, lines=[("units", 3, 4)])
    sale(
        personas.consultant,
        datetime.date(2026, 10, 12),
        total="150000.00",
        gross_profit="6000.00",
        of_series=sagitar,
    )
    sale(
        personas.other_consultant,
        datetime.date(2026, 10, 13),
        total="99000.00",
        gross_profit="1000.00",
        of_series=sagitar,
    )
    return personas


def run(when, *args):
    with time_machine.travel(when, tick=False):
        call_command("send_monthly_reports", *args, stdout=io.StringIO())


def workbook_text(message) -> tuple[list[str], str]:
    (filename, content, mimetype) = message.attachments[0]
    assert filename.endswith("2026-10-monthly-reports.xlsx")
    assert mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(content))
    text = " ".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )
    return book.sheetnames, text


def test_first_working_day_mails_each_stores_managers_one_workbook(october):
    run(FIRST_WORKDAY)
    assert len(mail.outbox) == 2
    ours = next(m for m in mail.outbox if "gm@bj.example.com" in m.to)
    assert sorted(ours.to) == ["gm@bj.example.com", "sm@bj.example.com"]
    assert "2026-10" in ours.subject
    sheets, text = workbook_text(ours)
    # The four monthly tables and the year summary, one sheet each.
    assert len(sheets) == 5
    assert october.consultant.display_name in text
    assert october.other_consultant.display_name not in text
    theirs = next(m for m in mail.outbox if m is not ours)
    assert theirs.to == ["sm@sh.example.com"]
    _sheets, their_text = workbook_text(theirs)
    assert october.consultant.display_name not in their_text
    assert october.other_consultant.display_name in their_text
    assert MonthlyReportMail.objects.filter(month=OCTOBER).count() == 2


def test_a_second_run_sends_nothing(october):
    run(FIRST_WORKDAY)
    run(FIRST_WORKDAY)
    run(FIRST_WORKDAY, "--month", "2026-10")
    assert len(mail.outbox) == 2


def test_other_days_send_nothing_unless_a_month_is_given(october):
    run(NEXT_DAY)
    assert mail.outbox == []
    assert not MonthlyReportMail.objects.exists()
    run(NEXT_DAY, "--month", "2026-10")
    assert len(mail.outbox) == 2


def test_dry_run_builds_but_sends_and_records_nothing(october):
    out = io.StringIO()
    with time_machine.travel(FIRST_WORKDAY, tick=False):
        call_command("send_monthly_reports", "--dry-run", stdout=out)
    assert mail.outbox == []
    assert not MonthlyReportMail.objects.exists()
    assert "would send" in out.getvalue()


def test_a_stores_own_day_off_moves_its_first_working_day(october):
    WorkdayOverride.objects.create(
        store=october.store, date=datetime.date(2026, 11, 2), is_workday=False
    )
    run(FIRST_WORKDAY)
    assert [m.to for m in mail.outbox] == [["sm@sh.example.com"]]
    run(NEXT_DAY)
    assert len(mail.outbox) == 2
    assert "gm@bj.example.com" in mail.outbox[1].to


def test_a_store_without_managers_e_mail_is_skipped_and_tried_again_later(october):
    october.other_manager.email = ""
    october.other_manager.save()
    run(FIRST_WORKDAY)
    assert len(mail.outbox) == 1
    assert not MonthlyReportMail.objects.filter(store=october.other_store).exists()


def test_a_wrong_month_is_refused():
    with pytest.raises(CommandError):
        call_command("send_monthly_reports", "--month", "2026-13", stdout=io.StringIO())


def test_the_mail_after_december_brings_each_consultants_year_summary_as_word(october):
    from docx import Document

    from dealerplan.reports.models import Half
    from dealerplan.reports.summary import Period, save_summary

    save_summary(
        october.consultant,
        Period(2026, Half.WHOLE_YEAR),
        skills_text="谈判技巧提升明显",
        overall_text="全年完成任务",
    )
    run(datetime.datetime(2027, 1, 4, 7, 30, tzinfo=SHANGHAI), "--month", "2026-12")
    ours = next(m for m in mail.outbox if "gm@bj.example.com" in m.to)
    documents = {name: content for name, content, _type in ours.attachments[1:]}
    colleagues = {"consultant", "colleague"}  # the store's active consultants, not another's
    assert {name.rsplit("-", 1)[1].removesuffix(".docx") for name in documents} == colleagues
    mine = next(c for n, c in documents.items() if n.endswith("-consultant.docx"))
    text = "\n".join(p.text for p in Document(io.BytesIO(mine)).paragraphs)
    assert "谈判技巧提升明显" in text and "全年完成任务" in text
    assert all(name in ours.body for name in documents)
    theirs = next(m for m in mail.outbox if m is not ours)
    assert all("-other_consultant.docx" in n for n, _c, _t in theirs.attachments[1:])


def test_an_ordinary_month_brings_no_work_summaries(october):
    run(FIRST_WORKDAY)
    assert all(len(m.attachments) == 1 for m in mail.outbox)
