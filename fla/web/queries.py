"""The reads behind the screens: a constant number of queries whatever the employer's size.

Lists and tiles read the derived ``Account`` rows (one per employer and worker, with
the totals) and the trainings through their indexes; nothing here loops over workers.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from fla.audit.models import HistoryEntry
from fla.core.choices import TrainingStatus
from fla.core.statements import Statement
from fla.rights.models import Account
from fla.rights.services import worker_credit_lines
from fla.trainings.models import Training
from fla.web.formatting import percent
from fla.workers.models import Employment

UPCOMING_DAYS = 30
CHART_CACHE_SECONDS = 3600

# Filters a tile opens; the keys travel in the URL (?filter=...).
WORKER_FILTERS = ("no_rights", "no_training", "credit_open", "over_credit")
TRAINING_FILTERS = ("overdue", "upcoming", "planned", "completed", "hours_year")


def today() -> dt.date:
    return timezone.localdate()


def accounts(employer_id: int) -> QuerySet[Account]:
    return Account.objects.filter(employer_id=employer_id).select_related("worker")


def employed_in(first_of_year: dt.date, last_of_year: dt.date) -> Exists:
    """The account's worker has an employment with the account's employer that year.

    Who left before the year can get no right nor training in it: the progress tiles
    and the lists they open leave him out, so that 100 % can be reached."""
    return Exists(
        Employment.objects.filter(
            employer_id=OuterRef("employer_id"),
            worker_id=OuterRef("worker_id"),
            start_date__lte=last_of_year,
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=first_of_year))
    )


def filter_accounts(qs: QuerySet[Account], key: str, on: dt.date) -> QuerySet[Account]:
    first_of_year = dt.date(on.year, 1, 1)
    employed = employed_in(first_of_year, dt.date(on.year, 12, 31))
    if key == "no_rights":
        return qs.filter(employed, current_year_rights_declared=False)
    if key == "no_training":
        return qs.filter(
            employed, Q(last_training_end__isnull=True) | Q(last_training_end__lt=first_of_year)
        )
    if key == "credit_open":
        return qs.filter(remaining_minutes__gt=0)
    if key == "over_credit":
        return qs.filter(remaining_minutes__lt=0)
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
    if key == "hours_year":
        # What the tile "training hours in <year>" and the charts add up: the completed
        # trainings that count toward the account and end this calendar year.
        lo, hi = _year_span(on.year)
        return qs.filter(
            status=TrainingStatus.COMPLETED,
            counts_toward_account=True,
            end_date__gte=lo,
            end_date__lte=hi,
        )
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
    # Workers who used more than their own credit: counted one by one, as the totals
    # net one worker's overspending against the credit others have left.
    over_credit: int = 0
    # The workers employed this year, whom the chart's average divides by; the tile's
    # average divides by them too (``workers`` also counts those who left before).
    employed_this_year: int | None = None
    # The accounts of workers employed this year: the progress tiles' whole, counted with
    # ``rights_known`` and ``with_training`` (who left before can get neither this year).
    current_workers: int = 0

    @property
    def rights_percent(self) -> int:
        return percent(self.rights_known, self.current_workers)

    @property
    def training_percent(self) -> int:
        return percent(self.with_training, self.current_workers)

    @property
    def credit_used_percent(self) -> int:
        return percent(self.used_minutes, self.granted_minutes)

    @property
    def credit_exceeded_minutes(self) -> int:
        """How much more was used than granted (0 while the credit holds)."""
        return max(0, self.used_minutes - self.granted_minutes)

    @property
    def average_minutes(self) -> int:
        workers = self.workers if self.employed_this_year is None else self.employed_this_year
        return round(self.hours_this_year_minutes / workers) if workers else 0


_TILE_COLUMNS = ("workers", "current_workers", "rights_known", "with_training", "granted",
                 "used_legal", "used_sector", "used_employer", "over_credit", "overdue",
                 "upcoming")  # fmt: skip
_TILES = Statement(
    lambda p: {
        # The accounts' figures (one group: the employer's), then the planned trainings'.
        "a": (
            Account.objects.filter(employer_id=p.employer)
            .values("employer_id")
            .annotate(
                workers=Count("id"),
                current_workers=Count("id", filter=Q(employed_in(p.first_of_year, p.last_of_year))),
                rights_known=Count(
                    "id",
                    filter=Q(employed_in(p.first_of_year, p.last_of_year))
                    & Q(current_year_rights_declared=True),
                ),
                with_training=Count(
                    "id",
                    filter=Q(employed_in(p.first_of_year, p.last_of_year))
                    & Q(last_training_end__gte=p.first_of_year),
                ),
                granted=Sum("granted_minutes"),
                used_legal=Sum("used_legal_minutes"),
                used_sector=Sum("used_sector_minutes"),
                used_employer=Sum("used_employer_minutes"),
                over_credit=Count("id", filter=Q(remaining_minutes__lt=0)),
            )
            .values_list(*_TILE_COLUMNS[:9]),
            (*_TILE_COLUMNS[:9], None, None),
        ),
        "t": (
            Training.objects.filter(employer_id=p.employer, status=TrainingStatus.PLANNED)
            .values("employer_id")
            .annotate(
                overdue=Count("id", filter=Q(end_date__lt=p.on)),
                upcoming=Count(
                    "id", filter=Q(start_date__gte=p.on, start_date__lte=p.upcoming_until)
                ),
            )
            .values_list("overdue", "upcoming"),
            (*[None] * 9, "overdue", "upcoming"),
        ),
    }
)


def tiles(
    employer_id: int,
    on: dt.date,
    hours_this_year_minutes: int,
    employed_this_year: int | None = None,
) -> Tiles:
    """Every tile of the dashboard in one statement (the hours come from ``charts``)."""
    first_of_year = dt.date(on.year, 1, 1)
    rows = _TILES.rows(
        employer=employer_id,
        first_of_year=first_of_year,
        last_of_year=dt.date(on.year, 12, 31),
        on=on,
        upcoming_until=on + dt.timedelta(days=UPCOMING_DAYS),
    )
    account_totals = warnings = dict.fromkeys(_TILE_COLUMNS, 0)
    for tag, *figures in rows:  # no row of a kind: nothing to count, all zero
        if tag == "a":
            account_totals = dict(zip(_TILE_COLUMNS, figures, strict=True))
        else:
            warnings = dict(zip(_TILE_COLUMNS, figures, strict=True))
    used = sum(account_totals[k] or 0 for k in ("used_legal", "used_sector", "used_employer"))
    return Tiles(
        year=on.year,
        workers=account_totals["workers"] or 0,
        current_workers=account_totals["current_workers"] or 0,
        rights_known=account_totals["rights_known"] or 0,
        with_training=account_totals["with_training"] or 0,
        granted_minutes=account_totals["granted"] or 0,
        used_minutes=used,
        over_credit=account_totals["over_credit"] or 0,
        overdue=warnings["overdue"] or 0,
        upcoming=warnings["upcoming"] or 0,
        hours_this_year_minutes=hours_this_year_minutes,
        employed_this_year=employed_this_year,
    )


def _counted(employer_id: int) -> QuerySet[Training]:
    return Training.objects.filter(
        employer_id=employer_id, status=TrainingStatus.COMPLETED, counts_toward_account=True
    )


def _months(on: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The current month and the eleven before it."""
    year, month = (on.year, 1) if on.month == 12 else (on.year - 1, on.month + 1)
    spans = []
    for _ in range(12):
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        spans.append((dt.date(year, month, 1), following - dt.timedelta(days=1)))
        year, month = following.year, following.month
    return spans


@dataclass
class Charts:
    per_year: dict
    per_month: dict
    this_year_minutes: int
    # A class default: charts cached before the field existed still read.
    this_year_workers: int | None = None
    # Per year: (year, total minutes, average minutes per worker employed that year),
    # the chart's figures in whole minutes, for the table shown beside it in h:mm.
    year_rows: list[tuple[int, int, int]] | None = None


_LATEST_CHANGE = Statement(
    lambda p: (
        HistoryEntry.objects.filter(employer_id=p.employer)
        .order_by("-at", "-id")
        .values_list("id", "at")[:1]
    )
)


def charts(employer_id: int, on: dt.date, changed_at: float | None = None) -> Charts:
    """``compute_charts``, cached until the employer's data changes.

    Every write goes through the one write path, which records a history entry for the
    employer; the key holds the latest one, so any change (a training, a worker, an
    employment, through any channel) makes a new key. One indexed query decides.

    While the data keeps changing (a BATCH file being applied, API clients declaring),
    the charts are computed again at most once every ``FLA_CHART_REFRESH_SECONDS``
    per employer: in between, the figures of the last computation are shown, unless
    they were computed before ``changed_at``, the moment (``time.time()``) the viewer's
    own latest change to this employer's data was made (``employer_view`` keeps it in
    the session). So what one has just declared is always in the charts one looks at
    next, whoever else changed the data since.
    """
    found = _LATEST_CHANGE.rows(employer=employer_id)
    latest = found[0] if found else None
    key = f"fla:web:charts:{employer_id}:{on.isoformat()}:{latest[0] if latest else 0}"
    if latest:
        key += f":{latest[1].timestamp()}"
    result = cache.get(key)
    if result is not None:
        return result
    refresh = settings.FLA_CHART_REFRESH_SECONDS
    recent_key = f"fla:web:charts-recent:{employer_id}:{on.isoformat()}"
    if refresh > 0:
        recent = cache.get(recent_key)
        if recent is not None and (changed_at is None or changed_at < recent[0]):
            return recent[1]
    started = time.time()  # what committed before this moment is in the figures
    result = compute_charts(employer_id, on)
    cache.set(key, result, CHART_CACHE_SECONDS)
    if refresh > 0:
        cache.set(recent_key, (started, result), refresh)
    return result


def chart_hours(minutes: int) -> float:
    """Minutes as a chart's decimal hours, precise enough that the tooltip, which tells
    them as h:mm (app.js), gives back the very minutes the pages show."""
    return round(minutes / 60, 4)


def compute_charts(employer_id: int, on: dt.date) -> Charts:
    """Total and average training hours per year since the first accepted year, and hours
    per month over the last twelve months: one pass over the trainings, one over the
    employments (for the average per worker employed that year)."""
    first = min(settings.FLA_FIRST_YEAR, on.year)
    years = list(range(first, on.year + 1))
    months = _months(on)
    sums = _sums_by_period(_counted(employer_id), [_year_span(y) for y in years] + months)
    by_year, by_month = sums[: len(years)], sums[len(years) :]
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
    year_rows = [
        (y, by_year[i], round(by_year[i] / headcount[f"y{y}"]) if headcount[f"y{y}"] else 0)
        for i, y in enumerate(years)
    ]
    return Charts(
        per_year={
            "labels": [str(y) for y in years],
            "total": [chart_hours(total) for total in by_year],
            "average": [chart_hours(average) for _y, _total, average in year_rows],
        },
        per_month={
            "labels": [f"{lo.year}-{lo.month:02d}" for lo, _hi in months],
            "total": [chart_hours(total) for total in by_month],
        },
        this_year_minutes=by_year[-1],
        this_year_workers=headcount[f"y{years[-1]}"],
        year_rows=year_rows,
    )


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
    for year, right_type, granted, used in worker_credit_lines(employer_id, worker_id):
        row = rows.setdefault(year, YearRow(year))
        row.granted += granted
        setattr(row, f"used_{right_type}", getattr(row, f"used_{right_type}") + used)
        row.remaining += granted - used
    ordered = [rows[y] for y in sorted(rows)]
    total = YearRow(0)
    for row in ordered:
        total.granted += row.granted
        total.used_legal += row.used_legal
        total.used_sector += row.used_sector
        total.used_employer += row.used_employer
        total.remaining += row.remaining
    return ordered, total


@dataclass
class WorkerTrainings:
    rows: list[tuple]  # (status, counts_toward_account, end_date, duration_minutes)

    @property
    def count(self) -> int:
        return len(self.rows)


def worker_trainings_summary(employer_id: int, worker_id: int) -> WorkerTrainings:
    """One worker's trainings, the few columns the chart needs (1 query on the
    (employer, worker) index; one worker's trainings are few)."""
    return WorkerTrainings(_WORKER_TRAININGS.rows(employer=employer_id, worker=worker_id))


_WORKER_TRAININGS = Statement(
    lambda p: Training.objects.filter(employer_id=p.employer, worker_id=p.worker).values_list(
        "status", "counts_toward_account", "end_date", "duration_minutes"
    )
)


def worker_hours_per_year(
    employer_id: int, worker_id: int, on: dt.date, rows: list[tuple] | None = None
) -> dict:
    """Training hours of one worker per year, summed here from
    ``worker_trainings_summary`` (read unless ``rows`` already holds it)."""
    first = min(settings.FLA_FIRST_YEAR, on.year)
    if rows is None:
        rows = worker_trainings_summary(employer_id, worker_id).rows
    per_year: dict[int, int] = {}
    for status, counts, end_date, minutes in rows:
        if status == TrainingStatus.COMPLETED and counts and end_date.year >= first:
            per_year[end_date.year] = per_year.get(end_date.year, 0) + minutes
    years = list(range(first, max([on.year, *per_year]) + 1))
    return {
        "labels": [str(y) for y in years],
        "total": [chart_hours(per_year.get(y, 0)) for y in years],
    }


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _sums_by_period(qs: QuerySet[Training], spans: list[tuple[dt.date, dt.date]]) -> list[int]:
    """Minutes of training per period, in one query.

    Grouped by end date (a few hundred distinct days a year, read in the order of the
    ``(employer, status, end_date)`` index) and bucketed here: no date function runs
    per row, which on SQLite would be a Python call for each of tens of thousands of rows.
    """
    if not spans:
        return []
    lowest = min(lo for lo, _hi in spans)
    highest = max(hi for _lo, hi in spans)
    per_day = (
        qs.filter(end_date__gte=lowest, end_date__lte=highest)
        .values_list("end_date")
        .annotate(total=Sum("duration_minutes"))
        .values_list("end_date", "total")
        .order_by()
    )
    totals = [0] * len(spans)
    for day, total in per_day:
        for i, (lo, hi) in enumerate(spans):
            if lo <= day <= hi:
                totals[i] += total or 0
    return totals
