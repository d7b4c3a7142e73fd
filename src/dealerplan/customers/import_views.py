"""Pages of the customer import: upload → column mapping → preview → import → summary.

The shared pages of ``core.importing`` with the customers' parts: the owner column for
managers, the task queue and progress page for big files, links to the cards. Every page starts
from ``ImportJob.objects.visible_to(user)`` and, as an import is a personal piece of work,
keeps only the user's own jobs: anyone else's job is a 404.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from dealerplan.catalog.services import example_trim, trim_label
from dealerplan.core import import_views as base

from . import importing, tasks
from .choices import AccountTier, CustomerKind, Gender, IntentionLevel, SourceChannel
from .models import Customer, ImportJob

_CHOICE_LABELS = {
    "gender": dict(Gender.choices),
    "intention_level": dict(IntentionLevel.choices),
    "account_tier": dict(AccountTier.choices),
    "source": dict(SourceChannel.choices),
    "kind": dict(CustomerKind.choices),
}


class CustomerImportPages(base.ImportViews):
    """Only people who may edit customers import them; a job is its uploader's alone."""

    importer = importing.IMPORTER
    namespace = "customers"
    list_url_name = "customers:customer_list"
    template_prefix = "customers/import_"
    has_progress = True
    action_choices = ImportJob.DuplicateAction.choices

    def owner_column(self) -> bool:
        return importing.allows_owner_column(self.request.user)

    def mapping_choices(self):
        return importing.field_choices(allow_owner=self.owner_column())

    def extra_context(self, step, job=None):
        if step in ("upload", "mapping"):
            return {"owner_column": self.owner_column()}
        if step == "preview":
            return {"sample_columns": sample_columns(job), "sample_rows": sample_rows(job)}
        return {}

    def start_check(self, job):
        tasks.start_check(job, inline=importing.should_run_inline(job))

    def start_import(self, job):
        tasks.start_import(job, inline=importing.should_run_inline(job))

    def progress_title(self, job):
        if job.status == ImportJob.Status.IMPORTING:
            return _("Importing customers")
        return _("Checking the file")

    def duplicate_row(self, job, duplicate):
        return {
            **super().duplicate_row(job, duplicate),
            "locked": self.importer.is_locked(duplicate),
            "customer_url": reverse("customers:customer_detail", args=[duplicate["customer_id"]])
            if duplicate.get("customer_id")
            else None,
        }

    def created_records(self, job):
        return list(
            Customer.objects.visible_to(self.request.user)
            .filter(pk__in=job.report["created_ids"])
            .only("pk", "name", "phone")
            .order_by("pk")
        )


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


class ImportUploadView(CustomerImportPages, base.UploadView):
    def page_title(self):
        return _("Import customers")


class ImportTemplateView(CustomerImportPages, base.TemplateDownloadView):
    """The .xlsx template with the Chinese headers, one example row and drop-down lists."""

    filename = "customer-import-template.xlsx"

    def workbook(self):
        return importing.template_workbook(example_trim=trim_label(example_trim()))


class ImportMappingView(CustomerImportPages, base.MappingView):
    pass


class ImportJobView(CustomerImportPages, base.JobView):
    """The job's current step: progress, preview, or the summary of a finished import."""


class ImportProgressView(CustomerImportPages, base.ProgressView):
    """Polled by the progress page every second; sends the browser on when the work is done."""


class ImportDecisionView(CustomerImportPages, base.DecisionView):
    """Merge or skip duplicates: for every row at once, or one row."""


class ImportConfirmView(CustomerImportPages, base.ConfirmView):
    pass
