"""Pages of the stock import: upload → column mapping → preview → import → summary.

The shared pages of ``core.importing`` with the stock's parts. Only stock editors
(``services.EDIT_ROLES``) import; a job is its uploader's alone, anyone else's is a 404. Stock
lists are small: every step runs within the request.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealerplan.catalog.models import Color
from dealerplan.catalog.services import example_trim, trim_label
from dealerplan.core import import_views as base
from dealerplan.customers.models import ImportJob

from . import importing, services
from .models import Vehicle


class UploadForm(base.UploadForm):
    help_text = gettext_lazy(
        "An .xlsx workbook (first sheet) or a .csv file; the first row holds the column headers."
    )


class StockImportPages(base.ImportViews):
    """Only stock editors import; a job is its uploader's alone."""

    importer = importing.IMPORTER
    namespace = "inventory"
    list_url_name = "inventory:vehicle_list"
    template_prefix = "inventory/import_"
    upload_form_class = UploadForm

    def get_action_choices(self):
        return [
            (ImportJob.DuplicateAction.SKIP, _("Skip")),
            (ImportJob.DuplicateAction.MERGE, _("Update the vehicle")),
        ]

    def extra_context(self, step, job=None):
        if step == "upload":
            return {"max_rows": importing.MAX_DATA_ROWS}
        if step == "preview":
            return {
                "sample_rows": [
                    {
                        **row,
                        "status": services.status_label(row["status"]) if row["status"] else "",
                    }
                    for row in (job.report or {}).get("sample", [])
                ]
            }
        return {}

    def result_title(self, job):
        titles = {
            ImportJob.Status.DONE: _("Import finished"),
            ImportJob.Status.FAILED: _("Import failed"),
        }
        return titles.get(job.status, _("Importing stock"))

    def duplicate_row(self, job, duplicate):
        return {
            **super().duplicate_row(job, duplicate),
            "status_label": services.status_label(duplicate.get("status", "")),
            "locked_reason": importing.LOCKED_REASONS.get(duplicate.get("locked", ""), ""),
            "vehicle_url": reverse("inventory:vehicle_detail", args=[duplicate["vehicle_id"]])
            if duplicate.get("vehicle_id")
            else None,
        }

    def created_records(self, job):
        return list(
            Vehicle.objects.visible_to(self.request.user)
            .filter(pk__in=job.report["created_ids"])
            .select_related("trim__series", "color")
            .order_by("pk")
        )


class ImportUploadView(StockImportPages, base.UploadView):
    def page_title(self):
        return _("Import stock")


class ImportTemplateView(StockImportPages, base.TemplateDownloadView):
    """The .xlsx template with the Chinese headers and one example row."""

    filename = "stock-import-template.xlsx"

    def workbook(self):
        trim = example_trim()
        color = (
            Color.objects.filter(brand_id=trim.series.brand_id).order_by("name").first()
            if trim
            else None
        )
        return importing.template_workbook(
            example_trim=trim_label(trim),
            example_color=color.name if color else "",
        )


class ImportMappingView(StockImportPages, base.MappingView):
    pass


class ImportJobView(StockImportPages, base.JobView):
    """The job's current step: the preview, or the summary of a finished import."""


class ImportDecisionView(StockImportPages, base.DecisionView):
    """Update or skip the rows whose VIN is already in stock: all rows at once, or one."""


class ImportConfirmView(StockImportPages, base.ConfirmView):
    pass
