import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Customer


class LevelColumn(tables.Column):
    def render(self, value, record):
        return format_html(
            '<span class="badge level-{}" title="{}">{}</span>',
            value,
            record.get_intention_level_display(),
            value,
        )

    def value(self, value, record):
        return value


class CustomerTable(tables.Table):
    name = tables.Column(linkify=True, verbose_name=pgettext_lazy("person", "name"))
    intention_level = LevelColumn(verbose_name=_("level"))
    account_tier = tables.Column(verbose_name=_("account tier"))
    phone = tables.Column(verbose_name=_("phone"))
    owner = tables.Column(
        verbose_name=_("owner"),
        accessor="owner__display_name",
        order_by=("owner__last_name", "owner__first_name"),
    )
    intended_trim = tables.Column(verbose_name=_("intended trim"))
    next_follow_up_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("next follow-up"))
    last_contact_at = tables.DateTimeColumn(format="Y-m-d", verbose_name=_("last contact"))

    class Meta:
        model = Customer
        fields = [
            "name",
            "intention_level",
            "account_tier",
            "phone",
            "owner",
            "intended_trim",
            "source",
            "district",
            "next_follow_up_at",
            "last_contact_at",
        ]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = _("No customers match these filters.")
