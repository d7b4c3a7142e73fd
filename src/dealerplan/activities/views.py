from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dealerplan.customers.models import Customer
from dealerplan.customers.services import can_edit_customers

from . import services
from .choices import ActivityStatus
from .forms import DailyLogForm, LogActivityForm, PlanActivityForm
from .models import Activity, DailyLog
from .my_day import build_my_day


class MyDayView(LoginRequiredMixin, TemplateView):
    """我的一天: the consultant's home page."""

    template_name = "activities/my_day.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["day"] = build_my_day(self.request.user)
        return context


class CustomerWorkView(LoginRequiredMixin, View):
    """Log or plan work for one customer: a row form on My Day (htmx) or a page of its own."""

    form_class = None
    template_name = None
    partial_template = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.customer = get_object_or_404(
            Customer.objects.visible_to(request.user), pk=kwargs["pk"]
        )
        if not can_edit_customers(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, status=200):
        template = self.partial_template if self.request.htmx else self.template_name
        context = {"form": form, "customer": self.customer, "next": self.next_url()}
        response = render(self.request, template, context, status=status)
        if self.request.htmx and self.request.method == "POST":
            # Errors go back into the row's form slot, not over the row.
            response["HX-Retarget"] = f"#work-{self.customer.pk}"
            response["HX-Reswap"] = "innerHTML"
        return response

    def next_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(
            candidate,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return candidate
        return self.customer.get_absolute_url()

    def get(self, request, pk):
        return self.render_form(self.form_class(initial=self.initial()))

    def initial(self) -> dict:
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind else {}

    def post(self, request, pk):
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                activity = self.perform(form)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return self.done(activity)
        return self.render_form(form)

    def done(self, activity):
        if self.request.htmx:
            self.customer.refresh_from_db()
            return render(
                self.request,
                "activities/_work_done.html",
                {
                    "customer": self.customer,
                    "activity": activity,
                    "day": build_my_day(self.request.user),
                },
            )
        messages.success(self.request, self.success_message())
        return redirect(self.next_url())


class LogActivityView(CustomerWorkView):
    form_class = LogActivityForm
    template_name = "activities/log_activity.html"
    partial_template = "activities/_log_form.html"

    def initial(self) -> dict:
        initial = super().initial()
        planned = self.planned_activity()
        if planned is not None:
            initial.update(kind=planned.kind, planned=planned.pk)
        return initial

    def planned_activity(self):
        """The planned call or visit this log completes, if the user may complete it."""
        raw = self.request.POST.get("planned") or self.request.GET.get("planned")
        if not raw or not str(raw).isdigit():
            return None
        return get_object_or_404(
            Activity.objects.visible_to(self.request.user),
            pk=raw,
            customer=self.customer,
            status=ActivityStatus.PLANNED,
        )

    def perform(self, form):
        return services.log_activity(
            user=self.request.user,
            customer=self.customer,
            planned=self.planned_activity(),
            **form.service_kwargs(),
        )

    def success_message(self):
        self.customer.refresh_from_db()
        if self.customer.next_follow_up_at:
            when = timezone.localtime(self.customer.next_follow_up_at)
            return _("Logged. Next follow-up: %(when)s.") % {"when": f"{when:%Y-%m-%d %H:%M}"}
        return _("Logged.")


class PlanActivityView(CustomerWorkView):
    form_class = PlanActivityForm
    template_name = "activities/plan_activity.html"
    partial_template = "activities/_plan_form.html"

    def perform(self, form):
        return services.plan_activity(
            user=self.request.user, customer=self.customer, **form.cleaned_data
        )

    def success_message(self):
        return _("Planned.")


class DailyLogView(LoginRequiredMixin, View):
    """工作日志: the consultant files today's log; pre-filled from the day's numbers."""

    template_name = "activities/daily_log.html"

    def get(self, request):
        today = timezone.localdate()
        log = DailyLog.objects.visible_to(request.user).filter(owner=request.user, date=today)
        existing = log.first()
        if existing is not None:
            initial = {
                "summary": existing.summary,
                "open_items": existing.open_items,
                "tomorrow": existing.tomorrow,
            }
        else:
            initial = services.daily_log_draft(request.user, today)
        return self.render(DailyLogForm(initial=initial), existing)

    def post(self, request):
        form = DailyLogForm(request.POST)
        if form.is_valid():
            try:
                services.submit_daily_log(
                    user=request.user, day=timezone.localdate(), **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except PermissionDenied:
                raise
            else:
                messages.success(request, _("Your work log for today is filed."))
                return redirect("activities:my_day")
        return self.render(form, None)

    def render(self, form, existing):
        return render(
            self.request,
            self.template_name,
            {"form": form, "existing": existing, "today": timezone.localdate()},
        )


class DailyLogDetailView(LoginRequiredMixin, View):
    """A filed log, for its author and the store's managers."""

    def get(self, request, pk):
        log = get_object_or_404(
            DailyLog.objects.visible_to(request.user).select_related("owner"), pk=pk
        )
        return render(request, "activities/daily_log_detail.html", {"log": log})
