from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from dealerplan.core.exports import xlsx_response
from dealerplan.org.models import Store
from dealerplan.planning.visitplan import parse_month, shift_month

from . import dashboards

LAYOUT_TITLES = {
    dashboards.CONSULTANT: _("My dashboard"),
    dashboards.MANAGER: _("Store dashboard"),
    dashboards.GENERAL: _("General manager's dashboard"),
}


class DashboardView(LoginRequiredMixin, TemplateView):
    """One page per role (``dashboards.layout_for``); ``?export=xlsx&chart=<name>`` downloads a
    chart's figures."""

    template_name = "reports/dashboard.html"

    def _month(self, today):
        month = parse_month(self.request.GET.get("month"))
        if month is None or not 2000 <= month.year <= 2100:
            return today.replace(day=1)
        return month

    def _store(self):
        """Group users may narrow to one of their stores; anything else they ask for is a 404."""
        value = self.request.GET.get("store")
        user = self.request.user
        if not value or not user.sees_all_stores:
            return None
        if not value.isdigit():
            raise Http404
        store = Store.objects.visible_to(user).filter(pk=int(value)).first()
        if store is None:
            raise Http404
        return store

    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        self.store = self._store()
        self.dashboard = dashboards.build_dashboard(
            request.user, self._month(today), today, store=self.store
        )
        if request.GET.get("export") == "xlsx":
            chart = self.dashboard.chart(request.GET.get("chart", ""))
            if chart is None:
                raise Http404
            return xlsx_response(
                chart.export_rows(),
                filename=f"dashboard-{chart.name}-{self.dashboard.month:%Y-%m}.xlsx",
                sheet_title=str(chart.title),
            )
        return super().get(request, *args, **kwargs)

    def _url(self, **changes) -> str:
        query = self.request.GET.copy()
        for name in ("export", "chart"):
            query.pop(name, None)
        for name, value in changes.items():
            query[name] = value
        return f"{self.request.path}?{query.urlencode()}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, month = self.request.user, self.dashboard.month
        stores = []
        if user.sees_all_stores:
            stores = list(Store.objects.visible_to(user).order_by("code"))
        if self.store:
            scope_label = self.store.name
        elif user.sees_all_stores:
            scope_label = _("All stores")
        else:
            scope_label = user.store.name if user.store_id else ""
        if user.sees_only_own:
            scope_label = " · ".join(p for p in (str(scope_label), user.display_name) if p)
        wide = {"plan", "conversion", "revenue"}
        context.update(
            title=LAYOUT_TITLES[self.dashboard.layout],
            dashboard=self.dashboard,
            cards=[
                {
                    "chart": chart,
                    "data_id": f"dash-data-{chart.name}",
                    "wide": chart.name in wide,
                    "export_url": self._url(export="xlsx", chart=chart.name),
                }
                for chart in self.dashboard.charts
            ],
            scope_label=scope_label,
            stores=stores,
            store=self.store,
            month_value=f"{month:%Y-%m}",
            previous_url=self._url(month=f"{shift_month(month, -1):%Y-%m}"),
            next_url=self._url(month=f"{shift_month(month, 1):%Y-%m}"),
            current_url=self._url(month=f"{timezone.localdate():%Y-%m}"),
            hub_url=reverse("reports:hub"),
            receivables_url=reverse("orders:receivables"),
        )
        return context
