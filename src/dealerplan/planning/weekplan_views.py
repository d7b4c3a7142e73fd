"""The proposed week plan and the month's key-account visit plan (月访客户计划表)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from dealerplan.core.choices import Role
from dealerplan.core.exports import xlsx_response
from dealerplan.customers.services import can_edit_customers
from dealerplan.org.models import User

from . import visitplan, weekplan


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class WeekPlanView(LoginRequiredMixin, View):
    """下周工作计划: calls in the morning, visits in the afternoon, ticked then accepted."""

    template_name = "planning/weekplan_detail.html"

    def consultants(self):
        user = self.request.user
        if not user.is_manager:
            return [user] if user.role == Role.CONSULTANT else []
        return list(
            User.objects.visible_to(user)
            .filter(role=Role.CONSULTANT, is_active=True)
            .order_by("username")
        )

    def consultant_for(self, value, consultants):
        """The consultant asked for; a colleague or another store's consultant is a 404."""
        if value in (None, ""):
            return consultants[0] if consultants else None
        try:
            pk = int(value)
        except ValueError:
            raise Http404 from None
        for consultant in consultants:
            if consultant.pk == pk:
                return consultant
        raise Http404

    def week(self, value):
        parsed = weekplan.parse_week(value)
        if parsed is None:
            if value:
                messages.warning(
                    self.request, _("That is not a week like 2026-W49; showing next week.")
                )
            parsed = weekplan.default_week(timezone.localdate())
        return parsed

    def get(self, request):
        consultants = self.consultants()
        consultant = self.consultant_for(request.GET.get("consultant"), consultants)
        year, week = self.week(request.GET.get("week"))
        plan = None
        if consultant is not None:
            plan = weekplan.build_week_plan(request.user, consultant, year, week)
        context = {
            "plan": plan,
            "consultant": consultant,
            "consultants": consultants if request.user.is_manager else [],
            "week_label": weekplan.week_label(year, week),
            "previous_week": weekplan.week_label(*weekplan.shift_week(year, week, -1)),
            "next_week": weekplan.week_label(*weekplan.shift_week(year, week, 1)),
            "can_accept": consultant is not None
            and consultant.pk == request.user.pk
            and can_edit_customers(request.user),
        }
        return render(request, self.template_name, context)

    def post(self, request):
        if not can_edit_customers(request.user) or request.user.role != Role.CONSULTANT:
            raise PermissionDenied
        year, week = self.week(request.POST.get("week"))
        label = weekplan.week_label(year, week)
        try:
            created = weekplan.accept_week_plan(
                request.user, year, week, request.POST.getlist("item")
            )
        except ValidationError as exc:
            messages.error(
                request, _("Nothing was planned: %(error)s") % {"error": _messages_of(exc)}
            )
        else:
            messages.success(
                request,
                _("%(count)s calls and visits are in your diary for %(week)s.")
                % {"count": len(created), "week": label},
            )
        return redirect(f"{reverse('planning:week_plan')}?{urlencode({'week': label})}")


class VisitPlanView(LoginRequiredMixin, View):
    """月访客户计划表: VIP monthly, tier 1 every two months, spread over the working days."""

    template_name = "planning/visitplan.html"

    def month(self, value):
        month = visitplan.parse_month(value)
        if month is None:
            if value:
                messages.warning(
                    self.request, _("That is not a month like 2026-12; showing this month.")
                )
            month = timezone.localdate().replace(day=1)
        return month

    def get(self, request):
        month = self.month(request.GET.get("month"))
        plan = visitplan.build_visit_plan(request.user, month)
        if request.GET.get("export") == "xlsx":
            title = _("Monthly customer visit plan")
            return xlsx_response(
                visitplan.export_rows(plan),
                filename=f"{title}-{month:%Y%m}.xlsx",
                sheet_title=title,
            )
        context = {
            "plan": plan,
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "previous_month": f"{visitplan.shift_month(month, -1):%Y-%m}",
            "next_month": f"{visitplan.shift_month(month, 1):%Y-%m}",
            "plannable": len(plan.plannable_by(request.user))
            if can_edit_customers(request.user)
            else 0,
        }
        return render(request, self.template_name, context)

    def post(self, request):
        if not can_edit_customers(request.user):
            raise PermissionDenied
        month = self.month(request.POST.get("month"))
        try:
            created = visitplan.plan_month_visits(request.user, month)
        except ValidationError as exc:
            messages.error(
                request, _("Nothing was planned: %(error)s") % {"error": _messages_of(exc)}
            )
        else:
            messages.success(
                request, _("%(count)s visits are in your diary.") % {"count": len(created)}
            )
        return redirect(
            f"{reverse('planning:visit_plan')}?{urlencode({'month': f'{month:%Y-%m}'})}"
        )
