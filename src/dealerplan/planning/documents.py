"""The monthly work plan document (月度工作计划): write, submit, approve or return, export.

A consultant or manager writes one document per month. The narrative sections follow the
dealers' own plans (市场分析, 销量目标, 资金使用, 团队, …); the 销量目标 figures are read from
the author's month plan (or the store's, for a manager) and are never typed in. A manager's
document also carries the capital plan (资金使用): investment items, and funding sources whose
shares add up to exactly 100 %.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealerplan.activities.models import Notification, NotificationKind
from dealerplan.org.models import User

from .choices import Metric, PeriodType, PlanScope
from .models import (
    CapitalItem,
    CapitalKind,
    DocumentKind,
    DocumentStatus,
    Plan,
    PlanDocument,
    PlanLine,
)
from .services import PLANNER_ROLES, can_plan

HUNDRED = Decimal("100.00")
TARGET_METRICS = (Metric.UNITS, Metric.REVENUE, Metric.GROSS_PROFIT)


@dataclass(frozen=True)
class Section:
    key: str
    heading: object  # lazy string
    managers_only: bool = False
    generated: bool = False  # filled from the plan data, not typed


SECTIONS = (
    Section("market", gettext_lazy("Market analysis")),
    Section("targets", gettext_lazy("Sales targets"), generated=True),
    Section("capital", gettext_lazy("Use of funds"), managers_only=True),
    Section("team", gettext_lazy("Team")),
    Section("customers", gettext_lazy("Market division and customer development")),
    Section("process", gettext_lazy("Management process")),
    Section("measures", gettext_lazy("Measures")),
    Section("schedule", gettext_lazy("Shift schedule")),
    Section("training", gettext_lazy("Training")),
)
SECTION_KEYS = frozenset(s.key for s in SECTIONS)
#: Sections whose text the author types (the capital section has a note above its table).
TEXT_KEYS = frozenset(s.key for s in SECTIONS if not s.generated)

CHINESE_NUMERALS = "一二三四五六七八九十"


def sections_for(kind: str) -> list[Section]:
    return [s for s in SECTIONS if kind == DocumentKind.MANAGER or not s.managers_only]


def numbered(kind: str) -> list[tuple[str, Section]]:
    """(一、, section) pairs in document order."""
    return [(f"{CHINESE_NUMERALS[i]}、", s) for i, s in enumerate(sections_for(kind))]


# The template library: starter texts per section. Each text is a tuple of lines so that every
# line is one translatable message; the author edits them freely after picking a template.
TEMPLATES = {
    "blank": (gettext_lazy("Blank"), {}),
    "consultant": (
        gettext_lazy("Sales consultant's monthly plan"),
        {
            "market": (
                gettext_lazy(
                    "1. Set this month's target from the market size and my own capacity."
                ),
                gettext_lazy("2. Competing models in my area and their current offers:"),
            ),
            "customers": (
                gettext_lazy(
                    "1. Split customers into VIP, first-level, second-level and others; "
                    "visit VIP customers every month."
                ),
                gettext_lazy("2. Keep in touch with existing customers; ask them for referrals."),
            ),
            "measures": (
                gettext_lazy("1. At least 30 calls a day and 20 customer visits a week."),
                gettext_lazy("2. Calls and appointments in the morning, visits in the afternoon."),
                gettext_lazy("3. Record every follow-up the same day; keep promises on time."),
            ),
            "schedule": (gettext_lazy("Showroom duty days and days off this month:"),),
            "training": (
                gettext_lazy(
                    "Learn the new models, prices and competitor comparisons; practise "
                    "sales talk with a colleague."
                ),
            ),
        },
    ),
    "manager": (
        gettext_lazy("Sales manager's monthly plan"),
        {
            "market": (
                gettext_lazy(
                    "Competition in the local market is growing; opportunities and "
                    "challenges coexist."
                ),
                gettext_lazy(
                    "Focus on the brands we sell, develop potential customers, strengthen "
                    "service and raise our market share."
                ),
            ),
            "capital": (gettext_lazy("Total investment and where the money comes from:"),),
            "team": (
                gettext_lazy(
                    "General manager, sales manager, showroom manager, sales consultants, "
                    "after-sales manager, service advisers, workshop and accessories staff."
                ),
            ),
            "customers": (
                gettext_lazy(
                    "Divide the market sensibly; consolidate existing customers and follow "
                    "new customers and large orders closely."
                ),
                gettext_lazy("Chase receivables on time."),
            ),
            "process": (
                gettext_lazy(
                    "Make every position's duties clear, and what the sales manager decides."
                ),
            ),
            "measures": (
                gettext_lazy("1. Improve the service station's facilities and staff skills."),
                gettext_lazy("2. Call back existing customers to keep the relationship."),
                gettext_lazy("3. Publish offers on the website and online channels."),
                gettext_lazy("4. Car loans remain a focus; follow them up carefully."),
                gettext_lazy(
                    "5. Finish the monthly statistics and the reconciliation with finance."
                ),
            ),
            "schedule": (
                gettext_lazy(
                    "The group off the floor studies in the morning; a competitor survey at "
                    "the start and middle of the month."
                ),
            ),
            "training": (
                gettext_lazy(
                    "Send staff to the manufacturer's training regularly; product knowledge "
                    "and sales talk drills."
                ),
            ),
        },
    ),
    "marketing": (
        gettext_lazy("Marketing plan (营销计划)"),
        {
            "market": (
                gettext_lazy(
                    "1. Market environment: demand, economy, policy and competitors in our area."
                ),
                gettext_lazy("2. Customers' buying behaviour and the group-purchase market."),
            ),
            "customers": (
                gettext_lazy("1. Market segments: which customer groups we serve."),
                gettext_lazy("2. Target market: the segments we choose this month, and why."),
                gettext_lazy(
                    "3. Positioning: how we differ in product, service, channel and image."
                ),
            ),
            "measures": (
                gettext_lazy("1. Product: models and trims to push; stock to clear."),
                gettext_lazy("2. Price: offers, discounts and finance plans."),
                gettext_lazy("3. Place: showroom, outside exhibitions, online channels."),
                gettext_lazy("4. Promotion: advertising, events and public relations."),
            ),
            "process": (
                gettext_lazy(
                    "Control: check the plan every week against the targets, profit and "
                    "efficiency; adjust the actions."
                ),
            ),
            "training": (gettext_lazy("Train the sales team on the campaign's offers."),),
        },
    ),
}


def template_choices() -> list[tuple[str, object]]:
    return [(key, label) for key, (label, _texts) in TEMPLATES.items()]


def template_texts(key: str, kind: str) -> dict[str, str]:
    _label, texts = TEMPLATES.get(key, TEMPLATES["blank"])
    keys = {s.key for s in sections_for(kind)}
    return {k: "\n".join(str(line) for line in lines) for k, lines in texts.items() if k in keys}


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def document_title(month: datetime.date) -> str:
    return _("Work plan %(year)s-%(month)s") % {"year": month.year, "month": month.month}


def kind_for(user) -> str:
    return DocumentKind.MANAGER if user.is_manager else DocumentKind.CONSULTANT


def visible_documents(user):
    return PlanDocument.objects.visible_to(user).filter(is_archived=False)


@transaction.atomic
def create_or_get(user, month: datetime.date, template: str = "blank") -> tuple[PlanDocument, bool]:
    """The user's document for the month, created from a template when there is none."""
    if not user.is_authenticated or user.store_id is None:
        raise PermissionDenied
    if template not in TEMPLATES:
        raise ValidationError(_("Choose a template from the list."))
    month = first_of_month(month)
    existing = PlanDocument.objects.filter(author=user, month=month).first()
    if existing is not None:
        return existing, False
    kind = kind_for(user)
    document = PlanDocument.objects.create(
        store_id=user.store_id,
        author=user,
        month=month,
        kind=kind,
        title=document_title(month),
        sections=template_texts(template, kind),
        template_key=template,
    )
    return document, True


def _as_amount(value, row) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("Row %(row)s: the amount is not a number.") % {"row": row}
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(_("Row %(row)s: the amount must not be negative.") % {"row": row})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Row %(row)s: at most two decimals.") % {"row": row})
    return amount


def clean_capital(investments, funding) -> tuple[list[dict], list[dict]]:
    """Check the capital rows: labels, amounts ≥ 0, funding shares summing to exactly 100.00.

    ``investments`` are ``{"label", "amount"}`` dicts, ``funding`` also has ``"share"``.
    Rows with neither label nor amount are dropped. Raises ``ValidationError`` in the user's
    language; nothing is written here.
    """
    out_inv, out_fund = [], []
    for row, item in enumerate(investments, start=1):
        label = (item.get("label") or "").strip()
        if not label and item.get("amount") in (None, ""):
            continue
        if not label:
            raise ValidationError(_("Investment row %(row)s needs a name.") % {"row": row})
        out_inv.append({"label": label, "amount": _as_amount(item.get("amount") or 0, row)})
    for row, item in enumerate(funding, start=1):
        label = (item.get("label") or "").strip()
        if not label and item.get("amount") in (None, "") and item.get("share") in (None, ""):
            continue
        if not label:
            raise ValidationError(_("Funding row %(row)s needs a name.") % {"row": row})
        try:
            share = Decimal(str(item.get("share") or "").replace("%", "").strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(
                _("Funding row %(row)s: the share is not a number.") % {"row": row}
            ) from None
        if not share.is_finite() or share < 0 or share > HUNDRED:
            raise ValidationError(
                _("Funding row %(row)s: the share must be between 0 and 100.") % {"row": row}
            )
        if share != share.quantize(Decimal("0.01")):
            raise ValidationError(
                _("Funding row %(row)s: the share can have at most two decimals.") % {"row": row}
            )
        out_fund.append(
            {"label": label, "amount": _as_amount(item.get("amount") or 0, row), "share": share}
        )
    if out_fund:
        total = sum((f["share"] for f in out_fund), Decimal("0"))
        if total != HUNDRED:
            raise ValidationError(
                _("The funding shares add up to %(total)s%%; they must add up to exactly 100%%.")
                % {"total": total.quantize(Decimal("0.01"))}
            )
    return out_inv, out_fund


def _require_author_edit(user, document):
    if document.author_id != user.pk:
        raise PermissionDenied
    if not document.is_editable:
        raise ValidationError(_("A submitted or approved plan can no longer be changed."))


@transaction.atomic
def save_sections(
    user, document: PlanDocument, sections: dict, *, investments=None, funding=None
) -> PlanDocument:
    """Save the author's texts (and, for a manager, the capital plan) as they are."""
    document = PlanDocument.objects.select_for_update().get(pk=document.pk)
    _require_author_edit(user, document)
    allowed = {s.key for s in sections_for(document.kind)} & TEXT_KEYS
    unknown = set(sections) - allowed
    if unknown:
        raise ValidationError(_("Unknown section: %(key)s") % {"key": ", ".join(sorted(unknown))})
    texts = dict(document.sections)
    for key, text in sections.items():
        texts[key] = (text or "").replace("\r\n", "\n").strip()
    document.sections = texts
    if document.kind == DocumentKind.MANAGER and (investments is not None or funding is not None):
        inv, fund = clean_capital(investments or [], funding or [])
        document.capital_items.all().delete()
        CapitalItem.objects.bulk_create(
            [
                CapitalItem(
                    document=document,
                    kind=CapitalKind.INVESTMENT,
                    label=i["label"],
                    amount=i["amount"],
                    position=n,
                )
                for n, i in enumerate(inv)
            ]
            + [
                CapitalItem(
                    document=document,
                    kind=CapitalKind.FUNDING,
                    label=f["label"],
                    amount=f["amount"],
                    share_percent=f["share"],
                    position=n,
                )
                for n, f in enumerate(fund)
            ]
        )
    document.save()
    return document


def _planners(store_id, exclude_pk):
    return User.objects.filter(store_id=store_id, role__in=PLANNER_ROLES, is_active=True).exclude(
        pk=exclude_pk
    )


def _url(document) -> str:
    return reverse("planning:document_detail", args=[document.pk])


@transaction.atomic
def submit(user, document: PlanDocument) -> PlanDocument:
    """The author hands the plan in: draft or returned → submitted; the planners are told."""
    document = PlanDocument.objects.select_for_update().get(pk=document.pk)
    _require_author_edit(user, document)
    document.status = DocumentStatus.SUBMITTED
    document.submitted_at = timezone.now()
    document.save()
    title = _("%(name)s submitted the work plan %(title)s") % {
        "name": user.display_name,
        "title": document.title,
    }
    Notification.objects.bulk_create(
        [
            Notification(
                user=planner,
                store_id=document.store_id,
                kind=NotificationKind.MESSAGE,
                title=title,
                url=_url(document),
            )
            for planner in _planners(document.store_id, user.pk)
        ]
    )
    return document


def can_decide(user, document: PlanDocument) -> bool:
    return (
        can_plan(user)
        and document.author_id != user.pk
        and (user.sees_all_stores or user.store_id == document.store_id)
    )


@transaction.atomic
def _decide(user, document, status, comment, message) -> PlanDocument:
    document = PlanDocument.objects.select_for_update().get(pk=document.pk)
    if not can_decide(user, document):
        raise PermissionDenied
    if document.status != DocumentStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be approved or returned."))
    document.status = status
    document.decided_by = user
    document.decided_at = timezone.now()
    document.manager_comment = (comment or "").strip()
    document.save()
    Notification.objects.create(
        user=document.author,
        store_id=document.store_id,
        kind=NotificationKind.MESSAGE,
        title=message % {"title": document.title, "name": user.display_name},
        body=document.manager_comment,
        url=_url(document),
    )
    return document


def approve(user, document: PlanDocument, comment: str = "") -> PlanDocument:
    return _decide(
        user,
        document,
        DocumentStatus.APPROVED,
        comment,
        _("%(name)s approved your work plan %(title)s"),
    )


def return_document(user, document: PlanDocument, comment: str) -> PlanDocument:
    if not (comment or "").strip():
        raise ValidationError(_("Say what should change before returning the plan."))
    return _decide(
        user,
        document,
        DocumentStatus.RETURNED,
        comment,
        _("%(name)s returned your work plan %(title)s"),
    )


# ---------------------------------------------------------------- figures (销量目标)


@dataclass
class TargetRow:
    metric: str
    label: str
    quota: Decimal | None
    goal: Decimal | None


def target_rows(document: PlanDocument) -> list[TargetRow]:
    """Units, revenue and gross profit: quota (任务) and goal (目标) from the month's plan."""
    plans = Plan.objects.filter(
        store_id=document.store_id, period_type=PeriodType.MONTH, period_start=document.month
    )
    if document.kind == DocumentKind.MANAGER:
        plans = plans.filter(scope=PlanScope.STORE)
    else:
        plans = plans.filter(scope=PlanScope.CONSULTANT, consultant_id=document.author_id)
    lines = {
        line.metric: line
        for line in PlanLine.objects.filter(plan__in=plans, metric__in=TARGET_METRICS)
    }
    return [
        TargetRow(
            m,
            str(Metric(m).label),
            getattr(lines.get(m), "quota", None),
            getattr(lines.get(m), "goal", None),
        )
        for m in TARGET_METRICS
    ]


def capital(document: PlanDocument) -> tuple[list[CapitalItem], list[CapitalItem]]:
    items = list(document.capital_items.all())
    return (
        [i for i in items if i.kind == CapitalKind.INVESTMENT],
        [i for i in items if i.kind == CapitalKind.FUNDING],
    )


# ---------------------------------------------------------------- .docx


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _set_font(run, *, size=12, bold=False, font="SimSun"):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = font
    r_pr = run._element.get_or_add_rPr()
    r_fonts = r_pr.get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), "宋体")


def _table(doc, header, rows, widths_cm=None):
    """A grid table, figures right-aligned; ``widths_cm`` keeps wide amounts on one line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _set_font(cell.paragraphs[0].add_run(str(text)), size=11, bold=True)
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            cell.text = ""
            paragraph = cell.paragraphs[0]
            if index > 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _set_font(paragraph.add_run(str(text)), size=11)
    if widths_cm:
        table.autofit = False
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)  # the grid LibreOffice lays out by
        for row in table.rows:
            for cell, width in zip(row.cells, widths_cm, strict=True):
                cell.width = Cm(width)
    return table


def render_docx(document: PlanDocument) -> bytes:
    """The plan as a Word document: title, author line, numbered sections, the tables."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run(document.title), size=18, bold=True)
    meta = doc.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    submitted = document.submitted_at or document.created_at
    _set_font(
        meta.add_run(
            _("%(author)s · %(store)s · %(date)s")
            % {
                "author": document.author.display_name,
                "store": document.store,
                "date": timezone.localtime(submitted).strftime("%Y-%m-%d"),
            }
        ),
        size=11,
    )

    for number, section in numbered(document.kind):
        heading = doc.add_paragraph()
        heading.paragraph_format.space_before = Pt(12)
        _set_font(heading.add_run(f"{number}{section.heading}"), size=14, bold=True)
        if section.key == "targets":
            _table(
                doc,
                [_("Metric"), _("Quota (任务)"), _("Goal (目标)")],
                [(r.label, _fmt(r.quota), _fmt(r.goal)) for r in target_rows(document)],
            )
        text = document.sections.get(section.key, "")
        for line in text.splitlines():
            if line.strip():
                paragraph = doc.add_paragraph()
                paragraph.paragraph_format.first_line_indent = Pt(24)
                _set_font(paragraph.add_run(line.strip()))
        if section.key == "capital":
            investments, funding = capital(document)
            if investments:
                total = sum((i.amount for i in investments), Decimal("0"))
                _table(
                    doc,
                    [_("Investment"), _("Amount (yuan)")],
                    [(i.label, _fmt(i.amount)) for i in investments] + [(_("Total"), _fmt(total))],
                )
            if funding:
                doc.add_paragraph()
                _table(
                    doc,
                    [_("Funding source"), _("Amount (yuan)"), _("Share (%)")],
                    [(f.label, _fmt(f.amount), f"{f.share_percent:.2f}%") for f in funding],
                )
    if document.status == DocumentStatus.APPROVED and document.decided_by_id:
        closing = doc.add_paragraph()
        closing.paragraph_format.space_before = Pt(18)
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _set_font(
            closing.add_run(
                _("Approved by %(name)s on %(date)s")
                % {
                    "name": document.decided_by.display_name,
                    "date": timezone.localtime(document.decided_at).strftime("%Y-%m-%d"),
                }
            )
        )
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
