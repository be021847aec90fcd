from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from fla.core.choices import Role


class User(AbstractUser):
    """A person who logs in; identified by the INSZ claim of the identity provider."""

    insz = models.CharField(max_length=11, unique=True, null=True, blank=True)


class Mandatary(models.Model):
    """An organisation that acts for employers under a mandate (a social secretariat)."""

    enterprise_number = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name_plural = "mandataries"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Mandate(models.Model):
    """A mandate of an employer to a mandatary, from ``start_date`` to ``end_date`` included."""

    employer = models.ForeignKey(
        "employers.Employer", on_delete=models.CASCADE, related_name="mandates"
    )
    mandatary = models.ForeignKey(Mandatary, on_delete=models.CASCADE, related_name="mandates")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["mandatary", "employer"], name="mandate_idx")]


class EmployerAccess(models.Model):
    """A user's access to one employer's data, with a role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employer_accesses"
    )
    employer = models.ForeignKey(
        "employers.Employer", on_delete=models.CASCADE, related_name="accesses"
    )
    role = models.CharField(max_length=8, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "employer"], name="employer_access_unique")
        ]


class MandataryAccess(models.Model):
    """A user's membership of a mandatary organisation: access to every mandated employer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mandatary_accesses"
    )
    mandatary = models.ForeignKey(Mandatary, on_delete=models.CASCADE, related_name="accesses")
    role = models.CharField(max_length=8, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "mandatary"], name="mandatary_access_unique")
        ]
