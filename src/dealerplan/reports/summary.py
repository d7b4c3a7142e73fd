"""The consultant's half-year or year work summary (工作总结, 篇三).

Part one (数据总结分析) is computed, never typed: units against the quota and goal, revenue,
gross profit, the best month, the customers held, new lead cards, calls, visits, test drives
and the conversion rates. It reuses ``services.year_summary`` (so it agrees with the 年度销售总结
and the plan-vs-actual page) plus two aggregate queries, a fixed number whatever the volume.
Parts two and three (skills; overall ability) are the consultant's own words, saved with their
history. ``render_docx`` writes all three as a Word document.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.activities.reports import month_bounds
from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer
from dealerplan.planning.choices import Metric
from dealerplan.planning.documents import _fmt, _set_font, _table

from . import services
from .models import Half, PeriodKind, WorkSummary
from .services import INT, MONEY_KIND, PERCENT, TEXT, UNITS, Column, Row, Selection, Table

#: The longest text a written section may hold.
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Period:
    """A half year (``half`` 1 or 2) or a whole year (``half`` 0)."""

    year: int
    half: int = Half.FIRST

    @classmethod
    def containing(cls, day: datetime.date) -> Period:
        return cls(day.year, Half.FIRST if day.month <= 6 else Half.SECOND)

    @property
    def kind(self) -> str:
        return PeriodKind.YEAR if self.half == Half.WHOLE_YEAR else PeriodKind.HALF

    @property
    def months(self) -> list[datetime.date]:
        numbers = {0: range(1, 13), 1: range(1, 7), 2: range(7, 13)}[self.half]
        return [datetime.date(self.year, number, 1) for number in numbers]

    @property
    def label(self) -> str:
        names = {"year": self.year}
        if self.half == Half.FIRST:
            return _("%(year)s, first half") % names
        if self.half == Half.SECOND:
            return _("%(year)s, second half") % names
        return _("%(year)s, whole year") % names


def parse_period(year, half, today: datetime.date) -> Period:
    """``?year=&half=`` as a Period; ``ValidationError`` in the user's language when wrong.

    ``half`` is 1, 2, or 0 / empty for the whole year; with neither given, the current half.
    """
    if not year and not half:
        return Period.containing(today)
    try:
        number = int(year) if year else today.year
    except (TypeError, ValueError):
        raise ValidationError(_("The year must be a number such as 2026.")) from None
    if not 2000 <= number <= 2100:
        raise ValidationError(_("The year must be between 2000 and 2100."))
    if half in (None, "", "0"):
        return Period(number, Half.WHOLE_YEAR)
    if half not in ("1", "2"):
        raise ValidationError(_("Choose the first half, the second half or the whole year."))
    return Period(number, int(half))


@dataclass
class Figure:
    key: str
    label: str
    value: object
    kind: str = TEXT

    @property
    def text(self) -> str:
        return shown(self.value, self.kind)


def shown(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == PERCENT:
        return f"{value * 100:.1f}%"
    if kind == MONEY_KIND:
        return f"{value:,.2f}"
    if kind == UNITS:
        return _fmt(Decimal(value))
    if kind == INT:
        return f"{value:,}"
    return str(value)


@dataclass
class SummaryData:
    period: Period
    person: object
    figures: list[Figure] = field(default_factory=list)
    months: Table | None = None

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def _total(rows, key):
    """The sum of a column, keeping "no target at all" (None) apart from a target of 0."""
    values = [row[key] for row in rows if row[key] is not None]
    return sum(values, Decimal("0")) if values else None


def summary_data(viewer, person, period: Period) -> SummaryData:
    """The figures of ``person``'s period, as ``viewer`` may see them (``visible_to``)."""
    selection = Selection(user=viewer, consultant=person)
    year_rows = services.year_summary(selection, period.year).tables[0].rows
    wanted = {f"{month:%Y-%m}" for month in period.months}
    rows = [row for row in year_rows if row["month"] in wanted]

    data = SummaryData(period, person)
    figures = data.figures
    for metric, kind in (
        (Metric.UNITS, UNITS),
        (Metric.REVENUE, MONEY_KIND),
        (Metric.GROSS_PROFIT, MONEY_KIND),
    ):
        label = Metric(metric).label
        names = {"metric": label}
        actual = _total(rows, f"{metric}_actual") or Decimal("0")
        quota, goal = _total(rows, f"{metric}_quota"), _total(rows, f"{metric}_goal")
        figures += [
            Figure(f"{metric}_actual", _("%(metric)s actual") % names, actual, kind),
            Figure(f"{metric}_quota", _("%(metric)s quota") % names, quota, kind),
            Figure(f"{metric}_goal", _("%(metric)s goal") % names, goal, kind),
            Figure(
                f"{metric}_quota_rate",
                _("%(metric)s quota completion") % names,
                services.ratio(actual, quota),
                PERCENT,
            ),
            Figure(
                f"{metric}_goal_rate",
                _("%(metric)s goal completion") % names,
                services.ratio(actual, goal),
                PERCENT,
            ),
        ]
    best = services.best_month(rows, Metric.UNITS)
    figures.append(
        Figure(
            "best_month",
            _("Best month by units"),
            _("%(month)s: %(units)s units")
            % {"month": best["month"], "units": shown(best["units_actual"], UNITS)}
            if best
            else None,
        )
    )

    start = month_bounds(period.months[0])[0]
    end = month_bounds(period.months[-1])[1]
    activity = (
        Activity.objects.visible_to(viewer)
        .filter(owner=person, status=ActivityStatus.DONE, done_at__gte=start, done_at__lt=end)
        .aggregate(
            calls=Count("pk", filter=Q(kind=ActivityKind.CALL)),
            visits=Count("pk", filter=Q(kind=ActivityKind.VISIT)),
            receptions=Count("pk", filter=Q(kind=ActivityKind.RECEPTION)),
            test_drives=Count("pk", filter=Q(kind=ActivityKind.TEST_DRIVE)),
        )
    )
    customers = (
        Customer.objects.visible_to(viewer)
        .filter(owner=person, is_archived=False)
        .aggregate(
            held=Count("pk"),
            leads=Count("pk", filter=Q(intention_level__in=IntentionLevel.open_levels())),
            owners=Count("pk", filter=Q(intention_level=IntentionLevel.D)),
            new_cards=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        )
    )
    units = figures[0].value
    figures += [
        Figure("customers_held", _("Customers held now"), customers["held"], INT),
        Figure("open_leads", _("Of which open leads (H/A/B/C)"), customers["leads"], INT),
        Figure("owners", _("Of which owners (delivered)"), customers["owners"], INT),
        Figure("new_cards", _("New lead cards"), customers["new_cards"], INT),
        Figure("calls", _("Phone calls"), activity["calls"], INT),
        Figure("visits", _("Customer visits"), activity["visits"], INT),
        Figure("receptions", _("Showroom receptions"), activity["receptions"], INT),
        Figure("test_drives", _("Test drives"), activity["test_drives"], INT),
        Figure(
            "test_drive_rate",
            _("Test drive rate (test drives ÷ receptions)"),
            services.ratio(activity["test_drives"], activity["receptions"]),
            PERCENT,
        ),
        Figure(
            "drive_to_sale_rate",
            _("Test drive to sale (units ÷ test drives)"),
            services.ratio(units, activity["test_drives"]),
            PERCENT,
        ),
        Figure(
            "close_rate",
            _("Close rate (units ÷ new lead cards)"),
            services.ratio(units, customers["new_cards"]),
            PERCENT,
        ),
    ]
    data.months = Table(
        _("Month by month"),
        [
            Column("month", _("Month")),
            Column("units_actual", Metric(Metric.UNITS).label, UNITS),
            Column("units_quota", _("Unit quota"), UNITS),
            Column("units_quota_rate", _("Completion"), PERCENT),
            Column("revenue_actual", Metric(Metric.REVENUE).label, MONEY_KIND),
            Column("gross_profit_actual", Metric(Metric.GROSS_PROFIT).label, MONEY_KIND),
        ],
        rows,
        Row(
            {
                "month": _("Total"),
                "units_actual": units,
                "units_quota": data.figure("units_quota").value,
                "units_quota_rate": data.figure("units_quota_rate").value,
                "revenue_actual": data.figure("revenue_actual").value,
                "gross_profit_actual": data.figure("gross_profit_actual").value,
            },
            subtotal=True,
        ),
    )
    return data


# --- the written sections --------------------------------------------------------------------


def find_summary(viewer, person, period: Period) -> WorkSummary | None:
    return (
        WorkSummary.objects.visible_to(viewer)
        .filter(
            user=person,
            period_kind=period.kind,
            year=period.year,
            half=period.half,
            is_archived=False,
        )
        .first()
    )


def _clean_text(text) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(
            _("A section can hold at most %(limit)s characters.") % {"limit": f"{MAX_TEXT:,}"}
        )
    return text


@transaction.atomic
def save_summary(user, period: Period, *, skills_text: str, overall_text: str) -> WorkSummary:
    """The user writes their own summary's two sections; the history keeps every version."""
    if not user.is_authenticated or user.store_id is None:
        raise PermissionDenied
    skills, overall = _clean_text(skills_text), _clean_text(overall_text)
    key = {"user": user, "period_kind": period.kind, "year": period.year, "half": period.half}
    summary = WorkSummary.objects.select_for_update().filter(**key).first()
    if summary is None:
        return WorkSummary.objects.create(
            **key, store_id=user.store_id, skills_text=skills, overall_text=overall
        )
    summary.skills_text, summary.overall_text = skills, overall
    summary.is_archived = False
    summary.save()
    return summary


# --- .docx -----------------------------------------------------------------------------------


def document_title(period: Period) -> str:
    return _("Work summary %(period)s") % {"period": period.label}


def render_docx(data: SummaryData, summary: WorkSummary | None) -> bytes:
    """Title, the author line, 一 the figures and the months, 二 skills, 三 overall ability."""
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
    _set_font(title.add_run(document_title(data.period)), size=18, bold=True)
    meta = doc.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(
        meta.add_run(
            _("%(author)s · %(store)s · %(date)s")
            % {
                "author": data.person.display_name,
                "store": data.person.store or "",
                "date": timezone.localdate().strftime("%Y-%m-%d"),
            }
        ),
        size=11,
    )

    def heading(text):
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(12)
        _set_font(paragraph.add_run(text), size=14, bold=True)

    def body(text):
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if not lines:
            lines = [_("(not written yet)")]
        for line in lines:
            paragraph = doc.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(24)
            _set_font(paragraph.add_run(line))

    heading(f"一、{_('Data summary and analysis')}")
    _table(doc, [_("Item"), _("Figure")], [(f.label, f.text) for f in data.figures])
    doc.add_paragraph()
    months = data.months
    _table(
        doc,
        [str(c.label) for c in months.columns],
        [
            [shown(row[c.key], c.kind) for c in months.columns]
            for row in [*months.rows, months.totals]
        ],
        # month, units, quota, completion, revenue, gross profit: a year's revenue fits a line
        widths_cm=[2.2, 1.7, 2.1, 2.1, 4.2, 3.6],
    )
    heading(f"二、{_('Skills summary and analysis')}")
    body(summary.skills_text if summary else "")
    heading(f"三、{_('Overall ability summary and analysis')}")
    body(summary.overall_text if summary else "")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
