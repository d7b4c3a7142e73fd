"""Pages of the customer import: upload → column mapping → preview → import → summary.

Every page starts from ``ImportJob.objects.visible_to(user)`` and, as an import is a personal
piece of work, keeps only the user's own jobs: anyone else's job is a 404. The work itself is
done by ``importing`` (directly for small files, through the task queue for big ones).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from openpyxl.utils import get_column_letter

from dealerplan.catalog.models import Trim
from dealerplan.core.forms import BootstrapFormMixin
from dealerplan.core.uploads import SpreadsheetFileField

from . import importing, tasks
from .choices import AccountTier, CustomerKind, Gender, IntentionLevel, SourceChannel
from .models import Customer, ImportJob
from .services import can_edit_customers

ISSUES_PER_PAGE = 50
DUPLICATES_PER_PAGE = 50
RECENT_JOBS = 10
#: Large JSON columns a list of jobs does not need.
HEAVY_FIELDS = ("report", "headers", "sample_rows", "mapping", "row_actions", "error_summary")

_CHOICE_LABELS = {
    "gender": dict(Gender.choices),
    "intention_level": dict(IntentionLevel.choices),
    "account_tier": dict(AccountTier.choices),
    "source": dict(SourceChannel.choices),
    "kind": dict(CustomerKind.choices),
}


class UploadForm(BootstrapFormMixin, forms.Form):
    file = SpreadsheetFileField(
        label=gettext_lazy("Excel or CSV file"),
        allow_empty_file=True,  # importing.inspect_file says "the file is empty" itself
        help_text=gettext_lazy(
            "An .xlsx workbook (first sheet) or a .csv file, at most 20 MB; the first row holds "
            "the column headers."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class MappingForm(forms.Form):
    """One drop-down per column of the file: which customer field it fills, if any."""

    def __init__(self, *args, job: ImportJob, allow_owner: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— ignore —")), *importing.field_choices(allow_owner=allow_owner)]
        for index, header in enumerate(job.headers):
            letter = get_column_letter(index + 1)
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("column %(letter)s") % {"letter": letter},
                choices=choices,
                required=False,
                initial=job.mapping.get(str(index), ""),
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def columns(self):
        samples = self.job.sample_rows
        for index, _header in enumerate(self.job.headers):
            bound = self[f"col_{index}"]
            values = list(
                dict.fromkeys(row[index] for row in samples if index < len(row) and row[index])
            )
            yield {
                "field": bound,
                "letter": get_column_letter(index + 1),
                "samples": values[:2],
                "recognised": bool(importing.recognise_header(self.job.headers[index])),
            }

    def clean(self):
        cleaned = super().clean()
        mapping = {
            str(index): cleaned.get(f"col_{index}")
            for index in range(len(self.job.headers))
            if cleaned.get(f"col_{index}")
        }
        for problem in importing.mapping_problems(mapping):
            self.add_error(None, importing.describe_issue(problem))
        cleaned["mapping"] = mapping
        return cleaned


class ImportMixin(LoginRequiredMixin):
    """Only people who may edit customers import them; a job is its uploader's alone."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_edit_customers(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def jobs(self):
        user = self.request.user
        return ImportJob.objects.visible_to(user).filter(user=user)

    def get_job(self, *, light: bool = False) -> ImportJob:
        jobs = self.jobs().select_related("user")
        if light:  # polled every second: leave the big JSON columns in the database
            jobs = jobs.defer(*HEAVY_FIELDS)
        return get_object_or_404(jobs, pk=self.kwargs["pk"])


class ImportUploadView(ImportMixin, View):
    template_name = "customers/import_upload.html"

    def get(self, request):
        return self.render(UploadForm())

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = importing.start_import(user=request.user, uploaded=form.cleaned_data["file"])
            except importing.ImportFileError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("customers:import_mapping", pk=job.pk)
        return self.render(form, status=200)

    def render(self, form, status=200):
        recent = self.jobs().defer(*HEAVY_FIELDS)[:RECENT_JOBS]
        return render(
            self.request,
            self.template_name,
            {
                "page_title": _("Import customers"),
                "form": form,
                "recent_jobs": recent,
                "template_url": reverse("customers:import_template"),
                "list_url": reverse("customers:customer_list"),
                "owner_column": importing.allows_owner_column(self.request.user),
            },
            status=status,
        )


class ImportTemplateView(ImportMixin, View):
    """The .xlsx template with the Chinese headers, one example row and drop-down lists."""

    def get(self, request):
        trim = (
            Trim.objects.filter(is_active=True, series__brand__is_competitor=False)
            .select_related("series")
            .order_by("series__name", "guide_price")
            .first()
        )
        content = importing.template_workbook(
            example_trim=f"{trim.series.name} {trim.name}" if trim else ""
        )
        response = HttpResponse(content, content_type=importing.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="customer-import-template.xlsx"'
        return response


class ImportMappingView(ImportMixin, View):
    template_name = "customers/import_mapping.html"
    editable = (ImportJob.Status.UPLOADED, ImportJob.Status.PREVIEWED, ImportJob.Status.FAILED)

    def get(self, request, pk):
        job = self.get_job()
        if job.status not in self.editable or not job.file:
            return redirect(job)
        return self.render(job, self.make_form(job))

    def post(self, request, pk):
        job = self.get_job()
        if job.status not in self.editable or not job.file:
            return redirect(job)
        form = self.make_form(job, data=request.POST)
        if not form.is_valid():
            return self.render(job, form)
        job.mapping = form.cleaned_data["mapping"]
        job.save(update_fields=["mapping", "updated_at"])
        tasks.start_check(job, inline=importing.should_run_inline(job))
        return redirect(job)

    def make_form(self, job, data=None):
        allow_owner = importing.allows_owner_column(self.request.user)
        return MappingForm(data, job=job, allow_owner=allow_owner)

    def render(self, job, form):
        mapped = set(job.mapping.values())
        missing = [
            importing.field_label(name) for name in importing.REQUIRED_FIELDS if name not in mapped
        ]
        return render(
            self.request,
            self.template_name,
            {
                "page_title": _("Match the columns"),
                "job": job,
                "form": form,
                "missing_required": missing,
                "owner_column": importing.allows_owner_column(self.request.user),
                "upload_url": reverse("customers:import_upload"),
            },
        )


class ImportJobView(ImportMixin, View):
    """The job's current step: progress, preview, or the summary of a finished import."""

    def get(self, request, pk):
        job = self.get_job()
        if job.status == ImportJob.Status.UPLOADED:
            return redirect("customers:import_mapping", pk=job.pk)
        if job.is_running:
            return render(request, "customers/import_progress.html", progress_context(job))
        if job.status == ImportJob.Status.PREVIEWED:
            return render(request, "customers/import_preview.html", self.preview_context(job))
        return render(request, "customers/import_result.html", self.result_context(job))

    def preview_context(self, job):
        report = job.report or {}
        headers = job.headers
        issues = Paginator(report.get("issues", []), ISSUES_PER_PAGE).get_page(
            self.request.GET.get("errors_page")
        )
        duplicates = Paginator(report.get("duplicates", []), DUPLICATES_PER_PAGE).get_page(
            self.request.GET.get("duplicates_page")
        )
        return {
            "page_title": _("Check before importing"),
            "job": job,
            "report": report,
            "issues": issues,
            "issue_lines": [importing.describe_issue(item, headers) for item in issues],
            "hidden_issue_count": max(
                0, report.get("issue_count", 0) - len(report.get("issues", []))
            ),
            "duplicates": duplicates,
            "duplicate_rows": [duplicate_row(job, d) for d in duplicates],
            "counts": importing.planned_counts(job),
            "can_confirm": importing.can_confirm(job),
            "sample_columns": sample_columns(job),
            "sample_rows": sample_rows(job),
            "actions": ImportJob.DuplicateAction.choices,
            "upload_url": reverse("customers:import_upload"),
            "mapping_url": reverse("customers:import_mapping", args=[job.pk]),
        }

    def result_context(self, job):
        summary = job.error_summary or {}
        issues = summary.get("issues", [])
        created = []
        if job.status == ImportJob.Status.DONE and job.report.get("created_ids"):
            created = list(
                Customer.objects.visible_to(self.request.user)
                .filter(pk__in=job.report["created_ids"])
                .only("pk", "name", "phone")
                .order_by("pk")
            )
        return {
            "page_title": _("Import finished")
            if job.status == ImportJob.Status.DONE
            else _("Import failed"),
            "job": job,
            "issue_lines": [importing.describe_issue(i, job.headers) for i in issues[:200]],
            "hidden_issue_count": max(0, summary.get("count", 0) - min(len(issues), 200)),
            "created": created,
            "list_url": reverse("customers:customer_list"),
            "upload_url": reverse("customers:import_upload"),
            "mapping_url": reverse("customers:import_mapping", args=[job.pk]) if job.file else None,
        }


def progress_context(job: ImportJob) -> dict:
    return {
        "page_title": _("Importing customers")
        if job.status == ImportJob.Status.IMPORTING
        else _("Checking the file"),
        "job": job,
        "saving": job.status == ImportJob.Status.IMPORTING
        and job.total_rows
        and job.processed_rows >= job.total_rows,
        "progress_url": reverse("customers:import_progress", args=[job.pk]),
    }


def duplicate_row(job: ImportJob, duplicate: dict) -> dict:
    return {
        **duplicate,
        "action": importing.row_action(job, duplicate),
        "locked": duplicate["kind"] == "store" and not duplicate["visible"],
        "customer_url": reverse("customers:customer_detail", args=[duplicate["customer_id"]])
        if duplicate.get("customer_id")
        else None,
    }


def sample_columns(job: ImportJob) -> list[tuple[str, str]]:
    mapped = set(job.mapping.values())
    return [
        (f.name, importing.field_label(f.name)) for f in importing.IMPORT_FIELDS if f.name in mapped
    ]


def sample_rows(job: ImportJob) -> list[dict]:
    columns = [name for name, _label in sample_columns(job)]
    rows = []
    for entry in (job.report or {}).get("sample", []):
        cells = []
        for name in columns:
            value = entry.get(f"{name}_label", entry.get(name, ""))
            if name in _CHOICE_LABELS and name != "intention_level" and value:
                value = _CHOICE_LABELS[name].get(value, value)
            cells.append(value)
        rows.append({"row": entry.get("row"), "cells": cells})
    return rows


class ImportProgressView(ImportMixin, View):
    """Polled by the progress page every second; sends the browser on when the work is done."""

    def get(self, request, pk):
        job = self.get_job(light=True)
        if not job.is_running:
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = job.get_absolute_url()
                return response
            return redirect(job)
        if not request.htmx:
            return redirect(job)
        return render(request, "customers/import_progress_bar.html", progress_context(job))


class ImportDecisionView(ImportMixin, View):
    """Merge or skip duplicates: for every row at once, or one row."""

    def post(self, request, pk):
        job = self.get_job()
        if job.status != ImportJob.Status.PREVIEWED:
            return redirect(job)
        row = request.POST.get("row")
        try:
            importing.set_duplicate_action(
                job, request.POST.get("action", ""), row=int(row) if row else None
            )
        except (ValidationError, ValueError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            if request.htmx:
                return HttpResponse(message, status=400)
            messages.error(request, message)
            return redirect(job)
        if request.htmx:
            return render(
                request,
                "customers/import_counts.html",
                {"job": job, "counts": importing.planned_counts(job), "oob": True},
            )
        return HttpResponseRedirect(job.get_absolute_url() + "#duplicates")


class ImportConfirmView(ImportMixin, View):
    def post(self, request, pk):
        job = self.get_job()
        if importing.confirm_import(job):
            tasks.start_import(job, inline=importing.should_run_inline(job))
        elif job.status == ImportJob.Status.PREVIEWED:
            messages.error(request, _("Fix the errors in the file first: nothing was imported."))
        return redirect(job)
