from django.db import models

from fla.core.choices import RightSource, RightType, SizeClass


class SectorRule(models.Model):
    """Days of sector right per joint committee, size class and year (edited by operators)."""

    joint_committee = models.CharField(max_length=9)
    size_class = models.CharField(max_length=8, choices=SizeClass.choices)
    year = models.PositiveSmallIntegerField()
    days = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["joint_committee", "size_class", "year"], name="sector_rule_unique"
            )
        ]


class TrainingRight(models.Model):
    """A training right (opleidingsrecht) of a worker-year, computed or declared, in minutes."""

    # No index of its own: the unique constraint (and every index) starts with it.
    employer = models.ForeignKey("employers.Employer", on_delete=models.CASCADE, db_index=False)
    worker = models.ForeignKey("workers.Worker", on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    right_type = models.CharField(max_length=8, choices=RightType.choices)
    source = models.CharField(max_length=8, choices=RightSource.choices)
    minutes = models.IntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "worker", "year", "right_type", "source"],
                name="training_right_unique",
            )
        ]
        indexes = [models.Index(fields=["employer", "year"], name="right_employer_year_idx")]


class WorkerOptOut(models.Model):
    """An employer's opt-out of the automatic computation for one worker and year."""

    employer = models.ForeignKey("employers.Employer", on_delete=models.CASCADE)
    worker = models.ForeignKey("workers.Worker", on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "worker", "year"], name="worker_opt_out_unique"
            )
        ]


class CreditLine(models.Model):
    """Derived: granted and used minutes of a worker-year and right type. Rebuilt on change."""

    # No index of its own: the unique constraint (and every index) starts with it.
    employer = models.ForeignKey("employers.Employer", on_delete=models.CASCADE, db_index=False)
    worker = models.ForeignKey("workers.Worker", on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    right_type = models.CharField(max_length=8, choices=RightType.choices)
    granted_minutes = models.IntegerField(default=0)
    used_minutes = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "worker", "year", "right_type"], name="credit_line_unique"
            )
        ]

    @property
    def remaining_minutes(self) -> int:
        return self.granted_minutes - self.used_minutes


class Account(models.Model):
    """Derived: one row per worker and employer with the totals the lists sort on."""

    # Its own index, though the indexes below start with it too: with a million
    # accounts, PostgreSQL plans an employer's search through the worker names of the
    # whole country without it (docs/performance.md, "Scale").
    employer = models.ForeignKey("employers.Employer", on_delete=models.CASCADE)
    worker = models.ForeignKey("workers.Worker", on_delete=models.CASCADE)
    granted_minutes = models.IntegerField(default=0)
    used_legal_minutes = models.IntegerField(default=0)
    used_sector_minutes = models.IntegerField(default=0)
    used_employer_minutes = models.IntegerField(default=0)
    remaining_minutes = models.IntegerField(default=0)
    current_year_rights_declared = models.BooleanField(default=False)
    trainings_count = models.IntegerField(default=0)
    last_training_end = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["employer", "worker"], name="account_unique")
        ]
        indexes = [
            models.Index(fields=["employer", "remaining_minutes"], name="account_remaining_idx"),
            # Every page counts the employer's accounts: with the id, from the index alone.
            models.Index(fields=["employer", "id"], name="account_employer_id_idx"),
        ]

    @property
    def used_minutes(self) -> int:
        return self.used_legal_minutes + self.used_sector_minutes + self.used_employer_minutes
