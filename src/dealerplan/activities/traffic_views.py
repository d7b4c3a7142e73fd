"""Views of the traffic register: list, detail, fast add/edit, quick actions and the KPIs."""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from dealerplan.core.phone import mask_phone, normalize_phone
from dealerplan.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from dealerplan.customers.models import Customer

from . import traffic
from .choices import TrafficKind
from .models import TrafficEntry
from .traffic_filtersets import TrafficEntryFilterSet
from .traffic_forms import TrafficEntryForm, TrafficKpiForm
from .traffic_tables import TrafficEntryTable


class TrafficViewMixin:
    model = TrafficEntry
    select_related = ("consultant", "customer", "series__brand")
    edit_roles = traffic.EDIT_ROLES
    list_url_name = "traffic:traffic_list"
    add_url_name = "traffic:traffic_add"
    edit_url_name = "traffic:traffic_edit"

    def get_queryset(self):
        return traffic.annotate_visibility(super().get_queryset(), self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kpi_url"] = (
            reverse("traffic:kpis") if traffic.can_see_kpis(self.request.user) else None
        )
        return context


class TrafficListView(TrafficViewMixin, ObjectListView):
    template_name = "traffic/traffic_list.html"
    filterset_class = TrafficEntryFilterSet
    table_class = TrafficEntryTable
    export_filename = gettext_lazy("traffic register")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.user_can_edit()
        return context

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if not self.user_can_edit():
            kwargs["exclude"] = ("actions",)
        return kwargs

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        # One day on screen (the default, today): the date in every row is noise on a phone.
        data = self.filterset.form.cleaned_data if self.filterset.is_valid() else {}
        start, end = data.get("date_from"), data.get("date_to")
        table.single_day = start is not None and start == end
        return table


class TrafficDetailView(TrafficViewMixin, ObjectDetailView):
    template_name = "traffic/traffic_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.object
        field = TrafficEntry._meta.get_field
        phone = entry.visitor_phone if entry.show_phone else mask_phone(entry.visitor_phone)
        stay = None
        if entry.left_at:
            stay = _("%(minutes)s min") % {
                "minutes": int((entry.left_at - entry.arrived_at).total_seconds() // 60)
            }
        context.update(
            page_title=traffic.entry_title(entry),
            phone=phone,
            stay=stay,
            can_edit=self.user_can_edit(),
            detail_fields=[
                (field("kind").verbose_name, entry.get_kind_display()),
                (field("visit_type").verbose_name, entry.get_visit_type_display()),
                (field("channel").verbose_name, entry.get_channel_display()),
                (field("party_size").verbose_name, entry.party_size),
                (field("series").verbose_name, entry.series),
                (field("test_drive").verbose_name, _("Yes") if entry.test_drive else _("No")),
                (field("wechat_added").verbose_name, _("Yes") if entry.wechat_added else _("No")),
                (field("consultant").verbose_name, entry.consultant),
                (field("notes").verbose_name, entry.notes),
            ],
        )
        return context


def _form_errors_from(form, exc: ValidationError) -> None:
    """Put a service's errors under the form's fields; others (or unknown ones) on top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class TrafficEditView(TrafficViewMixin, ObjectEditView):
    template_name = "traffic/traffic_form.html"
    form_class = TrafficEntryForm

    def form_valid(self, form):
        try:
            result = traffic.register_traffic(
                user=self.request.user,
                entry=form.save(commit=False),
                open_card=form.cleaned_data.get("open_card", False),
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
            return self.form_invalid(form)
        self.object = result.entry
        messages.success(self.request, self.success_text(result))
        if "add_another" in self.request.POST:
            return HttpResponseRedirect(reverse("traffic:traffic_add"))
        if "pk" in self.kwargs:
            return HttpResponseRedirect(reverse("traffic:traffic_detail", args=[self.object.pk]))
        return HttpResponseRedirect(reverse("traffic:traffic_list"))

    @staticmethod
    def success_text(result: traffic.Registration) -> str:
        customer = result.entry.customer
        if result.card_opened:
            return _("Saved. A lead card was opened for %(name)s.") % {"name": customer.name}
        if result.linked_existing and result.customer_visible:
            return _("Saved and linked to the customer %(name)s.") % {"name": customer.name}
        if result.linked_existing:
            return _("Saved. The phone number belongs to an existing customer; linked.")
        return _("Saved.")

    def get_context_data(self, **kwargs):
        # Skip ObjectEditView's version: it links back through get_absolute_url(), which
        # TrafficEntry does not define.
        context = super(ObjectEditView, self).get_context_data(**kwargs)
        if self.object is not None:
            title = _("Edit %(name)s") % {"name": traffic.entry_title(self.object)}
            cancel_url = reverse("traffic:traffic_detail", args=[self.object.pk])
        else:
            title = _("Register traffic")
            cancel_url = reverse("traffic:traffic_list")
        context.update(page_title=title, cancel_url=cancel_url)
        return context


class TrafficQuickActionView(LoginRequiredMixin, View):
    """One-tap "departed" / "answered" from the list (htmx) or the detail page (plain POST)."""

    action = None  # traffic.mark_departed or traffic.mark_responded
    http_method_names = ["post"]

    def post(self, request, pk):
        error = None
        try:
            entry = self.action(user=request.user, entry_id=pk)
        except TrafficEntry.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            error = " ".join(exc.messages)
            entry = None
        if request.htmx:
            return render(
                request, "traffic/_quick_action_result.html", {"entry": entry, "error": error}
            )
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("traffic:traffic_detail", args=[pk]))


class TrafficDepartView(TrafficQuickActionView):
    action = staticmethod(traffic.mark_departed)


class TrafficRespondView(TrafficQuickActionView):
    action = staticmethod(traffic.mark_responded)


class PhoneLookupView(LoginRequiredMixin, View):
    """While the phone is typed: say whether the store already has a card for it.

    A card the user may not see is announced only as "an existing customer": neither its name
    nor its owner is revealed.
    """

    def get(self, request):
        if not traffic.can_register_traffic(request.user):
            raise PermissionDenied
        raw = request.GET.get("visitor_phone", "")
        context = {"state": "empty"}
        try:
            phone = normalize_phone(raw)
        except ValidationError as exc:
            phone = ""
            digits = "".join(ch for ch in raw if ch.isdigit())
            if len(digits) >= 11:
                context = {"state": "invalid", "message": " ".join(exc.messages)}
        if phone and request.user.store_id is not None:
            customer = traffic.find_customer_by_phone(request.user.store_id, phone)
            if customer is None:
                context = {"state": "new"}
            elif Customer.objects.visible_to(request.user).filter(pk=customer.pk).exists():
                context = {"state": "visible", "customer": customer}
            else:
                context = {"state": "hidden"}
        return render(request, "traffic/_phone_hint.html", context)


def _percent(value) -> str:
    return "—" if value is None else f"{value}%"


def _minutes(value) -> str:
    return "—" if value is None else _("%(minutes)s min") % {"minutes": value}


class TrafficKpiView(LoginRequiredMixin, TemplateView):
    """建卡率, 再回展厅率, 试驾率, response time, stay and traffic by hour for a period."""

    template_name = "traffic/traffic_kpis.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not traffic.can_see_kpis(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def periods(self, today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
        month_start = today.replace(day=1)
        last_month_end = month_start - datetime.timedelta(days=1)
        return [
            (_("Today"), today, today),
            (_("Last 7 days"), today - datetime.timedelta(days=6), today),
            (_("This month"), month_start, today),
            (_("Last month"), last_month_end.replace(day=1), last_month_end),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        date_from, date_to = traffic.this_month()
        consultant = None
        if self.request.GET:
            form = TrafficKpiForm(self.request.GET, user=user)
            if form.is_valid():
                date_from = form.cleaned_data["date_from"]
                date_to = form.cleaned_data["date_to"]
                consultant = form.cleaned_data.get("consultant")
        else:
            form = TrafficKpiForm(initial={"date_from": date_from, "date_to": date_to}, user=user)

        queryset = TrafficEntry.objects.visible_to(user).filter(is_archived=False)
        queryset = traffic.in_period(queryset, date_from, date_to)
        if consultant is not None:
            queryset = queryset.filter(consultant=consultant)

        kpis = traffic.traffic_kpis(queryset)
        hours = traffic.traffic_by_hour(queryset)
        per_consultant = (
            traffic.kpis_by_consultant(queryset)
            if not user.sees_only_own and consultant is None
            else []
        )
        list_url = reverse("traffic:traffic_list")
        context.update(
            page_title=_("Showroom KPIs"),
            form=form,
            date_from=date_from,
            date_to=date_to,
            consultant=consultant,
            kpis=kpis,
            cards=self.cards(kpis),
            hours=hours,
            per_consultant=[self.consultant_row(row) for row in per_consultant],
            periods=[
                {
                    "label": label,
                    "query": f"date_from={start.isoformat()}&date_to={end.isoformat()}",
                    "active": (start, end) == (date_from, date_to),
                }
                for label, start, end in self.periods(timezone.localdate())
            ],
            list_query=f"{list_url}?date_from={date_from.isoformat()}&date_to={date_to.isoformat()}"
            + (f"&consultant={consultant.pk}" if consultant else ""),
            chart={
                "hours": [row.label for row in hours],
                "series": [
                    {"name": str(TrafficKind.WALK_IN.label), "data": [r.walk_ins for r in hours]},
                    {"name": str(TrafficKind.CALL_IN.label), "data": [r.call_ins for r in hours]},
                    {"name": str(TrafficKind.ONLINE.label), "data": [r.online for r in hours]},
                ],
            },
        )
        return context

    @staticmethod
    def cards(kpis: traffic.TrafficKpis) -> list[dict]:
        return [
            {
                "label": _("Traffic"),
                "value": kpis.total,
                "detail": _("Walk-ins %(walk_ins)s · calls %(call_ins)s · online %(online)s")
                % {"walk_ins": kpis.walk_ins, "call_ins": kpis.call_ins, "online": kpis.online},
                "icon": "people",
            },
            {
                "label": _("Card rate"),
                "value": _percent(kpis.card_rate),
                "detail": _("%(carded)s of %(first)s first-time entries have a card")
                % {"carded": kpis.carded_first_entries, "first": kpis.first_entries},
                "icon": "person-vcard",
            },
            {
                "label": _("Return rate"),
                "value": _percent(kpis.return_rate),
                "detail": _("%(repeat)s repeat ÷ %(first)s first walk-ins")
                % {"repeat": kpis.repeat_walk_ins, "first": kpis.first_walk_ins},
                "icon": "arrow-repeat",
            },
            {
                "label": _("Test-drive rate"),
                "value": _percent(kpis.test_drive_rate),
                "detail": _("%(drives)s test drives of %(walk_ins)s walk-ins")
                % {"drives": kpis.test_drives, "walk_ins": kpis.walk_ins},
                "icon": "speedometer2",
            },
            {
                "label": _("Average response"),
                "value": _minutes(kpis.avg_response_minutes),
                "detail": _("%(answered)s answered, %(unanswered)s not yet")
                % {"answered": kpis.responded, "unanswered": kpis.unanswered},
                "icon": "telephone-inbound",
            },
            {
                "label": _("Average stay"),
                "value": _minutes(kpis.avg_stay_minutes),
                "detail": _("over %(count)s walk-ins with a departure time")
                % {"count": kpis.stays},
                "icon": "hourglass-split",
            },
            {
                "label": _("WeChat rate"),
                "value": _percent(kpis.wechat_rate),
                "detail": _("%(added)s of %(total)s entries")
                % {"added": kpis.wechat_added, "total": kpis.total},
                "icon": "wechat",
            },
        ]

    @staticmethod
    def consultant_row(kpis: traffic.TrafficKpis) -> dict:
        return {
            "name": kpis.consultant_name or _("No consultant"),
            "total": kpis.total,
            "walk_ins": kpis.walk_ins,
            "card_rate": _percent(kpis.card_rate),
            "return_rate": _percent(kpis.return_rate),
            "test_drive_rate": _percent(kpis.test_drive_rate),
            "avg_response": _minutes(kpis.avg_response_minutes),
        }
