"""Personal-information requests (个人信息保护法 arts. 45 and 47): a copy of everything held
about a customer, and erasure that keeps the sales figures.

Both are for the store's managers and both are recorded as a ``PersonalDataRequest``.
"""

from __future__ import annotations

import datetime
import json
import tempfile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.core.exports_policy import workbook_properties
from dealerplan.core.models import PersonalDataRequest
from dealerplan.core.privacy import can_see_full_phone
from dealerplan.deals.models import Deal
from dealerplan.orders.models import Payment, SalesOrder

from .models import Contact, Customer, CustomerAssignment, LevelChange

MSG_MANAGERS_ONLY = gettext_lazy("Only the store's managers handle personal data requests.")
MSG_REASON_REQUIRED = gettext_lazy("Enter the reason for the request.")
MSG_CONFIRM_MISMATCH = gettext_lazy("Type the customer's number exactly as shown to confirm.")
MSG_ALREADY_ERASED = gettext_lazy("This customer's personal data has already been erased.")

#: What is cleared from free text and contact details on erasure.
ERASED_CONTACT_NAME = gettext_lazy("Erased contact")


def can_handle_requests(user, customer: Customer) -> bool:
    """A manager who may see the customer's full details (their store, or the group)."""
    return bool(user.is_manager and can_see_full_phone(user, customer))


def erased_name(customer: Customer) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Erased customer #%(id)s") % {"id": customer.pk}


def confirmation_word(customer: Customer) -> str:
    """What the manager types to confirm an erasure: the customer's number."""
    return f"#{customer.pk}"


def is_erased(customer: Customer) -> bool:
    return customer.name == erased_name(customer)


# --- the copy ---------------------------------------------------------------------------------


def _value(obj, field):
    if field.is_relation:
        related = getattr(obj, field.name)
        return "" if related is None else str(related)
    value = getattr(obj, field.attname)
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    return value


def _section(title, queryset, exclude=("search_text",)) -> dict:
    model = queryset.model
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.name not in exclude and not f.name.startswith("history")
    ]
    return {
        "title": str(title),
        "columns": [str(f.verbose_name) for f in fields],
        "keys": [f.name for f in fields],
        "rows": [[_value(obj, f) for f in fields] for obj in queryset],
    }


def collect(customer: Customer) -> list[dict]:
    """Every record about the customer, one section per kind, in a fixed order."""
    return [
        _section(_("Customer"), Customer.objects.filter(pk=customer.pk)),
        _section(_("Contacts"), Contact.objects.filter(customer=customer)),
        _section(_("Activities"), Activity.objects.filter(customer=customer).order_by("pk")),
        _section(_("Intention level history"), LevelChange.objects.filter(customer=customer)),
        _section(_("Ownership history"), CustomerAssignment.objects.filter(customer=customer)),
        _section(_("Showroom traffic"), TrafficEntry.objects.filter(customer=customer)),
        _section(_("Deals"), Deal.objects.filter(customer=customer).order_by("pk")),
        _section(_("Orders"), SalesOrder.objects.filter(customer=customer).order_by("pk")),
        _section(_("Payments"), Payment.objects.filter(order__customer=customer).order_by("pk")),
    ]


def _record(kind, customer, user, reason, file_format=""):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(MSG_REASON_REQUIRED, code="reason_required")
    return PersonalDataRequest.objects.create(
        kind=kind,
        customer=customer,
        store_id=customer.store_id,
        by=user,
        reason=reason[:200],
        file_format=file_format,
    )


def _plain(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def export_personal_data(user, customer: Customer, *, reason: str, file_format: str):
    """Record the request and return ``(content bytes, file name, content type)``."""
    if not can_handle_requests(user, customer):
        raise PermissionDenied(MSG_MANAGERS_ONLY)
    if file_format not in ("xlsx", "json"):
        raise ValidationError(_("Choose Excel or JSON."), code="format")
    with transaction.atomic():
        _record(PersonalDataRequest.Kind.EXPORT, customer, user, reason, file_format)
        sections = collect(customer)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"customer-{customer.pk}-{stamp}.{file_format}"
    if file_format == "json":
        data = {
            "customer_id": customer.pk,
            "exported_at": timezone.now(),
            "exported_by": user.get_username(),
            "sections": [
                {
                    "title": s["title"],
                    "rows": [dict(zip(s["keys"], row, strict=True)) for row in s["rows"]],
                }
                for s in sections
            ],
        }
        content = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        return content.encode("utf-8"), filename, "application/json"
    return _workbook(user, customer, sections), filename, None


def _workbook(user, customer, sections) -> bytes:
    from dealerplan.core.exports import write_workbook

    title = _("Personal data of customer #%(id)s") % {"id": customer.pk}
    sheets = [
        (
            section["title"],
            [section["columns"], *([_plain(v) for v in row] for row in section["rows"])],
        )
        for section in sections
    ]
    with tempfile.TemporaryFile() as handle:
        write_workbook(handle, sheets, properties=workbook_properties(user, title))
        handle.seek(0)
        return handle.read()


# --- erasure ----------------------------------------------------------------------------------


def erase_personal_data(user, customer: Customer, *, reason: str, confirmation: str) -> Customer:
    """Anonymise the customer and everything personal around them; keep amounts and counts.

    Name → "已删除客户 #id"; phone, WeChat, address, location and notes cleared; contacts
    anonymised; free text on activities, traffic entries, deals and orders cleared; the audit
    trail's copies of those values are cleared too.
    """
    if not can_handle_requests(user, customer):
        raise PermissionDenied(MSG_MANAGERS_ONLY)
    if (confirmation or "").strip() != confirmation_word(customer):
        raise ValidationError(MSG_CONFIRM_MISMATCH, code="confirmation")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if is_erased(customer):
            raise ValidationError(MSG_ALREADY_ERASED, code="already_erased")
        _record(PersonalDataRequest.Kind.ERASE, customer, user, reason)
        anonymous = {
            "name": erased_name(customer),
            "phone": f"erased-{customer.pk}"[:20],
            "wechat": "",
            "address": "",
            "latitude": None,
            "longitude": None,
            "notes": "",
            "gender": "",
        }
        for field, value in anonymous.items():
            setattr(customer, field, value)
        customer.save()
        Customer.history.filter(id=customer.pk).update(
            **anonymous, search_text=customer.search_text
        )
        contact_values = {
            "name": str(ERASED_CONTACT_NAME),
            "phone": "",
            "interests": "",
            "birthday": None,
            "notes": "",
        }
        Contact.objects.filter(customer=customer).update(**contact_values)
        Contact.history.filter(customer_id=customer.pk).update(**contact_values)
        for model, values in (
            (Activity, {"notes": ""}),
            (TrafficEntry, {"visitor_name": "", "visitor_phone": "", "notes": ""}),
            (Deal, {"notes": ""}),
            (SalesOrder, {"notes": ""}),
        ):
            model.objects.filter(customer=customer).update(**values)
            history = getattr(model, "history", None)
            if history is not None:
                history.filter(customer_id=customer.pk).update(**values)
    return customer
