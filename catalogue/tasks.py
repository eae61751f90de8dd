"""Work that runs outside requests, in the task worker (`manage.py db_worker`, or at once in the
request with TASKS_IMMEDIATE=true): imports of any size, checked and then imported."""

import dataclasses
import logging

from django.apps import apps
from django.core.cache import caches
from django.utils import timezone
from django_tasks import task

from catalogue.imports import ImportResult, RowAction, RowOutcome, import_rows
from catalogue.models import ImportJob, ImportState
from catalogue.tabular import TabularError, format_of, read_rows

logger = logging.getLogger("sciplo.imports")

# How often a running import says how far it has come, in rows.
PROGRESS_EVERY = 25


@task()
def run_import(job_id: str) -> None:
    """Checks the file of the import job `job_id` (a dry run), or imports it once its preview
    was confirmed, as the job's state asks; the job keeps each row's outcome."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    dry_run = job.state == ImportState.PREVIEW_QUEUED
    running = ImportState.PREVIEWING if dry_run else ImportState.IMPORTING
    ImportJob.objects.filter(pk=job.pk).update(state=running)
    try:
        model = apps.get_model(job.model)
        rows = read_rows(model, format_of(job.file_name), bytes(job.content))
        set_progress(job, 0, len(rows))
        result = import_rows(
            model,
            rows,
            user=job.user,
            dry_run=dry_run,
            file_name=job.file_name,
            progress=lambda done: report_progress(job, done, len(rows)),
        )
    except TabularError as error:
        finish(job, ImportState.REFUSED, error=str(error))
    except Exception:
        finish(job, ImportState.REFUSED, error="The import stopped on an error in Sciplo.")
        raise
    else:
        finish(
            job,
            ImportState.IMPORTED if result.imported else ImportState.PREVIEWED,
            rows=[dataclasses.asdict(row) for row in result.rows],
        )


def finish(
    job: ImportJob, state: ImportState, *, rows: list | None = None, error: str = ""
) -> None:
    job.state, job.error, job.finished_at = state, error, timezone.now()
    job.rows = rows or []
    if state == ImportState.IMPORTED:
        job.content = b""  # Imported: the records and their history keep what it held.
    job.save()
    caches["progress"].delete(progress_key(job))


def job_result(job: ImportJob) -> ImportResult | None:
    """The outcome of the job's last run, row by row; None before it ran."""
    if not job.rows:
        return None
    rows = [
        RowOutcome(**{**row, "action": row["action"] and RowAction(row["action"])})
        for row in job.rows
    ]
    return ImportResult(rows, dry_run=job.state != ImportState.IMPORTED)


def report_progress(job: ImportJob, done: int, total: int) -> None:
    if done % PROGRESS_EVERY == 0:
        set_progress(job, done, total)


def set_progress(job: ImportJob, done: int, total: int) -> None:
    caches["progress"].set(progress_key(job), (done, total), timeout=24 * 60 * 60)


def progress(job: ImportJob) -> tuple[int, int] | None:
    """How many of its rows the job's running import has checked or imported, of how many."""
    return caches["progress"].get(progress_key(job))


def progress_key(job: ImportJob) -> str:
    return f"import-{job.pk}"
