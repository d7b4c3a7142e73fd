import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dealerplan.core.table_export import Reader
from dealerplan.core.tables import DESKTOP_ONLY, MoneyColumn

from .models import Vehicle
from .services import AGED_STOCK_DAYS, aging_bucket, days_in_stock, is_aged

FOCUS_SALE = _("Focus sale")
FOCUS_SALE_HINT = _("In stock for more than %(days)s days: sell it first.")


def focus_badge():
    return format_html(
        '<span class="badge text-bg-danger ms-1 text-nowrap" title="{}">{}</span>',
        FOCUS_SALE_HINT % {"days": AGED_STOCK_DAYS},
        FOCUS_SALE,
    )


class VinColumn(tables.Column):
    """The VIN, linked; an aged car in stock carries the 重点销售 badge right beside it, so a
    phone shows it without scrolling."""

    def render(self, value, record):
        badge = focus_badge() if is_aged(record.status, record.arrival_date) else ""
        return format_html(
            '<a class="font-monospace" href="{}">{}</a>{}', record.get_absolute_url(), value, badge
        )

    export_as_field = True

    def value(self, value):
        return value


class DaysInStockColumn(tables.Column):
    def render(self, record):
        days = days_in_stock(record.arrival_date)
        if days is None:
            return "—"
        css = "text-danger fw-semibold" if days > 90 else "text-warning" if days > 60 else ""
        return format_html('<span class="{}" title="{}">{}</span>', css, aging_bucket(days), days)

    def value(self, record):
        return days_in_stock(record.arrival_date)

    def export_reader(self, **kwargs):
        today = timezone.localdate()
        return Reader(("arrival_date",), lambda arrival: days_in_stock(arrival, today))


class FocusSaleColumn(tables.Column):
    """Export only: the page shows the badge beside the days in stock."""

    def value(self, record):
        return str(FOCUS_SALE) if is_aged(record.status, record.arrival_date) else ""

    def export_reader(self, **kwargs):
        today, label = timezone.localdate(), str(FOCUS_SALE)
        return Reader(
            ("status", "arrival_date"),
            lambda status, arrival: label if is_aged(status, arrival, today) else "",
        )


class VehicleTable(tables.Table):
    vin = VinColumn(verbose_name=_("VIN"), attrs={"td": {"class": "text-nowrap"}})
    trim = tables.Column(verbose_name=_("trim"), order_by=("trim__series__name", "trim__name"))
    color = tables.Column(verbose_name=_("colour"))
    status = tables.Column()
    arrival_date = tables.DateColumn(attrs=DESKTOP_ONLY)
    cost = MoneyColumn(
        verbose_name=_("cost"),
        attrs={
            "th": {"class": "text-end d-none d-lg-table-cell"},
            "td": {"class": "text-end text-nowrap d-none d-lg-table-cell"},
        },
    )
    location = tables.Column(attrs=DESKTOP_ONLY)
    days_in_stock = DaysInStockColumn(
        verbose_name=_("Days in stock"), accessor="arrival_date", order_by=("arrival_date",)
    )
    focus_sale = FocusSaleColumn(
        verbose_name=FOCUS_SALE, accessor="pk", visible=False, orderable=False
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
