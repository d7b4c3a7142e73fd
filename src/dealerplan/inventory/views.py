from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dealerplan.core.exports import xlsx_response
from dealerplan.core.templatetags.dealerplan import money
from dealerplan.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder

from . import services
from .choices import VehicleStatus
from .filtersets import VehicleFilterSet
from .forms import ReceiveForm, VehicleForm
from .models import Vehicle
from .summary import BUCKET_KEYS, STATUS_COLUMNS, stock_summary
from .tables import FOCUS_SALE, VehicleTable

HISTORY_ROWS = 20


class VehicleViewMixin:
    model = Vehicle
    select_related = ("trim__series", "color")
    edit_roles = services.EDIT_ROLES
    list_url_name = "inventory:vehicle_list"
    add_url_name = "inventory:vehicle_add"
    edit_url_name = "inventory:vehicle_edit"


class VehicleListView(VehicleViewMixin, ObjectListView):
    template_name = "inventory/vehicle_list.html"
    filterset_class = VehicleFilterSet
    table_class = VehicleTable

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_import"] = services.can_edit_stock(self.request.user)
        return context


class VehicleDetailView(VehicleViewMixin, ObjectDetailView):
    template_name = "inventory/vehicle_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        vehicle = self.object
        today = timezone.localdate()
        days = services.days_in_stock(vehicle.arrival_date, today)
        context["detail_fields"] = [
            (Vehicle._meta.get_field("vin").verbose_name, vehicle.vin),
            (Vehicle._meta.get_field("trim").verbose_name, str(vehicle.trim)),
            (Vehicle._meta.get_field("color").verbose_name, str(vehicle.color)),
            (Vehicle._meta.get_field("status").verbose_name, vehicle.get_status_display()),
            (Vehicle._meta.get_field("arrival_date").verbose_name, vehicle.arrival_date or "—"),
            (services.DAYS_IN_STOCK_LABEL, "—" if days is None else str(days)),
            (Vehicle._meta.get_field("cost").verbose_name, money(vehicle.cost)),
            (Vehicle._meta.get_field("location").verbose_name, vehicle.location or "—"),
            (Vehicle._meta.get_field("notes").verbose_name, vehicle.notes or "—"),
        ]
        can_move = self.user_can_edit()
        steps = services.next_steps(vehicle) if can_move else ()
        context.update(
            is_aged=services.is_aged(vehicle.status, vehicle.arrival_date, today),
            aged_days=services.AGED_STOCK_DAYS,
            can_mark_in_transit=VehicleStatus.IN_TRANSIT in steps,
            receive_form=ReceiveForm(vehicle=vehicle) if VehicleStatus.IN_STOCK in steps else None,
            held_by_order=vehicle.status in services.ORDER_STATUSES,
            order=self.active_order(vehicle),
            history=self.history(vehicle),
        )
        return context

    def active_order(self, vehicle):
        if vehicle.status not in services.ORDER_STATUSES:
            return None
        return (
            SalesOrder.objects.visible_to(self.request.user)
            .filter(vehicle=vehicle)
            .exclude(status=OrderStatus.CANCELLED)
            .only("pk", "number", "status")
            .first()
        )

    def history(self, vehicle):
        rows = list(vehicle.history.select_related("history_user")[: HISTORY_ROWS + 1])
        entries = []
        for index, row in enumerate(rows[:HISTORY_ROWS]):
            before = rows[index + 1] if index + 1 < len(rows) else None
            reason = services.CHANGE_REASONS.get(row.history_change_reason or "")
            entries.append(
                {
                    "date": row.history_date,
                    "user": row.history_user.display_name if row.history_user else "",
                    "created": row.history_type == "+",
                    "reason": reason or "",
                    "status": services.status_label(row.status),
                    "status_changed": before is not None and before.status != row.status,
                    "previous_status": services.status_label(before.status) if before else "",
                }
            )
        return entries


class VehicleEditView(VehicleViewMixin, ObjectEditView):
    form_class = VehicleForm

    def save(self, form):
        return services.save_vehicle(user=self.request.user, vehicle=form.save(commit=False))


class VehicleStepView(LoginRequiredMixin, View):
    """One stock-keeping step from the detail page's buttons (POST only)."""

    step = ""

    def post(self, request, pk):
        if not services.can_edit_stock(request.user):
            raise PermissionDenied
        vehicle = get_object_or_404(Vehicle.objects.visible_to(request.user), pk=pk)
        try:
            self.apply(vehicle)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return HttpResponseRedirect(vehicle.get_absolute_url())

    def apply(self, vehicle):
        raise NotImplementedError


class MarkInTransitView(VehicleStepView):
    def apply(self, vehicle):
        services.mark_in_transit(user=self.request.user, vehicle=vehicle)
        messages.success(self.request, _("Marked in transit."))


class ReceiveView(VehicleStepView):
    def apply(self, vehicle):
        form = ReceiveForm(self.request.POST, vehicle=vehicle)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.receive_into_stock(
            user=self.request.user,
            vehicle=vehicle,
            arrival_date=form.cleaned_data["arrival_date"],
            location=form.cleaned_data["location"],
        )
        messages.success(self.request, _("Received into stock."))


class StockSummaryView(LoginRequiredMixin, TemplateView):
    """Stock by trim × colour; ``?export=xlsx`` gives the same matrix as a workbook."""

    template_name = "inventory/summary.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.export(stock_summary(request.user))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = stock_summary(self.request.user)
        list_url = reverse("inventory:vehicle_list")
        rows = []
        for row in summary.rows:
            base = {"trim": row.trim_id, "color": row.color_id}
            rows.append(
                {
                    "row": row,
                    "statuses": [
                        (count, f"{list_url}?{urlencode({**base, 'status': status})}")
                        for status, count in row.status_counts()
                    ],
                    "buckets": [
                        (key, count, f"{list_url}?{urlencode({**base, 'aging': key})}")
                        for key, count in row.bucket_counts()
                    ],
                    "aged_url": f"{list_url}?{urlencode({**base, 'aged': 'on'})}",
                }
            )
        totals = summary.totals
        context.update(
            page_title=_("Stock summary"),
            summary=summary,
            rows=rows,
            status_headers=[VehicleStatus(s).label for s in STATUS_COLUMNS],
            bucket_headers=[key.replace("-", "–") for key in BUCKET_KEYS],
            totals_statuses=[count for _status, count in totals.status_counts()],
            totals_buckets=[(key, count) for key, count in totals.bucket_counts()],
            aged_days=services.AGED_STOCK_DAYS,
            list_url=list_url,
            aged_list_url=f"{list_url}?aged=on",
            export_url=f"{self.request.path}?export=xlsx",
        )
        return context

    def export(self, summary):
        header = [
            _("trim"),
            _("model year"),
            _("colour"),
            *[str(VehicleStatus(s).label) for s in STATUS_COLUMNS],
            *[
                _("%(bucket)s days in stock") % {"bucket": key.replace("-", "–")}
                for key in BUCKET_KEYS
            ],
            str(FOCUS_SALE),
        ]

        def line(row, trim, year, color):
            return [
                trim,
                year,
                color,
                *[count for _status, count in row.status_counts()],
                *[count for _key, count in row.bucket_counts()],
                row.aged,
            ]

        rows = [header]
        rows += [line(r, r.trim, r.model_year or "", r.color) for r in summary.rows]
        rows.append(line(summary.totals, _("Total"), "", ""))
        name = _("Stock summary")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return xlsx_response(rows, filename=f"{name}-{stamp}.xlsx", sheet_title=name)
