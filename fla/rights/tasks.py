"""The yearly rights computation for all employers, as resumable background work.

``start_run(year)`` records a RightsRun and enqueues ``run_rights``. The task works in
steps: each step locks the run row, takes the next employers after the run's cursor
(``last_employer_id``), computes their rights with ``compute_rights`` and moves the
cursor, all in one transaction. A worker killed in the middle loses at most the step it
was in (rolled back); ``start_run`` for the same year, or ``resume_run``, enqueues the
task again and it continues from the cursor. Two tasks on the same run never compute
the same employers: the row lock serialises the steps.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from fla.core import retry
from fla.core.choices import RightSource
from fla.ops.models import RightsRun
from fla.rights.models import TrainingRight
from fla.rights.services import compute_rights, employers_for_year, overlapping
from fla.workers.models import Employment

logger = logging.getLogger(__name__)

UNFINISHED = (RightsRun.Status.QUEUED, RightsRun.Status.RUNNING, RightsRun.Status.FAILED)


def start_run(year: int, chunk_size: int | None = None) -> tuple[RightsRun, bool]:
    """Enqueue the computation of ``year``: resumes an unfinished run of that year, or
    starts a new one. Returns the run and whether it was resumed."""
    with transaction.atomic():
        run = (
            RightsRun.objects.select_for_update()
            .filter(year=year, status__in=UNFINISHED)
            .order_by("-created_at")
            .first()
        )
        resumed = run is not None
        if run is None:
            run = RightsRun.objects.create(
                year=year,
                total=len(employers_for_year(year)),
                chunk_size=max(1, chunk_size or settings.FLA_RIGHTS_RUN_CHUNK),
            )
        else:
            run.status, run.error = RightsRun.Status.QUEUED, ""
            run.save(update_fields=["status", "error", "updated_at"])
        transaction.on_commit(lambda: run_rights.enqueue(run.pk))
    return run, resumed


def resume_run(run_id: int) -> None:
    run_rights.enqueue(run_id)


def next_employers(year: int, after: int, limit: int) -> list[int]:
    """The first ``limit`` employers after ``after`` that the year's computation covers
    (the same set as ``compute_rights(year)``: employments in the year, or computed rights
    stored for it), read through the indexes instead of listing them all."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    employed = (
        Employment.objects.filter(overlapping(first, last), employer_id__gt=after)
        .order_by("employer_id")
        .values_list("employer_id", flat=True)
        .distinct()[:limit]
    )
    with_rights = (
        TrainingRight.objects.filter(year=year, source=RightSource.COMPUTED, employer_id__gt=after)
        .order_by("employer_id")
        .values_list("employer_id", flat=True)
        .distinct()[:limit]
    )
    return sorted(set(employed) | set(with_rights))[:limit]


def step(run_id: int) -> bool:
    """Compute the next chunk of the run; False when there was nothing left to do. A
    step rolled back for a deadlock with a declaration (or a serialization failure) is
    run again (``fla.core.retry``)."""
    return retry.retried(lambda: _step(run_id), what=f"rights run {run_id}: step")


def _step(run_id: int) -> bool:
    with transaction.atomic():
        run = RightsRun.objects.select_for_update().get(pk=run_id)
        if run.status == RightsRun.Status.DONE:
            return False
        chunk = next_employers(run.year, run.last_employer_id, run.chunk_size)
        now = timezone.now()
        if run.started_at is None:
            run.started_at = now
        if not chunk:
            run.status, run.finished_at = RightsRun.Status.DONE, now
            run.total = max(run.total, run.done)
            run.save()
            return False
        counts = compute_rights(run.year, employer_ids=chunk, chunk_size=len(chunk))
        for key, value in counts.items():
            if key != "year":
                run.counts[key] = run.counts.get(key, 0) + value
        run.done += len(chunk)
        run.total = max(run.total, run.done)
        run.last_employer_id = chunk[-1]
        run.status = RightsRun.Status.RUNNING
        run.save()
        return True


@task(queue_name="rights")
def run_rights(run_id: int) -> str:
    """Run (or continue) one yearly rights computation to its end."""
    try:
        while step(run_id):
            pass
    except Exception as exc:
        logger.exception("rights run %s failed", run_id)
        RightsRun.objects.filter(pk=run_id).update(
            status=RightsRun.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        raise
    return "done"
