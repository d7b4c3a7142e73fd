from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Color, Trim
from dealerplan.core.choices import Role
from dealerplan.core.forms import BootstrapFormMixin, DateInput
from dealerplan.customers.models import Customer
from dealerplan.org.models import User

from .choices import PaymentKind, PaymentMethod
from .models import SalesOrder, normalize_plate, validate_plate
from .services import FEN

MONEY_WIDGET = {"min": "0", "step": "0.01", "inputmode": "decimal"}


class OrderForm(BootstrapFormMixin, forms.ModelForm):
    """New order (with ``customer``) or a draft's edit (customer fixed)."""

    full_width_fields = ("notes",)

    class Meta:
        model = SalesOrder
        fields = [
            "customer",
            "trim",
            "color",
            "order_date",
            "vehicle_price",
            "discount",
            "accessories_amount",
            "financing",
            "co_consultant",
            "co_share",
            "notes",
        ]
        widgets = {
            "order_date": DateInput(),
            "vehicle_price": forms.NumberInput(attrs=MONEY_WIDGET),
            "discount": forms.NumberInput(attrs=MONEY_WIDGET),
            "accessories_amount": forms.NumberInput(attrs=MONEY_WIDGET),
            "co_share": forms.NumberInput(attrs={"min": "0", "max": "1", "step": "0.05"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, customer=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # A draft's accessories are its lines, edited on the order page.
            del self.fields["customer"], self.fields["accessories_amount"]
            store_id = self.instance.store_id
        else:
            customers = Customer.objects.visible_to(user).filter(is_archived=False)
            self.fields["customer"].queryset = customers
            if customer is not None:
                self.fields["customer"].initial = customer.pk
                self.fields["customer"].widget = forms.HiddenInput()
                self.fields["customer"].queryset = Customer.objects.visible_to(user)
            store_id = customer.store_id if customer is not None else user.store_id
            self.fields["order_date"].initial = timezone.localdate()
        self.fields["trim"].queryset = Trim.objects.filter(
            is_active=True, series__brand__is_competitor=False
        ).select_related("series")
        self.fields["color"].queryset = Color.objects.select_related("brand")
        self.fields["co_consultant"].queryset = User.objects.filter(
            is_active=True, role=Role.CONSULTANT, store_id=store_id
        )

    def clean(self):
        cleaned = super().clean()
        price, discount, extras = (
            cleaned.get("vehicle_price"),
            cleaned.get("discount"),
            cleaned.get("accessories_amount", self.instance.accessories_amount),
        )
        if None not in (price, discount, extras) and price - discount + extras < 0:
            self.add_error(
                "discount", _("The discount cannot exceed the vehicle price plus accessories.")
            )
        if cleaned.get("co_consultant") is None:
            cleaned["co_share"] = Decimal("0")
        elif not cleaned.get("co_share"):
            self.add_error("co_share", _("Enter the second consultant's share, e.g. 0.50."))
        return cleaned

    def save(self, commit=True):
        order = super().save(commit=False)
        order.total = order.compute_total().quantize(FEN)
        if commit:
            order.save()
        return order


class AllocateForm(forms.Form):
    vehicle = forms.IntegerField(label=_("Vehicle"))


class PaymentForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=PaymentKind.choices)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, widget=forms.NumberInput(attrs=MONEY_WIDGET)
    )
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class InvoiceForm(BootstrapFormMixin, forms.Form):
    number = forms.CharField(label=_("Invoice number"), max_length=50, required=False)
    date = forms.DateField(label=_("Invoice date"), widget=DateInput())
    amount = forms.DecimalField(
        label=_("Invoice amount"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs=MONEY_WIDGET),
    )


class DeliverForm(BootstrapFormMixin, forms.Form):
    on = forms.DateField(label=_("Delivery date"), widget=DateInput())


class CancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Cancellation reason"), max_length=200, required=False)


def money_field(label, *, required=True, **kwargs):
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=required,
        widget=forms.NumberInput(attrs=MONEY_WIDGET),
        **kwargs,
    )


class LoanApplyForm(BootstrapFormMixin, forms.Form):
    lender = forms.CharField(label=_("Lender"), max_length=100)
    amount = money_field(_("Loan amount"))
    commission = money_field(_("Loan commission"), required=False)
    on = forms.DateField(label=_("Applied on"), widget=DateInput())


class LoanApproveForm(BootstrapFormMixin, forms.Form):
    on = forms.DateField(label=_("Approved on"), widget=DateInput())
    commission = money_field(_("Loan commission"), required=False)


class LoanDisburseForm(BootstrapFormMixin, forms.Form):
    on = forms.DateField(label=_("Disbursed on"), widget=DateInput())
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class LoanRejectForm(forms.Form):
    pass


class InsuranceForm(BootstrapFormMixin, forms.Form):
    company = forms.CharField(label=_("Insurance company"), max_length=100)
    premium = money_field(_("Premium"))
    policy_number = forms.CharField(label=_("Policy number"), max_length=50, required=False)
    commission = money_field(_("Insurance commission"), required=False)


class RegistrationForm(BootstrapFormMixin, forms.Form):
    plate_number = forms.CharField(
        label=_("Plate number"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "京A12345", "autocapitalize": "characters"}),
    )
    registration_date = forms.DateField(label=_("Registration date"), widget=DateInput())

    def clean_plate_number(self):
        plate = normalize_plate(self.cleaned_data["plate_number"])
        validate_plate(plate)
        return plate


class ChecklistForm(BootstrapFormMixin, forms.Form):
    documents_handed_over = forms.BooleanField(label=_("Documents handed over"), required=False)
    inspection_done = forms.BooleanField(label=_("Pre-delivery inspection done"), required=False)
    accessories_fitted = forms.BooleanField(label=_("Accessories fitted"), required=False)
    customer_signed_off = forms.BooleanField(label=_("Customer signed off"), required=False)


class TradeInForm(BootstrapFormMixin, forms.Form):
    vehicle = forms.CharField(
        label=_("Trade-in vehicle"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 2016 Corolla 1.6L, 京N12345")}),
    )
    value = money_field(_("Trade-in value"), required=False)


class AccessoryLineForm(BootstrapFormMixin, forms.Form):
    """One row of the accessories formset; labels are placeholders, so a row fits a phone."""

    name = forms.CharField(label=_("Accessory"), max_length=100)
    price = money_field(_("Price"))
    cost = money_field(_("Cost"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("placeholder", field.label)


AccessoryLineFormSet = forms.formset_factory(
    AccessoryLineForm, extra=1, can_delete=True, max_num=30, validate_max=True
)
