import django_tables2 as tables
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2.utils import A

from dealerplan.core.phone import mask_phone
from dealerplan.core.table_export import Reader
from dealerplan.core.tables import DESKTOP_ONLY

from . import traffic
from .choices import TrafficKind
from .models import TrafficEntry

TIME_FORMAT = "m-d H:i"


class LocalDateTimeColumn(tables.Column):
    """Local time on the page ("03-15 14:30", or "14:30" when the list shows a single day);
    the datetime itself in exports (written there as local time)."""

    export_as_field = True

    def render(self, value, table):
        fmt = "H:i" if getattr(table, "single_day", False) else TIME_FORMAT
        return dateformat.format(timezone.localtime(value), fmt)

    def value(self, value):
        return value


class YesNoColumn(tables.BooleanColumn):
    """A green tick on the page (nothing for no); 是/否 (Yes/No) in exports."""

    def render(self, value, record, bound_column):
        if not self._get_bool_value(record, value, bound_column):
            return ""
        return format_html(
            '<i class="bi bi-check-lg text-success" role="img" aria-label="{}"></i>', _("Yes")
        )

    def value(self, record, value, bound_column):
        return str(_("Yes") if self._get_bool_value(record, value, bound_column) else _("No"))

    def export_reader(self, *, accessor, **kwargs):
        yes, no = str(_("Yes")), str(_("No"))
        return Reader((accessor,), lambda value: yes if value else no)


class VisitTypeColumn(tables.Column):
    def render(self, value, record):
        css = "text-bg-primary" if record.visit_type == "S" else "text-bg-light border"
        return format_html(
            '<span class="badge {}" title="{}">{}</span>', css, value, record.visit_type
        )

    def value(self, record):
        return record.visit_type

    def export_reader(self, **kwargs):
        return Reader(("visit_type",))  # the F/S letter, not its label


class VisitorPhoneColumn(tables.Column):
    """Full number for the entry's consultant and managers, 138****8000 for anyone else.

    The list's queryset annotates ``show_phone`` for the requesting user, so the HTML page and
    the export mask the same way.
    """

    @staticmethod
    def shown(record) -> str:
        phone = record.visitor_phone
        return phone if getattr(record, "show_phone", False) else mask_phone(phone)

    def render(self, record):
        phone = self.shown(record)
        if getattr(record, "show_phone", False):
            return format_html('<a href="tel:{}" class="text-nowrap">{}</a>', phone, phone)
        return format_html('<span class="text-nowrap">{}</span>', phone)

    def value(self, record):
        return self.shown(record)

    def export_reader(self, **kwargs):
        return Reader(
            ("visitor_phone", "show_phone"),
            lambda phone, show: phone if show else mask_phone(phone),
        )


class CustomerColumn(tables.Column):
    """The linked card's name only when the user may see that card (``customer_visible``)."""

    def render(self, value, record):
        if getattr(record, "customer_visible", False):
            return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value.name)
        return format_html(
            '<span class="text-body-secondary">{}</span>', traffic.EXISTING_CUSTOMER_LABEL
        )

    def value(self, value, record):
        if getattr(record, "customer_visible", False):
            return value.name
        return str(traffic.EXISTING_CUSTOMER_LABEL)

    def export_reader(self, **kwargs):
        hidden = str(traffic.EXISTING_CUSTOMER_LABEL)
        return Reader(
            ("customer__name", "customer_visible"),
            lambda name, visible: None if name is None else name if visible else hidden,
        )


class QuickActionColumn(tables.Column):
    """One tap from the list: "departed" for a walk-in still in the showroom, "answered" for a
    call or online enquiry not yet answered (htmx swaps the button for the recorded time).

    Built in Python rather than a TemplateColumn: a template per row would run the context
    processors (and their queries) once per row.
    """

    BUTTON = (
        '<button type="button" class="btn btn-sm {}" hx-post="{}" hx-swap="outerHTML" '
        'hx-disabled-elt="this" title="{}"><i class="bi bi-{}" aria-hidden="true"></i>'
        '<span class="ms-1">{}</span></button>'
    )

    def render(self, record):
        if record.kind == TrafficKind.WALK_IN:
            if record.left_at is not None:
                return ""
            return format_html(
                self.BUTTON,
                "btn-outline-secondary text-nowrap",
                reverse("traffic:traffic_depart", args=[record.pk]),
                _("Record the departure now"),
                "box-arrow-right",
                _("Departed"),
            )
        if record.first_response_at is not None:
            return ""
        return format_html(
            self.BUTTON,
            "btn-outline-primary text-nowrap",
            reverse("traffic:traffic_respond", args=[record.pk]),
            _("Record the first response now"),
            "reply",
            _("Answered"),
        )


#: Phones show the first four (time, type, visitor, F/S) and the quick action.
COLUMNS = [
    "arrived_at",
    "kind",
    "visitor_name",
    "visit_type",
    "actions",
    "visitor_phone",
    "party_size",
    "consultant",
    "series",
    "channel",
    "test_drive",
    "wechat_added",
    "customer",
    "left_at",
    "first_response_at",
]


class TrafficEntryTable(tables.Table):
    arrived_at = LocalDateTimeColumn(
        verbose_name=_("arrived at"),
        linkify=("traffic:traffic_detail", [A("pk")]),
    )
    kind = tables.Column(verbose_name=_("type"))
    visitor_name = tables.Column(
        verbose_name=_("visitor"), attrs={"td": {"class": "text-truncate visitor-cell"}}
    )
    visit_type = VisitTypeColumn(verbose_name=_("F/S"), attrs={"td": {"class": "text-center"}})
    visitor_phone = VisitorPhoneColumn(verbose_name=_("phone"), attrs=DESKTOP_ONLY)
    party_size = tables.Column(verbose_name=_("party size"), attrs=DESKTOP_ONLY)
    consultant = tables.Column(
        verbose_name=_("consultant"),
        accessor="consultant__display_name",
        order_by=("consultant__last_name", "consultant__first_name"),
        attrs=DESKTOP_ONLY,
    )
    series = tables.Column(
        verbose_name=_("model of interest"), accessor="series__name", attrs=DESKTOP_ONLY
    )
    channel = tables.Column(verbose_name=_("channel"), attrs=DESKTOP_ONLY)
    test_drive = YesNoColumn(verbose_name=_("test drive"), attrs=DESKTOP_ONLY)
    wechat_added = YesNoColumn(verbose_name=_("WeChat"), attrs=DESKTOP_ONLY)
    customer = CustomerColumn(verbose_name=_("customer card"), attrs=DESKTOP_ONLY)
    left_at = LocalDateTimeColumn(verbose_name=_("left at"), attrs=DESKTOP_ONLY)
    first_response_at = LocalDateTimeColumn(verbose_name=_("first response"), attrs=DESKTOP_ONLY)
    actions = QuickActionColumn(
        verbose_name="",
        accessor="pk",
        orderable=False,
        exclude_from_export=True,
        attrs={"td": {"class": "text-end"}},
    )

    class Meta:
        model = TrafficEntry
        fields = COLUMNS
        sequence = COLUMNS
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = _("No traffic matches these filters.")
