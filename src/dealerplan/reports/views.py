from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from dealerplan.planning.visitplan import parse_month, shift_month

from . import exports, services
from .forms import ReportFilterForm


@dataclass(frozen=True)
class ReportPage:
    key: str
    url_name: str
    period: str  # "month" or "year"
    icon: str
    description: str


PAGES = (
    ReportPage(
        services.SALES_PLAN,
        "reports:sales_plan",
        "month",
        "bullseye",
        _("Each consultant's quota and goal for the month: units, revenue and gross profit."),
    ),
    ReportPage(
        services.VISIT_PLAN,
        "reports:visit_plan",
        "month",
        "geo-alt",
        _("The VIP and tier-1 accounts to visit this month, by tier and customer."),
    ),
    ReportPage(
        services.SALES_STATS,
        "reports:sales_stats",
        "month",
        "graph-up-arrow",
        _("Units, revenue and gross profit by consultant and series against quota and goal."),
    ),
    ReportPage(
        services.VISIT_STATS,
        "reports:visit_stats",
        "month",
        "person-check",
        _("Visits done against the visit plan, by tier and by consultant."),
    ),
    ReportPage(
        services.YEAR_PLAN,
        "reports:year_plan",
        "year",
        "calendar3",
        _("The year's quota and goal month by month, with the working days."),
    ),
    ReportPage(
        services.YEAR_SUMMARY,
        "reports:year_summary",
        "year",
        "trophy",
        _("The year's sales month by month against plan, the totals and the best months."),
    ),
)
PAGE_BY_KEY = {page.key: page for page in PAGES}


class ReportHubView(LoginRequiredMixin, TemplateView):
    """Every report of the month and of the year, with one month and one year picker."""

    template_name = "reports/hub.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        month = parse_month(self.request.GET.get("month")) or today.replace(day=1)
        if not 2000 <= month.year <= 2100:
            month = today.replace(day=1)
        try:
            year = int(self.request.GET.get("year") or today.year)
        except ValueError:
            year = today.year
        if not 2000 <= year <= 2100:
            year = today.year
        titles = services.report_titles()
        cards = []
        for page in PAGES:
            query = f"month={month:%Y-%m}" if page.period == "month" else f"year={year}"
            cards.append(
                {
                    "title": titles[page.key],
                    "description": page.description,
                    "icon": page.icon,
                    "period": page.period,
                    "url": f"{reverse(page.url_name)}?{query}",
                    "export_url": f"{reverse(page.url_name)}?{query}&export=xlsx",
                }
            )
        context.update(
            month=month,
            year=year,
            monthly=[c for c in cards if c["period"] == "month"],
            yearly=[c for c in cards if c["period"] == "year"],
        )
        return context


class ReportView(LoginRequiredMixin, TemplateView):
    """One report: the filter form, its tables, and the same report as .xlsx (``?export=xlsx``)."""

    template_name = "reports/report.html"
    key = ""

    @property
    def page(self) -> ReportPage:
        return PAGE_BY_KEY[self.key]

    def build(self, selection, value):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        self.form = ReportFilterForm(request.user, request.GET, period=self.page.period)
        self.report = None
        if self.form.is_valid():
            self.report = self.build(self.form.selection(), self.form.period_value)
            if request.GET.get("export") == "xlsx":
                return exports.xlsx_response(self.report)
        return super().get(request, *args, **kwargs)

    def _url(self, **changes) -> str:
        query = self.request.GET.copy()
        query.pop("export", None)
        for name, value in changes.items():
            query[name] = value
        return f"{self.request.path}?{query.urlencode()}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form=self.form,
            report=self.report,
            title=services.report_titles()[self.key],
            hub_url=reverse("reports:hub"),
            show_filters=not self.request.user.sees_only_own,
        )
        if self.report is not None:
            value = self.form.period_value
            if self.page.period == "month":
                context.update(
                    previous_url=self._url(month=f"{shift_month(value, -1):%Y-%m}"),
                    next_url=self._url(month=f"{shift_month(value, 1):%Y-%m}"),
                    current_url=self._url(month=f"{timezone.localdate():%Y-%m}"),
                    previous_label=_("Previous month"),
                    next_label=_("Next month"),
                    current_label=_("This month"),
                )
            else:
                context.update(
                    previous_url=self._url(year=value - 1),
                    next_url=self._url(year=value + 1),
                    current_url=self._url(year=timezone.localdate().year),
                    previous_label=_("Previous year"),
                    next_label=_("Next year"),
                    current_label=_("This year"),
                )
            context["export_url"] = self._url(export="xlsx")
        return context


class SalesPlanView(ReportView):
    key = services.SALES_PLAN

    def build(self, selection, value):
        return services.sales_plan(selection, value)


class VisitPlanView(ReportView):
    key = services.VISIT_PLAN

    def build(self, selection, value):
        # The page counts a whole group by store; its Excel file still lists every account.
        exporting = self.request.GET.get("export") == "xlsx"
        return services.visit_plan(selection, value, now=timezone.now(), accounts=exporting or None)


class SalesStatsView(ReportView):
    key = services.SALES_STATS

    def build(self, selection, value):
        return services.sales_stats(selection, value, timezone.localdate())


class VisitStatsView(ReportView):
    key = services.VISIT_STATS

    def build(self, selection, value):
        return services.visit_stats(selection, value, now=timezone.now())


class YearPlanView(ReportView):
    key = services.YEAR_PLAN

    def build(self, selection, value):
        return services.year_plan(selection, value)


class YearSummaryView(ReportView):
    key = services.YEAR_SUMMARY

    def build(self, selection, value):
        return services.year_summary(selection, value)
