from django.db.models import F
from django.utils import timezone

from dealerplan.activities.models import Activity
from dealerplan.core.exports_policy import list_name_for, policy_for
from dealerplan.core.pagination import LargeListPaginator
from dealerplan.core.views import ObjectDetailView, ObjectEditView, ObjectListView

from . import services
from .filtersets import CustomerFilterSet
from .forms import CustomerForm
from .models import Customer
from .tables import CustomerTable


class CustomerViewMixin:
    model = Customer
    select_related = ("owner", "intended_trim__series")
    edit_roles = services.EDIT_ROLES
    list_url_name = "customers:customer_list"
    add_url_name = "customers:customer_add"
    edit_url_name = "customers:customer_edit"


class CustomerListView(CustomerViewMixin, ObjectListView):
    template_name = "customers/customer_list.html"
    filterset_class = CustomerFilterSet
    table_class = CustomerTable
    # A group sees a million customers: no full count, and deep pages fetched by key.
    paginator_class = LargeListPaginator

    def export_table(self):
        table = super().export_table()
        table.request = self.request  # phones are shown in full only to those who may see them
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not policy_for(self.request.user, list_name_for(self.request)).allowed:
            context["export_url"] = None  # no button for an export the role may not make
        return context


class CustomerDetailView(CustomerViewMixin, ObjectDetailView):
    template_name = "customers/customer_detail.html"
    timeline_limit = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["activities"] = (
            Activity.objects.visible_to(self.request.user)
            .filter(customer=self.object)
            .select_related("owner")
            # Planned work first (what happens next), then the history, newest first.
            .order_by(F("done_at").desc(nulls_first=True), "-planned_at")[: self.timeline_limit]
        )
        context["contacts"] = self.object.contacts.all()
        context["now"] = timezone.now()
        return context


class CustomerEditView(CustomerViewMixin, ObjectEditView):
    form_class = CustomerForm

    def save(self, form):
        return services.save_customer(user=self.request.user, customer=form.save(commit=False))
