from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Color, Trim
from dealerplan.core.forms import BootstrapFormMixin, DateInput
from dealerplan.core.vin import normalize_vin

from . import services
from .choices import VehicleStatus
from .models import Vehicle


class VehicleForm(BootstrapFormMixin, forms.ModelForm):
    full_width_fields = ("notes",)

    class Meta:
        model = Vehicle
        fields = ["vin", "trim", "color", "status", "arrival_date", "cost", "location", "notes"]
        widgets = {
            "vin": forms.TextInput(
                attrs={"autocapitalize": "characters", "spellcheck": "false", "maxlength": 20}
            ),
            "arrival_date": DateInput(),
            "cost": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["trim"].queryset = Trim.objects.filter(
            series__brand__is_competitor=False
        ).select_related("series")
        self.fields["color"].queryset = Color.objects.filter(brand__is_competitor=False)
        status = self.fields["status"]
        if self.instance.pk and self.instance.status in services.ORDER_STATUSES:
            # Held by a sales order: the order moves it, the form only shows where it is.
            status.disabled = True
            status.help_text = _("Set by the sales order.")
        else:
            status.choices = [
                (value, VehicleStatus(value).label) for value in services.HAND_STATUSES
            ]

    def clean_vin(self):
        vin = normalize_vin(self.cleaned_data.get("vin", ""))
        if Vehicle.objects.filter(vin=vin).exclude(pk=self.instance.pk).exists():
            raise ValidationError(
                _("A vehicle with this VIN is already registered."), code="vin_taken"
            )
        return vin


class ReceiveForm(BootstrapFormMixin, forms.Form):
    """Receiving a car into stock: the day it arrived and where it is parked."""

    arrival_date = forms.DateField(label=_("arrival date"), widget=DateInput())
    location = forms.CharField(
        label=_("location"),
        required=False,
        max_length=Vehicle._meta.get_field("location").max_length,
    )

    def __init__(self, *args, vehicle: Vehicle | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["arrival_date"].initial = timezone.localdate
        if vehicle is not None and vehicle.location:
            self.fields["location"].initial = vehicle.location
