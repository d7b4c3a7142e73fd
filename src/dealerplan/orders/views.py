from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from dealerplan.core.exports import xlsx_response
from dealerplan.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from dealerplan.customers.models import Customer
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle

from . import services
from .choices import OrderStatus, PaymentKind
from .filtersets import OrderFilterSet
from .forms import AllocateForm, CancelForm, DeliverForm, InvoiceForm, OrderForm, PaymentForm
from .models import Payment, SalesOrder
from .receivables import BUCKETS, aging_report
from .tables import OrderTable


class ReceivablesView(LoginRequiredMixin, TemplateView):
    """应收账款: what each order still owes, by age; ``?export=xlsx`` for finance."""

    template_name = "orders/receivables.html"

    def get(self, request, *args, **kwargs):
        self.report = aging_report(request.user, timezone.localdate())
        if request.GET.get("export") == "xlsx":
            header = [
                _("Order number"),
                _("Customer"),
                _("Consultant"),
                _("Order date"),
                _("Delivery date"),
                _("Order total"),
                _("Outstanding"),
                _("Days"),
                _("Age"),
            ]
            body = [
                [
                    r.order.number,
                    r.order.customer.name,
                    r.order.consultant.display_name,
                    r.order.order_date,
                    r.order.delivery_date,
                    r.order.total,
                    r.outstanding,
                    r.days,
                    r.bucket,
                ]
                for r in self.report.rows
            ]
            title = _("Receivables")
            stamp = timezone.localdate().strftime("%Y%m%d")
            return xlsx_response(
                [header, *body], filename=f"{title}-{stamp}.xlsx", sheet_title=title
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(report=self.report, buckets=BUCKETS)
        return context


# -- orders: list, detail, add, edit ---------------------------------------------------------


def with_outstanding(queryset):
    """Annotate ``outstanding`` (total less payments, refunds added back) in one query."""
    paid = (
        Payment.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(
            net=Sum(
                Case(
                    When(kind=PaymentKind.REFUND, then=-F("amount")),
                    default=F("amount"),
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                )
            )
        )
        .values("net")
    )
    return queryset.annotate(
        outstanding=ExpressionWrapper(
            F("total") - Coalesce(Subquery(paid), Value(Decimal("0"))),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


class OrderViewMixin:
    model = SalesOrder
    select_related = ("customer", "consultant", "trim__series", "color", "vehicle")
    edit_roles = services.ORDER_EDIT_ROLES
    list_url_name = "orders:order_list"
    add_url_name = "orders:order_add"
    edit_url_name = "orders:order_edit"


class OrderListView(OrderViewMixin, ObjectListView):
    filterset_class = OrderFilterSet
    table_class = OrderTable
    select_related = ("customer", "trim__series", "vehicle")

    def get_queryset(self):
        return with_outstanding(super().get_queryset())


class OrderDetailView(OrderViewMixin, ObjectDetailView):
    template_name = "orders/order_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order, user = self.object, self.request.user
        status = order.status
        open_ = status not in (OrderStatus.DELIVERED, OrderStatus.CANCELLED)
        today = timezone.localdate()
        if status != OrderStatus.DRAFT:
            context["edit_url"] = None
        context.update(
            payments=list(order.payments.all()),
            paid=services.paid_amount(order),
            receivable=services.receivable(order),
            vehicles=allocatable_vehicles(user, order)
            if status in (OrderStatus.DRAFT, OrderStatus.CONFIRMED) and order.vehicle_id is None
            else None,
            payment_form=PaymentForm(initial={"received_on": today})
            if may(user, services.PAYMENT_ROLES)
            else None,
            invoice_form=InvoiceForm(
                initial={
                    "number": order.invoice_number,
                    "date": order.invoice_date or today,
                    "amount": order.invoice_amount or order.total,
                }
            )
            if open_
            else None,
            deliver_form=DeliverForm(initial={"on": today})
            if status == OrderStatus.ALLOCATED
            else None,
            cancel_form=CancelForm() if open_ and may(user, services.CANCEL_ROLES) else None,
        )
        return context


def may(user, roles) -> bool:
    return user.is_superuser or user.role in roles


def allocatable_vehicles(user, order):
    """The store's cars of the order's trim, in stock or on the way, not on an active order."""
    return (
        Vehicle.objects.visible_to(user)
        .filter(
            store_id=order.store_id,
            trim_id=order.trim_id,
            status__in=(VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT),
        )
        .exclude(
            Exists(
                SalesOrder.objects.filter(vehicle=OuterRef("pk")).exclude(
                    status=OrderStatus.CANCELLED
                )
            )
        )
        .select_related("color")
    )


class OrderEditView(OrderViewMixin, ObjectEditView):
    """New orders come from a customer (``?customer=<pk>``); only drafts can be edited."""

    form_class = OrderForm
    template_name = "orders/order_edit.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "pk" in kwargs and self.user_can_edit():
            order = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
            if order.status != OrderStatus.DRAFT:
                messages.error(request, _("Only a draft order can be edited."))
                return redirect(order)
        return super().dispatch(request, *args, **kwargs)

    def get_customer(self):
        pk = self.request.GET.get("customer", "")
        if self.object is not None or not pk.isdigit():
            return None
        return get_object_or_404(Customer.objects.visible_to(self.request.user), pk=pk)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["customer"] = self.get_customer()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["customer"] = self.get_customer()
        return context

    def save(self, form):
        if self.object is not None:
            locked = SalesOrder.objects.select_for_update().get(pk=self.object.pk)
            if locked.status != OrderStatus.DRAFT:
                raise ValidationError(_("Only a draft order can be edited."))
            return form.save()
        data = form.cleaned_data
        return services.create_order(
            self.request.user,
            data["customer"],
            data["trim"],
            order_date=data["order_date"],
            vehicle_price=data["vehicle_price"],
            discount=data["discount"],
            accessories_amount=data["accessories_amount"],
            color=data["color"],
            financing=data["financing"],
            co_consultant=data["co_consultant"],
            co_share=data["co_share"],
            notes=data["notes"],
        )


# -- the order's next steps: one small form, one URL and one service call each ----------------


class OrderStepView(LoginRequiredMixin, View):
    """POST a step's form; the service decides, the detail page shows the outcome."""

    form_class = None
    success_message = ""
    refused_message = gettext_lazy("You may not do this.")

    def get_order(self):
        return get_object_or_404(
            SalesOrder.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )

    def get(self, request, *args, **kwargs):
        return redirect(self.get_order())

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        form = self.form_class(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}: {error}" if label else error)
            return redirect(order)
        try:
            with transaction.atomic():
                self.perform(order, form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionDenied:
            messages.error(request, self.refused_message)
        else:
            messages.success(request, self.success_message)
        return redirect(order)

    def perform(self, order, data):
        raise NotImplementedError


class AllocateVehicleView(OrderStepView):
    form_class = AllocateForm
    success_message = gettext_lazy("Vehicle allocated.")

    def perform(self, order, data):
        if order.vehicle_id is not None:
            # The service would swap the car and leave the first one reserved.
            raise ValidationError(_("This order already has a vehicle."))
        vehicle = Vehicle.objects.visible_to(self.request.user).filter(pk=data["vehicle"]).first()
        if vehicle is None:
            raise ValidationError(_("This vehicle is not in your store's stock."))
        services.allocate_vehicle(user=self.request.user, order=order, vehicle=vehicle)


class ReceivePaymentView(OrderStepView):
    form_class = PaymentForm
    success_message = gettext_lazy("Payment recorded.")
    refused_message = gettext_lazy("Only finance and managers can record payments.")

    def perform(self, order, data):
        services.receive_payment(user=self.request.user, order=order, **data)


class RecordInvoiceView(OrderStepView):
    form_class = InvoiceForm
    success_message = gettext_lazy("Invoice recorded.")

    def perform(self, order, data):
        services.record_invoice(user=self.request.user, order=order, **data)


class DeliverOrderView(OrderStepView):
    form_class = DeliverForm
    success_message = gettext_lazy("Order delivered.")

    def perform(self, order, data):
        services.deliver_order(user=self.request.user, order=order, on=data["on"])


class CancelOrderView(OrderStepView):
    form_class = CancelForm
    success_message = gettext_lazy("Order cancelled.")
    refused_message = gettext_lazy("Only managers can cancel an order.")

    def perform(self, order, data):
        services.cancel_order(user=self.request.user, order=order, reason=data["reason"])
