"""Pages of the stock import: upload → column mapping → preview → import → summary.

The customer import's steps and templates' shape, for stock lists. Only stock editors
(``services.EDIT_ROLES``) import; a job is its uploader's alone, anyone else's is a 404.
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

from dealerplan.catalog.models import Color, Trim
from dealerplan.core.forms import BootstrapFormMixin
from dealerplan.core.uploads import SpreadsheetFileField
from dealerplan.customers.models import ImportJob

from . import importing, services
from .models import Vehicle

ISSUES_PER_PAGE = 50
DUPLICATES_PER_PAGE = 50
RECENT_JOBS = 10
#: Large JSON columns a list of jobs does not need.
HEAVY_FIELDS = ("report", "headers", "sample_rows", "mapping", "row_actions", "error_summary")


class UploadForm(BootstrapFormMixin, forms.Form):
    file = SpreadsheetFileField(
        label=gettext_lazy("Excel or CSV file"),
        allow_empty_file=True,  # importing says "the file is empty" itself
        help_text=gettext_lazy(
            "An .xlsx workbook (first sheet) or a .csv file; the first row holds the column "
            "headers."
        ),
    )


class MappingForm(forms.Form):
    """One drop-down per column of the file: which vehicle field it fills, if any."""

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— ignore —")), *importing.field_choices()]
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
            values = list(
                dict.fromkeys(row[index] for row in samples if index < len(row) and row[index])
            )
            yield {
                "field": self[f"col_{index}"],
                "letter": get_column_letter(index + 1),
                "samples": values[:2],
            }

    def clean(self):
        cleaned = super().clean()
        mapping = {
            str(index): cleaned.get(f"col_{index}")
            for index in range(len(self.job.headers))
            if cleaned.get(f"col_{index}")
        }
        for problem in importing.mapping_problems(mapping):
            self.add_error(None, importing.describe(problem))
        cleaned["mapping"] = mapping
        return cleaned


class StockImportMixin(LoginRequiredMixin):
    """Only stock editors import; a job is its uploader's alone."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.can_edit_stock(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def jobs(self):
        user = self.request.user
        return ImportJob.stock_jobs.visible_to(user).filter(user=user)

    def get_job(self) -> ImportJob:
        return get_object_or_404(self.jobs().select_related("user"), pk=self.kwargs["pk"])


class ImportUploadView(StockImportMixin, View):
    template_name = "inventory/import_upload.html"

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
                return redirect("inventory:import_mapping", pk=job.pk)
        return self.render(form)

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {
                "page_title": _("Import stock"),
                "form": form,
                "recent_jobs": self.jobs().defer(*HEAVY_FIELDS)[:RECENT_JOBS],
                "template_url": reverse("inventory:import_template"),
                "list_url": reverse("inventory:vehicle_list"),
                "max_rows": importing.MAX_DATA_ROWS,
            },
        )


class ImportTemplateView(StockImportMixin, View):
    """The .xlsx template with the Chinese headers and one example row."""

    def get(self, request):
        trim = (
            Trim.objects.filter(is_active=True, series__brand__is_competitor=False)
            .select_related("series")
            .order_by("series__name", "guide_price")
            .first()
        )
        color = (
            Color.objects.filter(brand_id=trim.series.brand_id).order_by("name").first()
            if trim
            else None
        )
        content = importing.template_workbook(
            example_trim=f"{trim.series.name} {trim.name}" if trim else "",
            example_color=color.name if color else "",
        )
        response = HttpResponse(content, content_type=importing.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="stock-import-template.xlsx"'
        return response


class ImportMappingView(StockImportMixin, View):
    template_name = "inventory/import_mapping.html"
    editable = (ImportJob.Status.UPLOADED, ImportJob.Status.PREVIEWED, ImportJob.Status.FAILED)

    def get(self, request, pk):
        job = self.get_job()
        if job.status not in self.editable or not job.file:
            return redirect(job)
        return self.render(job, MappingForm(job=job))

    def post(self, request, pk):
        job = self.get_job()
        if job.status not in self.editable or not job.file:
            return redirect(job)
        form = MappingForm(request.POST, job=job)
        if not form.is_valid():
            return self.render(job, form)
        job.mapping = form.cleaned_data["mapping"]
        job.save(update_fields=["mapping", "updated_at"])
        importing.check_import(job)
        return redirect(job)

    def render(self, job, form):
        mapped = set(job.mapping.values())
        return render(
            self.request,
            self.template_name,
            {
                "page_title": _("Match the columns"),
                "job": job,
                "form": form,
                "missing_required": [
                    importing.field_label(name)
                    for name in importing.REQUIRED_FIELDS
                    if name not in mapped
                ],
                "upload_url": reverse("inventory:import_upload"),
            },
        )


class ImportJobView(StockImportMixin, View):
    """The job's current step: the preview, or the summary of a finished import."""

    def get(self, request, pk):
        job = self.get_job()
        if job.status == ImportJob.Status.UPLOADED:
            return redirect("inventory:import_mapping", pk=job.pk)
        if job.status == ImportJob.Status.PREVIEWED:
            return render(request, "inventory/import_preview.html", self.preview_context(job))
        return render(request, "inventory/import_result.html", self.result_context(job))

    def preview_context(self, job):
        report = job.report or {}
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
            "issue_lines": [importing.describe(item, job.headers) for item in issues],
            "hidden_issue_count": max(
                0, report.get("issue_count", 0) - len(report.get("issues", []))
            ),
            "duplicates": duplicates,
            "duplicate_rows": [duplicate_row(job, d) for d in duplicates],
            "counts": importing.planned_counts(job),
            "can_confirm": importing.can_confirm(job),
            "sample_rows": [
                {**row, "status": services.status_label(row["status"]) if row["status"] else ""}
                for row in report.get("sample", [])
            ],
            "actions": action_choices(),
            "upload_url": reverse("inventory:import_upload"),
            "mapping_url": reverse("inventory:import_mapping", args=[job.pk]),
        }

    def result_context(self, job):
        titles = {
            ImportJob.Status.DONE: _("Import finished"),
            ImportJob.Status.FAILED: _("Import failed"),
        }
        summary = job.error_summary or {}
        issues = summary.get("issues", [])
        created = []
        if job.status == ImportJob.Status.DONE and job.report.get("created_ids"):
            created = list(
                Vehicle.objects.visible_to(self.request.user)
                .filter(pk__in=job.report["created_ids"])
                .select_related("trim__series", "color")
                .order_by("pk")
            )
        return {
            "page_title": titles.get(job.status, _("Importing stock")),
            "job": job,
            "issue_lines": [importing.describe(i, job.headers) for i in issues[:200]],
            "hidden_issue_count": max(0, summary.get("count", 0) - min(len(issues), 200)),
            "created": created,
            "list_url": reverse("inventory:vehicle_list"),
            "upload_url": reverse("inventory:import_upload"),
            "mapping_url": reverse("inventory:import_mapping", args=[job.pk]) if job.file else None,
        }


def action_choices() -> list[tuple[str, str]]:
    return [
        (ImportJob.DuplicateAction.SKIP, _("Skip")),
        (ImportJob.DuplicateAction.MERGE, _("Update the vehicle")),
    ]


def duplicate_row(job: ImportJob, duplicate: dict) -> dict:
    return {
        **duplicate,
        "action": importing.row_action(job, duplicate),
        "status_label": services.status_label(duplicate.get("status", "")),
        "locked_reason": importing.LOCKED_REASONS.get(duplicate.get("locked", ""), ""),
        "vehicle_url": reverse("inventory:vehicle_detail", args=[duplicate["vehicle_id"]])
        if duplicate.get("vehicle_id")
        else None,
    }


class ImportDecisionView(StockImportMixin, View):
    """Update or skip the rows whose VIN is already in stock: all rows at once, or one."""

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
                "inventory/import_counts.html",
                {"job": job, "counts": importing.planned_counts(job)},
            )
        return HttpResponseRedirect(job.get_absolute_url() + "#duplicates")


class ImportConfirmView(StockImportMixin, View):
    def post(self, request, pk):
        job = self.get_job()
        if importing.confirm_import(job):
            importing.run_import(job)
        elif job.status == ImportJob.Status.PREVIEWED:
            messages.error(request, _("Fix the errors in the file first: nothing was imported."))
        return redirect(job)
