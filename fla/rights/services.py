"""The Django side of the rules engine: size classes, computed rights, derived accounts.

Everything here is set-based: a few queries per chunk of employers or workers, bulk
inserts, updates and deletes, so that an employer with tens of thousands of workers
is computed in seconds and a run can be split in chunks of employers and resumed.
The arithmetic itself lives in :mod:`fla.rights.rules`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from fla.audit.models import HistoryEntry
from fla.core import bulk, retry
from fla.core.choices import Channel, RightSource, TrainingStatus
from fla.core.statements import Statement
from fla.employers.models import Employer, EmployerYear
from fla.rights import rules
from fla.rights.models import Account, CreditLine, SectorRule, TrainingRight, WorkerOptOut
from fla.rights.rules import (
    CreditPolicy,
    EmploymentPeriod,
    Ledger,
    RightType,
    TrainingUse,
)
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker

__all__ = [
    "EMPLOYER_CHUNK",
    "Appended",
    "WORKER_CHUNK",
    "compute_rights",
    "compute_size_classes",
    "credit_policy",
    "employers_for_year",
    "overlapping",
    "refresh_accounts",
    "worker_ledger",
]

WORKER_CHUNK = 5_000
# The most completed trainings a partial refresh of accounts holds at once (it loads the
# trainings of its workers a batch of workers at a time, by the counts on file).
TRAINING_ROWS = 20_000
EMPLOYER_CHUNK = 500
BATCH_SIZE = 2_000
FTE_PLACES = Decimal("0.0001")

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def credit_policy() -> CreditPolicy:
    """The credit policy chosen in settings (FLA_CREDIT_POLICY, FLA_WINDOW_*)."""
    return CreditPolicy.from_settings(
        getattr(settings, "FLA_CREDIT_POLICY", rules.CARRY_OVER),
        getattr(settings, "FLA_WINDOW_START", 2024),
        getattr(settings, "FLA_WINDOW_LENGTH", 5),
    )


def overlapping(year_start: dt.date, year_end: dt.date) -> Q:
    """Employments that run on at least one day between the two dates."""
    return Q(start_date__lte=year_end) & (Q(end_date__isnull=True) | Q(end_date__gte=year_start))


# --- Size classes ---------------------------------------------------------------------


def compute_size_classes(employer_ids: Iterable[int], year: int) -> dict[int, str]:
    """Compute and store the size class of each employer for ``year`` from its employments.

    Stores ``EmployerYear.computed_size_class`` and ``average_fte`` (creating the
    EmployerYear where missing, touching only rows whose figures change) and returns
    employer id → the size class that applies (the declared one where there is one).
    One query for the employments of all the employers, one for their EmployerYears.
    """
    employer_ids = sorted(set(employer_ids))
    if not employer_ids:
        return {}
    dates = rules.reference_dates(year)
    periods: dict[int, list[EmploymentPeriod]] = defaultdict(list)
    rows = Employment.objects.filter(employer_id__in=employer_ids).filter(
        overlapping(dates[0], dates[-1])
    )
    for employer_id, start, end, regime in rows.values_list(
        "employer_id", "start_date", "end_date", "regime"
    ):
        periods[employer_id].append(EmploymentPeriod(start, end, Decimal(regime), ""))

    existing = {
        ey.employer_id: ey
        for ey in EmployerYear.objects.filter(employer_id__in=employer_ids, year=year)
    }
    to_create: list[EmployerYear] = []
    to_update: list[EmployerYear] = []
    result: dict[int, str] = {}
    for employer_id in employer_ids:
        fte = rules.average_fte(periods.get(employer_id, []), year)
        size_class = rules.size_class_for_fte(fte).value
        stored_fte = fte.quantize(FTE_PLACES, rounding=ROUND_HALF_UP)
        ey = existing.get(employer_id)
        if ey is None:
            ey = EmployerYear(
                employer_id=employer_id,
                year=year,
                computed_size_class=size_class,
                average_fte=stored_fte,
            )
            to_create.append(ey)
        elif ey.computed_size_class != size_class or ey.average_fte != stored_fte:
            ey.computed_size_class = size_class
            ey.average_fte = stored_fte
            to_update.append(ey)
        result[employer_id] = ey.declared_size_class or size_class
    EmployerYear.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    EmployerYear.objects.bulk_update(
        to_update, ["computed_size_class", "average_fte"], batch_size=BATCH_SIZE
    )
    return result


# --- Computed rights ------------------------------------------------------------------


def _stored_size_classes(employer_ids: list[int], year: int) -> dict[int, str]:
    """The size classes that applied before this run (declared, else computed)."""
    return {
        employer_id: declared or computed
        for employer_id, declared, computed in EmployerYear.objects.filter(
            employer_id__in=employer_ids, year=year
        ).values_list("employer_id", "declared_size_class", "computed_size_class")
        if declared or computed
    }


def employers_for_year(year: int) -> list[int]:
    """Employers with an employment in ``year`` or computed rights stored for it."""
    year_start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with_employments = set(
        Employment.objects.filter(overlapping(year_start, year_end))
        .values_list("employer_id", flat=True)
        .distinct()
    )
    with_rights = set(
        TrainingRight.objects.filter(year=year, source=RightSource.COMPUTED)
        .values_list("employer_id", flat=True)
        .distinct()
    )
    return sorted(with_employments | with_rights)


def compute_rights(
    year: int,
    employer_ids: Iterable[int] | None = None,
    *,
    worker_ids: Iterable[int] | None = None,
    chunk_size: int = EMPLOYER_CHUNK,
    today: dt.date | None = None,
    refresh: bool = True,
    record: bool = True,
    lock: bool = True,
) -> dict[str, int]:
    """(Re)compute and store the computed rights of every worker employed in ``year``.

    For the given employers (all employers with employments or computed rights that
    year when None), processed in chunks of ``chunk_size`` employers, each chunk in one
    transaction, so a large run can be resumed chunk by chunk; ``worker_ids`` limits
    the run to those workers of the employers (after a change of one worker's data).
    Rows that did not change are not touched; computed rows no longer owed are
    deleted; declared rights are never touched. The accounts of the workers whose
    rights changed are rebuilt, and one HistoryEntry per employer records the run.
    The write path, which rebuilds the accounts it touched itself and records each
    change it makes, passes ``refresh=False, record=False``.

    ``lock`` (the default): the workers are locked in pk order, as every declaration
    locks them, ``WORKER_CHUNK`` at a time, so that a training, employment or right of
    theirs that another transaction is writing is waited for and read, not written over
    with figures computed without it. In a run over all the employers' workers (the
    yearly computation) every worker of the chunk's employers is locked before anything
    of theirs is read, in the chunk's transaction: a run holds the workers of one chunk
    of employers at a time, never the whole country. With ``worker_ids`` (the write
    path, which holds those workers already) only the other workers whose accounts are
    rebuilt here are locked, before they are read. ``lock=False`` is for a caller that
    runs alone (tests, the demo data). A chunk in its own transaction that PostgreSQL
    rolls back for a deadlock (a declaration locking two of its workers in the other
    order) or a serialization failure is computed again (``fla.core.retry``); inside a
    caller's transaction the failure is the caller's. Returns the counts.
    """
    ids = sorted(set(employer_ids)) if employer_ids is not None else employers_for_year(year)
    workers = None if worker_ids is None else sorted(set(worker_ids))
    sector_table = {
        (jc, size_class, year): Decimal(days)
        for jc, size_class, days in SectorRule.objects.filter(year=year).values_list(
            "joint_committee", "size_class", "days"
        )
    }
    totals = {
        "year": year,
        "employers": 0,
        "workers": 0,
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
    }
    # A chunk in its own transaction is run again when PostgreSQL rolls it back for a
    # deadlock with a declaration (or a serialization failure): inside a caller's
    # transaction (the write path's, a background step's) that caller's to retry.
    attempts = 1 if transaction.get_connection().in_atomic_block else retry.ATTEMPTS
    for chunk in _chunks(ids, max(chunk_size, 1)):

        def compute_chunk(chunk: list[int] = chunk) -> dict[str, int]:
            # No savepoint inside a caller's transaction (the write path's): a failure
            # rolls that whole transaction back anyway, and a savepoint costs two round
            # trips.
            with transaction.atomic(savepoint=False):
                return _compute_rights_chunk(
                    year,
                    chunk,
                    workers,
                    sector_table,
                    today,
                    refresh=refresh,
                    record=record,
                    lock=lock,
                )

        counts = retry.retried(
            compute_chunk,
            what=f"rights of {year}: chunk of employers {chunk[0]}..{chunk[-1]}",
            attempts=attempts,
        )
        for key, value in counts.items():
            totals[key] += value
    return totals


def _compute_rights_chunk(
    year: int,
    employer_ids: list[int],
    worker_ids: list[int] | None,
    sector_table: dict[tuple[str, str, int], Decimal],
    today: dt.date | None,
    *,
    refresh: bool = True,
    record: bool = True,
    lock: bool = False,
) -> dict[str, int]:
    widened = False
    locked_all = lock and worker_ids is None
    if locked_all:
        # Every worker of the employers first, before their employments, rights and
        # trainings are read (see ``_lock_workers_of``).
        _lock_workers_of(employer_ids, year)
    if worker_ids is None:
        size_classes = compute_size_classes(employer_ids, year)
    else:
        before = _stored_size_classes(employer_ids, year)
        size_classes = compute_size_classes(employer_ids, year)
        if any(before.get(e) != size_classes[e] for e in employer_ids):
            # The change moved the employer to another size class: every worker's
            # right of the year depends on it, so all of them are recomputed.
            worker_ids, widened = None, True
    weekly = dict(
        Employer.objects.filter(id__in=employer_ids).values_list("id", "reference_weekly_minutes")
    )
    now = timezone.now()
    counts = {"employers": len(employer_ids), "workers": 0, "created": 0, "updated": 0}
    counts |= {"deleted": 0, "unchanged": 0}
    per_employer = {
        e: {"workers": 0, "created": 0, "updated": 0, "deleted": 0} for e in employer_ids
    }
    affected: dict[int, set[int]] = defaultdict(set)
    worker_chunks = [None] if worker_ids is None else list(_chunks(worker_ids, WORKER_CHUNK))
    for worker_chunk in worker_chunks:
        _compute_rights_part(
            year,
            employer_ids,
            worker_chunk,
            size_classes,
            weekly,
            sector_table,
            now,
            counts,
            per_employer,
            affected,
        )

    if affected and (refresh or widened):
        if lock and not locked_all:
            _lock_workers(sorted(set().union(*affected.values())))
        # Where most of an employer's workers changed in a run over all of them (a first
        # run), rebuild all of its accounts: cheaper than long lists of worker ids.
        _refresh(
            {
                employer_id: None
                if worker_ids is None and 2 * len(workers) >= per_employer[employer_id]["workers"]
                else workers
                for employer_id, workers in affected.items()
            },
            today=today,
        )
    if not record:
        return counts
    HistoryEntry.objects.bulk_create(
        [
            HistoryEntry(
                at=now,
                employer_id=employer_id,
                entity="rights-computation",
                entity_id=str(year),
                action="compute",
                channel=Channel.SYSTEM,
                actor="system",
                after={"year": year, **per_employer[employer_id]},
            )
            for employer_id in employer_ids
        ],
        batch_size=BATCH_SIZE,
    )
    return counts


def _lock_workers(worker_ids: Sequence[int]) -> None:
    """Lock those workers (sorted ids), in pk order, ``WORKER_CHUNK`` at a time: the
    order every declaration locks its workers in, so that the two wait for each other
    instead of writing over each other's figures."""
    for ids in _chunks(worker_ids, WORKER_CHUNK):
        list(Worker.objects.filter(bulk.Within(F("pk"), ids)).select_for_update()
             .order_by("pk").values_list("pk", flat=True))  # fmt: skip


def _lock_workers_of(employer_ids: list[int], year: int) -> None:
    """Lock every worker whose rights of ``year`` or credit with those employers a run
    over all their workers may read or write: those with an employment, an account or a
    computed right of the year with one of them. A training (or an employment, a right)
    that another transaction is writing for one of them is then waited for and read,
    not written over with figures computed without it."""
    employers = bulk.Within(F("employer_id"), employer_ids)
    ids = set(Employment.objects.filter(employers).values_list("worker_id", flat=True))
    ids.update(Account.objects.filter(employers).values_list("worker_id", flat=True))
    ids.update(
        TrainingRight.objects.filter(employers, year=year, source=RightSource.COMPUTED).values_list(
            "worker_id", flat=True
        )
    )
    _lock_workers(sorted(ids))


def _compute_rights_part(
    year: int,
    employer_ids: list[int],
    worker_ids: list[int] | None,
    size_classes: dict[int, str],
    weekly: dict[int, int],
    sector_table: dict[tuple[str, str, int], Decimal],
    now: dt.datetime,
    counts: dict[str, int],
    per_employer: dict[int, dict[str, int]],
    affected: dict[int, set[int]],
) -> None:
    """Compute and store the rights of the employers' workers (or of those workers)."""
    year_start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    employments = Employment.objects.filter(employer_id__in=employer_ids).filter(
        overlapping(year_start, year_end)
    )
    existing_rows = TrainingRight.objects.filter(
        employer_id__in=employer_ids, year=year, source=RightSource.COMPUTED
    )
    if worker_ids is not None:
        employments = employments.filter(bulk.Within(F("worker_id"), worker_ids))
        existing_rows = existing_rows.filter(bulk.Within(F("worker_id"), worker_ids))

    periods: dict[tuple[int, int], list[EmploymentPeriod]] = defaultdict(list)
    for employer_id, worker_id, start, end, regime, jc in employments.values_list(
        "employer_id", "worker_id", "start_date", "end_date", "regime", "joint_committee"
    ):
        periods[(employer_id, worker_id)].append(EmploymentPeriod(start, end, Decimal(regime), jc))

    wanted: dict[tuple[int, int, str], int] = {}
    for (employer_id, worker_id), worker_periods in periods.items():
        per_employer[employer_id]["workers"] += 1
        minutes = rules.computed_right_minutes(
            worker_periods,
            year,
            size_classes[employer_id],
            sector_table,
            weekly[employer_id],
        )
        for right_type, value in minutes.items():
            wanted[(employer_id, worker_id, right_type.value)] = value

    existing = {
        (r.employer_id, r.worker_id, r.right_type): r
        for r in existing_rows.only("id", "employer_id", "worker_id", "right_type", "minutes")
    }
    to_create: list[TrainingRight] = []
    to_update: list[TrainingRight] = []
    for key, value in wanted.items():
        employer_id, worker_id, right_type = key
        row = existing.get(key)
        if row is None:
            to_create.append(
                TrainingRight(
                    employer_id=employer_id,
                    worker_id=worker_id,
                    year=year,
                    right_type=right_type,
                    source=RightSource.COMPUTED,
                    minutes=value,
                    updated_at=now,
                )
            )
            per_employer[employer_id]["created"] += 1
        elif row.minutes != value:
            row.minutes = value
            row.updated_at = now
            to_update.append(row)
            per_employer[employer_id]["updated"] += 1
        else:
            counts["unchanged"] += 1
            continue
        affected[employer_id].add(worker_id)
    stale = [row for key, row in existing.items() if key not in wanted]
    for row in stale:
        per_employer[row.employer_id]["deleted"] += 1
        affected[row.employer_id].add(row.worker_id)

    fields = ("employer_id", "worker_id", "year", "right_type", "source", "minutes", "updated_at")
    bulk.insert(TrainingRight, fields, _rows(to_create, fields))
    TrainingRight.objects.bulk_update(to_update, ["minutes", "updated_at"], batch_size=BATCH_SIZE)
    for ids in _chunks([row.id for row in stale], WORKER_CHUNK):
        TrainingRight.objects.filter(bulk.Within(F("id"), ids)).delete()
    counts["workers"] += len(periods)
    counts["created"] += len(to_create)
    counts["updated"] += len(to_update)
    counts["deleted"] += len(stale)


# --- Accounts -------------------------------------------------------------------------


def refresh_accounts(
    employer_id: int,
    worker_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
    *,
    ledgers: dict[tuple[int, int], Ledger] | None = None,
    appended: dict[int, Appended] | None = None,
) -> int:
    """Rebuild the CreditLine and Account rows of those workers of one employer.

    ``worker_ids`` None means every worker the employer has an employment, a right, a
    training or an account for. Set-based: a constant number of queries per chunk of
    5,000 workers, and one read of trainings per ``TRAINING_ROWS`` trainings on file
    (for a chunk of 2,000 workers with a few trainings each, one); only the rows whose
    figures changed are written. ``ledgers``, when
    given, receives (employer id, worker id) → the ``Ledger`` of every pair rebuilt.
    ``appended`` (worker id → ``Appended``) names the workers whose only change is new
    trainings, so their stored lines may be continued (see ``_refresh_chunk``).
    Returns the number of accounts rebuilt.
    """
    scope = None if worker_ids is None else set(worker_ids)
    pairs = {(employer_id, w): new for w, new in (appended or {}).items()}
    return _refresh({employer_id: scope}, today=today, ledgers=ledgers, appended=pairs)


def worker_credit_lines(employer_id: int, worker_id: int) -> list[tuple[int, str, int, int]]:
    """(year, right type, granted minutes, used minutes) of each stored credit line of a
    worker with an employer, for the screens and the API (one statement)."""
    return _WORKER_LINES.rows(employer=employer_id, worker=worker_id)


_WORKER_LINES = Statement(
    lambda p: CreditLine.objects.filter(employer_id=p.employer, worker_id=p.worker).values_list(
        "year", "right_type", "granted_minutes", "used_minutes"
    )
)


def worker_ledger(employer_id: int, worker_id: int) -> Ledger:
    """The ledger of one worker with one employer, for the detail screens."""
    data = _load([employer_id], [worker_id])
    return rules.charge(
        _effective(data, employer_id, worker_id),
        data.uses.get((employer_id, worker_id), []),
        credit_policy(),
    )


def remaining_after_each(
    employer_id: int, events: dict[int, list[tuple[str, TrainingUse | None]]]
) -> dict[int, list[int]]:
    """Worker id → his most negative remaining after each of his trainings written
    ``events[worker id]`` (reference, and the use of the version it replaced), in that
    order (``rules.lowest_after_each``); one read for all the workers."""
    data = _load([employer_id], sorted(events))
    policy = credit_policy()
    return {
        worker_id: rules.lowest_after_each(
            _effective(data, employer_id, worker_id),
            data.uses.get((employer_id, worker_id), []),
            happened,
            policy,
        )
        for worker_id, happened in events.items()
    }


class _Data:
    """What the derived rows of a set of (employer, worker) pairs are built from."""

    def __init__(self) -> None:
        self.employer_opt_out: set[tuple[int, int]] = set()
        self.worker_opt_out: set[tuple[int, int, int]] = set()
        # (employer, worker) → year → source → type → minutes
        self.rights: dict[tuple[int, int], dict[int, dict[str, dict[RightType, int]]]] = {}
        self.uses: dict[tuple[int, int], list[TrainingUse]] = defaultdict(list)
        self.completed: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
        self.pairs: set[tuple[int, int]] = set()


_RIGHT_TYPES = {t.value: t for t in RightType}


def _scoped(qs: QuerySet, employer_ids: Any, worker_ids: Any) -> QuerySet:
    """Rows of those employers (and workers; None: all): the id lists are ``Statement``
    parameters (one array each)."""
    qs = qs.filter(bulk.Within(F("employer_id"), employer_ids))
    return qs if worker_ids is None else qs.filter(bulk.Within(F("worker_id"), worker_ids))


def _load_parts(p: Any, workers: Any) -> dict[str, tuple[QuerySet, tuple[str | None, ...]]]:
    """The parts of ``_load``'s one statement (``workers`` None: every worker)."""
    return {
        "r": (
            _scoped(TrainingRight.objects.all(), p.employers, workers).values_list(
                "employer_id", "worker_id", "year", "right_type", "source", "minutes"
            ),
            ("employer_id", "worker_id", "year", "right_type", "source", "minutes"),
        ),
        "w": (
            _scoped(WorkerOptOut.objects.all(), p.employers, workers).values_list(
                "employer_id", "worker_id", "year"
            ),
            ("employer_id", "worker_id", "year", None, None, None),
        ),
        "e": (
            EmployerYear.objects.filter(
                bulk.Within(F("employer_id"), p.employers), opt_out=True
            ).values_list("employer_id", "year"),
            ("employer_id", None, "year", None, None, None),
        ),
        "p": (
            _scoped(Employment.objects.all(), p.employers, workers)
            .values_list("employer_id", "worker_id")
            .distinct(),
            ("employer_id", "worker_id", None, None, None, None),
        ),
    }


def _per_scope(build: Any) -> dict[bool, Statement]:
    """A statement for every worker of the employers (False) and one for some (True)."""
    return {
        False: Statement(lambda p: build(p, None)),
        True: Statement(lambda p: build(p, p.workers)),
    }


_LOAD = _per_scope(_load_parts)


def _load(
    employer_ids: list[int], worker_ids: list[int] | None, *, trainings: bool = True
) -> _Data:
    """Load rights, opt-outs, trainings and employments: two queries whatever the size.

    Everything of every (employer, worker) pair of the two lists is loaded (all workers
    of the employers where ``worker_ids`` is None), so each pair found can be rebuilt
    from it alone. Rights, opt-outs and the pairs with an employment come in one
    statement (``bulk.tagged_union``), the completed trainings in another.
    """
    data = _Data()
    right_types = _RIGHT_TYPES
    rows = _LOAD[worker_ids is not None].rows(employers=employer_ids, workers=worker_ids)
    rights = data.rights
    employed: set[tuple[int, int]] = set()
    for tag, employer_id, worker_id, year, right_type, source, minutes in rows:
        if tag == "r":
            pair = (employer_id, worker_id)
            by_year = rights.get(pair)
            if by_year is None:
                by_year = rights[pair] = {}
            by_source = by_year.get(year)
            if by_source is None:
                by_source = by_year[year] = {}
            by_type = by_source.get(source)
            if by_type is None:
                by_type = by_source[source] = {}
            by_type[right_types[right_type]] = minutes
        elif tag == "p":
            employed.add((employer_id, worker_id))
        elif tag == "w":
            data.worker_opt_out.add((employer_id, worker_id, year))
        else:
            data.employer_opt_out.add((employer_id, year))
    data.pairs.update(rights)
    data.pairs.update(employed)
    if trainings:
        _load_trainings(data, employer_ids, worker_ids)
    return data


_COMPLETED = _per_scope(
    lambda p, workers: _scoped(
        Training.objects.filter(status=TrainingStatus.COMPLETED), p.employers, workers
    ).values_list(
        "employer_id",
        "worker_id",
        "reference",
        "start_date",
        "end_date",
        "duration_minutes",
        "right_type",
        "counts_toward_account",
    )
)


def _load_trainings(data: _Data, employer_ids: list[int], worker_ids: list[int] | None) -> None:
    """Add the completed trainings of those employers (and workers) to ``data``."""
    if worker_ids is not None and not worker_ids:
        return
    right_types = _RIGHT_TYPES
    trainings = _COMPLETED[worker_ids is not None].rows(employers=employer_ids, workers=worker_ids)
    completed, uses = data.completed, data.uses
    for employer_id, worker_id, reference, start, end, minutes, right_type, counts in trainings:
        pair = (employer_id, worker_id)
        completed[pair].append(end)
        if counts:
            uses[pair].append(
                TrainingUse(reference, start, end, minutes, right_types.get(right_type))
            )
    data.pairs.update(completed)


def _by_rows(worker_ids: Sequence[int], rows: dict[int, int], budget: int) -> Iterator[list[int]]:
    """``worker_ids`` in consecutive batches of at most ``budget`` rows (``rows``: a
    worker's count; at least one each), a worker with more rows alone in his batch."""
    batch: list[int] = []
    held = 0
    for worker_id in worker_ids:
        count = max(rows.get(worker_id, 0), 1)
        if batch and held + count > budget:
            yield batch
            batch, held = [], 0
        batch.append(worker_id)
        held += count
    if batch:
        yield batch


def _effective(data: _Data, employer_id: int, worker_id: int) -> dict[int, dict[RightType, int]]:
    result: dict[int, dict[RightType, int]] = {}
    empty: dict[RightType, int] = {}
    for year, by_source in data.rights.get((employer_id, worker_id), empty).items():
        opted_out = (employer_id, year) in data.employer_opt_out or (
            employer_id,
            worker_id,
            year,
        ) in data.worker_opt_out
        effective = rules.effective_rights(
            by_source.get(RightSource.COMPUTED, empty),
            by_source.get(RightSource.DECLARED, empty),
            opted_out,
        )
        if effective:
            result[year] = effective
    return result


@dataclass
class Appended:
    """What a write added to one worker with one employer, and nothing else: new trainings.

    ``uses`` are the new completed trainings that count toward the account, ``ends``
    the end dates of all the new completed ones (counting or not).
    """

    uses: list[TrainingUse] = field(default_factory=list)
    ends: list[dt.date] = field(default_factory=list)


def _refresh(
    scope: dict[int, set[int] | None],
    today: dt.date | None = None,
    ledgers: dict[tuple[int, int], Ledger] | None = None,
    appended: dict[tuple[int, int], Appended] | None = None,
) -> int:
    """Rebuild the derived rows for employer → workers (None: all of its workers)."""
    today = today or timezone.localdate()
    policy = credit_policy()
    written = 0
    whole = sorted(e for e, workers in scope.items() if workers is None)
    if whole:
        with transaction.atomic(savepoint=False):
            written += _refresh_chunk(whole, None, today, policy, ledgers)
    partial = {e: workers for e, workers in scope.items() if workers}
    if partial:
        # Pairs of these employers and workers outside the scope are rebuilt as well:
        # harmless, as all their data is loaded, and it keeps the queries set-based.
        employer_ids = sorted(partial)
        worker_ids = sorted({w for workers in partial.values() for w in workers})
        for ids in _chunks(worker_ids, WORKER_CHUNK):
            with transaction.atomic(savepoint=False):
                written += _refresh_chunk(employer_ids, ids, today, policy, ledgers, appended)
    return written


def _continues(
    effective: dict[int, dict[RightType, int]],
    stored_lines: dict[tuple[int, RightType], tuple[int, int]],
    account: tuple[Any, ...] | None,
    new: Appended,
) -> bool:
    """May the stored lines be continued with ``new`` alone (see ``rules.charge``)?

    Only where the stored rows were built from the same rights (each right has its line
    with that many minutes granted, and every other line grants nothing and holds what
    no credit covered, as charging from scratch leaves them: a line of nothing granted
    and nothing used that is no right is left from rights since gone) and every new
    training ends after the last completed one on file.
    """
    if account is None:
        return False
    count, last_end = account[-2], account[-1]
    if count and new.ends and (last_end is None or min(new.ends) <= last_end):
        return False
    rights = set()
    for year, by_type in effective.items():
        for right_type, minutes in by_type.items():
            line = stored_lines.get((year, right_type))
            if line is None or line[0] != minutes:
                return False
            rights.add((year, right_type))
    return all(
        key in rights or (not granted and used > 0) for key, (granted, used) in stored_lines.items()
    )


_STORED_LINES = _per_scope(
    lambda p, workers: _scoped(CreditLine.objects.all(), p.employers, workers).values_list(
        "id", "employer_id", "worker_id", "year", "right_type", "granted_minutes", "used_minutes"
    )
)
_STORED_ACCOUNTS = _per_scope(
    lambda p, workers: _scoped(Account.objects.all(), p.employers, workers).values_list(
        "id", "employer_id", "worker_id", *ACCOUNT_FIELDS[2:]
    )
)


def _refresh_chunk(
    employer_ids: list[int],
    worker_ids: list[int] | None,
    today: dt.date,
    policy: CreditPolicy,
    ledgers: dict[tuple[int, int], Ledger] | None = None,
    appended: dict[tuple[int, int], Appended] | None = None,
) -> int:
    """Compute the lines and accounts of the pairs, then write only what differs.

    The stored rows are compared with the computed ones: identical rows are left alone,
    changed and new ones are upserted by their unique key (an account keeps its id, so
    references to it stay valid), and rows no longer owed are deleted.

    ``appended``: pairs whose only change since their rows were stored is new trainings.
    Where those all end after the pair's last completed training on file, the stored
    lines are continued with them (``rules.charge(start=...)``) and the pair's earlier
    trainings are not read; the result is the same as charging them all.
    """
    data = _load(employer_ids, worker_ids, trainings=False)
    stored_lines: dict[tuple[int, int], dict[tuple[int, RightType], tuple[int, int]]] = defaultdict(
        dict
    )
    line_ids: dict[tuple[int, int, int, str], tuple[int, int, int]] = {}
    scoped = worker_ids is not None
    for pk, employer_id, worker_id, year, right_type, granted, used in _STORED_LINES[scoped].rows(
        employers=employer_ids, workers=worker_ids
    ):
        line_ids[(employer_id, worker_id, year, right_type)] = (pk, granted, used)
        stored_lines[(employer_id, worker_id)][(year, _RIGHT_TYPES[right_type])] = (granted, used)
    stored_accounts: dict[tuple[int, int], tuple[Any, ...]] = {
        (employer_id, worker_id): (pk, *figures)
        for pk, employer_id, worker_id, *figures in _STORED_ACCOUNTS[scoped].rows(
            employers=employer_ids, workers=worker_ids
        )
    }
    continued: dict[tuple[int, int], Appended] = {}
    # A pair's effective rights, worked out once (the trainings loaded below do not
    # change them).
    effective_of: dict[tuple[int, int], dict[int, dict[RightType, int]]] = {}
    for pair, new in (appended or {}).items():
        effective = effective_of[pair] = _effective(data, *pair)
        if _continues(effective, stored_lines.get(pair, {}), stored_accounts.get(pair), new):
            continued[pair] = new
    data.pairs.update(continued)

    lines: dict[tuple[int, int, int, str], tuple[int, int]] = {}
    accounts: dict[tuple[int, int], tuple[Any, ...]] = {}
    this_year = today.year
    legal, sector, employer = RightType.LEGAL, RightType.SECTOR, RightType.EMPLOYER

    # In any order: the rows are written in key order below.
    def compute(pairs: Iterable[tuple[int, int]]) -> None:
        for pair in pairs:
            employer_id, worker_id = pair
            effective = effective_of.get(pair)
            if effective is None:
                effective = _effective(data, employer_id, worker_id)
            new = continued.get(pair)
            if new is not None:
                ledger = rules.charge(
                    effective,
                    new.uses,
                    policy,
                    with_charges=False,
                    start=stored_lines.get(pair, {}),
                )
                *_, count, last_end = stored_accounts[pair]
                count += len(new.ends)
                last_end = max([*new.ends, last_end] if last_end else new.ends, default=None)
            else:
                ledger = rules.charge(
                    effective, data.uses.get(pair, []), policy, with_charges=False
                )
                completed = data.completed.get(pair, [])
                count, last_end = len(completed), max(completed) if completed else None
            if ledgers is not None:
                ledgers[pair] = ledger
            for (year, right_type), line in ledger.lines.items():
                lines[(employer_id, worker_id, year, right_type.value)] = (line.granted, line.used)
            granted, used = ledger.totals(as_of=this_year)
            accounts[pair] = (
                granted,
                used[legal],
                used[sector],
                used[employer],
                granted - used[legal] - used[sector] - used[employer],
                this_year in effective,
                count,
                last_end,
            )

    if worker_ids is None:
        _load_trainings(data, employer_ids, None)
        compute(data.pairs)
    else:
        # The trainings of the workers not continued (for one employer: all but those),
        # a batch of workers at a time, so that the trainings held at once stay near
        # TRAINING_ROWS however many each worker has (by his account's count).
        compute(continued)
        rest = [w for w in worker_ids if any((e, w) not in continued for e in employer_ids)]
        on_file: dict[int, int] = defaultdict(int)
        for (_employer_id, worker_id), account in stored_accounts.items():
            on_file[worker_id] += account[-2]
        for batch in _by_rows(rest, on_file, TRAINING_ROWS):
            _load_trainings(data, employer_ids, batch)
            in_batch = set(batch)
            compute(pair for pair in data.pairs if pair[1] in in_batch and pair not in continued)
            # Every training loaded is of this batch's workers, whose pairs are done.
            data.uses.clear()
            data.completed.clear()

    gone_lines: list[int] = []
    for key, (pk, granted, used) in line_ids.items():
        figures = lines.get(key)
        if figures is None:
            gone_lines.append(pk)
        elif figures == (granted, used):
            del lines[key]  # unchanged: nothing to write
    gone_accounts: list[int] = []
    for pair, (pk, *figures) in stored_accounts.items():
        computed = accounts.get(pair)
        if computed is None:
            gone_accounts.append(pk)
        elif computed == tuple(figures):
            del accounts[pair]
    if gone_lines:
        CreditLine.objects.filter(bulk.Within(F("id"), gone_lines)).delete()
    if gone_accounts:
        Account.objects.filter(bulk.Within(F("id"), gone_accounts)).delete()
    bulk.upsert(
        CreditLine,
        CREDIT_LINE_FIELDS,
        CREDIT_LINE_FIELDS[:4],
        ((*key, *v) for key, v in sorted(lines.items())),
    )
    bulk.upsert(
        Account,
        ACCOUNT_FIELDS,
        ACCOUNT_FIELDS[:2],
        ((*p, *v) for p, v in sorted(accounts.items())),
    )
    return len(data.pairs)


CREDIT_LINE_FIELDS = (
    "employer_id", "worker_id", "year", "right_type", "granted_minutes", "used_minutes",
)  # fmt: skip
ACCOUNT_FIELDS = (
    "employer_id", "worker_id", "granted_minutes", "used_legal_minutes", "used_sector_minutes",
    "used_employer_minutes", "remaining_minutes", "current_year_rights_declared",
    "trainings_count", "last_training_end",
)  # fmt: skip


def _rows(objects: Iterable[Any], fields: Sequence[str]) -> Iterator[list[Any]]:
    return ([getattr(obj, name) for name in fields] for obj in objects)
