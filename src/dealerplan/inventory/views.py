from django.utils import timezone

from dealerplan.core.templatetags.dealerplan import money
from dealerplan.core.views import ObjectDetailView, ObjectEditView, ObjectListView

from . import services
from .filtersets import VehicleFilterSet
from .forms import VehicleForm
from .models import Vehicle
from .tables import VehicleTable


class VehicleViewMixin:
    model = Vehicle
    select_related = ("trim__series", "color")
    edit_roles = services.EDIT_ROLES
    list_url_name = "inventory:vehicle_list"
    add_url_name = "inventory:vehicle_add"
    edit_url_name = "inventory:vehicle_edit"


class VehicleListView(VehicleViewMixin, ObjectListView):
    filterset_class = VehicleFilterSet
    table_class = VehicleTable


class VehicleDetailView(VehicleViewMixin, ObjectDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        vehicle = self.object
        days = services.days_in_stock(vehicle.arrival_date, timezone.localdate())
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
        return context


class VehicleEditView(VehicleViewMixin, ObjectEditView):
    form_class = VehicleForm

    def save(self, form):
        return services.save_vehicle(user=self.request.user, vehicle=form.save(commit=False))
