from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from . import rules
from .forms import ActivityQuotaForm, FollowUpPolicyForm, StageIntervalForm, TierPolicyForm


class RulesView(LoginRequiredMixin, View):
    """跟进规则: intervals per level, tier and stage; activity quotas; tier thresholds."""

    template_name = "activities/rules.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not rules.can_edit_rules(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def build_forms(self, data=None):
        policy, tiers, quotas, stages = rules.rules_for(self.request.user.store)
        return {
            "policy": FollowUpPolicyForm(data, instance=policy, prefix="policy"),
            "tiers": TierPolicyForm(data, instance=tiers, prefix="tiers"),
            "quotas": [
                ActivityQuotaForm(data, instance=q, prefix=f"quota-{q.role}") for q in quotas
            ],
            "stages": [StageIntervalForm(data, instance=s, prefix=f"stage-{s.pk}") for s in stages],
        }

    @staticmethod
    def all_forms(forms):
        return [forms["policy"], forms["tiers"], *forms["quotas"], *forms["stages"]]

    def get(self, request):
        return render(request, self.template_name, {"forms": self.build_forms()})

    def post(self, request):
        forms = self.build_forms(request.POST)
        if all(form.is_valid() for form in self.all_forms(forms)):
            rules.save_rules(request.user, self.all_forms(forms))
            messages.success(request, _("Follow-up rules saved."))
            return redirect("activities:rules")
        messages.error(request, _("Please correct the marked fields."))
        return render(request, self.template_name, {"forms": forms})
