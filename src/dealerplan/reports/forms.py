import datetime

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.core.forms import BootstrapFormMixin
from dealerplan.org.models import Store, Team, User
from dealerplan.planning.visitplan import parse_month

from .services import Selection


class QuickSelect(forms.Select):
    """A <select> written in Python: a group's filters list hundreds of consultants, and a
    template per option costs more than the report itself. Same markup as ``Select``."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        selected, wanted = False, set(self.format_value(value))
        options = []
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            chosen = not selected and option_value in wanted
            selected = selected or chosen
            options.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option_value,
                    mark_safe(" selected") if chosen else "",
                    label,
                )
            )
        return format_html(
            '<select name="{}"{}>\n  {}\n</select>',
            name,
            flatatt(final_attrs),
            mark_safe("\n  ".join(options)),  # noqa: S308 - each option is escaped above
        )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class TeamChoiceField(forms.ModelChoiceField):
    """Teams of several stores carry the store's name: every store has its 销售一组."""

    def label_from_instance(self, obj):
        return f"{obj.store.name} · {obj.name}" if self.with_store else obj.name

    with_store = False


class ReportFilterForm(BootstrapFormMixin, forms.Form):
    """The period, and for managers the store (group users), team or consultant to show.

    Choices come from ``visible_to(user)``: nothing outside the viewer's scope can be chosen.
    A consultant gets the period only; their reports are their own.
    """

    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("All stores"),
        widget=QuickSelect,
    )
    team = TeamChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("All teams"),
        widget=QuickSelect,
    )
    consultant = PersonChoiceField(
        label=_("Consultant"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All consultants"),
        widget=QuickSelect,
    )

    def __init__(self, user, *args, period: str = "month", **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.period = user, period
        self.fields.pop("year" if period == "month" else "month")
        if user.sees_only_own:
            for name in ("store", "team", "consultant"):
                self.fields.pop(name)
            return
        if user.sees_all_stores:
            self.fields["store"].queryset = Store.objects.visible_to(user)
        else:
            self.fields.pop("store")
        teams = Team.objects.visible_to(user).select_related("store")
        self.fields["team"].queryset = teams.order_by("store__code", "name")
        self.fields["team"].with_store = user.sees_all_stores
        self.fields["consultant"].queryset = (
            User.objects.visible_to(user).filter(role=Role.CONSULTANT).order_by("username")
        )

    def clean_month(self):
        value = self.cleaned_data.get("month")
        if not value:
            return timezone.localdate().replace(day=1)
        month = parse_month(value)
        if month is None or not 2000 <= month.year <= 2100:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-10."))
        return month

    def clean_year(self):
        return self.cleaned_data.get("year") or timezone.localdate().year

    def clean(self):
        cleaned = super().clean()
        store, team, person = (cleaned.get(n) for n in ("store", "team", "consultant"))
        if store and team and team.store_id != store.pk:
            self.add_error("team", _("This team belongs to another store."))
        if store and person and person.store_id != store.pk:
            self.add_error("consultant", _("This consultant works in another store."))
        if team and person and person.team_id != team.pk:
            self.add_error("consultant", _("This consultant is not in the chosen team."))
        return cleaned

    @property
    def period_value(self) -> datetime.date | int:
        return self.cleaned_data["month" if self.period == "month" else "year"]

    def selection(self) -> Selection:
        data = self.cleaned_data
        return Selection(
            self.user,
            store=data.get("store"),
            team=data.get("team"),
            consultant=data.get("consultant"),
        )
