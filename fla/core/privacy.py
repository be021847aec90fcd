"""Personal data: what is held on one worker, its erasure after the retention period,
and error reports that never show an INSZ.

* ``export_worker`` gathers everything one employer holds on one worker (the worker,
  employments, rights computed and declared, opt-outs, credit, trainings and the
  history entries about them) as JSON-ready data, and records the export.
* ``erase_expired`` removes what is older than ``FLA_RETENTION_YEARS``: trainings that
  ended before the cut-off, and everything an employer holds on a worker whose last
  employment with it ended before the cut-off; and the content of BATCH files received
  more than ``FLA_BATCH_RETENTION_DAYS`` ago. History entries about erased data
  keep who did what and when, but lose their before/after states. Each employer
  concerned gets one ``erase`` history entry with counts only.
* ``InszExceptionReporterFilter`` and ``InszExceptionReporter`` mask INSZ-like numbers
  in Django's error reports (request data, traceback variables and the rendered text).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Left, StrIndex
from django.utils import timezone
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from fla.core.choices import Channel
from fla.core.logging import mask_text

# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _rows(queryset, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{k: _json(v) for k, v in row.items()} for row in queryset.values(*fields)]


def _history():
    # Imported late: Django's logging setup loads the error reporter below before the
    # apps are ready.
    from fla.audit.models import HistoryEntry

    return HistoryEntry


def worker_history(employer_id: int, worker_id: int, training_ids, employment_ids) -> Q:
    """The history entries of one employer about one worker and his data."""
    return Q(employer_id=employer_id) & (
        Q(entity="worker", entity_id=str(worker_id))
        | Q(entity="employment", entity_id__in=[str(i) for i in employment_ids])
        | Q(entity="training", entity_id__in=[str(i) for i in training_ids])
        | Q(entity="rights", entity_id__startswith=f"{worker_id}:")
    )


def export_worker(caller, employer, worker_id: int) -> dict[str, Any]:
    """Everything ``employer`` holds on one worker, and one ``export`` history entry.

    The caller must have been checked by the channel (an access manager of the
    employer, the worker in its scope).
    """
    from fla.rights.models import Account, CreditLine, TrainingRight, WorkerOptOut
    from fla.trainings.models import Training
    from fla.workers.models import Employment, Worker

    worker = Worker.objects.get(pk=worker_id)
    scope = {"employer_id": employer.pk, "worker_id": worker_id}
    employments = _rows(
        Employment.objects.filter(**scope).order_by("start_date", "pk"),
        ("id", "start_date", "end_date", "regime", "joint_committee"),
    )
    trainings = _rows(
        Training.objects.filter(**scope).order_by("start_date", "pk"),
        (
            "id", "reference", "title", "description", "provider", "kind", "start_date",
            "end_date", "duration_minutes", "status", "counts_toward_account",
            "certificate_obtained", "certificate_valid_until", "right_type", "version",
            "warnings", "channel", "created_at", "updated_at",
        ),
    )  # fmt: skip
    rights = _rows(
        TrainingRight.objects.filter(**scope).order_by("year", "right_type", "source"),
        ("year", "right_type", "source", "minutes", "updated_at"),
    )
    history = _rows(
        _history()
        .objects.filter(
            worker_history(
                employer.pk,
                worker_id,
                [t["id"] for t in trainings],
                [e["id"] for e in employments],
            )
        )
        .order_by("at", "id"),
        ("at", "entity", "entity_id", "action", "channel", "actor", "before", "after"),
    )
    data = {
        "format": "fla-worker-export/1",
        "exported_at": timezone.now().isoformat(),
        "employer": {"enterprise_number": employer.enterprise_number, "name": employer.name},
        "worker": {
            "insz": worker.insz,
            "first_name": worker.first_name,
            "last_name": worker.last_name,
            "birth_date": _json(worker.birth_date),
        },
        "employments": employments,
        "rights": {
            "computed": [r for r in rights if r["source"] == "computed"],
            "declared": [r for r in rights if r["source"] == "declared"],
        },
        "opt_outs": [
            r["year"] for r in WorkerOptOut.objects.filter(**scope).order_by("year").values("year")
        ],
        "credit_lines": _rows(
            CreditLine.objects.filter(**scope).order_by("year", "right_type"),
            ("year", "right_type", "granted_minutes", "used_minutes"),
        ),
        "account": next(
            iter(
                _rows(
                    Account.objects.filter(**scope),
                    (
                        "granted_minutes",
                        "used_legal_minutes",
                        "used_sector_minutes",
                        "used_employer_minutes",
                        "remaining_minutes",
                        "trainings_count",
                        "last_training_end",
                    ),
                )  # fmt: skip
            ),
            None,
        ),
        "trainings": trainings,
        "history": history,
    }
    counts = {
        "employments": len(employments),
        "rights": len(rights),
        "credit_lines": len(data["credit_lines"]),
        "trainings": len(trainings),
        "history": len(history),
    }
    _history().objects.create(
        at=timezone.now(),
        employer=employer,
        entity="worker",
        entity_id=str(worker_id),
        action="export",
        channel=caller.channel,
        actor=caller.label[:200],
        actor_user_id=caller.user_id,
        before=None,
        after={"exported": counts},
    )
    return data


# --------------------------------------------------------------------------------------
# Erasure after the retention period
# --------------------------------------------------------------------------------------


def retention_cutoff(today: dt.date | None = None, years: int | None = None) -> dt.date:
    """The first day that is still kept: ``years`` before ``today``."""
    today = today or timezone.localdate()
    years = settings.FLA_RETENTION_YEARS if years is None else years
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


# Every count ``erase_expired`` can return (``fla erase-expired`` prints them all, zeros
# included).
ERASE_COUNTS = (
    "batch_files",
    "workers",
    "trainings",
    "rights",
    "credit_lines",
    "employments",
    "history_anonymised",
    "workers_removed",
)


def erase_expired(today: dt.date | None = None, years: int | None = None) -> dict[str, int]:
    """Erase personal data older than the retention period; returns the counts.

    Two kinds of data expire: a training whose end date is before the cut-off, and
    all an employer holds on a worker whose employments with it all ended before the
    cut-off (trainings, rights, opt-outs, credit, employments). A worker with no
    employment left anywhere is removed. History entries about erased data lose
    their before/after states. The content of BATCH files expires sooner
    (``FLA_BATCH_RETENTION_DAYS`` after their receipt; ``erase_expired_files``).
    """
    from fla.batch.services import erase_expired_files
    from fla.rights import services as rights
    from fla.rights.models import Account, CreditLine, TrainingRight, WorkerOptOut
    from fla.trainings.models import Training
    from fla.workers.models import Employment, Worker

    cutoff = retention_cutoff(today, years)
    per_employer: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    refresh: dict[int, set[int]] = defaultdict(set)
    totals: dict[str, int] = defaultdict(int)

    # 0. BATCH files: their content goes FLA_BATCH_RETENTION_DAYS after their receipt.
    moment = timezone.now()
    if today is not None:
        moment = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    batch_files = erase_expired_files(moment)
    if batch_files:
        totals["batch_files"] = batch_files

    with transaction.atomic():
        # 1. Employer-worker pairs whose last employment ended before the cut-off.
        still = Employment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=cutoff),
            employer_id=OuterRef("employer_id"),
            worker_id=OuterRef("worker_id"),
        )
        pairs = set(
            Employment.objects.filter(end_date__lt=cutoff)
            .filter(~Exists(still))
            .values_list("employer_id", "worker_id")
        )
        by_employer: dict[int, set[int]] = defaultdict(set)
        for employer_id, worker_id in pairs:
            by_employer[employer_id].add(worker_id)
        for employer_id, worker_ids in by_employer.items():
            scope = {"employer_id": employer_id, "worker_id__in": worker_ids}
            training_ids = list(Training.objects.filter(**scope).values_list("pk", flat=True))
            employment_ids = list(Employment.objects.filter(**scope).values_list("pk", flat=True))
            counts = per_employer[employer_id]
            counts["history_anonymised"] += _anonymise_about(
                employer_id, worker_ids, training_ids, employment_ids
            )
            counts["trainings"] += Training.objects.filter(**scope).delete()[0]
            counts["rights"] += TrainingRight.objects.filter(**scope).delete()[0]
            WorkerOptOut.objects.filter(**scope).delete()
            counts["credit_lines"] += CreditLine.objects.filter(**scope).delete()[0]
            Account.objects.filter(**scope).delete()
            counts["employments"] += Employment.objects.filter(**scope).delete()[0]
            counts["workers"] += len(worker_ids)

        # 2. Trainings that ended before the cut-off, of workers still kept.
        old = Training.objects.filter(end_date__lt=cutoff)
        expired: dict[int, list[int]] = defaultdict(list)
        for employer_id, worker_id, training_id in old.values_list(
            "employer_id", "worker_id", "pk"
        ).iterator():
            per_employer[employer_id]["trainings"] += 1
            refresh[employer_id].add(worker_id)
            expired[employer_id].append(training_id)
        for employer_id, training_ids in expired.items():
            per_employer[employer_id]["history_anonymised"] += _anonymise_about(
                employer_id, (), training_ids, ()
            )
        old.delete()

        # 3. Workers no employer holds anything on any more.
        orphans = Worker.objects.filter(employments__isnull=True).exclude(
            pk__in=Training.objects.values("worker_id")
        )
        orphan_ids = list(orphans.values_list("pk", flat=True))
        if orphan_ids:
            for start in range(0, len(orphan_ids), ERASE_CHUNK):
                part = [str(i) for i in orphan_ids[start : start + ERASE_CHUNK]]
                totals["history_anonymised"] += _anonymise(Q(entity="worker", entity_id__in=part))
            for model in (TrainingRight, WorkerOptOut, CreditLine, Account):
                model.objects.filter(worker_id__in=orphan_ids).delete()
            totals["workers_removed"] = Worker.objects.filter(pk__in=orphan_ids).delete()[0]

        for employer_id, worker_ids in refresh.items():
            rights.refresh_accounts(employer_id, sorted(worker_ids))

        now = timezone.now()

        def entry(employer_id: int | None, counts: dict[str, int]):
            return _history()(
                at=now,
                employer_id=employer_id,
                entity="retention",
                entity_id=cutoff.isoformat(),
                action="erase",
                channel=Channel.SYSTEM,
                actor="system",
                after={"cutoff": cutoff.isoformat(), **dict(counts)},
            )

        entries = []
        for employer_id, counts in sorted(per_employer.items()):
            for key, value in counts.items():
                totals[key] += value
            entries.append(entry(employer_id, counts))
        if entries or totals.get("workers_removed") or totals.get("batch_files"):
            # One entry for the whole run, outside any employer (operators read it).
            entries.append(entry(None, totals))
        _history().objects.bulk_create(entries)
    return dict(totals)


def _anonymise(query: Q, **aliases) -> int:
    """Drop the before/after states of these history entries; who, when and what stay."""
    return (
        _history()
        .objects.alias(**aliases)
        .filter(query)
        .exclude(before__isnull=True, after__isnull=True)
        .update(before=None, after=None)
    )


# Ids per statement: each statement names at most this many (the erasure of a large
# employer's leavers is many statements of one index lookup list each, not one
# statement whose condition grows with workers x trainings).
ERASE_CHUNK = 1000


def _anonymise_about(employer_id: int, worker_ids, training_ids, employment_ids) -> int:
    """``_anonymise`` the history entries of one employer about these workers (the
    worker and his rights), trainings and employments, in statements of ERASE_CHUNK ids."""
    done = 0
    for entity, ids in (("training", training_ids), ("employment", employment_ids)):
        ids = sorted(ids)
        for start in range(0, len(ids), ERASE_CHUNK):
            part = [str(i) for i in ids[start : start + ERASE_CHUNK]]
            done += _anonymise(Q(employer_id=employer_id, entity=entity, entity_id__in=part))
    workers = sorted(worker_ids)
    for start in range(0, len(workers), ERASE_CHUNK):
        part = [str(i) for i in workers[start : start + ERASE_CHUNK]]
        done += _anonymise(Q(employer_id=employer_id, entity="worker", entity_id__in=part))
        # A rights entry's id is "<worker id>:<year>".
        done += _anonymise(
            Q(employer_id=employer_id, entity="rights", entity_id__contains=":")
            & Q(rights_worker__in=part),
            rights_worker=Left("entity_id", StrIndex("entity_id", Value(":")) - 1),
        )
    return done


# --------------------------------------------------------------------------------------
# Error reports
# --------------------------------------------------------------------------------------


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes):
        return mask_text(value.decode("utf-8", "replace"))
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


class InszExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter of secrets, plus every INSZ-like number masked (``850730*****``)."""

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        masked = params.copy()
        for key in list(masked.keys()):
            masked.setlist(key, [_mask(v) for v in masked.getlist(key)])
        return masked

    def get_safe_request_meta(self, request):
        return {k: _mask(v) for k, v in super().get_safe_request_meta(request).items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, _mask(value) if isinstance(value, str) else _MaskedRepr(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


class _MaskedRepr:
    """A traceback variable shown through its masked ``repr``."""

    def __init__(self, value: Any):
        self.text = mask_text(_safe_repr(value))

    def __repr__(self) -> str:
        return self.text


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not break the report
        return f"<unrepresentable {type(value).__name__}: {exc}>"


class InszExceptionReporter(ExceptionReporter):
    """Error reports (the debug page, the mails to admins) with every INSZ masked.

    The filter masks the data the report is built from; the rendered text is masked
    once more, which also covers the exception message and the request URL.
    """

    def get_traceback_html(self):
        return mask_text(str(super().get_traceback_html()))

    def get_traceback_text(self):
        return mask_text(str(super().get_traceback_text()))
