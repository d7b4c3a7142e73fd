"""The monthly work plan document: write, submit, approve/return, scope, capital plan, .docx."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerplan.activities.models import Notification
from dealerplan.planning import documents
from dealerplan.planning.choices import PeriodType, PlanScope
from dealerplan.planning.models import CapitalItem, Plan, PlanDocument, PlanLine
from tests.factories import UserFactory

MONTH = datetime.date(2027, 3, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _march_2027():
    with time_machine.travel("2027-03-05 10:00 +0800", tick=False):
        yield


def month_plan(store, consultant=None, **lines):
    plan = Plan.objects.create(
        store=store,
        period_type=PeriodType.MONTH,
        period_start=MONTH,
        period_end=datetime.date(2027, 3, 31),
        scope=PlanScope.CONSULTANT if consultant else PlanScope.STORE,
        consultant=consultant,
    )
    for metric, (quota, goal) in lines.items():
        PlanLine.objects.create(plan=plan, metric=metric, quota=quota, goal=goal)
    return plan


def submitted(personas, text="本月重点开发新客户。"):
    document, _created = documents.create_or_get(personas.consultant, MONTH, "consultant")
    documents.save_sections(personas.consultant, document, {"customers": text})
    return documents.submit(personas.consultant, document)


FUNDING = [
    {"label": "银行房产抵押贷款", "amount": "600000", "share": "60"},
    {"label": "自有资金", "amount": "300000", "share": "30"},
    {"label": "朋友借款", "amount": "100000", "share": "10.00"},
]


class TestFlow:
    def test_create_fills_the_chosen_template_and_is_unique_per_month(self, personas):
        document, created = documents.create_or_get(personas.consultant, MONTH, "marketing")
        again, created_again = documents.create_or_get(
            personas.consultant, datetime.date(2027, 3, 20), "blank"
        )
        assert created and not created_again and again.pk == document.pk
        assert document.title == "2027年3月工作计划"
        assert document.kind == "consultant"
        assert "促销" in document.sections["measures"]
        assert "capital" not in document.sections

    def test_a_manager_writes_a_manager_plan_with_the_capital_section(self, personas):
        document, _ = documents.create_or_get(personas.sales_manager, MONTH, "manager")
        assert document.kind == "manager"
        keys = [s.key for _, s in documents.numbered(document.kind)]
        assert keys[:3] == ["market", "targets", "capital"]
        assert "capital" not in [s.key for s in documents.sections_for("consultant")]

    def test_submit_notifies_the_store_planners_only(self, personas):
        document = submitted(personas)
        assert document.status == "submitted" and document.submitted_at is not None
        told = set(Notification.objects.values_list("user__username", flat=True))
        assert told == {"sales_manager", "gm"}
        assert Notification.objects.first().url == reverse(
            "planning:document_detail", args=[document.pk]
        )

    def test_approve_records_the_decision_and_tells_the_author(self, personas):
        document = documents.approve(personas.sales_manager, submitted(personas), "很好")
        assert document.status == "approved"
        assert document.decided_by == personas.sales_manager
        assert document.manager_comment == "很好"
        note = Notification.objects.get(user=personas.consultant)
        assert "批准" in note.title or "approved" in note.title

    def test_return_needs_a_comment_and_lets_the_author_edit_again(self, personas):
        document = submitted(personas)
        with pytest.raises(ValidationError):
            documents.return_document(personas.sales_manager, document, "  ")
        document = documents.return_document(personas.sales_manager, document, "补充客户名单")
        assert document.status == "returned"
        documents.save_sections(personas.consultant, document, {"customers": "已补充"})
        assert documents.submit(personas.consultant, document).status == "submitted"

    def test_a_submitted_plan_cannot_be_edited(self, personas):
        document = submitted(personas)
        with pytest.raises(ValidationError):
            documents.save_sections(personas.consultant, document, {"market": "x"})

    def test_author_cannot_approve_own_plan_nor_a_consultant_or_other_store(self, personas):
        document, _ = documents.create_or_get(personas.sales_manager, MONTH, "manager")
        documents.submit(personas.sales_manager, document)
        with pytest.raises(PermissionDenied):
            documents.approve(personas.sales_manager, document)
        other = submitted(personas)
        for user in (personas.colleague, personas.other_manager, personas.showroom_manager):
            with pytest.raises(PermissionDenied):
                documents.approve(user, other)
        assert PlanDocument.objects.get(pk=other.pk).status == "submitted"

    def test_only_the_author_edits(self, personas):
        document, _ = documents.create_or_get(personas.consultant, MONTH)
        with pytest.raises(PermissionDenied):
            documents.save_sections(personas.sales_manager, document, {"market": "x"})
        with pytest.raises(ValidationError):
            documents.save_sections(personas.consultant, document, {"bogus": "x"})


class TestCapital:
    def test_funding_shares_summing_to_100_are_saved(self, personas):
        document, _ = documents.create_or_get(personas.sales_manager, MONTH, "manager")
        documents.save_sections(
            personas.sales_manager,
            document,
            {},
            investments=[{"label": "服务站", "amount": "500000"}, {"label": "", "amount": ""}],
            funding=FUNDING,
        )
        shares = CapitalItem.objects.filter(document=document, kind="funding")
        assert sorted(s.share_percent for s in shares) == [
            Decimal("10.00"),
            Decimal("30.00"),
            Decimal("60.00"),
        ]
        assert CapitalItem.objects.get(kind="investment").amount == Decimal("500000")

    @pytest.mark.parametrize(
        "funding",
        [
            [{"label": "贷款", "amount": "1", "share": "60"}, {"label": "自有", "share": "39.99"}],
            [{"label": "贷款", "amount": "-5", "share": "100"}],
            [{"label": "贷款", "amount": "1", "share": "abc"}],
        ],
    )
    def test_bad_capital_rows_write_nothing(self, personas, funding):
        document, _ = documents.create_or_get(personas.sales_manager, MONTH, "manager")
        documents.save_sections(
            personas.sales_manager, document, {}, investments=[], funding=FUNDING
        )
        with pytest.raises(ValidationError):
            documents.save_sections(
                personas.sales_manager, document, {"market": "新文字"}, funding=funding
            )
        document.refresh_from_db()
        assert document.capital_items.count() == 3
        assert document.sections.get("market") != "新文字"

    def test_the_form_shows_the_chinese_sum_message(self, personas, login):
        document, _ = documents.create_or_get(personas.sales_manager, MONTH, "manager")
        response = login(personas.sales_manager).post(
            reverse("planning:document_detail", args=[document.pk]),
            {
                "action": "save",
                "market": "x",
                "fund-label-0": "贷款",
                "fund-amount-0": "100",
                "fund-share-0": "90",
            },
        )
        assert response.status_code == 400
        assert "必须正好等于 100%" in response.text
        assert document.capital_items.count() == 0


class TestViews:
    def test_a_consultant_cannot_see_a_colleagues_plan(self, personas, login):
        document = submitted(personas)
        client = login(personas.colleague)
        url = reverse("planning:document_detail", args=[document.pk])
        assert client.get(url).status_code == 404
        assert client.get(url + "?format=docx").status_code == 404
        assert client.post(url, {"action": "approve"}).status_code == 404
        assert "2027年3月" not in client.get(reverse("planning:document_list")).text

    def test_another_stores_manager_gets_404(self, personas, login):
        document = submitted(personas)
        client = login(personas.other_manager)
        url = reverse("planning:document_detail", args=[document.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "approve"}).status_code == 404
        assert PlanDocument.objects.get(pk=document.pk).status == "submitted"

    def test_planner_approves_from_the_page(self, personas, login):
        document = submitted(personas)
        client = login(personas.sales_manager)
        url = reverse("planning:document_detail", args=[document.pk])
        page = client.get(url)
        assert "批准" in page.text and "本月重点开发新客户。" in page.text
        client.post(url, {"action": "approve", "comment": "同意"})
        assert PlanDocument.objects.get(pk=document.pk).status == "approved"

    def test_author_creates_edits_and_submits_from_the_pages(self, personas, login):
        client = login(personas.consultant)
        response = client.post(
            reverse("planning:document_create"), {"month": "2027-03", "template": "consultant"}
        )
        document = PlanDocument.objects.get(author=personas.consultant)
        assert response.url == reverse("planning:document_detail", args=[document.pk])
        client.post(response.url, {"action": "submit", "market": "竞品降价"})
        document.refresh_from_db()
        assert document.status == "submitted" and document.sections["market"] == "竞品降价"

    def test_list_filters_by_status_with_fixed_queries(self, personas, login):
        client = login(personas.sales_manager)
        url = reverse("planning:document_list")

        def make(n):
            for i in range(n):
                user = UserFactory(username=f"p{n}_{i}", store=personas.store)
                documents.create_or_get(user, MONTH)

        make(2)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        make(8)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(few) == len(many)
        submitted(personas)
        filtered = client.get(url + "?status=submitted").text
        assert "2027年3月工作计划" in filtered and "p8_0" not in filtered

    def test_english_page(self, personas, login):
        document, _ = documents.create_or_get(personas.consultant, MONTH)
        client = login(personas.consultant)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        page = client.get(reverse("planning:document_detail", args=[document.pk])).text
        assert "Sales targets" in page and "Submit for approval" in page


class TestDocx:
    def test_docx_has_title_figures_sections_and_capital(self, personas, login):
        month_plan(
            personas.store,
            units=(Decimal(40), Decimal(50)),
            revenue=(Decimal("5600000"), Decimal("7000000")),
        )
        document, _ = documents.create_or_get(personas.sales_manager, MONTH, "manager")
        documents.save_sections(
            personas.sales_manager,
            document,
            {"market": "永州市汽车市场竞争日益激烈。"},
            investments=[{"label": "公司筹建、服务站、广告", "amount": "800000"}],
            funding=FUNDING,
        )
        response = login(personas.sales_manager).get(
            reverse("planning:document_detail", args=[document.pk]) + "?format=docx"
        )
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        from docx import Document

        doc = Document(io.BytesIO(response.content))
        text = "\n".join(p.text for p in doc.paragraphs)
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        assert doc.paragraphs[0].text == "2027年3月工作计划"
        assert "北京朝阳店" in text
        assert "一、市场分析" in text and "二、销量目标" in text and "三、资金使用" in text
        assert "永州市汽车市场竞争日益激烈。" in text
        assert {"40", "50", "5,600,000", "7,000,000"} <= set(cells)
        assert {"银行房产抵押贷款", "60.00%", "800,000"} <= set(cells)
        assert doc.styles["Normal"].font.name == "SimSun"

    def test_consultant_docx_reads_the_consultants_own_targets(self, personas):
        month_plan(personas.store, personas.consultant, units=(Decimal(4), Decimal(6)))
        month_plan(personas.store, personas.colleague, units=(Decimal(9), Decimal(11)))
        document, _ = documents.create_or_get(personas.consultant, MONTH)
        rows = {r.metric: (r.quota, r.goal) for r in documents.target_rows(document)}
        assert rows["units"] == (Decimal(4), Decimal(6))
        from docx import Document

        doc = Document(io.BytesIO(documents.render_docx(document)))
        headings = [p.text for p in doc.paragraphs if p.text.startswith(("一、", "三、"))]
        assert headings == ["一、市场分析", "三、团队"]
