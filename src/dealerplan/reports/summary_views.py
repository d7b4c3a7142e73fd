"""The work summary page (工作总结): the consultant writes it, their managers read it, .docx."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dealerplan.activities.reports import consultants_visible_to
from dealerplan.core.forms import BootstrapFormMixin

from . import summary
from .models import Half, WorkSummary

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class SummaryForm(BootstrapFormMixin, forms.Form):
    skills_text = forms.CharField(
        label=gettext_lazy("Skills summary and analysis"),
        required=False,
        max_length=summary.MAX_TEXT,
        help_text=gettext_lazy(
            "Your selling techniques (a customer who taught you something), what the company's "
            "training gave you, what colleagues and managers showed you."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    overall_text = forms.CharField(
        label=gettext_lazy("Overall ability summary and analysis"),
        required=False,
        max_length=summary.MAX_TEXT,
        help_text=gettext_lazy(
            "Working with colleagues and managers, with after-sales and the other departments "
            "(insurance, plates, accessories, delivery), and with customers."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )


def _period_query(period) -> str:
    return f"year={period.year}&half={period.half}"


class WorkSummaryView(LoginRequiredMixin, View):
    """``?year=&half=`` (half 1, 2 or 0 for the year) and, for managers, ``&user=``."""

    def period(self, request, data):
        try:
            return summary.parse_period(data.get("year"), data.get("half"), timezone.localdate())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return summary.Period.containing(timezone.localdate())

    def person(self, request):
        """Whose summary: the user's own, or (managers only) a consultant they may see.

        Anyone else's, or a consultant outside the manager's store, is a 404.
        """
        user = request.user
        raw = request.GET.get("user", "")
        if raw == "":
            return None if user.is_manager else user
        try:
            pk = int(raw)
        except ValueError:
            raise Http404 from None
        if pk == user.pk:
            return user
        if not user.is_manager:
            raise Http404
        return get_object_or_404(consultants_visible_to(user).select_related("store"), pk=pk)

    def get(self, request):
        period = self.period(request, request.GET)
        person = self.person(request)
        if person is None:
            return self.team_page(request, period)
        if person.store_id is None:
            messages.error(request, _("A work summary belongs to a member of a store."))
            return redirect("reports:hub")
        data = summary.summary_data(request.user, person, period)
        record = summary.find_summary(request.user, person, period)
        if request.GET.get("format") == "docx":
            response = HttpResponse(summary.render_docx(data, record), content_type=DOCX_TYPE)
            filename = f"work-summary-{period.year}-{period.half}-{person.username}.docx"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        editable = person.pk == request.user.pk
        form = None
        if editable:
            form = SummaryForm(
                initial={
                    "skills_text": record.skills_text if record else "",
                    "overall_text": record.overall_text if record else "",
                }
            )
        return render(
            request, "reports/summary.html", self.context(request, data, record, person, form)
        )

    def post(self, request):
        period = self.period(request, request.POST)
        form = SummaryForm(request.POST)
        if not form.is_valid():
            data = summary.summary_data(request.user, request.user, period)
            record = summary.find_summary(request.user, request.user, period)
            return render(
                request,
                "reports/summary.html",
                self.context(request, data, record, request.user, form),
                status=400,
            )
        try:
            summary.save_summary(
                request.user,
                period,
                skills_text=form.cleaned_data["skills_text"],
                overall_text=form.cleaned_data["overall_text"],
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your work summary is saved."))
        return redirect(f"{reverse('reports:summary')}?{_period_query(period)}")

    def context(self, request, data, record, person, form):
        period = data.period
        base = reverse("reports:summary")
        own = person.pk == request.user.pk
        person_query = "" if own else f"&user={person.pk}"
        return {
            "data": data,
            "record": record,
            "person": person,
            "period": period,
            "form": form,
            "editable": form is not None,
            "title": summary.document_title(period),
            "periods": self.period_links(request, period, person_query),
            "docx_url": f"{base}?{_period_query(period)}{person_query}&format=docx",
            "team_url": f"{base}?{_period_query(period)}" if request.user.is_manager else None,
            "history": list(record.history.select_related("history_user")[:5]) if record else [],
        }

    def period_links(self, request, period, person_query):
        base = reverse("reports:summary")
        links = []
        for year in (period.year - 1, period.year):
            for half in (Half.FIRST, Half.SECOND, Half.WHOLE_YEAR):
                option = summary.Period(year, half)
                links.append(
                    {
                        "label": option.label,
                        "url": f"{base}?{_period_query(option)}{person_query}",
                        "active": option == period,
                    }
                )
        return links

    def team_page(self, request, period):
        """A manager's start: the consultants they may see and whether each has written."""
        people = list(consultants_visible_to(request.user).select_related("store"))
        written = {
            item.user_id: item
            for item in WorkSummary.objects.visible_to(request.user).filter(
                user__in=people,
                period_kind=period.kind,
                year=period.year,
                half=period.half,
                is_archived=False,
            )
        }
        base = reverse("reports:summary")
        rows = [
            {
                "person": person,
                "summary": written.get(person.pk),
                "url": f"{base}?{_period_query(period)}&user={person.pk}",
            }
            for person in people
        ]
        return render(
            request,
            "reports/summary_team.html",
            {
                "period": period,
                "rows": rows,
                "title": summary.document_title(period),
                "periods": self.period_links(request, period, ""),
                "own_url": f"{base}?{_period_query(period)}&user={request.user.pk}"
                if request.user.store_id
                else None,
            },
        )
