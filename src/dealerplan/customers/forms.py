from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Trim
from dealerplan.core.choices import Role
from dealerplan.core.forms import BootstrapFormMixin, DateTimeInput
from dealerplan.core.phone import normalize_phone
from dealerplan.org.models import User

from . import services
from .models import Customer


class CustomerForm(BootstrapFormMixin, forms.ModelForm):
    full_width_fields = ("address", "notes")

    class Meta:
        model = Customer
        fields = [
            "kind",
            "name",
            "gender",
            "phone",
            "wechat",
            "owner",
            "source",
            "intention_level",
            "account_tier",
            "intended_trim",
            "budget",
            "district",
            "address",
            "next_follow_up_at",
            "notes",
        ]
        widgets = {
            "next_follow_up_at": DateTimeInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "budget": forms.NumberInput(attrs={"min": "0", "step": "1000"}),
        }

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if user.sees_only_own:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = User.objects.visible_to(user).filter(
                is_active=True, role=Role.CONSULTANT
            )
        self.fields["intended_trim"].queryset = Trim.objects.filter(
            is_active=True, series__brand__is_competitor=False
        ).select_related("series")

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data.get("phone", ""))
        if not phone:
            raise ValidationError(_("Enter the customer's phone number."), code="required")
        store_id = self.instance.store_id or self.user.store_id
        if services.phone_taken(store_id, phone, exclude_pk=self.instance.pk):
            raise ValidationError(
                _("This phone number already belongs to a customer of this store."),
                code="phone_taken",
            )
        return phone

    def save(self, commit=True):
        customer = super().save(commit=False)
        if "account_tier" in self.changed_data and self.instance.pk is not None:
            customer.tier_overridden = True
        if commit:
            customer.save()
        return customer
