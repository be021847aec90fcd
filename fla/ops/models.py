"""Operations: worker heartbeats, the yearly rights runs, files kept in the database."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per background worker process, rewritten every FLA_HEARTBEAT_SECONDS."""

    worker = models.CharField(max_length=200, unique=True)  # --worker-id, else host:pid
    host = models.CharField(max_length=200)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()
    tasks_done = models.IntegerField(default=0)
    tasks_failed = models.IntegerField(default=0)
    current_task = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["host", "pid"]


class RightsRun(models.Model):
    """The yearly rights computation for all employers, run in steps by a background task.

    Each step computes the rights of the next employers (ids above ``last_employer_id``)
    in one transaction and moves the cursor in that same transaction, so a run whose
    worker was killed continues from the last finished step.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    year = models.IntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    last_employer_id = models.BigIntegerField(default=0)
    chunk_size = models.IntegerField(default=200)
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class StoredFile(models.Model):
    """A file of the default storage kept in the database (FLA_STORAGE=database)."""

    name = models.CharField(max_length=255, unique=True)
    size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)


class StoredFileChunk(models.Model):
    """One fixed-size piece of a StoredFile (the last one may be shorter)."""

    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    seq = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "seq"], name="ops_storedfilechunk_seq")
        ]
