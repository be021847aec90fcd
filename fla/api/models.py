from django.conf import settings
from django.db import models


class ApiClient(models.Model):
    """A registered API client of one organisation: an employer or a mandatary.

    The OAuth2 side (client id, hashed secret) lives in oauth2_provider's
    ``Application``; this row says whose client it is, what it may ask for, and
    whether it was revoked. A revoked client gets no token and its tokens stop working.
    """

    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="api_client"
    )
    name = models.CharField(max_length=200)
    employer = models.ForeignKey(
        "employers.Employer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_clients",
    )
    mandatary = models.ForeignKey(
        "accounts.Mandatary",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_clients",
    )
    # Space-separated OAuth2 scopes this client may ask for: "read", "declare".
    scopes = models.CharField(max_length=100, default="read declare")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(employer__isnull=False, mandatary__isnull=True)
                    | models.Q(employer__isnull=True, mandatary__isnull=False)
                ),
                name="api_client_one_organisation",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None
