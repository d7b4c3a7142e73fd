"""工作总结: the computed figures, the written sections, who may read or write them, .docx."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities.choices import ActivityKind
from dealerplan.reports import summary
from dealerplan.reports.models import WorkSummary
from dealerplan.reports.summary import Period
from tests.factories import ActivityFactory, CustomerFactory
from tests.reports.factories_reports import at, month_plan, sale, series

NOW = datetime.datetime(2026, 7, 10, 10, 0, tzinfo=datetime.UTC)
H1 = Period(2026, 1)
URL = reverse("reports:summary")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def activity(owner, kind, day):
    customer = CustomerFactory(owner=owner, created_at=at(datetime.date(2025, 12, 1)))
    return ActivityFactory(customer=customer, kind=kind, done_at=at(day))


@pytest.fixture
def first_half(personas):
    """The consultant's first half of 2026: plans, sales, activities and customers."""
    me, sagitar = personas.consultant, series("速腾")
    for number in range(1, 7):
        month_plan(
            personas.store,
            datetime.date(2026, number, 1),
            consultant=me,
            lines=[("units", 2, 3), ("revenue", "300000.00", "400000.00")],
        )
    sale(
        me, datetime.date(2026, 3, 5), total="150000.00", gross_profit="6000.10", of_series=sagitar
    )
    sale(
        me, datetime.date(2026, 3, 9), total="148500.50", gross_profit="5200.25", of_series=sagitar
    )
    sale(
        me, datetime.date(2026, 5, 2), total="210000.00", gross_profit="9000.00", of_series=sagitar
    )
    # Outside the half, or someone else's: never counted.
    sale(me, datetime.date(2026, 7, 1), total="99999.99", gross_profit="1.00", of_series=sagitar)
    sale(
        personas.colleague,
        datetime.date(2026, 3, 6),
        total="120000.00",
        gross_profit="100.00",
        of_series=sagitar,
    )
    for day in (datetime.date(2026, 1, 5), datetime.date(2026, 6, 30)):
        activity(me, ActivityKind.CALL, day)
    activity(me, ActivityKind.CALL, datetime.date(2026, 7, 2))
    activity(me, ActivityKind.VISIT, datetime.date(2026, 2, 3))
    for _n in range(4):
        activity(me, ActivityKind.RECEPTION, datetime.date(2026, 4, 8))
    activity(me, ActivityKind.TEST_DRIVE, datetime.date(2026, 4, 8))
    activity(me, ActivityKind.TEST_DRIVE, datetime.date(2026, 4, 9))
    activity(personas.colleague, ActivityKind.CALL, datetime.date(2026, 2, 3))
    for day in (datetime.date(2026, 2, 1), datetime.date(2026, 5, 20)):
        CustomerFactory(owner=me, created_at=at(day))
    return personas


def test_half_year_figures_count_only_the_consultants_sales_and_work(first_half):
    me = first_half.consultant
    data = summary.summary_data(me, me, H1)
    value = {f.key: f.value for f in data.figures}
    assert value["units_actual"] == Decimal("3")
    assert value["units_quota"] == Decimal("12")
    assert value["units_goal"] == Decimal("18")
    assert value["units_quota_rate"] == Decimal("0.2500")
    assert value["revenue_actual"] == Decimal("508500.50")
    assert value["revenue_quota"] == Decimal("1800000.00")
    assert value["gross_profit_actual"] == Decimal("20200.35")
    assert value["gross_profit_quota"] is None  # no gross-profit line in the plans
    assert value["best_month"].startswith("2026-03")
    assert value["calls"] == 2
    assert value["visits"] == 1
    assert value["receptions"] == 4
    assert value["test_drives"] == 2
    assert value["test_drive_rate"] == Decimal("0.5000")
    assert value["drive_to_sale_rate"] == Decimal("1.5000")
    assert value["new_cards"] == 2
    # Every customer the consultant owns now, sold ones included.
    assert value["customers_held"] == Customer_count(me)
    assert [row["month"] for row in data.months.rows] == [f"2026-0{n}" for n in range(1, 7)]
    assert data.months.totals["units_actual"] == Decimal("3")


def Customer_count(person):
    from dealerplan.customers.models import Customer

    return Customer.objects.filter(owner=person, is_archived=False).count()


def test_whole_year_includes_the_second_half(first_half):
    me = first_half.consultant
    data = summary.summary_data(me, me, Period(2026, 0))
    assert data.figure("units_actual").value == Decimal("4")
    assert data.figure("calls").value == 3
    assert len(data.months.rows) == 12


def test_summary_figures_take_a_fixed_number_of_queries(first_half):
    me = first_half.consultant
    with CaptureQueriesContext(connection) as small:
        summary.summary_data(me, me, H1)
    sagitar = series("迈腾")
    for n in range(8):
        sale(
            me, datetime.date(2026, 2, 1 + n), total="1.00", gross_profit="0.10", of_series=sagitar
        )
        activity(me, ActivityKind.VISIT, datetime.date(2026, 2, 1 + n))
    with CaptureQueriesContext(connection) as large:
        summary.summary_data(me, me, H1)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_consultant_writes_both_sections_and_every_version_is_kept(first_half, login):
    me = first_half.consultant
    client = login(me)
    response = client.post(
        URL, {"year": 2026, "half": 1, "skills_text": "多听少说", "overall_text": "配合售后"}
    )
    assert response.status_code == 302
    client.post(
        URL, {"year": 2026, "half": 1, "skills_text": "多听少说，再练话术", "overall_text": ""}
    )
    record = WorkSummary.objects.get(user=me)
    assert (record.year, record.half, record.period_kind) == (2026, 1, "half")
    assert record.skills_text == "多听少说，再练话术"
    assert record.store == me.store
    assert record.history.count() == 2
    page = client.get(URL, {"year": 2026, "half": 1})
    assert "多听少说，再练话术" in page.content.decode()
    assert "<textarea" in page.content.decode()


def test_manager_reads_a_consultants_summary_but_cannot_change_it(first_half, login):
    me, manager = first_half.consultant, first_half.sales_manager
    summary.save_summary(me, H1, skills_text="印象深刻的客户", overall_text="")
    client = login(manager)
    team = client.get(URL, {"year": 2026, "half": 1})
    assert team.status_code == 200
    assert me.display_name in team.content.decode()
    page = client.get(URL, {"year": 2026, "half": 1, "user": me.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "印象深刻的客户" in html
    assert "<textarea" not in html
    # A manager's post only ever writes the manager's own summary.
    client.post(
        f"{URL}?user={me.pk}", {"year": 2026, "half": 1, "skills_text": "改写", "overall_text": ""}
    )
    assert WorkSummary.objects.get(user=me).skills_text == "印象深刻的客户"


@pytest.mark.parametrize(
    ("viewer", "owner"),
    [
        ("colleague", "consultant"),
        ("other_manager", "consultant"),
        ("consultant", "other_consultant"),
    ],
)
def test_someone_elses_summary_is_not_found(first_half, login, viewer, owner):
    person = getattr(first_half, owner)
    summary.save_summary(person, H1, skills_text="秘密", overall_text="")
    client = login(getattr(first_half, viewer))
    response = client.get(URL, {"year": 2026, "half": 1, "user": person.pk})
    assert response.status_code == 404
    docx = client.get(URL, {"year": 2026, "half": 1, "user": person.pk, "format": "docx"})
    assert docx.status_code == 404


def test_docx_has_the_title_the_figures_and_both_sections(first_half, login):
    from docx import Document

    me = first_half.consultant
    summary.save_summary(me, H1, skills_text="第一条\n第二条", overall_text="与售后配合")
    response = login(first_half.sales_manager).get(
        URL, {"year": 2026, "half": 1, "user": me.pk, "format": "docx"}
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert summary.document_title(H1) in text
    assert "第二条" in text and "与售后配合" in text
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    assert "508,500.50" in cells
    assert "2026-03" in cells


def test_a_wrong_year_says_so_and_shows_the_current_half(first_half, login):
    response = login(first_half.consultant).get(URL, {"year": "abc", "half": "1"}, follow=True)
    assert response.status_code == 200
    assert response.context["period"] == Period(2026, 2)
    assert any("2026" in str(m) for m in response.context["messages"])


def test_a_too_long_section_is_refused_and_nothing_is_saved(first_half, login):
    client = login(first_half.consultant)
    response = client.post(
        URL, {"year": 2026, "half": 1, "skills_text": "长" * 20_001, "overall_text": "x"}
    )
    assert response.status_code == 400
    assert not WorkSummary.objects.exists()
