"""Pages of the monthly work plan document: list, create, read/edit, decide, .docx."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dealerplan.core.forms import BootstrapFormMixin

from . import documents
from .models import DocumentStatus, PlanDocument

EXTRA_ROWS = 2


def month_options(today: datetime.date) -> list[datetime.date]:
    """Last month, this month and the next two."""
    first = today.replace(day=1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    months = [previous, first]
    for _n in range(2):
        months.append((months[-1] + datetime.timedelta(days=32)).replace(day=1))
    return months


class CreateForm(BootstrapFormMixin, forms.Form):
    month = forms.ChoiceField(label=gettext_lazy("Month"))
    template = forms.ChoiceField(label=gettext_lazy("Template"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["month"].choices = [
            (m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in month_options(today)
        ]
        self.fields["month"].initial = today.strftime("%Y-%m")
        self.fields["template"].choices = documents.template_choices()

    def clean_month(self):
        return datetime.datetime.strptime(self.cleaned_data["month"], "%Y-%m").date()


class SectionsForm(BootstrapFormMixin, forms.Form):
    """One textarea per narrative section; a manager's capital rows are checked in clean()."""

    def __init__(self, *args, document: PlanDocument, **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        for section in documents.sections_for(document.kind):
            if section.generated:
                continue
            self.fields[section.key] = forms.CharField(
                label=section.heading,
                required=False,
                initial=document.sections.get(section.key, ""),
                widget=forms.Textarea(attrs={"rows": 5}),
            )

    def capital_rows(self, prefix, with_share):
        rows, n = [], 0
        while f"{prefix}-label-{n}" in self.data:
            row = {
                "label": self.data.get(f"{prefix}-label-{n}", ""),
                "amount": self.data.get(f"{prefix}-amount-{n}", ""),
            }
            if with_share:
                row["share"] = self.data.get(f"{prefix}-share-{n}", "")
            rows.append(row)
            n += 1
        return rows

    def clean(self):
        cleaned = super().clean()
        if self.document.kind == "manager":
            try:
                documents.clean_capital(
                    self.capital_rows("inv", False), self.capital_rows("fund", True)
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned

    def texts(self):
        return {k: v for k, v in self.cleaned_data.items() if k in documents.TEXT_KEYS}


class DocumentListView(LoginRequiredMixin, View):
    def get(self, request):
        user = request.user
        visible = documents.visible_documents(user).select_related("author", "store")
        mine = list(visible.filter(author=user).order_by("-month")[:24])
        store_docs, status = None, request.GET.get("status", "")
        if not user.sees_only_own:
            store_docs = visible.exclude(author=user).order_by("-month", "author__username")
            if status in DocumentStatus.values:
                store_docs = store_docs.filter(status=status)
            store_docs = list(store_docs[:200])
        context = {
            "mine": mine,
            "store_docs": store_docs,
            "status": status,
            "statuses": DocumentStatus.choices,
            "form": CreateForm(),
            "can_create": user.store_id is not None,
        }
        return render(request, "planning/document_list.html", context)


class DocumentCreateView(LoginRequiredMixin, View):
    def post(self, request):
        form = CreateForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a month and a template."))
            return redirect("planning:document_list")
        document, created = documents.create_or_get(
            request.user, form.cleaned_data["month"], form.cleaned_data["template"]
        )
        if not created:
            messages.info(request, _("You already have a plan for this month."))
        return redirect("planning:document_detail", pk=document.pk)


class DocumentDetailView(LoginRequiredMixin, View):
    template_name = "planning/document_detail.html"

    def get_document(self, request, pk):
        return get_object_or_404(
            documents.visible_documents(request.user).select_related(
                "author", "store", "decided_by"
            ),
            pk=pk,
        )

    def context(self, request, document, form=None, rows=None):
        investments, funding = documents.capital(document)
        is_author = document.author_id == request.user.pk
        editable = is_author and document.is_editable
        if editable and form is None:
            form = SectionsForm(document=document)
        if rows is None:
            rows = {
                "inv": [{"label": i.label, "amount": i.amount} for i in investments],
                "fund": [
                    {"label": f.label, "amount": f.amount, "share": f.share_percent}
                    for f in funding
                ],
            }
        blank = [{"label": "", "amount": "", "share": ""}] * EXTRA_ROWS
        return {
            "document": document,
            "numbered": documents.numbered(document.kind),
            "targets": documents.target_rows(document),
            "investments": investments,
            "funding": funding,
            "inv_rows": list(rows["inv"]) + blank,
            "fund_rows": list(rows["fund"]) + blank,
            "form": form,
            "editable": editable,
            "is_author": is_author,
            "can_decide": documents.can_decide(request.user, document)
            and document.status == DocumentStatus.SUBMITTED,
        }

    def get(self, request, pk):
        document = self.get_document(request, pk)
        if request.GET.get("format") == "docx":
            response = HttpResponse(
                documents.render_docx(document),
                content_type=(
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                ),
            )
            filename = f"work-plan-{document.month:%Y-%m}-{document.author.username}.docx"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return render(request, self.template_name, self.context(request, document))

    def post(self, request, pk):
        document = self.get_document(request, pk)
        action = request.POST.get("action")
        try:
            if action in ("save", "submit"):
                form = SectionsForm(request.POST, document=document)
                if not (document.author_id == request.user.pk and document.is_editable):
                    raise PermissionDenied
                if not form.is_valid():
                    rows = {
                        "inv": form.capital_rows("inv", False),
                        "fund": form.capital_rows("fund", True),
                    }
                    return render(
                        request,
                        self.template_name,
                        self.context(request, document, form, rows),
                        status=400,
                    )
                kwargs = {}
                if document.kind == "manager":
                    kwargs = {
                        "investments": form.capital_rows("inv", False),
                        "funding": form.capital_rows("fund", True),
                    }
                documents.save_sections(request.user, document, form.texts(), **kwargs)
                if action == "submit":
                    documents.submit(request.user, document)
                    messages.success(request, _("The plan is submitted for approval."))
                else:
                    messages.success(request, _("The plan is saved."))
            elif action == "approve":
                documents.approve(request.user, document, request.POST.get("comment", ""))
                messages.success(request, _("The plan is approved."))
            elif action == "return":
                documents.return_document(request.user, document, request.POST.get("comment", ""))
                messages.success(request, _("The plan is returned to its author."))
            else:
                raise PermissionDenied
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("planning:document_detail", pk=document.pk)
