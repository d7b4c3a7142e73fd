"""Background work shared by every list: writing big Excel exports (see ``exports``)."""

from django.db import transaction
from django_tasks import task

from .exports import run_export
from .models import ExportJob


@task()
def run_export_task(job_id: int) -> str:
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ExportJob.Status.PENDING:
        return job.status
    return run_export(job).status


def start_export(user, *, path: str, query: str, title: str, filename: str) -> ExportJob:
    """Record the export and queue it once the record is committed."""
    job = ExportJob.objects.create(
        user=user, path=path, query=query, title=title[:100], filename=filename[:200]
    )
    transaction.on_commit(lambda: run_export_task.enqueue(job.pk))
    return job
