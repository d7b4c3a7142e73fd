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
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from dealerplan.core.exports import xlsx_response
from dealerplan.core.exports_policy import guard, workbook_properties
from dealerplan.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from dealerplan.customers.models import Customer
from dealerplan.deals.models import Deal
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle

from . import services
from .choices import FinancingKind, LoanStatus, OrderStatus, PaymentKind
from .filtersets import OrderFilterSet
from .forms import (
    AccessoryLineFormSet,
    AllocateForm,
    CancelForm,
    ChecklistForm,
    DeliverForm,
    InsuranceForm,
    InvoiceForm,
    LoanApplyForm,
    LoanApproveForm,
    LoanDisburseForm,
    LoanRejectForm,
    OrderForm,
    PaymentForm,
    RegistrationForm,
    TradeInForm,
)
from .models import CHECKLIST_FIELDS, Payment, SalesOrder
from .receivables import BUCKETS, aging_report
from .services import may
from .tables import OrderTable


class ReceivablesView(LoginRequiredMixin, TemplateView):
    """应收账款: what each order still owes, by age; ``?export=xlsx`` for finance."""

    template_name = "orders/receivables.html"

    def get(self, request, *args, **kwargs):
        self.report = aging_report(request.user, timezone.localdate())
        if request.GET.get("export") == "xlsx":
            refused = guard(request, _("Receivables"), lambda: len(self.report.rows))
            if refused:
                return refused
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
                [header, *body],
                filename=f"{title}-{stamp}.xlsx",
                sheet_title=title,
                properties=workbook_properties(request.user, title),
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(report=self.report, buckets=BUCKETS)
        return context


# -- orders: list, detail, add, edit ---------------------------------------------------------


def with_outstanding(queryset):
    """Annotate ``outstanding`` (total less trade-in and payments, refunds added back) in one
    query; the same rule as ``services.receivable``."""
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
            F("total") - F("trade_in_value") - Coalesce(Subquery(paid), Value(Decimal("0"))),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


class OrderViewMixin:
    model = SalesOrder
    select_related = ("customer", "consultant", "trim__series", "color", "vehicle", "deal")
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
        if not services.is_editable_draft(order):
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
        context.update(self.section_context(order, user, open_, today))
        return context

    def section_context(self, order, user, open_, today) -> dict:
        """The loan, insurance, plate, checklist, accessories, trade-in and gross-profit cards;
        a card's form only for those who may change it while the order allows it."""
        edits = may(user, services.SECTION_ROLES) and order.status != OrderStatus.CANCELLED
        edits_open = edits and open_
        loan = order.loan_status
        prefetch_related_objects([order], "accessory_lines")
        lines = list(order.accessory_lines.all())
        is_loan = order.financing == FinancingKind.LOAN
        return {
            "breakdown": services.gross_profit_breakdown(order),
            "accessory_lines": lines,
            "checklist": [
                (SalesOrder._meta.get_field(name).verbose_name, getattr(order, name))
                for name in CHECKLIST_FIELDS
            ],
            "show_loan": is_loan or bool(loan),
            "loan_apply_form": LoanApplyForm(
                initial={"lender": order.loan_lender, "amount": order.loan_amount, "on": today},
                auto_id="loan_apply_%s",
            )
            if edits_open and is_loan and loan in (LoanStatus.NONE, LoanStatus.REJECTED)
            else None,
            "loan_approve_form": LoanApproveForm(
                initial={"on": today, "commission": order.loan_commission},
                auto_id="loan_approve_%s",
            )
            if edits_open and is_loan and loan == LoanStatus.APPLIED
            else None,
            "loan_disburse_form": LoanDisburseForm(initial={"on": today}, auto_id="loan_pay_%s")
            if open_
            and is_loan
            and loan == LoanStatus.APPROVED
            and may(user, services.PAYMENT_ROLES)
            else None,
            "loan_can_reject": edits_open
            and is_loan
            and loan in (LoanStatus.APPLIED, LoanStatus.APPROVED),
            "insurance_form": InsuranceForm(
                initial={
                    "company": order.insurance_company,
                    "premium": order.insurance_premium or None,
                    "policy_number": order.insurance_policy_number,
                    "commission": order.insurance_commission or None,
                },
                auto_id="insurance_%s",
            )
            if edits
            else None,
            "registration_form": RegistrationForm(
                initial={
                    "plate_number": order.plate_number,
                    "registration_date": order.registration_date or today,
                },
                auto_id="registration_%s",
            )
            if edits and order.vehicle_id
            else None,
            "checklist_form": ChecklistForm(
                initial={name: getattr(order, name) for name in CHECKLIST_FIELDS},
                auto_id="checklist_%s",
            )
            if edits_open
            else None,
            "trade_in_form": TradeInForm(
                initial={
                    "vehicle": order.trade_in_vehicle,
                    "value": order.trade_in_value or None,
                },
                auto_id="trade_in_%s",
            )
            if edits_open
            else None,
            "accessory_formset": AccessoryLineFormSet(
                initial=[{"name": x.name, "price": x.price, "cost": x.cost} for x in lines],
                prefix="lines",
                auto_id="lines_%s",
            )
            if edits_open
            else None,
        }


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
            if not services.is_editable_draft(order):
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
        data = form.cleaned_data
        if self.object is not None:
            return services.update_draft_order(
                self.request.user,
                self.object,
                trim=data["trim"],
                order_date=data["order_date"],
                vehicle_price=data["vehicle_price"],
                discount=data["discount"],
                color=data["color"],
                financing=data["financing"],
                co_consultant=data["co_consultant"],
                co_share=data["co_share"],
                notes=data["notes"],
            )
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
        return self.run(request, order, form.cleaned_data)

    def run(self, request, order, data):
        try:
            with transaction.atomic():
                self.perform(order, data)
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


SECTION_REFUSED = gettext_lazy("Only the order's consultant, managers and finance can change this.")


class LoanApplyView(OrderStepView):
    form_class = LoanApplyForm
    success_message = gettext_lazy("Loan application recorded.")
    refused_message = SECTION_REFUSED

    def perform(self, order, data):
        services.apply_loan(
            self.request.user,
            order,
            lender=data["lender"],
            amount=data["amount"],
            commission=data["commission"] or Decimal("0"),
            on=data["on"],
        )


class LoanApproveView(OrderStepView):
    form_class = LoanApproveForm
    success_message = gettext_lazy("Loan approved.")
    refused_message = SECTION_REFUSED

    def perform(self, order, data):
        services.approve_loan(
            self.request.user, order, on=data["on"], commission=data["commission"]
        )


class LoanDisburseView(OrderStepView):
    form_class = LoanDisburseForm
    success_message = gettext_lazy("Loan disbursed; the payment is recorded.")
    refused_message = gettext_lazy("Only finance and managers can record payments.")

    def perform(self, order, data):
        services.disburse_loan(self.request.user, order, on=data["on"], reference=data["reference"])


class LoanRejectView(OrderStepView):
    form_class = LoanRejectForm
    success_message = gettext_lazy("Loan marked as rejected.")
    refused_message = SECTION_REFUSED

    def perform(self, order, data):
        services.reject_loan(self.request.user, order)


class InsuranceView(OrderStepView):
    form_class = InsuranceForm
    success_message = gettext_lazy("Insurance recorded.")
    refused_message = SECTION_REFUSED

    def perform(self, order, data):
        services.record_insurance(
            self.request.user,
            order,
            company=data["company"],
            premium=data["premium"],
            policy_number=data["policy_number"],
            commission=data["commission"] or Decimal("0"),
        )


class RegistrationView(OrderStepView):
    form_class = RegistrationForm
    success_message = gettext_lazy("Plate recorded.")
    refused_message = SECTION_REFUSED

    def perform(self, order, data):
        services.record_registration(self.request.user, order, **data)


class ChecklistView(OrderStepView):
    form_class = ChecklistForm
    success_message = gettext_lazy("Delivery checklist saved.")
    refused_message = SECTION_REFUSED

    def perform(self, order, data):
        services.update_checklist(self.request.user, order, **data)


class TradeInView(OrderStepView):
    form_class = TradeInForm
    success_message = gettext_lazy("Trade-in saved.")
    refused_message = SECTION_REFUSED

    def perform(self, order, data):
        services.record_trade_in(
            self.request.user,
            order,
            vehicle=data["vehicle"],
            value=data["value"] or Decimal("0"),
        )


class AccessoryLinesView(OrderStepView):
    """The accessory lines as a small formset; saving replaces them all at once."""

    success_message = gettext_lazy("Accessories saved.")
    refused_message = SECTION_REFUSED

    def form_class(self, data):
        return AccessoryLineFormSet(data, prefix="lines")

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        formset = self.form_class(request.POST)
        if not formset.is_valid():
            for number, form in enumerate(formset.forms, start=1):
                for field, errors in form.errors.items():
                    label = form.fields[field].label if field in form.fields else ""
                    for error in errors:
                        messages.error(
                            request,
                            _("Line %(number)s: %(label)s: %(error)s")
                            % {"number": number, "label": label, "error": error},
                        )
            for error in formset.non_form_errors():
                messages.error(request, error)
            return redirect(order)
        return self.run(request, order, formset)

    def perform(self, order, formset):
        lines = [
            services.LineInput(
                form.cleaned_data["name"],
                form.cleaned_data["price"],
                form.cleaned_data.get("cost") or Decimal("0"),
            )
            for form in formset.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]
        services.set_accessory_lines(self.request.user, order, lines)


class OrderFromDealView(LoginRequiredMixin, View):
    """The 'create order' button of a deal: a draft order, then its page."""

    def post(self, request, deal_pk):
        deal = get_object_or_404(Deal.objects.visible_to(request.user), pk=deal_pk)
        try:
            order = services.create_order_from_deal(request.user, deal)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(deal)
        except PermissionDenied:
            messages.error(request, _("You may not create orders."))
            return redirect(deal)
        messages.success(
            request, _("Draft order %(number)s created from the deal.") % {"number": order}
        )
        return redirect(order)

    def get(self, request, deal_pk):
        return redirect(get_object_or_404(Deal.objects.visible_to(request.user), pk=deal_pk))
