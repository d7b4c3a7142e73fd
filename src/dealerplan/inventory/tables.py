import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dealerplan.core.tables import MoneyColumn

from .models import Vehicle
from .services import aging_bucket, days_in_stock


class DaysInStockColumn(tables.Column):
    def render(self, record):
        days = days_in_stock(record.arrival_date)
        if days is None:
            return "—"
        css = "text-danger fw-semibold" if days > 90 else "text-warning" if days > 60 else ""
        return format_html('<span class="{}" title="{}">{}</span>', css, aging_bucket(days), days)

    def value(self, record):
        return days_in_stock(record.arrival_date)


class VehicleTable(tables.Table):
    vin = tables.Column(
        linkify=True, verbose_name=_("VIN"), attrs={"td": {"class": "font-monospace"}}
    )
    trim = tables.Column(verbose_name=_("trim"), order_by=("trim__series__name", "trim__name"))
    color = tables.Column(verbose_name=_("colour"))
    cost = MoneyColumn(verbose_name=_("cost"))
    days_in_stock = DaysInStockColumn(
        verbose_name=_("Days in stock"), accessor="arrival_date", order_by=("arrival_date",)
    )

    class Meta:
        model = Vehicle
        fields = [
            "vin",
            "trim",
            "color",
            "status",
            "arrival_date",
            "days_in_stock",
            "cost",
            "location",
        ]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = _("No vehicles match these filters.")
