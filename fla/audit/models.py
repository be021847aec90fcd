from django.conf import settings
from django.db import models

from fla.core.choices import Channel


class HistoryEntry(models.Model):
    """One change: who, when, through which channel, and the state before and after."""

    # No index of its own: every reader filters by employer or entity first (history_*_idx).
    at = models.DateTimeField()
    # No index of its own: history_employer_idx starts with it.
    employer = models.ForeignKey(
        "employers.Employer", on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    entity = models.CharField(max_length=20)
    entity_id = models.CharField(max_length=64)
    action = models.CharField(max_length=20)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["entity", "entity_id"], name="history_entity_idx"),
            models.Index(fields=["employer", "-at"], name="history_employer_idx"),
        ]
