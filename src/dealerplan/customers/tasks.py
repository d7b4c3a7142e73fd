"""Background work for customers: checking and importing big files (see ``importing``)."""

from django.db import transaction
from django_tasks import task

from . import importing
from .models import ImportJob


@task()
def check_import_task(job_id: int) -> str:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return job.status
    return importing.check_import(job).status


@task()
def run_import_task(job_id: int) -> str:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    return importing.run_import(job).status


def start_check(job: ImportJob, *, inline: bool) -> None:
    """Check a job now (small files) or in the task queue (the page then polls its progress)."""
    if inline:
        importing.check_import(job)
        return
    job.status = ImportJob.Status.CHECKING
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows", "updated_at"])
    transaction.on_commit(lambda: check_import_task.enqueue(job.pk))


def start_import(job: ImportJob, *, inline: bool) -> None:
    """Import a confirmed job now (small files) or in the task queue."""
    if inline:
        importing.run_import(job)
        return
    transaction.on_commit(lambda: run_import_task.enqueue(job.pk))
