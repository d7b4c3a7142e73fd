from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from dealerplan.core.exports import xlsx_response

from .receivables import BUCKETS, aging_report


class ReceivablesView(LoginRequiredMixin, TemplateView):
    """应收账款: what each order still owes, by age; ``?export=xlsx`` for finance."""

    template_name = "orders/receivables.html"

    def get(self, request, *args, **kwargs):
        self.report = aging_report(request.user, timezone.localdate())
        if request.GET.get("export") == "xlsx":
            header = [
                _("Order number"),
                _("Customer"),
                _("Consultant"),
                _("Order date"),
                _("Delivery date"),
                _("Order total"),
                _("Outstanding"),
                _("Days"),
                _("Age"),
            ]
            body = [
                [
                    r.order.number,
                    r.order.customer.name,
                    r.order.consultant.display_name,
                    r.order.order_date,
                    r.order.delivery_date,
                    r.order.total,
                    r.outstanding,
                    r.days,
                    r.bucket,
                ]
                for r in self.report.rows
            ]
            title = _("Receivables")
            stamp = timezone.localdate().strftime("%Y%m%d")
            return xlsx_response(
                [header, *body], filename=f"{title}-{stamp}.xlsx", sheet_title=title
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(report=self.report, buckets=BUCKETS)
        return context
