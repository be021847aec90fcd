"""Background tasks of the BATCH channel (django-tasks, run by ``fla db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="batch")
def process_file(file_id: int) -> str:
    """Process one received file to the end; resumes from its checkpoint after a crash."""
    from fla.batch.services import process

    return process(file_id)
