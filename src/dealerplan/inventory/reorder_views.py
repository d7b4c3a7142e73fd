"""Pages of the Monday factory order: this week's suggestion, past orders, the store's settings."""

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dealerplan.core.exports import xlsx_response
from dealerplan.core.filtersets import ALL, FilterForm
from dealerplan.core.forms import BootstrapFormMixin
from dealerplan.core.tables import DESKTOP_ONLY, LocalDateTimeColumn
from dealerplan.core.views import ObjectListView

from . import reorder
from .models import FactoryOrder, FactoryOrderStatus, ReorderSettings


class ManagerOnlyMixin(LoginRequiredMixin):
    """Factory orders are the managers' business: anyone else gets a 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not reorder.can_order(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# -- this week ----------------------------------------------------------------------------------


class CurrentFactoryOrderView(ManagerOnlyMixin, View):
    """This Monday's order of the user's store, or the button that prepares it."""

    def get(self, request):
        store = request.user.store
        if store is None:
            messages.info(request, _("Open a store's factory order from the list."))
            return redirect("reorder:list")
        order = (
            FactoryOrder.objects.visible_to(request.user)
            .filter(store=store, week_start=reorder.this_monday())
            .first()
        )
        if order is not None:
            return redirect(order)
        conf = reorder.settings_for(store)
        return render(
            request,
            "inventory/reorder_current.html",
            {"week_start": reorder.this_monday(), "settings": conf, "store": store},
        )


class PrepareFactoryOrderView(ManagerOnlyMixin, View):
    """Create this week's draft, or refresh it from the latest sales and stock."""

    def post(self, request):
        store = request.user.store
        if store is None:
            raise PermissionDenied
        order = reorder.prepare_factory_order(store)
        if order.is_draft:
            messages.success(request, _("The suggestion has been brought up to date."))
        else:
            messages.info(request, _("This week's factory order has already been submitted."))
        return redirect(order)


# -- one order ----------------------------------------------------------------------------------


class QuantitiesForm(forms.Form):
    """One whole-number field per line, named after the line's id."""

    def __init__(self, lines, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.field_name(line)] = forms.IntegerField(
                label=f"{line.trim} {line.color}",
                min_value=0,
                max_value=reorder.MAX_QTY,
                initial=line.ordered_qty,
                widget=forms.NumberInput(
                    attrs={
                        "class": "form-control form-control-sm text-end qty-input",
                        "inputmode": "numeric",
                        "min": 0,
                        "max": reorder.MAX_QTY,
                    }
                ),
            )

    @staticmethod
    def field_name(line) -> str:
        return f"qty-{line.pk}"

    def rows(self):
        """Each line with its bound input, for the template."""
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[self.field_name(line)] for line in self.lines}


def export_order(order, lines):
    header = [
        _("Series"),
        _("Trim"),
        _("Colour"),
        _("Forecast"),
        _("In stock"),
        _("In transit"),
        _("On order"),
        _("Waiting orders"),
        _("Suggested"),
        _("Ordered"),
        _("Reason"),
    ]
    rows = [header] + [
        [
            line.trim.series.name,
            line.trim.name,
            line.color.name,
            float(line.forecast_qty),
            line.in_stock,
            line.in_transit,
            line.on_order,
            line.backlog,
            line.suggested_qty,
            line.ordered_qty,
            line.reason_text,
        ]
        for line in lines
    ]
    title = _("Factory order")
    filename = f"{title}-{order.store.code}-{order.week_start:%Y%m%d}.xlsx"
    return xlsx_response(rows, filename=filename, sheet_title=f"{title} {order.week_start}")


class FactoryOrderDetailView(ManagerOnlyMixin, View):
    template_name = "inventory/factory_order_detail.html"

    def get_order(self):
        return get_object_or_404(
            FactoryOrder.objects.visible_to(self.request.user).select_related(
                "store", "submitted_by"
            ),
            pk=self.kwargs["pk"],
        )

    @staticmethod
    def get_lines(order):
        return list(order.lines.select_related("trim__series", "color"))

    def render_page(self, order, lines, form, status=200):
        totals = {
            "suggested": sum(line.suggested_qty for line in lines),
            "ordered": sum(line.ordered_qty for line in lines),
        }
        context = {
            "order": order,
            "page_title": str(order),
            "form": form,
            "rows": form.rows() if form else [(line, None) for line in lines],
            "totals": totals,
            "is_current": order.week_start == reorder.this_monday(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        order = self.get_order()
        lines = self.get_lines(order)
        if request.GET.get("export") == "xlsx":
            return export_order(order, lines)
        form = QuantitiesForm(lines) if order.is_draft else None
        return self.render_page(order, lines, form)

    def post(self, request, pk):
        order = self.get_order()
        lines = self.get_lines(order)
        if not order.is_draft:
            messages.error(
                request, _("This factory order has been submitted and can no longer change.")
            )
            return redirect(order)
        form = QuantitiesForm(lines, request.POST)
        if not form.is_valid():
            messages.error(request, _("Please correct the marked quantities; nothing was saved."))
            return self.render_page(order, lines, form, status=400)
        try:
            if request.POST.get("action") == "submit":
                reorder.submit_factory_order(request.user, order, form.quantities())
                messages.success(request, _("The factory order has been submitted."))
            else:
                reorder.save_quantities(request.user, order, form.quantities())
                messages.success(request, _("Quantities saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(order)


# -- past orders --------------------------------------------------------------------------------


class FactoryOrderFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=FactoryOrderStatus.choices, empty_label=ALL
    )

    class Meta:
        model = FactoryOrder
        fields = ["status"]
        form = FilterForm

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.filter(is_archived=False))


class FactoryOrderTable(tables.Table):
    week_start = tables.DateColumn(linkify=True, verbose_name=gettext_lazy("week of"))
    store = tables.Column(verbose_name=gettext_lazy("store"), attrs=DESKTOP_ONLY)
    status = tables.Column(verbose_name=gettext_lazy("status"))
    line_count = tables.Column(
        verbose_name=gettext_lazy("Lines"), attrs=DESKTOP_ONLY, orderable=False
    )
    cars = tables.Column(verbose_name=gettext_lazy("Cars ordered"), orderable=False)
    submitted_by = tables.Column(verbose_name=gettext_lazy("submitted by"), attrs=DESKTOP_ONLY)
    submitted_at = LocalDateTimeColumn(
        verbose_name=gettext_lazy("submitted at"), attrs=DESKTOP_ONLY, format="Y-m-d H:i"
    )

    class Meta:
        model = FactoryOrder
        fields = [
            "week_start",
            "store",
            "status",
            "line_count",
            "cars",
            "submitted_by",
            "submitted_at",
        ]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = gettext_lazy("No factory orders yet.")

    def render_cars(self, value):
        return value or 0

    def value_cars(self, value):
        return value or 0


class FactoryOrderListView(ManagerOnlyMixin, ObjectListView):
    model = FactoryOrder
    filterset_class = FactoryOrderFilterSet
    table_class = FactoryOrderTable
    template_name = "inventory/factory_order_list.html"
    select_related = ("store", "submitted_by")
    list_url_name = "reorder:list"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(line_count=Count("lines"), cars=Sum("lines__ordered_qty"))
            .order_by("-week_start", "store__code")
        )


# -- the store's settings -----------------------------------------------------------------------


class ReorderSettingsForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ReorderSettings
        fields = ["lead_time_weeks", "target_days_of_supply", "aged_share_limit"]


class ReorderSettingsView(ManagerOnlyMixin, View):
    template_name = "inventory/reorder_settings.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.store_id is None:
            messages.info(request, _("Factory order settings belong to a store."))
            return redirect("reorder:list")
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, data=None):
        return ReorderSettingsForm(data, instance=reorder.settings_for(self.request.user.store))

    def get(self, request):
        return render(request, self.template_name, {"form": self.get_form()})

    def post(self, request):
        form = self.get_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please correct the marked fields."))
            return render(request, self.template_name, {"form": form}, status=400)
        reorder.save_settings(request.user, form.instance)
        messages.success(request, _("Factory order settings saved."))
        return redirect("reorder:current")
