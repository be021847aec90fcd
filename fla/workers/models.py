from django.db import models

from fla.core.identifiers import format_insz


class Worker(models.Model):
    """A person, known by INSZ. Seen by an employer only through an employment."""

    insz = models.CharField(max_length=11, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="worker_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def formatted_insz(self) -> str:
        return format_insz(self.insz)


class Employment(models.Model):
    """A worker's employment with one employer: dates, work regime and joint committee."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="employments")
    # No index of its own: the unique (employer, worker, start date) starts with it.
    employer = models.ForeignKey(
        "employers.Employer", on_delete=models.CASCADE, related_name="employments", db_index=False
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    # Work-regime fraction: 1 for full time, 0.5 for half time, 0.8 for 4/5.
    regime = models.DecimalField(max_digits=5, decimal_places=4, default=1)
    joint_committee = models.CharField(max_length=9)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "worker", "start_date"], name="employment_unique_start"
            )
        ]
