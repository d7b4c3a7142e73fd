import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerplan.core.choices import Role
from dealerplan.core.filtersets import ALL, FilterForm
from dealerplan.org.models import User

from .choices import AccountTier, IntentionLevel, SourceChannel
from .models import Customer


def owners(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(role=Role.CONSULTANT, is_active=True)


class CustomerFilterSet(django_filters.FilterSet):
    """Shared by the customer list page and the API."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("Name, phone or pinyin (zs)")}),
    )
    intention_level = django_filters.ChoiceFilter(
        label=_("Intention level"),
        choices=[("open", _("Open leads (H/A/B/C)")), *IntentionLevel.choices],
        method="filter_level",
        empty_label=ALL,
    )
    account_tier = django_filters.ChoiceFilter(
        label=_("Account tier"), choices=AccountTier.choices, empty_label=ALL
    )
    source = django_filters.ChoiceFilter(
        label=_("Source channel"), choices=SourceChannel.choices, empty_label=ALL
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=owners, empty_label=ALL)
    follow_up = django_filters.ChoiceFilter(
        label=_("Follow-up"),
        method="filter_follow_up",
        choices=[("overdue", _("Overdue")), ("today", _("Due today")), ("none", _("Not planned"))],
        empty_label=ALL,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        method="filter_status",
        empty_label=_("Active"),
        choices=[("archived", _("Archived")), ("all", _("All"))],
    )

    class Meta:
        model = Customer
        fields = ["q", "intention_level", "account_tier", "source", "owner", "follow_up", "status"]
        form = FilterForm

    def filter_queryset(self, queryset):
        if self.form.cleaned_data.get("status") not in ("archived", "all"):
            queryset = queryset.filter(is_archived=False)
        return super().filter_queryset(queryset)

    def filter_status(self, queryset, name, value):
        return queryset.filter(is_archived=True) if value == "archived" else queryset

    def filter_level(self, queryset, name, value):
        if value == "open":
            return queryset.filter(intention_level__in=IntentionLevel.open_levels())
        return queryset.filter(intention_level=value)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_follow_up(self, queryset, name, value):
        now = timezone.now()
        today_end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
        if value == "overdue":
            return queryset.filter(next_follow_up_at__lt=now)
        if value == "today":
            return queryset.filter(next_follow_up_at__gte=now, next_follow_up_at__lte=today_end)
        if value == "none":
            return queryset.filter(next_follow_up_at__isnull=True)
        return queryset
