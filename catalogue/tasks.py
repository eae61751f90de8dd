"""Work that runs outside requests, in the task worker (`manage.py db_worker`, or at once in the
request with TASKS_IMMEDIATE=true): imports of any size, checked and then imported, and checks
of every link; each says how far it has come (`progress`), for admin's pages to show."""

import dataclasses
import logging

from django.apps import apps
from django.core.cache import caches
from django.utils import timezone
from django_tasks import task

from catalogue.imports import ImportResult, RowAction, RowOutcome, import_rows
from catalogue.links import check_links
from catalogue.models import ImportJob, ImportState
from catalogue.tabular import TabularError, format_of, read_rows

logger = logging.getLogger("sciplo.tasks")

# How often a running task says how far it has come, in steps (rows, links), and how long what
# it said is kept should it stop without a word.
PROGRESS_EVERY = 25
PROGRESS_SECONDS = 24 * 60 * 60
# The progress key of the check of every link, and how it checks (as manage.py check_links).
LINK_CHECK = "link-check"
LINK_CHECK_CONCURRENCY = 8
LINK_CHECK_TIMEOUT = 10.0


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
        set_progress(import_key(job), 0, len(rows))
        result = import_rows(
            model,
            rows,
            user=job.user,
            dry_run=dry_run,
            file_name=job.file_name,
            progress=lambda done: report_progress(import_key(job), done, len(rows)),
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
    caches["progress"].delete(import_key(job))
    user = job.user.get_username()
    logger.info(
        "%s's import of %s into %s: %s",
        user,
        job.file_name,
        job.model,
        state,
        extra={
            "event": "import",
            "import": str(job.pk),
            "state": state,
            "model": job.model,
            "file": job.file_name,
            "rows": len(job.rows),
            "error": error or None,
            "user": user,
        },
    )


def job_result(job: ImportJob) -> ImportResult | None:
    """The outcome of the job's last run, row by row; None before it ran."""
    if not job.rows:
        return None
    rows = [
        RowOutcome(**{**row, "action": row["action"] and RowAction(row["action"])})
        for row in job.rows
    ]
    return ImportResult(rows, dry_run=job.state != ImportState.IMPORTED)


def report_progress(key: str, done: int, total: int) -> None:
    if done % PROGRESS_EVERY == 0:
        set_progress(key, done, total)


def set_progress(key: str, done: int, total: int | None) -> None:
    """Notes that the task known as `key` has done `done` of `total` steps (None: not known
    yet, the task queued)."""
    caches["progress"].set(key, (done, total), timeout=PROGRESS_SECONDS)


def progress(key: str) -> tuple[int, int | None] | None:
    """How many of its steps (an import's rows, a check's links) the task known as `key` has
    done, of how many; None if it is not running."""
    return caches["progress"].get(key)


def import_key(job: ImportJob) -> str:
    return f"import-{job.pk}"


@task()
def check_every_link() -> None:
    """Checks every URL of the catalogue (`catalogue.links`), saying how far it has come."""
    try:
        outcomes = check_links(
            concurrency=LINK_CHECK_CONCURRENCY,
            timeout=LINK_CHECK_TIMEOUT,
            progress=lambda done, total: report_progress(LINK_CHECK, done, total),
        )
    finally:
        caches["progress"].delete(LINK_CHECK)
    broken = sum(outcome.is_broken for outcome in outcomes)
    logger.info(
        "Checked %s links: %s broken",
        len(outcomes),
        broken,
        extra={"event": "link-check", "links": len(outcomes), "broken": broken},
    )


def start_link_check() -> bool:
    """Queues a check of every link unless one is queued or running; whether it queued one."""
    if not caches["progress"].add(LINK_CHECK, (0, None), timeout=PROGRESS_SECONDS):
        return False
    check_every_link.enqueue()
    return True
