from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dealerplan.catalog.models import Color, Trim
from dealerplan.core.forms import BootstrapFormMixin, DateInput
from dealerplan.core.vin import normalize_vin

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

    def clean_vin(self):
        vin = normalize_vin(self.cleaned_data.get("vin", ""))
        if Vehicle.objects.filter(vin=vin).exclude(pk=self.instance.pk).exists():
            raise ValidationError(
                _("A vehicle with this VIN is already registered."), code="vin_taken"
            )
        return vin
