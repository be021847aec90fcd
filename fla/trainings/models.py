from django.db import models

from fla.core.choices import Channel, RightType, TrainingKind, TrainingStatus


class Training(models.Model):
    """A training (opleiding) of one worker, keyed by the declarant's reference per employer."""

    # No index of its own: every index of the table starts with the employer.
    employer = models.ForeignKey("employers.Employer", on_delete=models.CASCADE, db_index=False)
    worker = models.ForeignKey("workers.Worker", on_delete=models.CASCADE)
    reference = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    provider = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=TrainingKind.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    duration_minutes = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=TrainingStatus.choices)
    counts_toward_account = models.BooleanField(default=True)
    certificate_obtained = models.BooleanField(default=False)
    certificate_valid_until = models.DateField(null=True, blank=True)
    right_type = models.CharField(max_length=8, choices=RightType.choices, blank=True)
    # Optimistic concurrency: every accepted change adds one (the API's ETag).
    version = models.PositiveIntegerField(default=1)
    # Codes of the warnings the last accepted declaration raised.
    warnings = models.JSONField(default=list, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "reference"], name="training_reference_unique"
            )
        ]
        indexes = [
            models.Index(fields=["employer", "worker"], name="training_emp_worker_idx"),
            # Newest first, ties by id: a BATCH chunk gives thousands of trainings the
            # same moment, and the API's list pages through them by (moment, id).
            models.Index(
                fields=["employer", "-updated_at", "-id"], name="training_emp_updated_id_idx"
            ),
            models.Index(fields=["employer", "status", "end_date"], name="training_emp_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def counts(self) -> bool:
        """Only completed trainings that count toward the account use credit."""
        return self.status == TrainingStatus.COMPLETED and self.counts_toward_account
