"""A background export's page: progress polled with htmx, then the download for its owner."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from .exports import XLSX_TYPE
from .models import ExportJob


class ExportJobMixin(LoginRequiredMixin):
    def get_job(self, pk) -> ExportJob:
        return get_object_or_404(ExportJob.objects.visible_to(self.request.user), pk=pk)


def job_context(job: ExportJob) -> dict:
    return {
        "page_title": _("Exporting %(title)s") % {"title": job.title},
        "job": job,
        "progress_url": reverse("reports:export_progress", args=[job.pk]),
        "download_url": reverse("reports:export_download", args=[job.pk]),
        "list_url": f"{job.path}?{job.query}" if job.query else job.path,
    }


class ExportJobView(ExportJobMixin, View):
    """The export's page: a progress bar while it runs, the download link when it is ready."""

    def get(self, request, pk):
        job = self.get_job(pk)
        return render(request, "core/export_job.html", job_context(job))


class ExportProgressView(ExportJobMixin, View):
    """Polled every 2 s by the page; the partial stops polling once the job has finished."""

    def get(self, request, pk):
        job = self.get_job(pk)
        return render(request, "core/export_progress.html", job_context(job))


class ExportDownloadView(ExportJobMixin, View):
    def get(self, request, pk):
        job = self.get_job(pk)
        if job.status != ExportJob.Status.DONE or not job.file:
            raise Http404
        try:
            handle = job.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle, as_attachment=True, filename=job.filename, content_type=XLSX_TYPE
        )
