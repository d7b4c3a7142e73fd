import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dealerplan.core.tables import DESKTOP_ONLY, MoneyColumn

from .models import SalesOrder

STATUS_BADGE = {
    "draft": "text-bg-light border",
    "confirmed": "text-bg-info",
    "allocated": "text-bg-primary",
    "delivered": "text-bg-success",
    "cancelled": "text-bg-secondary",
}


class StatusColumn(tables.Column):
    export_as_field = True  # the status label

    def render(self, value, record):
        css = STATUS_BADGE.get(record.status, "text-bg-light")
        return format_html('<span class="badge text-wrap {}">{}</span>', css, value)

    def value(self, value):
        return str(value)


class OrderTable(tables.Table):
    number = tables.Column(verbose_name=_("order number"), linkify=True)
    customer = tables.Column(
        verbose_name=_("customer"),
        accessor="customer__name",
        attrs={"td": {"class": "wrap-tight"}},
    )
    trim = tables.Column(verbose_name=_("trim"), attrs=DESKTOP_ONLY, order_by=("trim__name",))
    vin = tables.Column(
        verbose_name=_("VIN"), accessor="vehicle__vin", default="", attrs=DESKTOP_ONLY
    )
    plate_number = tables.Column(verbose_name=_("plate number"), default="", attrs=DESKTOP_ONLY)
    status = StatusColumn(verbose_name=_("status"))
    order_date = tables.DateColumn(format="Y-m-d", verbose_name=_("order date"), attrs=DESKTOP_ONLY)
    total = MoneyColumn(
        verbose_name=_("order total"),
        attrs={
            "th": {"class": "d-none d-lg-table-cell text-end"},
            "td": {"class": "d-none d-lg-table-cell text-end text-nowrap"},
        },
    )
    outstanding = MoneyColumn(verbose_name=_("outstanding"))

    class Meta:
        model = SalesOrder
        fields = [
            "number",
            "customer",
            "trim",
            "vin",
            "plate_number",
            "status",
            "order_date",
            "total",
            "outstanding",
        ]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = _("No orders match these filters.")
