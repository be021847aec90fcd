from django.db import models

from fla.core.choices import Language, SizeClass
from fla.core.identifiers import format_enterprise_number


class Employer(models.Model):
    """An employer (werkgever), known by its KBO/BCE enterprise number."""

    enterprise_number = models.CharField(max_length=10, unique=True)
    nsso_number = models.CharField(max_length=10, blank=True)
    name = models.CharField(max_length=200)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.NL)
    # Full-time weekly reference hours, in minutes (38 h = 2280); a day is a fifth of it.
    reference_weekly_minutes = models.PositiveIntegerField(default=38 * 60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.formatted_enterprise_number})"

    @property
    def formatted_enterprise_number(self) -> str:
        return format_enterprise_number(self.enterprise_number)


class EmployerYear(models.Model):
    """What is known of an employer for one calendar year: size class and opt-out."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField()
    declared_size_class = models.CharField(max_length=8, choices=SizeClass.choices, blank=True)
    computed_size_class = models.CharField(max_length=8, choices=SizeClass.choices, blank=True)
    average_fte = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    # Company-wide opt-out of the automatic computation for this year.
    opt_out = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["employer", "year"], name="employer_year_unique")
        ]

    @property
    def size_class(self) -> str:
        return self.declared_size_class or self.computed_size_class
