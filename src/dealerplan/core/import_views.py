"""The pages of every spreadsheet import: upload → column mapping → preview → import → summary.

Generic over an :class:`~dealerplan.core.importing.Importer`; an app's views subclass these
with its importer, URL names and templates (which extend ``templates/importing/``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.contrib import messages as flash
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

from .forms import BootstrapFormMixin
from .importing import XLSX_CONTENT_TYPE, Importer, ImportFileError
from .uploads import SpreadsheetFileField

ISSUES_PER_PAGE = 50
DUPLICATES_PER_PAGE = 50
RECENT_JOBS = 10
#: Issues listed on the summary of a failed import.
RESULT_ISSUES = 200
#: Large JSON columns a list of jobs (or the progress poll) does not need.
HEAVY_FIELDS = ("report", "headers", "sample_rows", "mapping", "row_actions", "error_summary")


class UploadForm(BootstrapFormMixin, forms.Form):
    help_text = gettext_lazy(
        "An .xlsx workbook (first sheet) or a .csv file, at most 20 MB; the first row holds "
        "the column headers."
    )

    file = SpreadsheetFileField(
        label=gettext_lazy("Excel or CSV file"),
        allow_empty_file=True,  # inspect_file says "the file is empty" itself
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.help_text


class MappingForm(forms.Form):
    """One drop-down per column of the file: which field it fills, if any."""

    def __init__(self, *args, job, importer: Importer, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.importer = importer
        choices = [("", _("— ignore —")), *choices]
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
                "recognised": bool(self.importer.fields.recognise(self.job.headers[index])),
            }

    def clean(self):
        cleaned = super().clean()
        mapping = {
            str(index): cleaned.get(f"col_{index}")
            for index in range(len(self.job.headers))
            if cleaned.get(f"col_{index}")
        }
        for problem in self.importer.mapping_problems(mapping):
            self.add_error(None, self.importer.describe(problem))
        cleaned["mapping"] = mapping
        return cleaned


class ImportViews(LoginRequiredMixin, View):
    """The pages of one kind of import; an app subclasses each page with its settings.

    Only people the importer allows see the pages; a job is its uploader's alone (anyone
    else's is a 404), starting from the job model's ``visible_to``. Templates are
    ``<template_prefix><step>.html``: upload, mapping, preview, counts and result extend the
    shared ones under ``importing/``; progress and progress_bar (only with
    :attr:`has_progress`) are the app's own.
    """

    importer: Importer
    #: URL namespace of the pages ("customers"), and the list the records land in.
    namespace: str = ""
    list_url_name: str = ""
    template_prefix: str = ""
    upload_form_class = UploadForm
    #: Big files are worked on in the task queue, with a progress page.
    has_progress = False
    action_choices: Sequence[tuple[str, str]] = ()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.importer.may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def template(self, step: str) -> str:
        return f"{self.template_prefix}{step}.html"

    def jobs(self):
        user = self.request.user
        return self.importer.jobs.visible_to(user).filter(user=user)

    def get_job(self, *, light: bool = False):
        jobs = self.jobs().select_related("user")
        if light:  # polled every second: leave the big JSON columns in the database
            jobs = jobs.defer(*HEAVY_FIELDS)
        return get_object_or_404(jobs, pk=self.kwargs["pk"])

    # Hooks for the app's pages.

    def extra_context(self, step: str, job=None) -> dict:
        return {}

    def mapping_choices(self) -> list[tuple[str, str]]:
        return [(f.name, self.importer.field_label(f.name)) for f in self.importer.fields]

    def start_check(self, job) -> None:
        self.importer.check_import(job)

    def start_import(self, job) -> None:
        self.importer.run_import(job)

    def duplicate_row(self, job, duplicate: dict) -> dict:
        return {**duplicate, "action": self.importer.row_action(job, duplicate)}

    def created_records(self, job) -> list:
        return []

    def get_action_choices(self) -> Sequence[tuple[str, str]]:
        return self.action_choices

    def progress_title(self, job) -> str:
        return _("Checking the file")

    def progress_context(self, job) -> dict:
        return {
            "page_title": self.progress_title(job),
            "job": job,
            "saving": job.status == job.Status.IMPORTING
            and job.total_rows
            and job.processed_rows >= job.total_rows,
            "progress_url": self.url("import_progress", job.pk),
            **self.extra_context("progress", job),
        }


class UploadView(ImportViews):
    def get(self, request):
        return self.render_form(self.upload_form_class())

    def post(self, request):
        form = self.upload_form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = self.importer.start_import(
                    user=request.user, uploaded=form.cleaned_data["file"]
                )
            except ImportFileError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect(f"{self.namespace}:import_mapping", pk=job.pk)
        return self.render_form(form)

    def page_title(self) -> str:
        raise NotImplementedError

    def render_form(self, form):
        return render(
            self.request,
            self.template("upload"),
            {
                "page_title": self.page_title(),
                "form": form,
                "recent_jobs": self.jobs().defer(*HEAVY_FIELDS)[:RECENT_JOBS],
                "template_url": self.url("import_template"),
                "list_url": reverse(self.list_url_name),
                **self.extra_context("upload"),
            },
        )


class TemplateDownloadView(ImportViews):
    """The .xlsx template with the Chinese headers, one example row and drop-down lists."""

    filename = "import-template.xlsx"

    def workbook(self) -> bytes:
        raise NotImplementedError

    def get(self, request):
        response = HttpResponse(self.workbook(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response


class MappingView(ImportViews):
    editable = ("uploaded", "previewed", "failed")

    def get(self, request, pk):
        job = self.get_job()
        if job.status not in self.editable or not job.file:
            return redirect(job)
        return self.render_form(job, self.make_form(job))

    def post(self, request, pk):
        job = self.get_job()
        if job.status not in self.editable or not job.file:
            return redirect(job)
        form = self.make_form(job, data=request.POST)
        if not form.is_valid():
            return self.render_form(job, form)
        job.mapping = form.cleaned_data["mapping"]
        job.save(update_fields=["mapping", "updated_at"])
        self.start_check(job)
        return redirect(job)

    def make_form(self, job, data=None):
        return MappingForm(data, job=job, importer=self.importer, choices=self.mapping_choices())

    def render_form(self, job, form):
        mapped = set(job.mapping.values())
        missing = [
            self.importer.field_label(name)
            for name in self.importer.fields.required
            if name not in mapped
        ]
        return render(
            self.request,
            self.template("mapping"),
            {
                "page_title": _("Match the columns"),
                "job": job,
                "form": form,
                "missing_required": missing,
                "upload_url": self.url("import_upload"),
                **self.extra_context("mapping", job),
            },
        )


class JobView(ImportViews):
    """The job's current step: progress, preview, or the summary of a finished import."""

    def get(self, request, pk):
        job = self.get_job()
        if job.status == job.Status.UPLOADED:
            return redirect(f"{self.namespace}:import_mapping", pk=job.pk)
        if self.has_progress and job.is_running:
            return render(request, self.template("progress"), self.progress_context(job))
        if job.status == job.Status.PREVIEWED:
            return render(request, self.template("preview"), self.preview_context(job))
        return render(request, self.template("result"), self.result_context(job))

    def result_title(self, job) -> str:
        if job.status == job.Status.DONE:
            return _("Import finished")
        return _("Import failed")

    def preview_context(self, job) -> dict:
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
            "issue_lines": [self.importer.describe(item, job.headers) for item in issues],
            "hidden_issue_count": max(
                0, report.get("issue_count", 0) - len(report.get("issues", []))
            ),
            "duplicates": duplicates,
            "duplicate_rows": [self.duplicate_row(job, d) for d in duplicates],
            "counts": self.importer.planned_counts(job),
            "can_confirm": self.importer.can_confirm(job),
            "actions": self.get_action_choices(),
            "counts_template": self.template("counts"),
            "decide_url": self.url("import_decide", job.pk),
            "confirm_url": self.url("import_confirm", job.pk),
            "upload_url": self.url("import_upload"),
            "mapping_url": self.url("import_mapping", job.pk),
            **self.extra_context("preview", job),
        }

    def result_context(self, job) -> dict:
        summary = job.error_summary or {}
        issues = summary.get("issues", [])
        return {
            "page_title": self.result_title(job),
            "job": job,
            "issue_lines": [self.importer.describe(i, job.headers) for i in issues[:RESULT_ISSUES]],
            "hidden_issue_count": max(0, summary.get("count", 0) - min(len(issues), RESULT_ISSUES)),
            "created": self.created_records(job)
            if job.status == job.Status.DONE and job.report.get("created_ids")
            else [],
            "list_url": reverse(self.list_url_name),
            "upload_url": self.url("import_upload"),
            "mapping_url": self.url("import_mapping", job.pk) if job.file else None,
            **self.extra_context("result", job),
        }


class ProgressView(ImportViews):
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
        return render(request, self.template("progress_bar"), self.progress_context(job))


class DecisionView(ImportViews):
    """Merge (update) or skip the duplicate rows: every row at once, or one row."""

    def post(self, request, pk):
        job = self.get_job()
        if job.status != job.Status.PREVIEWED:
            return redirect(job)
        row = request.POST.get("row")
        try:
            self.importer.set_duplicate_action(
                job, request.POST.get("action", ""), row=int(row) if row else None
            )
        except (ValidationError, ValueError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            if request.htmx:
                return HttpResponse(message, status=400)
            flash.error(request, message)
            return redirect(job)
        if request.htmx:
            return render(
                request,
                self.template("counts"),
                {"job": job, "counts": self.importer.planned_counts(job)},
            )
        return HttpResponseRedirect(job.get_absolute_url() + "#duplicates")


class ConfirmView(ImportViews):
    def post(self, request, pk):
        job = self.get_job()
        if self.importer.confirm_import(job):
            self.start_import(job)
        elif job.status == job.Status.PREVIEWED:
            flash.error(request, _("Fix the errors in the file first: nothing was imported."))
        return redirect(job)
