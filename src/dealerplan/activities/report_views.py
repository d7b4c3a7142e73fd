import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from dealerplan.core.exports import xlsx_response
from dealerplan.customers.choices import IntentionLevel

from . import reports


def parse_date(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def parse_month(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{value}-01") if value else default.replace(day=1)
    except ValueError:
        return default.replace(day=1)


class DailyReportView(LoginRequiredMixin, TemplateView):
    """销售活动日报表: per consultant, the day's calls, visits, receptions, test drives, cards."""

    template_name = "activities/daily_report.html"

    def get(self, request, *args, **kwargs):
        self.day = parse_date(request.GET.get("date"), timezone.localdate())
        self.rows = reports.daily_activity_report(request.user, self.day)
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def headers(self) -> list[str]:
        return [
            _("Consultant"),
            _("Calls"),
            _("Visits"),
            _("Receptions"),
            _("Test drives"),
            _("New cards"),
            _("Orders"),
            _("Work log"),
        ]

    def export(self):
        body = [
            [
                row.consultant.display_name,
                *(getattr(row, m) for m in reports.DAILY_MEASURES),
                _("Filed") if row.log else _("Not filed"),
            ]
            for row in self.rows
        ]
        title = _("Daily activity report")
        return xlsx_response(
            [self.headers(), *body], filename=f"{title}-{self.day:%Y%m%d}.xlsx", sheet_title=title
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            day=self.day,
            rows=self.rows,
            totals=reports.daily_totals(self.rows),
            missing_logs=[row.consultant for row in self.rows if row.log is None],
            previous=self.day - datetime.timedelta(days=1),
            following=self.day + datetime.timedelta(days=1),
            headers=self.headers(),
        )
        return context


class LevelReportView(LoginRequiredMixin, TemplateView):
    """意向客户级别状况表: leads per level carried over and at month end, and the moves."""

    template_name = "activities/level_report.html"

    def get(self, request, *args, **kwargs):
        self.month = parse_month(request.GET.get("month"), timezone.localdate())
        self.rows = reports.level_report(request.user, self.month)
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def export(self):
        levels = IntentionLevel.open_levels()
        header = [
            _("Consultant"),
            *[_("Carried over %(level)s") % {"level": level} for level in levels],
            _("New cards"),
            *[_("At month end %(level)s") % {"level": level} for level in (*levels, "O", "D", "F")],
            _("Upgrades"),
            _("Downgrades"),
        ]
        body = [
            [
                row.consultant.display_name,
                *[row.carried_over[lv] for lv in levels],
                row.new,
                *[row.at_end[lv] for lv in (*levels, "O", "D", "F")],
                row.upgrades,
                row.downgrades,
            ]
            for row in self.rows
        ]
        title = _("Lead level report")
        return xlsx_response(
            [header, *body], filename=f"{title}-{self.month:%Y%m}.xlsx", sheet_title=title
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        previous = (self.month - datetime.timedelta(days=1)).replace(day=1)
        following = (self.month + datetime.timedelta(days=32)).replace(day=1)
        context.update(
            month=self.month,
            rows=self.rows,
            open_levels=IntentionLevel.open_levels(),
            end_levels=(*IntentionLevel.open_levels(), "O", "D", "F"),
            previous=previous,
            following=following,
        )
        return context
