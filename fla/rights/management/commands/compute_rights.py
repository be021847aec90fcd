"""``fla compute-rights --year Y [--employer ENTERPRISE_NUMBER ...]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fla.core.identifiers import InvalidIdentifier, clean_enterprise_number
from fla.employers.models import Employer
from fla.rights.services import EMPLOYER_CHUNK, compute_rights


class Command(BaseCommand):
    help = (
        "Compute the training rights of a year (size classes, computed rights, accounts). "
        "Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="calendar year, e.g. 2025")
        parser.add_argument(
            "--employer",
            action="append",
            nargs="+",
            default=[],
            metavar="ENTERPRISE_NUMBER",
            help="only these employers (KBO/BCE number, with or without dots); repeatable",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=None,
            help=f"employers per transaction (default {EMPLOYER_CHUNK}; with --background, "
            "employers per step, default FLA_RIGHTS_RUN_CHUNK)",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="enqueue the computation of all employers as resumable background work "
            "(continues an unfinished run of the year); progress on /ops/",
        )

    def handle(self, *args, year: int, employer: list[list[str]], chunk_size: int, **options):
        if not 1900 <= year <= 2999:
            raise CommandError(f"year {year} is out of range")
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        if options["background"]:
            if employer:
                raise CommandError("--background computes all employers; drop --employer")
            from fla.rights.tasks import start_run

            run, resumed = start_run(year, chunk_size)
            verb = "resumed" if resumed else "enqueued"
            self.stdout.write(f"rights run {run.pk} of {year} {verb}: {run.done}/{run.total}")
            return
        employer_ids = None
        numbers = [n for group in employer for n in group]
        if numbers:
            try:
                cleaned = [clean_enterprise_number(n) for n in numbers]
            except InvalidIdentifier as exc:
                raise CommandError(f"invalid enterprise number: {exc}") from exc
            found = dict(
                Employer.objects.filter(enterprise_number__in=cleaned).values_list(
                    "enterprise_number", "id"
                )
            )
            unknown = sorted(set(cleaned) - set(found))
            if unknown:
                raise CommandError(f"unknown employer(s): {', '.join(unknown)}")
            employer_ids = sorted(found.values())
        counts = compute_rights(year, employer_ids, chunk_size=chunk_size or EMPLOYER_CHUNK)
        self.stdout.write(
            "year {year}: {employers} employers, {workers} workers; rights created {created}, "
            "updated {updated}, deleted {deleted}, unchanged {unchanged}".format(**counts)
        )
