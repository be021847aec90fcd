"""The reads behind the screens: a constant number of queries whatever the employer's size.

Lists and tiles read the derived ``Account`` rows (one per employer and worker, with
the totals) and the trainings through their indexes; nothing here loops over workers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone

from fla.core.choices import TrainingStatus
from fla.rights.models import Account, CreditLine
from fla.trainings.models import Training
from fla.web.formatting import percent
from fla.workers.models import Employment

UPCOMING_DAYS = 30

# Filters a tile opens; the keys travel in the URL (?filter=...).
WORKER_FILTERS = ("no_rights", "no_training", "credit_open")
TRAINING_FILTERS = ("overdue", "upcoming", "planned", "completed")


def today() -> dt.date:
    return timezone.localdate()


def accounts(employer_id: int) -> QuerySet[Account]:
    return Account.objects.filter(employer_id=employer_id).select_related("worker")


def filter_accounts(qs: QuerySet[Account], key: str, on: dt.date) -> QuerySet[Account]:
    first_of_year = dt.date(on.year, 1, 1)
    if key == "no_rights":
        return qs.filter(current_year_rights_declared=False)
    if key == "no_training":
        return qs.filter(Q(last_training_end__isnull=True) | Q(last_training_end__lt=first_of_year))
    if key == "credit_open":
        return qs.filter(remaining_minutes__gt=0)
    return qs


def trainings(employer_id: int) -> QuerySet[Training]:
    return Training.objects.filter(employer_id=employer_id).select_related("worker")


def filter_trainings(qs: QuerySet[Training], key: str, on: dt.date) -> QuerySet[Training]:
    if key == "overdue":
        return qs.filter(status=TrainingStatus.PLANNED, end_date__lt=on)
    if key == "upcoming":
        return qs.filter(
            status=TrainingStatus.PLANNED,
            start_date__gte=on,
            start_date__lte=on + dt.timedelta(days=UPCOMING_DAYS),
        )
    if key == "planned":
        return qs.filter(status=TrainingStatus.PLANNED)
    if key == "completed":
        return qs.filter(status=TrainingStatus.COMPLETED)
    return qs


@dataclass
class Tiles:
    year: int
    workers: int
    rights_known: int
    with_training: int
    granted_minutes: int
    used_minutes: int
    overdue: int
    upcoming: int
    hours_this_year_minutes: int

    @property
    def rights_percent(self) -> int:
        return percent(self.rights_known, self.workers)

    @property
    def training_percent(self) -> int:
        return percent(self.with_training, self.workers)

    @property
    def credit_used_percent(self) -> int:
        return percent(self.used_minutes, self.granted_minutes)

    @property
    def average_minutes(self) -> int:
        return round(self.hours_this_year_minutes / self.workers) if self.workers else 0


def tiles(employer_id: int, on: dt.date) -> Tiles:
    """Every tile of the dashboard in three queries."""
    first_of_year = dt.date(on.year, 1, 1)
    account_totals = Account.objects.filter(employer_id=employer_id).aggregate(
        workers=Count("id"),
        rights_known=Count("id", filter=Q(current_year_rights_declared=True)),
        with_training=Count("id", filter=Q(last_training_end__gte=first_of_year)),
        granted=Sum("granted_minutes"),
        used_legal=Sum("used_legal_minutes"),
        used_sector=Sum("used_sector_minutes"),
        used_employer=Sum("used_employer_minutes"),
    )
    planned = Training.objects.filter(employer_id=employer_id, status=TrainingStatus.PLANNED)
    warnings = planned.aggregate(
        overdue=Count("id", filter=Q(end_date__lt=on)),
        upcoming=Count(
            "id",
            filter=Q(start_date__gte=on, start_date__lte=on + dt.timedelta(days=UPCOMING_DAYS)),
        ),
    )
    hours = Training.objects.filter(
        employer_id=employer_id,
        status=TrainingStatus.COMPLETED,
        counts_toward_account=True,
        end_date__gte=first_of_year,
        end_date__lte=dt.date(on.year, 12, 31),
    ).aggregate(total=Sum("duration_minutes"))
    used = sum(account_totals[k] or 0 for k in ("used_legal", "used_sector", "used_employer"))
    return Tiles(
        year=on.year,
        workers=account_totals["workers"] or 0,
        rights_known=account_totals["rights_known"] or 0,
        with_training=account_totals["with_training"] or 0,
        granted_minutes=account_totals["granted"] or 0,
        used_minutes=used,
        overdue=warnings["overdue"] or 0,
        upcoming=warnings["upcoming"] or 0,
        hours_this_year_minutes=hours["total"] or 0,
    )


def _counted(employer_id: int) -> QuerySet[Training]:
    return Training.objects.filter(
        employer_id=employer_id, status=TrainingStatus.COMPLETED, counts_toward_account=True
    )


def hours_per_year(employer_id: int, on: dt.date) -> dict:
    """Total and average training hours per year, since the first accepted year (2 queries)."""
    first = min(settings.FLA_FIRST_YEAR, on.year)
    years = list(range(first, on.year + 1))
    totals = dict(
        _counted(employer_id)
        .filter(end_date__year__gte=first, end_date__year__lte=on.year)
        .annotate(y=ExtractYear("end_date"))
        .values_list("y")
        .annotate(total=Sum("duration_minutes"))
        .values_list("y", "total")
    )
    headcount = Employment.objects.filter(employer_id=employer_id).aggregate(
        **{
            f"y{y}": Count(
                "worker_id",
                distinct=True,
                filter=Q(start_date__lte=dt.date(y, 12, 31))
                & (Q(end_date__isnull=True) | Q(end_date__gte=dt.date(y, 1, 1))),
            )
            for y in years
        }
    )
    total_hours = [round((totals.get(y) or 0) / 60, 1) for y in years]
    average = [
        round((totals.get(y) or 0) / 60 / headcount[f"y{y}"], 2) if headcount[f"y{y}"] else 0
        for y in years
    ]
    return {"labels": [str(y) for y in years], "total": total_hours, "average": average}


def hours_per_month(employer_id: int, on: dt.date) -> dict:
    """Training hours per month over the last twelve months (1 query)."""
    # The current month and the eleven before it.
    start = dt.date(on.year, 1, 1) if on.month == 12 else dt.date(on.year - 1, on.month + 1, 1)
    rows = (
        _counted(employer_id)
        .filter(end_date__gte=start, end_date__lte=on)
        .annotate(m=TruncMonth("end_date"))
        .values_list("m")
        .annotate(total=Sum("duration_minutes"))
        .values_list("m", "total")
    )
    by_month = {(m.year, m.month): total for m, total in rows}
    labels, values = [], []
    year, month = start.year, start.month
    for _ in range(12):
        labels.append(f"{year}-{month:02d}")
        values.append(round((by_month.get((year, month)) or 0) / 60, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return {"labels": labels, "total": values}


def worker_in_scope(employer_id: int, worker_id: int) -> bool:
    """A worker belongs to an employer's screens through an employment or an account."""
    return (
        Employment.objects.filter(employer_id=employer_id, worker_id=worker_id).exists()
        or Account.objects.filter(employer_id=employer_id, worker_id=worker_id).exists()
    )


@dataclass
class YearRow:
    year: int
    granted: int = 0
    used_legal: int = 0
    used_sector: int = 0
    used_employer: int = 0
    remaining: int = 0

    @property
    def used(self) -> int:
        return self.used_legal + self.used_sector + self.used_employer


def year_table(employer_id: int, worker_id: int) -> tuple[list[YearRow], YearRow]:
    """Granted, used per type and remaining per year, from the credit lines (1 query)."""
    rows: dict[int, YearRow] = {}
    for line in CreditLine.objects.filter(employer_id=employer_id, worker_id=worker_id):
        row = rows.setdefault(line.year, YearRow(line.year))
        row.granted += line.granted_minutes
        setattr(
            row,
            f"used_{line.right_type}",
            getattr(row, f"used_{line.right_type}") + line.used_minutes,
        )
        row.remaining += line.remaining_minutes
    ordered = [rows[y] for y in sorted(rows)]
    total = YearRow(0)
    for row in ordered:
        total.granted += row.granted
        total.used_legal += row.used_legal
        total.used_sector += row.used_sector
        total.used_employer += row.used_employer
        total.remaining += row.remaining
    return ordered, total


def worker_hours_per_year(employer_id: int, worker_id: int, on: dt.date) -> dict:
    first = min(settings.FLA_FIRST_YEAR, on.year)
    rows = dict(
        _counted(employer_id)
        .filter(worker_id=worker_id, end_date__year__gte=first)
        .annotate(y=ExtractYear("end_date"))
        .values_list("y")
        .annotate(total=Sum("duration_minutes"))
        .values_list("y", "total")
    )
    last = max([on.year, *rows.keys()])
    years = list(range(first, last + 1))
    return {
        "labels": [str(y) for y in years],
        "total": [round((rows.get(y) or 0) / 60, 1) for y in years],
    }
