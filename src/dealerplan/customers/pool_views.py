"""Pages of the public pool (公海), its rules, and transfers / departure handovers."""

import datetime

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from dealerplan.activities.choices import ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.core.filtersets import ALL, FilterForm
from dealerplan.core.forms import BootstrapFormMixin
from dealerplan.core.table_export import Reader
from dealerplan.core.tables import DESKTOP_ONLY
from dealerplan.core.views import ObjectListView
from dealerplan.deals.choices import DealStatus
from dealerplan.deals.models import Deal
from dealerplan.orders.models import SalesOrder
from dealerplan.org.models import User

from . import handover, pool
from .choices import IntentionLevel, SourceChannel
from .filtersets import CustomerFilterSet
from .models import Customer, PoolRule
from .tables import LevelColumn


def _errors(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# ---------------------------------------------------------------- the pool list


class PoolFilterSet(django_filters.FilterSet):
    intention_level = django_filters.ChoiceFilter(
        label=gettext_lazy("Intention level"), choices=IntentionLevel.choices, empty_label=ALL
    )
    source = django_filters.ChoiceFilter(
        label=gettext_lazy("Source channel"), choices=SourceChannel.choices, empty_label=ALL
    )
    days_in_pool = django_filters.ChoiceFilter(
        label=gettext_lazy("Days in the pool"),
        method="filter_days",
        empty_label=ALL,
        choices=[
            ("7", gettext_lazy("7 days or more")),
            ("30", gettext_lazy("30 days or more")),
            ("90", gettext_lazy("90 days or more")),
        ],
    )

    class Meta:
        model = Customer
        fields = ["intention_level", "source", "days_in_pool"]
        form = FilterForm

    def filter_days(self, queryset, name, value):
        cutoff = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(pool_since__lte=cutoff)


class LastOwnerColumn(tables.Column):
    """The last owner's name (the queryset annotates it), else their username."""

    @staticmethod
    def shown(username, last, first):
        return f"{last or ''}{first or ''}".strip() or username

    def render(self, value, record):
        return self.shown(value, record.last_owner_last, record.last_owner_first)

    def value(self, value, record):
        return self.render(value, record)

    def export_reader(self, *, accessor, **kwargs):
        return Reader((accessor, "last_owner_last", "last_owner_first"), self.shown)


class PoolTable(tables.Table):
    pick = tables.TemplateColumn(
        '<input type="checkbox" class="form-check-input" name="customers" value="{{ record.pk }}"'
        ' form="assign-form" aria-label="{{ record.name }}">',
        verbose_name="",
        orderable=False,
        exclude_from_export=True,
    )
    name = tables.Column(
        verbose_name=pgettext_lazy("person", "name"),
        linkify=("customers:pool_detail", [tables.A("pk")]),
        attrs={"td": {"class": "wrap-tight"}},
    )
    intention_level = LevelColumn(verbose_name=gettext_lazy("level"))
    intended_trim = tables.Column(verbose_name=gettext_lazy("intended trim"), attrs=DESKTOP_ONLY)
    source = tables.Column(verbose_name=gettext_lazy("source channel"), attrs=DESKTOP_ONLY)
    pool_since = tables.Column(verbose_name=gettext_lazy("days in the pool"))
    last_owner = LastOwnerColumn(
        verbose_name=gettext_lazy("last owner"),
        accessor="last_owner_username",
        orderable=False,
        attrs=DESKTOP_ONLY,
    )
    pool_reason = tables.Column(
        verbose_name=gettext_lazy("reason"), orderable=False, attrs=DESKTOP_ONLY
    )
    actions = tables.TemplateColumn(
        '<button class="btn btn-sm btn-primary text-nowrap" form="claim-form" '
        "formaction=\"{% url 'customers:pool_claim' record.pk %}\">"
        '<i class="bi bi-hand-index-thumb"></i> {{ claim_label }}</button>',
        verbose_name="",
        orderable=False,
        extra_context={"claim_label": gettext_lazy("Claim")},
    )

    class Meta:
        model = Customer
        fields = [
            "pick",
            "name",
            "intention_level",
            "intended_trim",
            "source",
            "pool_since",
            "last_owner",
            "pool_reason",
            "actions",
        ]
        order_by = "-pool_since"
        attrs = {"class": "table table-hover align-middle mb-0"}

    def render_pool_since(self, value):
        days = (timezone.now() - value).days
        return format_html('<span title="{}">{}</span>', timezone.localtime(value).date(), days)

    def value_pool_since(self, value):
        return (timezone.now() - value).days


class PoolListView(ObjectListView):
    """公海: the store's unowned leads; consultants claim, managers assign."""

    model = Customer
    template_name = "customers/pool.html"
    filterset_class = PoolFilterSet
    table_class = PoolTable
    list_url_name = "customers:pool"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not pool.can_use_pool(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if request.GET.get("export"):
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return pool.annotate_pool(pool.pool_queryset(self.request.user)).select_related(
            "intended_trim__series"
        )

    def get_table_kwargs(self):
        if pool.can_assign(self.request.user):
            return {}
        return {"exclude": ("pick",)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            page_title=_("Public pool"),
            export_url=None,
            add_url=None,
            can_assign=pool.can_assign(user),
            can_edit_rules=pool.can_edit_pool_rules(user),
            can_hand_over=handover.can_hand_over(user),
            receivers=pool.receivers_for(user, user.store_id) if user.store_id else [],
            rule=pool.rule_for(user.store_id) if user.store_id else None,
            open_leads=pool.open_lead_count(user),
        )
        return context


class PoolDetailView(LoginRequiredMixin, View):
    """A pool lead without its contact details: enough to decide whether to claim it."""

    def get(self, request, pk):
        customer = get_object_or_404(
            pool.pool_queryset(request.user).select_related("intended_trim__series"), pk=pk
        )
        user = request.user
        return render(
            request,
            "customers/pool_detail.html",
            {
                "object": customer,
                "page_title": customer.name,
                "history": customer.assignment_history(),
                "can_assign": pool.can_assign(user),
                "receivers": pool.receivers_for(user, customer.store_id),
                "days_in_pool": (timezone.now() - customer.pool_since).days,
            },
        )


class PoolClaimView(LoginRequiredMixin, View):
    def post(self, request, pk):
        customer = get_object_or_404(pool.pool_queryset(request.user), pk=pk)
        try:
            pool.claim(request.user, customer)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("customers:pool")
        messages.success(request, _("%(name)s is now your customer.") % {"name": customer.name})
        return redirect(customer.get_absolute_url())


class PoolAssignView(LoginRequiredMixin, View):
    def post(self, request):
        if not pool.can_assign(request.user):
            raise PermissionDenied
        ids = [int(i) for i in request.POST.getlist("customers") if i.isdigit()]
        to_user = (
            User.objects.visible_to(request.user)
            .filter(pk=request.POST.get("to_user") or 0)
            .first()
        )
        back = request.POST.get("next") or reverse("customers:pool")
        if not back.startswith("/"):
            back = reverse("customers:pool")
        if to_user is None:
            messages.error(request, _("Choose the consultant who takes the customers."))
            return redirect(back)
        try:
            result = pool.assign(request.user, ids, to_user, request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect(back)
        if not result.assigned:
            raise Http404
        messages.success(
            request,
            _("%(count)s customer(s) assigned to %(name)s.")
            % {"count": result.assigned, "name": to_user.display_name},
        )
        return redirect("customers:pool")


class ReleaseForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why does the lead go back to the pool?"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PoolReleaseView(LoginRequiredMixin, View):
    """放弃: the owner (or a manager) returns a lead to the pool, saying why."""

    template_name = "customers/pool_release.html"

    def get_customer(self, request, pk):
        return get_object_or_404(
            Customer.objects.visible_to(request.user).filter(owner__isnull=False), pk=pk
        )

    def get(self, request, pk):
        customer = self.get_customer(request, pk)
        return render(request, self.template_name, {"object": customer, "form": ReleaseForm()})

    def post(self, request, pk):
        customer = self.get_customer(request, pk)
        form = ReleaseForm(request.POST)
        if form.is_valid():
            try:
                pool.release(request.user, customer, form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("%(name)s is back in the public pool.") % {"name": customer.name}
                )
                if Customer.objects.visible_to(request.user).filter(pk=customer.pk).exists():
                    return redirect(customer.get_absolute_url())
                return redirect("customers:customer_list")
        return render(request, self.template_name, {"object": customer, "form": form})


class PoolRuleForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = PoolRule
        fields = [
            "h_days",
            "a_days",
            "b_days",
            "c_days",
            "recycle_lost",
            "claim_limit",
            "cooling_off_days",
        ]


class PoolRulesView(LoginRequiredMixin, View):
    template_name = "customers/pool_rules.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not pool.can_edit_pool_rules(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = PoolRuleForm(instance=pool.rule_for(request.user.store_id))
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = PoolRuleForm(request.POST, instance=pool.rule_for(request.user.store_id))
        if form.is_valid():
            form.save()
            messages.success(request, _("Public pool rules saved."))
            return redirect("customers:pool_rules")
        messages.error(request, _("Please correct the marked fields."))
        return render(request, self.template_name, {"form": form})


# ---------------------------------------------------------------- transfers and handovers


class HandoverMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not handover.can_hand_over(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_person(self, pk) -> User:
        return get_object_or_404(handover.staff_for(self.request.user), pk=pk)


class StaffView(HandoverMixin, View):
    """人员交接: who holds what, with the way to hand over and deactivate."""

    def get(self, request):
        def count_of(queryset, field):
            return Coalesce(
                Subquery(
                    queryset.filter(**{field: OuterRef("pk")})
                    .order_by()
                    .values(field)
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            )

        staff = (
            handover.staff_for(request.user)
            .select_related("store")
            .annotate(
                customer_count=count_of(Customer.objects.all(), "owner"),
                deal_count=count_of(Deal.objects.filter(status=DealStatus.OPEN), "owner"),
                activity_count=count_of(
                    Activity.objects.filter(status=ActivityStatus.PLANNED), "owner"
                ),
                order_count=count_of(
                    SalesOrder.objects.exclude(status__in=handover.CLOSED_ORDER_STATUSES),
                    "consultant",
                ),
            )
            .order_by("-is_active", "store__code", "role", "username")
        )
        show_inactive = request.GET.get("inactive") == "1"
        rows = [
            u
            for u in staff
            if u.is_active
            or show_inactive
            or u.customer_count + u.deal_count + u.activity_count + u.order_count
        ]
        return render(
            request,
            "customers/handover_staff.html",
            {"staff": rows, "show_inactive": show_inactive},
        )


class HandoverForm(BootstrapFormMixin, forms.Form):
    receivers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Receivers"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("What moves"),
        choices=[
            ("all", gettext_lazy("Everything (departure handover)")),
            ("selected", gettext_lazy("Only the ticked customers")),
        ],
        widget=forms.RadioSelect,
        initial="all",
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)

    def __init__(self, *args, receivers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receivers"].queryset = receivers
        self.fields["receivers"].label_from_instance = lambda u: u.display_name


class HandoverView(HandoverMixin, View):
    """Move one, many (by the list filters) or all of a consultant's book to colleagues."""

    template_name = "customers/handover.html"

    def context(self, person, data=None):
        customers_qs = handover.owned_customers(person).select_related("intended_trim__series")
        filterset = CustomerFilterSet(
            self.request.GET or None, queryset=customers_qs, request=self.request
        )
        filterset.form.fields.pop("owner", None)
        customers = list(
            (
                filterset.qs if filterset.is_bound and filterset.is_valid() else customers_qs
            ).order_by("pk")[:500]
        )
        receivers = pool.receivers_for(self.request.user, person.store_id).exclude(pk=person.pk)
        form = HandoverForm(data, receivers=receivers)
        return {
            "person": person,
            "records": handover.open_records(person),
            "filter_form": filterset.form,
            "customers": customers,
            "filtered": filterset.is_bound and filterset.form.has_changed(),
            "form": form,
            "receiver_choices": list(receivers),
            "order_total": handover.open_orders(person).aggregate(s=Sum("total"))["s"],
            "rows": self.rows(customers, self.posted_picks(data, customers), {}),
        }

    @staticmethod
    def posted_picks(data, customers):
        if data is None:
            return {c.pk for c in customers}
        return {int(i) for i in data.getlist("customers") if i.isdigit()}

    def get(self, request, pk):
        person = self.get_person(pk)
        return render(request, self.template_name, self.context(person))

    @staticmethod
    def selection(request, form):
        """The customers and the hand-picked receivers the form asks for."""
        if form.cleaned_data["scope"] == "all":
            ids = None
        else:
            ids = [int(i) for i in request.POST.getlist("customers") if i.isdigit()]
        manual = {}
        for key, value in request.POST.items():
            if not (key.startswith("to_") and key[3:].isdigit() and value.isdigit()):
                continue
            if ids is None or int(key[3:]) in ids:
                manual[int(key[3:])] = int(value)
        return ids, manual

    def post(self, request, pk):
        person = self.get_person(pk)
        context = self.context(person, request.POST)
        form = context["form"]
        if not form.is_valid():
            messages.error(request, _("Please correct the marked fields."))
            return render(request, self.template_name, context)
        ids, manual = self.selection(request, form)
        receivers = list(form.cleaned_data["receivers"])
        try:
            if request.POST.get("action") == "confirm":
                plan = handover.execute(
                    request.user,
                    person,
                    receivers,
                    customer_ids=ids,
                    manual=manual,
                    reason=form.cleaned_data["reason"],
                )
                request.session["handover_summary"] = {
                    "person": person.pk,
                    "lines": [
                        {
                            "name": line.user.display_name,
                            "customers": line.customers,
                            "deals": line.deals,
                            "activities": line.activities,
                            "orders": line.orders,
                            "order_total": str(line.order_total),
                        }
                        for line in plan.lines
                    ],
                }
                messages.success(
                    request,
                    _("Handed over %(customers)s customers of %(name)s.")
                    % {"customers": len(plan.customer_to), "name": person.display_name},
                )
                return redirect("customers:handover_done", pk=person.pk)
            plan = handover.build_plan(
                request.user, person, receivers, customer_ids=ids, manual=manual
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return render(request, self.template_name, context)
        picked = set(ids) if ids is not None else {c.pk for c in context["customers"]}
        context.update(
            plan=plan,
            totals=plan.totals(),
            rows=self.rows(context["customers"], picked, manual),
        )
        return render(request, self.template_name, context)

    @staticmethod
    def rows(customers, picked, manual):
        return [
            {"customer": c, "checked": c.pk in picked, "to": manual.get(c.pk)} for c in customers
        ]


class HandoverDoneView(HandoverMixin, View):
    def get(self, request, pk):
        person = self.get_person(pk)
        summary = request.session.get("handover_summary") or {}
        lines = summary.get("lines", []) if summary.get("person") == person.pk else []
        return render(
            request,
            "customers/handover_done.html",
            {"person": person, "lines": lines, "records": handover.open_records(person)},
        )


class DeactivateView(HandoverMixin, View):
    def post(self, request, pk):
        person = self.get_person(pk)
        try:
            handover.deactivate(request.user, person)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("customers:handover", pk=person.pk)
        messages.success(
            request, _("%(name)s's account is now inactive.") % {"name": person.display_name}
        )
        return redirect("customers:handover_staff")
