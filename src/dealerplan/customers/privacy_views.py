"""Showing a masked phone number on purpose, and a customer's personal-data requests."""

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dealerplan.core.exports import XLSX_TYPE
from dealerplan.core.forms import BootstrapFormMixin
from dealerplan.core.models import PersonalDataRequest, PhoneReveal
from dealerplan.core.privacy import can_see_full_phone, mask_phone, phone_reveals_per_day

from . import personal_data
from .models import Customer

MSG_REVEAL_LIMIT = gettext_lazy(
    "You have shown %(limit)s phone numbers today, the daily limit. "
    "Ask the customer's consultant or a manager."
)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def reveals_today(user) -> int:
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return PhoneReveal.objects.filter(user=user, at__gte=start).count()


class RevealPhoneView(LoginRequiredMixin, View):
    """POST only: the full number once, logged, within the user's daily allowance."""

    raise_exception = True

    def post(self, request, pk):
        customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
        context = {"customer": customer, "masked": mask_phone(customer.phone), "phone": None}
        if can_see_full_phone(request.user, customer):
            context["phone"] = customer.phone
            return render(request, "customers/_phone_revealed.html", context)
        limit = phone_reveals_per_day()
        with transaction.atomic():
            if reveals_today(request.user) >= limit:
                context["error"] = MSG_REVEAL_LIMIT % {"limit": limit}
                return render(request, "customers/_phone_revealed.html", context, status=200)
            PhoneReveal.objects.create(user=request.user, customer=customer, ip=client_ip(request))
        context["phone"] = customer.phone
        return render(request, "customers/_phone_revealed.html", context)


class ExportForm(BootstrapFormMixin, forms.Form):
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("xlsx", gettext_lazy("Excel (.xlsx)")), ("json", "JSON")],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        help_text=gettext_lazy("E.g. the customer asked for a copy on 2026-05-14 by phone."),
    )


class EraseForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)
    confirmation = forms.CharField(label=gettext_lazy("Type the customer's number to confirm"))


class PersonalDataView(LoginRequiredMixin, View):
    """A manager exports a copy of everything held about a customer, or erases it."""

    template_name = "customers/personal_data.html"

    def get_customer(self, request, pk) -> Customer:
        customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
        if not personal_data.can_handle_requests(request.user, customer):
            raise PermissionDenied
        return customer

    def render_page(self, request, customer, export_form=None, erase_form=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "page_title": _("Personal data of %(name)s") % {"name": customer.name},
                "object": customer,
                "export_form": export_form or ExportForm(prefix="export"),
                "erase_form": erase_form or EraseForm(prefix="erase"),
                "confirmation_word": personal_data.confirmation_word(customer),
                "erased": personal_data.is_erased(customer),
                "requests": PersonalDataRequest.objects.filter(customer=customer).select_related(
                    "by"
                ),
            },
            status=status,
        )

    def get(self, request, pk):
        return self.render_page(request, self.get_customer(request, pk))

    def post(self, request, pk):
        customer = self.get_customer(request, pk)
        if request.POST.get("action") == "erase":
            form = EraseForm(request.POST, prefix="erase")
            if form.is_valid():
                try:
                    personal_data.erase_personal_data(
                        request.user,
                        customer,
                        reason=form.cleaned_data["reason"],
                        confirmation=form.cleaned_data["confirmation"],
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("The customer's personal data has been erased."))
                    return HttpResponseRedirect(customer.get_absolute_url())
            return self.render_page(request, customer, erase_form=form, status=400)
        form = ExportForm(request.POST, prefix="export")
        if form.is_valid():
            try:
                content, filename, content_type = personal_data.export_personal_data(
                    request.user,
                    customer,
                    reason=form.cleaned_data["reason"],
                    file_format=form.cleaned_data["file_format"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                response = HttpResponse(content, content_type=content_type or XLSX_TYPE)
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
                return response
        return self.render_page(request, customer, export_form=form, status=400)
