"""Background tasks left RUNNING by workers that are gone.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED
when that worker finishes it; nothing else ever changes it. A task whose worker was
killed, or that was running when the backup now restored was taken, therefore stays
RUNNING and is never run again. ``requeue_running`` (``fla requeue-running``) puts
every such task back in its queue (READY), once no worker runs:

- a BATCH file's task (``process_file``, ``process_partition``) resumes each partition
  from its checkpoint, committed with the declarations it covers, so no declaration is
  applied twice or lost; the file's and its partitions' leases, held by the gone
  workers, are released so that the file resumes at once instead of when they run out;
- a yearly rights run (``run_rights``) continues from its cursor;
- the heartbeat rows of the gone workers are deleted.

It refuses while a worker's heartbeat is fresh (written within three periods, as /ops/
counts it): that worker may be running one of the tasks, which would then run twice.

Given the names of some workers (``workers``: their ``db_worker --worker-id``, which
names both their heartbeat row and their claim of a task), it acts on those only, while
the others go on: it requeues the RUNNING tasks they claimed last and deletes their
heartbeat rows, once none of them has beaten lately. Their BATCH leases are left to
run out: a worker renews them as it goes, so they run out at most
``FLA_BATCH_LEASE_SECONDS`` (two minutes by default) after it died, and a live worker's
lease cannot be told from a gone one's.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


class WorkersRunning(Exception):
    """Workers wrote their heartbeat lately: their tasks are left alone."""

    def __init__(self, workers: list[tuple[str, int]], wait: int):
        self.workers = workers  # (name, seconds since its last beat)
        self.wait = wait  # seconds before the freshest of them counts as gone
        super().__init__(", ".join(f"{name} ({age} s ago)" for name, age in workers))


@dataclass
class Requeued:
    tasks: dict[str, int] = field(default_factory=dict)  # by queue
    batch_files: int = 0  # files whose leases were released
    heartbeats: int = 0  # heartbeat rows deleted

    @property
    def total(self) -> int:
        return sum(self.tasks.values())


class NoHeartbeats(Exception):
    """Heartbeats are off (``FLA_HEARTBEAT_SECONDS`` 0): no row tells a live worker."""


# A worker counts as gone only after two minutes at least: the command may run where
# FLA_HEARTBEAT_SECONDS is shorter than the workers' own, or a clock a little ahead.
MIN_STALE_SECONDS = 120


def stale_after() -> int:
    """Seconds without a beat after which a worker counts as gone: three periods, as on
    /ops/, and never less than ``MIN_STALE_SECONDS``."""
    return max(3 * max(settings.FLA_HEARTBEAT_SECONDS, 1), MIN_STALE_SECONDS)


def requeue_running(
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    force: bool = False,
    workers: Sequence[str] = (),
) -> Requeued:
    """Put every RUNNING task back in its queue, or only those ``workers`` claimed; see
    the module. Raises WorkersRunning (and changes nothing) while a worker's heartbeat
    (of one of ``workers``, if given) is fresh, and NoHeartbeats where heartbeats are
    off, unless ``force`` (the operator knows those workers are stopped). ``dry_run``:
    count only."""
    if settings.FLA_HEARTBEAT_SECONDS <= 0 and not force:
        raise NoHeartbeats()
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from fla.batch.models import BatchFile, BatchPartition, BatchStatus
    from fla.ops.models import WorkerHeartbeat

    now = now or timezone.now()
    limit = stale_after()
    named = frozenset(workers)
    with transaction.atomic():
        beats = WorkerHeartbeat.objects.select_for_update().order_by("-seen_at")
        beats = list(beats.filter(worker__in=named) if named else beats)
        fresh = [
            (beat.worker, max(int((now - beat.seen_at).total_seconds()), 0))
            for beat in beats
            if (now - beat.seen_at).total_seconds() <= limit
        ]
        if fresh:
            raise WorkersRunning(fresh, limit - min(age for _, age in fresh) + 1)
        running = DBTaskResult.objects.running().select_for_update()
        if named:
            # Claimed last by one of them (a task requeued earlier keeps its first claim).
            running = running.filter(
                pk__in=[
                    pk
                    for pk, claims in running.values_list("pk", "worker_ids")
                    if claims and claims[-1] in named
                ]
            )
        result = Requeued(
            tasks=dict(sorted(Counter(running.values_list("queue_name", flat=True)).items())),
            heartbeats=len(beats),
        )
        if named:
            if not dry_run:
                running.update(status=TaskResultStatus.READY, started_at=None)
                WorkerHeartbeat.objects.filter(pk__in=[beat.pk for beat in beats]).delete()
            _log(result, dry_run, sorted(named))
            return result
        unfinished = BatchFile.objects.filter(
            status__in=(BatchStatus.RECEIVED, BatchStatus.PROCESSING)
        )
        held_files = set(unfinished.exclude(lease_owner="").values_list("pk", flat=True))
        held_partitions = BatchPartition.objects.filter(file__in=unfinished, done=False).exclude(
            lease_owner=""
        )
        held_files |= set(held_partitions.values_list("file_id", flat=True))
        result.batch_files = len(held_files)
        if dry_run:
            return result
        running.update(status=TaskResultStatus.READY, started_at=None)
        BatchFile.objects.filter(pk__in=held_files).update(lease_owner="", lease_until=None)
        held_partitions.update(lease_owner="", lease_until=None)
        WorkerHeartbeat.objects.filter(pk__in=[beat.pk for beat in beats]).delete()
    _log(result, dry_run)
    return result


def _log(result: Requeued, dry_run: bool, workers: list[str] | None = None) -> None:
    if dry_run:
        return
    logger.warning(
        "requeued %s running task(s) of gone workers %s%s; released %s BATCH file(s); "
        "deleted %s heartbeat row(s)",
        result.total,
        result.tasks,
        f" ({', '.join(workers)})" if workers else "",
        result.batch_files,
        result.heartbeats,
    )
