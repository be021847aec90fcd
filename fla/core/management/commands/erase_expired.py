"""``fla erase-expired``: erase personal data older than the retention period."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fla.core.privacy import ERASE_COUNTS, erase_expired, retention_cutoff


class Command(BaseCommand):
    help = (
        "Erase trainings that ended, and workers whose employment ended, more than "
        "FLA_RETENTION_YEARS ago, and BATCH files' content; prints every count, zeros "
        "included (no personal data)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years",
            type=int,
            default=None,
            help=f"retention in years (default FLA_RETENTION_YEARS, {settings.FLA_RETENTION_YEARS})",
        )
        parser.add_argument("--today", default=None, help="reference day, YYYY-MM-DD")

    def handle(self, *args, years=None, today=None, **options):
        if years is not None and years < 1:
            raise CommandError("--years must be at least 1")
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError("--today must be a date YYYY-MM-DD") from None
        counts = erase_expired(today=day, years=years)
        cutoff = retention_cutoff(day, years)
        # Every count, zeros included: a run that erased nothing says so.
        report = {key: 0 for key in ERASE_COUNTS} | counts
        self.stdout.write(json.dumps({"cutoff": cutoff.isoformat(), **report}, sort_keys=True))
