"""Finance pages: the monthly reconciliation (月度对账) and its workbook."""

import io

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from dealerplan.core.exports_policy import guard, workbook_properties
from dealerplan.org.models import Store

from .choices import PaymentKind, PaymentMethod
from .reconciliation import (
    DifferenceKind,
    can_reconcile,
    last_month,
    parse_month,
    reconcile,
    shift_month,
    workbook_bytes,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReconciliationView(LoginRequiredMixin, TemplateView):
    """月度对账: the month's totals and differences; ``?export=xlsx`` for the four sheets."""

    template_name = "orders/reconciliation.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_reconcile(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        self.store = self.chosen_store()
        raw = request.GET.get("month", "").strip()
        month = parse_month(raw) if raw else last_month(today)
        if month is None:
            messages.error(
                request,
                _("Enter the month as YYYY-MM, for example %(example)s.")
                % {"example": f"{last_month(today):%Y-%m}"},
            )
            return redirect(f"{request.path}?store={self.store.pk}" if self.store else request.path)
        self.today, self.month = today, month
        self.rec = reconcile(request.user, month, self.store)
        if request.GET.get("export") == "xlsx":
            title = _("Monthly reconciliation")
            refused = guard(request, title, lambda: len(self.rec.orders) + len(self.rec.payments))
            if refused:
                return refused
            properties = workbook_properties(request.user, title)
            return FileResponse(
                io.BytesIO(workbook_bytes(self.rec, properties)),
                as_attachment=True,
                filename=self.filename(),
                content_type=XLSX,
            )
        return super().get(request, *args, **kwargs)

    def chosen_store(self):
        """Group-wide users may pick one store; anyone else's scope is their own store."""
        raw = self.request.GET.get("store", "").strip()
        if not raw:
            return None
        return get_object_or_404(
            Store.objects.visible_to(self.request.user), pk=raw if raw.isdigit() else 0
        )

    def filename(self) -> str:
        store = self.store or self.request.user.store
        code = store.code if store is not None and not self.rec.multi_store else "all"
        return f"{_('Monthly reconciliation')}-{code}-{self.month:%Y%m}.xlsx"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, rec = self.request.user, self.rec
        following = shift_month(self.month, 1)
        query = f"month={self.month:%Y-%m}" + (f"&store={self.store.pk}" if self.store else "")
        context.update(
            rec=rec,
            month=self.month,
            previous=shift_month(self.month, -1),
            following=following if following <= self.today else None,
            default_month=last_month(self.today),
            store=self.store,
            stores=list(Store.objects.visible_to(user).filter(is_active=True))
            if user.sees_all_stores
            else None,
            export_query=f"{query}&export=xlsx",
            kinds=[(PaymentKind(k).label, v) for k, v in rec.payments_by_kind.items()],
            methods=[(PaymentMethod(m).label, v) for m, v in rec.payments_by_method.items()],
            difference_kinds=[
                (kind.label, *rec.differences_by_kind[kind.value]) for kind in DifferenceKind
            ],
        )
        return context
