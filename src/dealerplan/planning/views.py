import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dealerplan.core.choices import Role
from dealerplan.org.models import User

from . import services
from .choices import Metric, PeriodType, PlanScope
from .forms import BreakdownForm, month_choice
from .models import Plan, PlanLine, WorkdayOverride
from .progress import PROGRESS_METRICS, funnel_for, month_progress


class PlanListView(LoginRequiredMixin, TemplateView):
    template_name = "planning/plan_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        plans = Plan.objects.visible_to(user).select_related("store", "consultant")
        if user.sees_only_own:
            plans = plans.filter(period_type=PeriodType.MONTH).order_by("-period_start")[:24]
        else:
            plans = plans.filter(period_type=PeriodType.YEAR, scope=PlanScope.STORE)
        context.update(plans=list(plans), can_plan=services.can_plan(user))
        return context


class BreakdownWizardView(LoginRequiredMixin, View):
    """Enter the year's quota and goal, preview the breakdown, adjust, then save."""

    template_name = "planning/wizard.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not (
            services.can_plan(request.user) and request.user.store_id
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def consultants(self):
        return list(
            User.objects.visible_to(self.request.user)
            .filter(role=Role.CONSULTANT, is_active=True)
            .order_by("username")
        )

    def get(self, request):
        return render(request, self.template_name, {"form": BreakdownForm()})

    def post(self, request):
        form = BreakdownForm(request.POST)
        context = {"form": form}
        if form.is_valid():
            store = request.user.store
            try:
                preview = services.preview_breakdown(
                    store,
                    form.cleaned_data["year"],
                    form.cleaned_data["targets"],
                    consultants=self.consultants(),
                    method=form.cleaned_data["method"],
                )
                if request.POST.get("action") == "save":
                    plan = services.save_breakdown(
                        request.user, store, form.cleaned_data["year"], preview
                    )
                    messages.success(request, _("The plan is saved as a draft."))
                    return redirect("planning:plan_detail", pk=plan.pk)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                context["preview"] = preview
                context["rows"] = preview_rows(preview)
        return render(request, self.template_name, context)


def preview_rows(preview):
    """Month rows of (month, [(quota, goal) per metric]) plus the year's totals."""
    metrics = list(preview.by_month)
    rows = [
        (month, [preview.by_month[m][i] for m in metrics]) for i, month in enumerate(preview.months)
    ]
    totals = [
        (sum(q for q, _ in preview.by_month[m]), sum(g for _, g in preview.by_month[m]))
        for m in metrics
    ]
    return {"metrics": [Metric(m).label for m in metrics], "months": rows, "totals": totals}


class PlanDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
        children = list(
            Plan.objects.visible_to(request.user)
            .filter(parent=plan)
            .select_related("consultant")
            .order_by("period_start", "consultant__username")
        )
        lines = (
            PlanLine.objects.visible_to(request.user)
            .filter(plan__in=[plan, *children])
            .order_by("metric")
        )
        by_plan = {}
        for line in lines:
            by_plan.setdefault(line.plan_id, {})[line.metric] = line
        metrics = [m for m in Metric.values if m in by_plan.get(plan.pk, {})]
        selected = month_choice(request.GET.get("month"))
        people = []
        if selected is not None and plan.period_type == PeriodType.YEAR:
            month_plan = next((c for c in children if c.period_start == selected), None)
            if month_plan is not None:
                people = self.people_rows(request.user, month_plan, metrics)
        weeks, days = [], []
        if plan.period_type == PeriodType.MONTH:
            overrides = dict(
                WorkdayOverride.objects.filter(store_id=plan.store_id).values_list(
                    "date", "is_workday"
                )
            )
            weeks, days = services.month_schedule(plan, overrides)
        context = {
            "weeks": weeks,
            "days": days,
            "plan": plan,
            "metrics": [(m, Metric(m).label) for m in metrics],
            "own": [by_plan.get(plan.pk, {}).get(m) for m in metrics],
            "rows": [
                (child, [by_plan.get(child.pk, {}).get(m) for m in metrics]) for child in children
            ],
            "selected": selected,
            "people": people,
            "can_plan": services.can_plan(request.user),
            "can_split": services.can_plan(request.user)
            and plan.period_type == PeriodType.MONTH
            and plan.scope == PlanScope.STORE
            and plan.status not in ("locked", "approved")
            and bool(children),
        }
        return render(request, "planning/plan_detail.html", context)

    @staticmethod
    def people_rows(user, month_plan, metrics):
        plans = list(
            Plan.objects.visible_to(user).filter(parent=month_plan).select_related("consultant")
        )
        lines = {}
        for line in PlanLine.objects.filter(plan__in=plans):
            lines.setdefault(line.plan_id, {})[line.metric] = line
        return [(p, [lines.get(p.pk, {}).get(m) for m in metrics]) for p in plans]

    def post(self, request, pk):
        plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
        try:
            if request.POST.get("action") == "lock":
                services.lock_plan(request.user, plan)
                messages.success(request, _("The plan is locked."))
            elif request.POST.get("action") == "split":
                services.set_consultant_split(request.user, plan, split_from_post(request.POST))
                messages.success(request, _("The consultants' targets are saved."))
            elif request.POST.get("action") == "revise":
                services.start_revision(request.user, plan, request.POST.get("reason", ""))
                messages.success(request, _("Revision opened: break the year down again."))
                return redirect("planning:wizard")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("planning:plan_detail", pk=plan.pk)


class ProgressView(LoginRequiredMixin, TemplateView):
    """Plan vs actual: month to date, pace against working days, projected month end."""

    template_name = "planning/progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        month = month_choice(self.request.GET.get("month")) or today.replace(day=1)
        progress = month_progress(self.request.user, month, today)
        chart = {
            "names": [row.label for row in progress.rows],
            "quota": [_num(row.cells[Metric.UNITS].line, "quota") for row in progress.rows],
            "goal": [_num(row.cells[Metric.UNITS].line, "goal") for row in progress.rows],
            "actual": [float(row.cells[Metric.UNITS].actual) for row in progress.rows],
        }
        context.update(
            funnel=funnel_for(self.request.user, progress, today),
            progress=progress,
            chart=chart,
            metrics=[(m, Metric(m).label) for m in PROGRESS_METRICS],
            previous=(month - datetime.timedelta(days=1)).replace(day=1),
            following=(month + datetime.timedelta(days=32)).replace(day=1),
        )
        return context


def _num(line, attribute):
    return float(getattr(line, attribute)) if line is not None else 0


def split_from_post(data) -> dict:
    """{(plan id, metric): (quota, goal)} from inputs named q-<plan>-<metric>, g-<plan>-<metric>."""
    parts = {}
    for name, value in data.items():
        if not name.startswith("q-"):
            continue
        _prefix, plan_id, metric = name.split("-", 2)
        try:
            quota = Decimal(value.strip() or "0")
            goal = Decimal((data.get(f"g-{plan_id}-{metric}") or "0").strip())
            parts[(int(plan_id), metric)] = (quota, goal)
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(_("Enter numbers only.")) from exc
    return parts
