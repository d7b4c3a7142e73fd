from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dealerplan.core.templatetags.dealerplan import money
from dealerplan.core.views import ObjectDetailView, ObjectEditView, ObjectListView

from . import services
from .filtersets import DealFilterSet, TrackingFilterSet
from .forms import DealForm, MoveForm
from .models import Deal, Pipeline, Stage
from .tables import DealTable, TrackingTable

FORECAST_MONTHS = 6


class DealViewMixin:
    model = Deal
    select_related = ("customer", "owner", "pipeline", "stage")
    edit_roles = services.EDIT_ROLES
    list_url_name = "deals:deal_list"
    add_url_name = "deals:deal_add"
    edit_url_name = "deals:deal_edit"


class DealListView(DealViewMixin, ObjectListView):
    template_name = "deals/deal_list.html"
    filterset_class = DealFilterSet
    table_class = DealTable


class DealDetailView(DealViewMixin, ObjectDetailView):
    template_name = "deals/deal_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deal = self.object
        field = Deal._meta.get_field
        local = timezone.localtime
        context["detail_fields"] = [
            (
                field("customer").verbose_name,
                format_html(
                    '<a href="{}">{}</a>', deal.customer.get_absolute_url(), deal.customer.name
                ),
            ),
            (field("owner").verbose_name, deal.owner.display_name),
            (field("pipeline").verbose_name, deal.pipeline.name),
            (field("stage").verbose_name, f"{deal.stage.name} ({deal.stage.probability}%)"),
            (field("status").verbose_name, deal.get_status_display()),
            (field("amount").verbose_name, money(deal.amount)),
            (field("units").verbose_name, deal.units),
            (field("expected_close_date").verbose_name, deal.expected_close_date),
            (field("bid_date").verbose_name, deal.bid_date),
            (field("contract_date").verbose_name, deal.contract_date),
            (field("delivery_date").verbose_name, deal.delivery_date),
            (field("acceptance_date").verbose_name, deal.acceptance_date),
            (
                field("next_follow_up_at").verbose_name,
                local(deal.next_follow_up_at).strftime("%Y-%m-%d %H:%M")
                if deal.next_follow_up_at
                else None,
            ),
            (
                field("last_contact_at").verbose_name,
                local(deal.last_contact_at).strftime("%Y-%m-%d %H:%M")
                if deal.last_contact_at
                else None,
            ),
            (field("notes").verbose_name, deal.notes),
        ]
        context["history"] = services.stage_history(deal)
        if self.user_can_edit():
            context["move_form"] = MoveForm(
                deal=deal, initial={"stage": deal.stage_id, "next": self.request.path}
            )
        return context


class DealEditView(DealViewMixin, ObjectEditView):
    form_class = DealForm

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("customer", "").isdigit():
            initial["customer"] = self.request.GET["customer"]
        return initial

    def save(self, form):
        return services.save_deal(self.request.user, form.save(commit=False))


#: A column shows the most urgent cards; the rest are one click away in the filtered list.
CARDS_PER_COLUMN = 30


def pk_url(name: str):
    """``reverse(name, args=[pk])`` for a whole board of cards at the cost of one reverse()."""
    marker = "2147483647"
    head, tail = reverse(name, args=[int(marker)]).split(marker, 1)
    return lambda pk: f"{head}{pk}{tail}"


def stage_options(stages, selected) -> str:
    """The <option>s of a card's stage select, ``selected`` chosen."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (stage.pk, " selected" if stage.pk == selected.pk else "", stage.name)
            for stage in stages
        ),
    )


class BoardView(LoginRequiredMixin, TemplateView):
    """Columns per stage of one pipeline; drag a card or use its select to move it."""

    template_name = "deals/board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pipelines = list(
            Pipeline.objects.visible_to(user).filter(is_archived=False).select_related("store")
        )
        chosen = self.request.GET.get("pipeline", "")
        pipeline = next((p for p in pipelines if str(p.pk) == chosen), None)
        if pipeline is None:
            pipeline = next(
                (p for p in pipelines if p.is_default and p.store_id == user.store_id),
                pipelines[0] if pipelines else None,
            )
        columns = []
        can_move = services.can_edit_deals(user)
        if pipeline is not None:
            stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
            owner = self.request.GET.get("owner", "")
            deals = services.board_deals(
                user,
                pipeline,
                owner_id=int(owner) if owner.isdigit() and not user.sees_only_own else None,
            )
            list_url = reverse("deals:deal_list")
            detail_url, move_url = pk_url("deals:deal_detail"), pk_url("deals:move")
            for column in services.board_columns(deals, stages, per_column=CARDS_PER_COLUMN):
                for deal in column.deals:
                    deal.detail_url, deal.move_url = detail_url(deal.pk), move_url(deal.pk)
                columns.append(
                    {
                        "stage": column.stage,
                        "deals": column.deals,
                        "count": column.count,
                        "more": column.more,
                        "more_url": f"{list_url}?pipeline={pipeline.pk}&stage={column.stage.pk}",
                        "amount": column.amount,
                        # Every card of a column is in its stage: one <select> body for them all.
                        "stage_options": stage_options(stages, column.stage),
                    }
                )
            context["stages"] = stages
        context.update(
            page_title=_("Deal board"),
            pipelines=pipelines,
            pipeline=pipeline,
            columns=columns,
            can_move=can_move,
            show_store=user.sees_all_stores,
            show_owner=not user.sees_only_own,
            now=timezone.now(),
            next_url=self.request.get_full_path(),
        )
        return context


class MoveView(LoginRequiredMixin, View):
    """POST ``stage``: the board's drag-and-drop (JSON) and the card's select (redirect)."""

    def post(self, request, pk):
        deal = get_object_or_404(Deal.objects.visible_to(request.user), pk=pk)
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        form = MoveForm(request.POST, deal=deal)
        error = None
        if not form.is_valid():
            error = _("That stage belongs to another pipeline.")
        else:
            try:
                services.move_deal(request.user, deal, form.cleaned_data["stage"])
            except PermissionDenied:
                if wants_json:
                    return JsonResponse({"ok": False, "error": _("Permission denied.")}, status=403)
                raise
            except ValidationError as exc:
                error = " ".join(exc.messages)
        if wants_json:
            if error:
                return JsonResponse({"ok": False, "error": error}, status=400)
            return JsonResponse(
                {
                    "ok": True,
                    "stage": deal.stage_id,
                    "status": deal.status,
                    "message": _("%(deal)s moved to %(stage)s.")
                    % {"deal": deal.title, "stage": deal.stage.name},
                }
            )
        if error:
            messages.error(request, error)
        else:
            messages.success(
                request,
                _("%(deal)s moved to %(stage)s.") % {"deal": deal.title, "stage": deal.stage.name},
            )
        next_url = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
            next_url = reverse("deals:board") + f"?pipeline={deal.pipeline_id}"
        return HttpResponseRedirect(next_url)


class TrackingView(DealViewMixin, ObjectListView):
    """项目跟踪表: fleet and tender projects with their key dates and the weighted forecast."""

    template_name = "deals/tracking.html"
    filterset_class = TrackingFilterSet
    table_class = TrackingTable
    paginate_by = 50

    def get_queryset(self):
        return services.fleet_projects(super().get_queryset()).order_by("next_follow_up_at", "pk")

    @property
    def export_filename(self):
        return _("Project tracking")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = _("Project tracking")
        context["add_url"] = None
        context["forecast"] = services.forecast(self.request.user, FORECAST_MONTHS)
        return context
