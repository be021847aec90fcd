"""Background tasks of the BATCH channel (django-tasks, run by ``fla db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="batch")
def process_file(file_id: int) -> str:
    """Process a received file: plan it, then apply every partition no other worker holds;
    resumes from the checkpoints after a crash."""
    from fla.batch.services import process

    return process(file_id)


@task(queue_name="batch")
def process_partition(file_id: int, index: int) -> str:
    """Apply one partition of a planned file, from its checkpoint, beside other workers."""
    from fla.batch import services

    return services.process_partition(file_id, index)
