import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dealerplan.core.table_export import Reader
from dealerplan.core.tables import DESKTOP_ONLY, LocalDateTimeColumn, MoneyColumn
from dealerplan.core.templatetags.dealerplan import money

from . import services
from .models import Deal

KEY_FIELDS = services.KEY_DATE_FIELDS

STATUS_BADGES = {"open": "text-bg-primary", "won": "text-bg-success", "lost": "text-bg-secondary"}


class StatusColumn(tables.Column):
    export_as_field = True  # the status label, without the badge

    def render(self, value, record):
        css = STATUS_BADGES.get(record.status, "text-bg-light")
        return format_html('<span class="badge {}">{}</span>', css, value)

    def value(self, value):
        return value


class FollowUpColumn(LocalDateTimeColumn):
    """The next follow-up, in red once it is overdue."""

    def render(self, value, **kwargs):
        text = super().render(value=value, **kwargs)
        if value and value < timezone.now():
            return format_html(
                '<span class="text-danger fw-semibold" title="{}">{}</span>', _("Overdue"), text
            )
        return text


class NextKeyDateColumn(tables.Column):
    """The nearest of bid / contract / delivery / acceptance dates from today on."""

    def __init__(self, *args, part="date", **kwargs):
        self.part = part
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("orderable", False)
        super().__init__(*args, **kwargs)

    def _key(self, record):
        nxt = services.next_key_date(record, timezone.localdate())
        if nxt is None:
            return None
        name, day = nxt
        return Deal._meta.get_field(name).verbose_name, day

    def render(self, record):
        key = self._key(record)
        if key is None:
            return "—"
        label, day = key
        if self.part == "kind":
            return label
        return format_html(
            '<span class="text-nowrap">{}</span><br><small class="text-body-secondary">{}</small>',
            day.isoformat(),
            label,
        )

    def value(self, record):
        key = self._key(record)
        if key is None:
            return None
        return str(key[0]) if self.part == "kind" else key[1]

    def export_reader(self, **kwargs):
        today = timezone.localdate()
        labels = {name: str(Deal._meta.get_field(name).verbose_name) for name in KEY_FIELDS}

        def nearest(*dates):
            upcoming = [
                (day, name)
                for day, name in zip(dates, KEY_FIELDS, strict=True)
                if day and day >= today
            ]
            if not upcoming:
                return None
            day, name = min(upcoming)
            return labels[name] if self.part == "kind" else day

        return Reader(KEY_FIELDS, nearest)


#: Only on wide screens (the tracking table has many columns and a sidebar beside it).
WIDE_ONLY = {
    "th": {"class": "d-none d-xxl-table-cell"},
    "td": {"class": "d-none d-xxl-table-cell"},
}
#: Exported, never shown (its value is printed under the next key date).
EXPORT_ONLY = {"th": {"class": "d-none"}, "td": {"class": "d-none"}}


class ProjectColumn(tables.Column):
    """The project, and on phones its stage and amount underneath."""

    export_as_field = True

    def render(self, value, record):
        return format_html(
            '<a href="{}" class="fw-semibold">{}</a>'
            '<div class="small text-body-secondary d-lg-none">{} · {}</div>',
            record.get_absolute_url(),
            value,
            record.stage.name,
            money(record.amount),
        )

    def value(self, value):
        return value


class DealTable(tables.Table):
    title = tables.Column(
        linkify=True, verbose_name=_("title"), attrs={"td": {"class": "wrap-tight"}}
    )
    customer = tables.Column(verbose_name=_("customer"), accessor="customer__name")
    stage = tables.Column(
        verbose_name=_("stage"), accessor="stage__name", order_by=("pipeline", "stage__position")
    )
    status = StatusColumn(verbose_name=_("status"))
    amount = MoneyColumn(verbose_name=_("amount"))
    expected_close_date = tables.DateColumn(
        format="Y-m-d", verbose_name=_("expected close"), attrs=DESKTOP_ONLY
    )
    next_follow_up_at = FollowUpColumn(format="Y-m-d H:i", verbose_name=_("next follow-up"))
    pipeline = tables.Column(
        verbose_name=_("pipeline"), accessor="pipeline__name", attrs=DESKTOP_ONLY
    )
    owner = tables.Column(
        verbose_name=_("owner"),
        accessor="owner__display_name",
        order_by=("owner__last_name", "owner__first_name"),
        attrs=DESKTOP_ONLY,
    )

    class Meta:
        model = Deal
        fields = [
            "title",
            "customer",
            "stage",
            "status",
            "amount",
            "expected_close_date",
            "next_follow_up_at",
            "pipeline",
            "owner",
        ]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = _("No deals match these filters.")


class TrackingTable(tables.Table):
    """项目跟踪表: one row per fleet / tender project."""

    title = ProjectColumn(
        verbose_name=_("project"), attrs={"td": {"class": "wrap", "style": "min-width: 10rem"}}
    )
    customer = tables.Column(verbose_name=_("customer"), accessor="customer__name", attrs=WIDE_ONLY)
    stage = tables.Column(
        verbose_name=_("stage"),
        accessor="stage__name",
        order_by=("stage__position",),
        attrs=DESKTOP_ONLY,
    )
    next_key_date = NextKeyDateColumn(verbose_name=_("next key date"))
    next_key_kind = NextKeyDateColumn(part="kind", verbose_name=_("key date"), attrs=EXPORT_ONLY)
    last_contact_at = LocalDateTimeColumn(
        format="Y-m-d", verbose_name=_("last contact"), attrs=WIDE_ONLY
    )
    next_follow_up_at = FollowUpColumn(format="Y-m-d H:i", verbose_name=_("next follow-up"))
    amount = MoneyColumn(
        verbose_name=_("amount"),
        attrs={
            "th": {"class": "text-end d-none d-lg-table-cell"},
            "td": {"class": "text-end text-nowrap d-none d-lg-table-cell"},
        },
    )
    units = tables.Column(verbose_name=_("units"), attrs=WIDE_ONLY)
    probability = tables.Column(
        verbose_name=_("probability"), accessor="stage__probability", attrs=DESKTOP_ONLY
    )
    owner = tables.Column(
        verbose_name=_("owner"),
        accessor="owner__display_name",
        order_by=("owner__last_name", "owner__first_name"),
        attrs=WIDE_ONLY,
    )

    class Meta:
        model = Deal
        fields = [
            "title",
            "customer",
            "stage",
            "next_key_date",
            "next_key_kind",
            "last_contact_at",
            "next_follow_up_at",
            "amount",
            "units",
            "probability",
            "owner",
        ]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = _("No projects match these filters.")

    def render_probability(self, value):
        return f"{value}%"

    def value_probability(self, value):
        return value
