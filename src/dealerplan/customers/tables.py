import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealerplan.core.privacy import can_see_full_phone, display_phone, mask_phone
from dealerplan.core.table_export import Reader
from dealerplan.core.tables import DESKTOP_ONLY, LocalDateTimeColumn

from .models import Customer


class LevelColumn(tables.Column):
    def render(self, value, record):
        level = record.intention_level
        return format_html('<span class="badge level-{}" title="{}">{}</span>', level, value, level)

    def value(self, value, record):
        return record.intention_level

    def export_reader(self, **kwargs):
        return Reader(("intention_level",))


class PhoneColumn(tables.Column):
    """Full number for the owner and managers, else masked; masked too without a request."""

    def value(self, value, record, table):
        request = getattr(table, "request", None)
        return display_phone(request.user if request else None, record, value)

    def render(self, value, record, table):
        shown = self.value(value, record, table)
        if shown != value:
            return format_html('<span class="text-nowrap">{}</span>', shown)
        return format_html('<a href="tel:{}" class="text-nowrap">{}</a>', value, value)

    def export_reader(self, *, table, accessor):
        request = getattr(table, "request", None)
        user = request.user if request else None

        def shown(phone, owner_id, store_id):
            if not phone:
                return ""
            customer = Owned(owner_id, store_id)
            return phone if can_see_full_phone(user, customer) else mask_phone(phone)

        return Reader((accessor, "owner_id", "store_id"), shown)


class Owned:
    """Just what ``can_see_full_phone`` reads of a customer."""

    __slots__ = ("owner_id", "store_id")

    def __init__(self, owner_id, store_id):
        self.owner_id, self.store_id = owner_id, store_id


class CustomerTable(tables.Table):
    name = tables.Column(
        linkify=True,
        verbose_name=pgettext_lazy("person", "name"),
        attrs={"td": {"class": "wrap-tight"}},
    )
    intention_level = LevelColumn(verbose_name=_("level"))
    phone = PhoneColumn(verbose_name=_("phone"))
    next_follow_up_at = LocalDateTimeColumn(format="Y-m-d H:i", verbose_name=_("next follow-up"))
    account_tier = tables.Column(verbose_name=_("account tier"), attrs=DESKTOP_ONLY)
    owner = tables.Column(
        verbose_name=_("owner"),
        accessor="owner__display_name",
        order_by=("owner__last_name", "owner__first_name"),
        attrs=DESKTOP_ONLY,
    )
    intended_trim = tables.Column(verbose_name=_("intended trim"), attrs=DESKTOP_ONLY)
    source = tables.Column(verbose_name=_("source channel"), attrs=DESKTOP_ONLY)
    district = tables.Column(verbose_name=_("district"), attrs=DESKTOP_ONLY)
    last_contact_at = LocalDateTimeColumn(
        format="Y-m-d", verbose_name=_("last contact"), attrs=DESKTOP_ONLY
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "intention_level",
            "phone",
            "next_follow_up_at",
            "account_tier",
            "owner",
            "intended_trim",
            "source",
            "district",
            "last_contact_at",
        ]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = _("No customers match these filters.")
