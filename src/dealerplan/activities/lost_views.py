from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from . import lost
from .choices import LostStatus
from .forms import LostDecisionForm, LostRequestForm
from .models import LostRequest
from .report_views import parse_month
from .views import CustomerWorkView


class RequestLostView(CustomerWorkView):
    form_class = LostRequestForm
    template_name = "activities/request_lost.html"
    partial_template = "activities/request_lost.html"

    def perform(self, form):
        return lost.request_lost(
            user=self.request.user, customer=self.customer, **form.cleaned_data
        )

    def done(self, activity):
        messages.success(self.request, _("Sent to your manager for approval."))
        return redirect(self.customer.get_absolute_url())


class LostListView(LoginRequiredMixin, TemplateView):
    """Pending lost requests for the manager to decide; a consultant sees their own."""

    template_name = "activities/lost_list.html"
    recent = 30

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        requests = LostRequest.objects.visible_to(self.request.user).select_related(
            "customer", "requested_by", "competitor__brand", "decided_by"
        )
        context.update(
            pending=list(requests.filter(status=LostStatus.PENDING).order_by("created_at")),
            decided=list(
                requests.exclude(status=LostStatus.PENDING).order_by("-decided_at")[: self.recent]
            ),
            can_approve=lost.can_approve(self.request.user),
        )
        return context


class LostDecisionView(LoginRequiredMixin, View):
    def post(self, request, pk):
        form = LostDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose approve or return."))
            return redirect("activities:lost_list")
        try:
            if form.cleaned_data["action"] == "approve":
                lost.approve_lost(
                    manager=request.user, request_id=pk, note=form.cleaned_data["note"]
                )
                messages.success(request, _("Approved: the lead is now lost (F)."))
            else:
                lost.return_lost(
                    manager=request.user, request_id=pk, note=form.cleaned_data["note"]
                )
                messages.success(request, _("Returned to the consultant."))
        except PermissionDenied as exc:
            if not LostRequest.objects.visible_to(request.user).filter(pk=pk).exists():
                raise Http404 from exc
            raise
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("activities:lost_list")


class LostAnalysisView(LoginRequiredMixin, TemplateView):
    template_name = "activities/lost_analysis.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        month = parse_month(self.request.GET.get("month"), timezone.localdate())
        context.update(month=month, analysis=lost.lost_analysis(self.request.user, month))
        return context
