from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.core.forms import BootstrapFormMixin, DateInput, DateTimeInput
from dealerplan.core.widgets import AutocompleteSelect
from dealerplan.customers.models import Customer
from dealerplan.org.models import User

from .models import Deal, Pipeline, Stage


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.pipeline.name} · {obj.name}"


class DealForm(BootstrapFormMixin, forms.ModelForm):
    full_width_fields = ("title", "notes")

    class Meta:
        model = Deal
        fields = [
            "title",
            "customer",
            "owner",
            "pipeline",
            "stage",
            "amount",
            "units",
            "expected_close_date",
            "bid_date",
            "contract_date",
            "delivery_date",
            "acceptance_date",
            "next_follow_up_at",
            "notes",
        ]
        field_classes = {"stage": StageChoiceField}
        widgets = {
            # A store has thousands of customers: search them instead of listing them all.
            "customer": AutocompleteSelect(
                reverse_lazy("customers:autocomplete"),
                placeholder=_("Name, phone, pinyin or VIN"),
            ),
            "expected_close_date": DateInput(),
            "bid_date": DateInput(),
            "contract_date": DateInput(),
            "delivery_date": DateInput(),
            "acceptance_date": DateInput(),
            "next_follow_up_at": DateTimeInput(),
            "amount": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
            "units": forms.NumberInput(attrs={"min": "1"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "next_follow_up_at": _("Leave empty to use the stage's follow-up interval."),
        }

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        customers = Customer.objects.visible_to(user).filter(is_archived=False)
        if self.instance.customer_id:
            customers = customers | Customer.objects.visible_to(user).filter(
                pk=self.instance.customer_id
            )
        self.fields["customer"].queryset = customers
        self.fields["customer"].error_messages["invalid_choice"] = _(
            "Choose one of your own customers."
        )
        pipelines = Pipeline.objects.visible_to(user).filter(is_archived=False)
        self.fields["pipeline"].queryset = pipelines
        self.fields["stage"].queryset = (
            Stage.objects.visible_to(user)
            .filter(pipeline__in=pipelines)
            .select_related("pipeline")
            .order_by("pipeline__name", "position")
        )
        if user.sees_only_own:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = User.objects.visible_to(user).filter(
                is_active=True, role=Role.CONSULTANT
            )
            self.fields["owner"].required = False
        if self.instance.pk is None and not self.is_bound:
            default = pipelines.filter(is_default=True).first()
            if default is not None:
                self.initial.setdefault("pipeline", default.pk)
                first_stage = default.stages.order_by("position").first()
                if first_stage is not None:
                    self.initial.setdefault("stage", first_stage.pk)

    def clean(self):
        cleaned = super().clean()
        pipeline, stage = cleaned.get("pipeline"), cleaned.get("stage")
        if pipeline and stage and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("That stage belongs to another pipeline."))
        return cleaned


class MoveForm(forms.Form):
    """The no-JavaScript way to move a card: a select of the pipeline's stages."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label=_("Stage"))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id)
