import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    RECEIVED = "received", _("Ontvangen")
    PROCESSING = "processing", _("In verwerking")
    DONE = "done", _("Verwerkt")
    FAILED = "failed", _("Mislukt")


class Leased(models.Model):
    """A row one worker at a time works on: which worker, and until when its lease runs
    (renewed as it goes). The file's lease covers its planning, a partition's lease the
    applying of its declarations."""

    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def held(self, now: dt.datetime) -> bool:
        """Whether a worker holds it at ``now`` (its lease has not run out)."""
        return bool(self.lease_owner and self.lease_until and self.lease_until > now)


class BatchFile(Leased):
    """A BATCH file accepted for processing: its receipt, plan and progress.

    ``processed`` and the counts are those of the declarations whose results are
    committed, updated in the same transaction as their writes. The checkpoints are
    the partitions' (``BatchPartition``); ``plan`` says how the file is shared among
    them (``fla.batch.planning``): the receipt notes in it the references the file may
    use twice, and the first worker to take the file adds the rest ("count" and on).
    """

    reference = models.CharField(max_length=64)
    sender = models.CharField(max_length=10)  # enterprise number of the sending organisation
    # No index of their own: those of the list of a sender's files start with them.
    sender_employer = models.ForeignKey(
        "employers.Employer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    sender_mandatary = models.ForeignKey(
        "accounts.Mandatary",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The caller the file's declarations are submitted as (see fla.batch.services).
    caller = models.JSONField(default=dict)
    test = models.BooleanField(default=False)
    language = models.CharField(max_length=2, default="nl")
    created_at = models.DateTimeField(null=True, blank=True)  # from the file's header
    received_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    storage_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    notification_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    accepted_with_warnings = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # The receipt's notes, {"repeated": [digests], "across": bool, "by_reference": n},
    # then the plan: {"count": partitions, "duplicates": [positions],
    # "assigned": [[position, partition]]} (fla.batch.planning).
    plan = models.JSONField(default=dict, blank=True)
    # When the file's content (the stored XML, its results and notification, which hold
    # INSZ and names) was erased after FLA_BATCH_RETENTION_DAYS; the file's header and
    # counts are kept, so that its reference stays used.
    erased_at = models.DateTimeField(null=True, blank=True)
    # A test file: how many declarations each of its rolled-back chunks holds, fixed
    # once, when a worker starts on it (``FLA_BATCH_TEST_CHUNK`` of that worker), and
    # used by every partition; its page, status and notification say it from here
    # (``services.checked_in_parts``). Null for a production file, a test file not
    # started yet, and one started before it was stored.
    test_chunk_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # A test file does not use up its reference: the same file can then be sent
            # to production.
            models.UniqueConstraint(
                fields=["sender", "reference", "test"], name="batch_file_reference"
            )
        ]
        indexes = [
            models.Index(fields=["status"], name="batch_file_status_idx"),
            # A sender's files newest first (GET /api/v1/batches, the files page): a page
            # is read from the index, whatever the number of files the sender ever sent
            # (docs/performance.md, "The list of BATCH files").
            models.Index(
                fields=["sender_employer", "-received_at", "-id"],
                name="batch_file_employer_recv_idx",
            ),
            models.Index(
                fields=["sender_mandatary", "-received_at", "-id"],
                name="batch_file_mandatary_recv_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.sender})"

    @property
    def environment(self) -> str:
        return "test" if self.test else "production"

    @property
    def progress(self) -> int:
        """Percentage of the declarations processed: 100 once the file is done (its
        notification written), at most 99 before, though every declaration be applied."""
        if self.status == BatchStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.processed * 100 / self.total))


class BatchPartition(Leased):
    """A share of a file's declarations, by worker (``fla.batch.planning``), applied by one
    worker at a time in file order.

    ``checkpoint`` is the position of its last declaration whose result is committed, in
    the same transaction as its writes: a worker that resumes the partition (after a
    crash, once the lease has run out) skips the declarations up to it.
    """

    file = models.ForeignKey(
        BatchFile, on_delete=models.CASCADE, related_name="partitions", db_index=False
    )
    index = models.PositiveSmallIntegerField()
    checkpoint = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["file", "index"]
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="batch_partition_index")
        ]

    def __str__(self) -> str:
        return f"{self.file_id}/{self.index}"


class BatchResult(models.Model):
    """The outcome of one declaration of a file, for the notification."""

    # No index of its own: the unique (file, position) starts with it.
    file = models.ForeignKey(
        BatchFile, on_delete=models.CASCADE, related_name="results", db_index=False
    )
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16)
    enterprise_number = models.CharField(max_length=16)
    reference = models.CharField(max_length=64, blank=True)
    insz = models.CharField(max_length=16, blank=True)
    # The year of an employer-year or rights declaration (what identifies the former on
    # the file's page), or that of a training's end date (its start date without one);
    # the notification does not repeat it.
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=24)
    # [{"code": "E001", "zone": "insz", "params": {...}}]: rendered in any language.
    # The database's default too: the processing leaves the column out of the rows of
    # declarations without findings (most of them), which spares encoding each "[]".
    findings = models.JSONField(default=list, db_default=[], blank=True)

    class Meta:
        ordering = ["file", "position"]
        constraints = [
            models.UniqueConstraint(fields=["file", "position"], name="batch_result_position")
        ]
