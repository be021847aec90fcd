"""The one write path: every channel's declarations are validated and applied here.

``submit(caller, declarations)`` checks the caller's access, validates each declaration
against the anomaly catalogue and either stores it, with its history, or rejects it with
all its anomalies. Nothing of a rejected declaration is stored. ``dry_run=True`` runs
exactly the same code inside a transaction that is rolled back at the end, so a
validation answers what a submission would: each declaration sees the ones before it.

Declarations are handled in chunks: the data a chunk needs is read in a constant number
of queries, the accepted declarations of a chunk are written together in one
transaction, and the credit of the workers they touch is rebuilt once per chunk. Should
that shared transaction fail (a concurrent write of the same reference, say), the chunk
is replayed one declaration at a time, so one bad row never takes others with it.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Min, Q, Sum
from django.utils import timezone

from fla.accounts.access import DECLARE, Caller
from fla.audit.models import HistoryEntry
from fla.core import bulk
from fla.core.choices import RightSource, RightType, SizeClass, TrainingKind, TrainingStatus
from fla.core.identifiers import (
    birth_date_from_insz,
    checked_enterprise_number,
    checked_insz,
)
from fla.core.retry import ATTEMPTS, retried
from fla.core.statements import Statement, fields_of
from fla.declarations.anomalies import Finding
from fla.declarations.parsing import Zones
from fla.declarations.types import (
    ACCEPTED,
    ACCEPTED_WITH_WARNINGS,
    REJECTED,
    ZONES,
    Declaration,
    Outcome,
)
from fla.employers.models import Employer, EmployerYear
from fla.ops.metrics import count_outcomes
from fla.rights import rules
from fla.rights.models import Account, CreditLine, TrainingRight, WorkerOptOut
from fla.rights.rules import Ledger, TrainingUse
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker

CHUNK_SIZE = 2000
REGIME = Decimal("0.0001")  # the places of a stored regime
TRAINING_ACTIONS = {"create", "replace", "cancel"}
KINDS = {"training", "rights", "worker", "employer_year"}
MAX_RIGHT_MINUTES = 200_000
# The age from which one may work in Belgium (full-time compulsory schooling ends at 15;
# a student may work from then): an employment starting younger gets W010.
MINIMUM_WORKING_AGE = 15
# The code lists, as sets once (building them per declaration cost more than the check).
TRAINING_KINDS = frozenset(TrainingKind.values)
TRAINING_STATUSES = frozenset(TrainingStatus.values)
RIGHT_TYPES = frozenset(RightType.values)
SIZE_CLASSES = frozenset(SizeClass.values)
RULE_TYPES = {t.value: t for t in rules.RightType}  # a right type as the rules engine has it
HISTORY_FIELDS = (
    "at",
    "employer_id",
    "entity",
    "entity_id",
    "action",
    "channel",
    "actor",
    "actor_user_id",
    "before",
    "after",
)
# A training's own zones, which its model stores as they are: all but its keys.
TRAINING_FIELDS = tuple(z for z in ZONES["training"] if z not in ("reference", "insz"))
CHANGED_TRAINING_FIELDS = (*TRAINING_FIELDS, "version", "warnings", "channel", "updated_at")
NEW_TRAINING_FIELDS = (
    "employer_id",
    "worker_id",
    "reference",
    *TRAINING_FIELDS,
    "version",
    "warnings",
    "channel",
    "created_at",
    "updated_at",
)
_NEW_TRAINING_ROW = operator.attrgetter(*NEW_TRAINING_FIELDS)  # a new training's row, a tuple


class _NewTraining:
    """A training the chunk creates: its row's values, and its id once written.

    Lighter than a model instance (there may be tens of thousands a chunk); it has the
    attributes the chunk reads of a ``Training``.
    """

    __slots__ = (*NEW_TRAINING_FIELDS, "pk", "worker")

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


# The reads of a chunk, compiled once (``fla.core.statements``).
_LOCKED_WORKERS = Statement(
    lambda p: (
        Worker.objects.filter(bulk.Within(F("insz"), p.inszs))
        .select_for_update()
        .order_by("pk")
        .values_list(*fields_of(Worker))
    ),
    needs=("inszs",),
)
_WORKERS = Statement(
    lambda p: Worker.objects.filter(bulk.Within(F("pk"), p.ids)).values_list(*fields_of(Worker)),
    needs=("ids",),
)
_EMPLOYMENTS = Statement(
    lambda p: (
        Employment.objects.filter(
            bulk.Within(F("employer_id"), p.employers), bulk.Within(F("worker_id"), p.workers)
        )
        .order_by("start_date")
        .values_list(*fields_of(Employment))
    ),
    needs=("employers", "workers"),
)
_LOCKED_TRAININGS = Statement(
    lambda p: (
        Training.objects.filter(
            bulk.Within(F("employer_id"), p.employers), bulk.Probe(F("reference"), p.references)
        )
        .select_for_update()
        .order_by("pk")
        .values_list(*fields_of(Training))
    ),
    needs=("employers", "references"),
)
_SAME_DAY = Statement(
    lambda p: (
        Training.objects.filter(
            bulk.Within(F("employer_id"), p.employers),
            bulk.Within(F("worker_id"), p.workers),
            bulk.Within(F("start_date"), p.starts),
        )
        .exclude(status=TrainingStatus.CANCELLED)
        .values_list("employer_id", "worker_id", "title", "start_date", "reference")
    ),
    needs=("employers", "workers", "starts"),
)


class _Rollback(Exception):
    """Raised to roll back a dry run after it has been fully evaluated."""


class _Unsteady(Exception):
    """Raised to roll back a chunk whose hires move an employer to another size class
    that an earlier declaration of the chunk must not see (``in_order``); ``cuts``: the
    positions in the chunk before which to cut it."""

    def __init__(self, cuts: set[int]) -> None:
        super().__init__(sorted(cuts))
        self.cuts = cuts


def submit(
    caller: Caller,
    declarations: Iterable[Declaration],
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
    chunk_size: int = CHUNK_SIZE,
    employers: Iterable[Employer] = (),
    replay: bool = True,
) -> list[Outcome]:
    """Validate and apply declarations; one ``Outcome`` per declaration, in order.

    ``employers`` the caller has already read (an API call's) are not read again; the
    caller's right to declare for them is checked all the same. ``replay=False``: every
    chunk in one transaction, and should it fail, the ``DatabaseError`` is raised and
    nothing was written (no replay one declaration at a time).
    """
    today = today or timezone.localdate()
    known = list(employers)

    def new_session(whole: bool) -> _Session:
        session = _Session(caller, today, replay, whole=whole)
        for employer in known:
            session.employers[employer.enterprise_number] = (
                employer if caller.can(employer.pk, DECLARE) else None
            )
        return session

    if dry_run or not replay:
        outcomes = _in_one_transaction(new_session, list(declarations), chunk_size, dry_run)
    else:
        session = new_session(whole=False)
        outcomes = [
            outcome
            for chunk in in_order(declarations, chunk_size)
            for outcome in session.run(chunk)
        ]
    count_outcomes(outcomes, caller.channel, dry_run=dry_run)
    return outcomes


def _in_one_transaction(
    new_session: Callable[[bool], _Session],
    declarations: list[Declaration],
    chunk_size: int,
    dry_run: bool,
) -> list[Outcome]:
    """Every chunk in one transaction: rolled back at the end of a dry run, so that each
    chunk sees the ones before it as a submission would; whole or not at all without
    replay, the failure raised at once. A dry run that fails (a deadlock with another
    such transaction, which holds the locks of its earlier chunks too; a concurrent
    write of the same reference) is rolled back whole and runs again from the start, on
    fresh data, up to ``ATTEMPTS`` times."""

    def attempt() -> list[Outcome]:
        session = new_session(True)
        outcomes: list[Outcome] = []
        try:
            with transaction.atomic():
                for chunk in in_order(declarations, chunk_size):
                    outcomes.extend(session.run(chunk))
                if dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return outcomes

    return retried(attempt, what="dry run", retry_if=_race, attempts=ATTEMPTS if dry_run else 1)


def _race(exc: DatabaseError) -> bool:
    """A write rolled back by any database error may be tried again: a deadlock, and a
    concurrent write of the same reference or worker (a unique key) too."""
    return True


# The write path applies a chunk's employer-years and workers before its rights and
# trainings (``_Chunk.apply``), and computes the rights their changes call for at the
# chunk's end. ``in_order`` cuts the declarations so that each one gets what it would
# get if they were applied one at a time, in their order:
#
# - before an employer-year that follows a training or rights of the same employer, and
#   before a hire (a worker declaration) that follows a training or rights of the same
#   worker: the training or rights would otherwise see it;
# - before an employer-year that follows a hire of the same employer: the year's rights
#   and credit are computed again from the employer-year once the hire's are stored;
# - before rights that follow an employer-year, or the hire of the same worker: they are
#   compared (W006) with the rights computed for that hire or size class, which a
#   later chunk sees;
# - before rights that follow a training of the same worker: the credit of a chunk's
#   trainings is judged (W003) once its rights are written, each training in its turn.
#
# A hire after a training or rights of another worker of the same employer, and rights
# after the hire of another worker, are not cut: they touch each other only through the
# employer's size class, which a hire seldom changes. The chunk is applied on that
# assumption (``OrderedChunk.steady``) and checks it at its end: should one of its hires
# have moved the employer to another size class of a year (or changed an employment,
# which can take the class back and forth within the chunk), it is rolled back and
# applied again in two halves, each cut and checked the same way (``_Session.execute``).
# Hires only add employment, so a class that is the same at both ends of a chunk was the
# same throughout it. A training without INSZ (a cancel, by reference) keeps the cut
# before a later hire of its employer: its worker is known only once it is read.
FIRST_PHASE = frozenset({"employer_year", "worker"})
_PER_WORKER = frozenset({"training", "rights", "worker"})


class OrderedChunk(list):
    """Declarations to apply together, in their order (``in_order``). ``steady``: the
    employers (enterprise numbers) whose size class the chunk assumes its hires leave as
    it was, for a training or rights declared before a hire."""

    steady: frozenset[str] = frozenset()


def in_order(declarations: Iterable[Declaration], size: int) -> Iterator[OrderedChunk]:
    """The declarations in chunks of at most ``size``, cut where the comment above says:
    applied one chunk after the other, each declaration gets what it would get if the
    declarations were applied one at a time, in their order."""
    chunk = OrderedChunk()
    years: set[str] = set()  # employers with an employer-year in the chunk
    hiring: set[str] = set()  # employers with a hire in the chunk
    later: set[str] = set()  # employers with a training or rights in the chunk
    unplaced: set[str] = set()  # employers with a training naming no INSZ in the chunk
    hired: set[tuple[str, str]] = set()  # (employer, INSZ) with a hire in the chunk
    declared: set[tuple[str, str]] = set()  # ... with a training or rights in the chunk
    trained: set[tuple[str, str]] = set()  # ... with a training in the chunk
    steady: set[str] = set()

    def cut(kind: str, employer: str, worker: tuple[str, str] | None) -> bool | None:
        """Whether to cut before this declaration; None: no cut, on the assumption that
        the employer's size class holds."""
        if kind == "employer_year":
            return employer in later or employer in hiring
        if kind == "worker":
            if employer not in later:
                return False
            return (
                worker is None
                or worker in declared
                or employer in unplaced
                or employer in years
                or None
            )
        if kind == "rights":
            if worker in trained:
                return True
            if employer not in hiring and employer not in years:
                return False
            return worker is None or worker in hired or employer in years or None
        return False

    def close() -> OrderedChunk:
        nonlocal chunk
        done, chunk = chunk, OrderedChunk()
        done.steady = frozenset(steady)
        for seen in (years, hiring, later, unplaced, hired, declared, trained, steady):
            seen.clear()
        return done

    for declaration in declarations:
        employer = checked_enterprise_number(declaration.employer) or declaration.employer
        kind = declaration.kind
        insz = str(declaration.data.get("insz") or "") if kind in _PER_WORKER else ""
        worker = (employer, checked_insz(insz) or insz) if insz else None
        verdict = cut(kind, employer, worker)
        if verdict:
            yield close()
        elif verdict is None:
            steady.add(employer)
        if kind == "employer_year":
            years.add(employer)
        elif kind == "worker":
            hiring.add(employer)
            if worker is not None:
                hired.add(worker)
        elif kind in _PER_WORKER:
            later.add(employer)
            if worker is None:
                unplaced.add(employer)
            else:
                declared.add(worker)
                if kind == "training":
                    trained.add(worker)
        chunk.append(declaration)
        if len(chunk) >= size:
            yield close()
    if chunk:
        yield close()


def submit_one(
    caller: Caller, declaration: Declaration, *, dry_run: bool = False, today: dt.date | None = None
) -> Outcome:
    return submit(caller, [declaration], dry_run=dry_run, today=today)[0]


# --------------------------------------------------------------------------------------
# One submission
# --------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    """A declaration after its form checks: typed zones and the first findings."""

    declaration: Declaration
    findings: list[Finding]
    employer: Employer | None = None
    insz: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None

    def reject(self, code: str, zone: str, **params: object) -> None:
        self.findings.append(Finding(code, zone, params))

    def freeze(self) -> None:
        """Remember the state after the checks that need no database."""
        self._checked = (list(self.findings), dict(self.values))

    def fresh(self) -> _Parsed:
        """This declaration as it was before a rolled-back attempt to apply it."""
        findings, values = self._checked
        copy = _Parsed(self.declaration, list(findings), self.employer, self.insz, dict(values))
        copy.freeze()
        return copy

    @property
    def blocked(self) -> bool:
        return any(f.blocking for f in self.findings)


class _Session:
    """State shared by the chunks of one submission: caller, employers, references seen."""

    def __init__(
        self, caller: Caller, today: dt.date, replay: bool = True, *, whole: bool = False
    ) -> None:
        self.caller = caller
        self.today = today
        self.replay = replay
        # Every chunk in one transaction (``_in_one_transaction``): a failure is that
        # transaction's to handle, as a whole.
        self.whole = whole
        self.first_day = dt.date(settings.FLA_FIRST_YEAR, 1, 1)
        self.last_day = dt.date(today.year + 2, 12, 31)
        self.employers: dict[str, Employer | None] = {}
        self.references_seen: set[tuple[str, str]] = set()

    # -- entry point per chunk --------------------------------------------------------
    def run(self, chunk: Sequence[Declaration]) -> list[Outcome]:
        parsed = [self.parse(declaration) for declaration in chunk]
        self.resolve_employers(parsed)
        self.mark_duplicates(parsed)
        for p in parsed:
            p.freeze()
        return self.execute(parsed, getattr(chunk, "steady", frozenset()))

    def execute(self, parsed: list[_Parsed], steady: frozenset[str] = frozenset()) -> list[Outcome]:
        current = parsed

        def in_transaction() -> list[Outcome]:
            nonlocal current
            try:
                with transaction.atomic():
                    _Chunk(self, current, steady).apply()
            except DatabaseError:
                current = [p.fresh() for p in current]  # what a next attempt starts from
                raise
            return [p.outcome for p in current if p.outcome is not None]

        # One declaration by itself: a concurrent writer won a race (same reference,
        # same worker, a deadlock), the transaction was rolled back; try again on
        # fresh data.
        alone = len(parsed) == 1 and not self.whole
        try:
            return retried(
                in_transaction,
                what="declaration",
                retry_if=_race,
                attempts=ATTEMPTS if alone else 1,
            )
        except _Unsteady as unsteady:
            # A hire moves an employer to another size class, which a training or
            # rights declared before it must not see (``in_order``): rolled back.
            return self.in_pieces(current, unsteady.cuts)
        except DatabaseError:
            if alone or self.whole or not self.replay:
                raise
            # Replay alone: each declaration stands or falls by itself.
            return [self.execute([p.fresh()])[0] for p in parsed]

    def in_pieces(self, parsed: list[_Parsed], cuts: set[int]) -> list[Outcome]:
        """The declarations of a rolled-back chunk applied again in pieces cut before
        ``cuts`` (positions in the chunk, at least one of them past its first), one after
        the other, each cut as ``in_order`` cuts and checked the same way."""
        outcomes: list[Outcome] = []
        bounds = [0, *sorted(c for c in cuts if 0 < c < len(parsed)), len(parsed)]
        assert len(bounds) > 2, cuts
        for start, end in pairwise(bounds):
            fresh = [p.fresh() for p in parsed[start:end]]
            at = 0
            for chunk in in_order([p.declaration for p in fresh], len(fresh)):
                outcomes.extend(self.execute(fresh[at : at + len(chunk)], chunk.steady))
                at += len(chunk)
        return outcomes

    # -- form checks ------------------------------------------------------------------
    def parse(self, declaration: Declaration) -> _Parsed:
        zones = Zones(declaration.data)
        kind = declaration.kind
        parsed = _Parsed(declaration, zones.findings)
        if kind not in KINDS:
            zones.add("E031", "kind", value=str(kind)[:40])
            return parsed
        if kind == "training":
            self.parse_training(declaration, zones, parsed.values)
            parsed.insz = parsed.values.get("insz")
        elif kind == "rights":
            parsed.insz = zones.insz()
            self.parse_rights(zones, parsed.values)
        elif kind == "worker":
            parsed.insz = zones.insz()
            self.parse_worker(zones, parsed.values, parsed.insz)
        else:
            parsed.values["year"] = self.year(zones)
            parsed.values["opt_out"] = zones.boolean("opt_out", False)
            parsed.values["size_class"] = zones.choice("size_class", SIZE_CLASSES, "E029")
        return parsed

    def year(self, zones: Zones) -> int | None:
        year = zones.integer("year", required=True)
        last = self.today.year + 1
        if year is not None and not settings.FLA_FIRST_YEAR <= year <= last:
            zones.add("E027", "year", value=year, first=settings.FLA_FIRST_YEAR, last=last)
            return None
        return year

    def parse_training(self, declaration: Declaration, zones: Zones, values: dict) -> None:
        action = declaration.action
        values["reference"] = zones.reference()
        if action not in TRAINING_ACTIONS:
            zones.add("E015", "action", value=str(action)[:40])
            return
        if action == "cancel":
            return
        values["insz"] = zones.insz()
        values["title"] = zones.text("title", 200, required=True)
        values["description"] = zones.text("description", 2000, multiline=True)
        values["provider"] = zones.text("provider", 200)
        values["kind"] = zones.choice("kind", TRAINING_KINDS, "E011", required=True)
        values["status"] = zones.choice("status", TRAINING_STATUSES, "E012", required=True)
        values["right_type"] = zones.choice("right_type", RIGHT_TYPES, "E013")
        first, last = self.first_day, self.last_day
        start = values["start_date"] = zones.date(
            "start_date", required=True, first=first, last=last
        )
        end = values["end_date"] = zones.date("end_date", required=True, first=first, last=last)
        minutes = values["duration_minutes"] = zones.integer("duration_minutes", required=True)
        values["counts_toward_account"] = zones.boolean("counts_toward_account", True)
        values["certificate_obtained"] = zones.boolean("certificate_obtained", False)
        valid_until = values["certificate_valid_until"] = zones.date("certificate_valid_until")
        if start and end and end < start:
            zones.add("E006", "end_date")
        if minutes is not None and minutes <= 0:
            zones.add("E007", "duration_minutes")
        elif minutes is not None and start and end and end >= start:
            allowed = ((end - start).days + 1) * 24 * 60
            if minutes > allowed:
                zones.add("E008", "duration_minutes", duration=_hm(minutes), max=_hm(allowed))
        if valid_until and start and valid_until < start:
            zones.add("E030", "certificate_valid_until")

    def parse_rights(self, zones: Zones, values: dict) -> None:
        values["year"] = self.year(zones)
        values["opt_out"] = zones.boolean("opt_out", False)
        declared: dict[str, int | None] = {}
        for right_type in RightType.values:
            name = f"{right_type}_minutes"
            minutes = zones.integer(name)
            if minutes is not None and not 0 <= minutes <= MAX_RIGHT_MINUTES:
                zones.add("E028", name, max=_hm(MAX_RIGHT_MINUTES))
                continue
            declared[right_type] = minutes
        values["declared"] = declared

    def parse_worker(self, zones: Zones, values: dict, insz: str | None) -> None:
        values["first_name"] = zones.text("first_name", 100, required=True)
        values["last_name"] = zones.text("last_name", 100, required=True)
        employment = zones.data.get("employment")
        if employment in (None, "", {}):
            values["employment"] = None
            return
        sub = Zones(employment if isinstance(employment, dict) else {}, prefix="employment.")
        start = sub.date("start_date", required=True, first=dt.date(1900, 1, 1), last=self.last_day)
        end = sub.date("end_date", first=dt.date(1900, 1, 1), last=dt.date(2199, 12, 31))
        regime = sub.decimal("regime", required=True)
        if regime is not None and Decimal(0) < regime <= Decimal(1):
            regime = regime.quantize(Decimal("0.0001"))  # as stored: 0.00004 is 0
        if regime is not None and not Decimal(0) < regime <= Decimal(1):
            sub.add("E026", "regime")
        committee = sub.joint_committee("joint_committee")
        if start and end and end < start:
            sub.add("E006", "end_date")
        if start and insz:
            check_working_age(sub, insz, start)
        zones.findings.extend(sub.findings)
        values["employment"] = {
            "start_date": start,
            "end_date": end,
            "regime": regime,
            "joint_committee": committee,
        }

    # -- employer and access ----------------------------------------------------------
    def resolve_employers(self, parsed: list[_Parsed]) -> None:
        wanted = set()
        for p in parsed:
            number = checked_enterprise_number(str(p.declaration.employer or ""))
            if number is None:
                p.reject("E002", "enterprise_number")
                continue
            p.values["_enterprise_number"] = number
            if number not in self.employers:
                wanted.add(number)
        if wanted:
            found = {
                e.enterprise_number: e
                for e in Employer.objects.filter(enterprise_number__in=wanted)
            }
            for number in wanted:
                employer = found.get(number)
                allowed = employer is not None and self.caller.can(employer.pk, DECLARE)
                self.employers[number] = employer if allowed else None
        for p in parsed:
            number = p.values.pop("_enterprise_number", None)
            if number is None:
                continue
            p.employer = self.employers.get(number)
            if p.employer is None:
                # Unknown and forbidden look the same: existence is not disclosed.
                p.reject("E003", "enterprise_number")

    def mark_duplicates(self, parsed: list[_Parsed]) -> None:
        for p in parsed:
            reference = p.values.get("reference")
            if p.declaration.kind != "training" or not reference or p.employer is None:
                continue
            key = (p.employer.enterprise_number, reference)
            if key in self.references_seen:
                p.reject("E022", "reference", value=reference)
            self.references_seen.add(key)


def check_working_age(zones: Zones, insz: str, start: dt.date) -> None:
    """E032 where an employment starts before the birth date the INSZ encodes, W010
    where the worker is younger than ``MINIMUM_WORKING_AGE`` on its first day. Nothing
    where the INSZ encodes no full birth date (a BIS number of a date partly unknown)."""
    birth = birth_date_from_insz(insz)
    if birth is None:
        return
    if start < birth:
        zones.add("E032", "start_date", birth=birth.isoformat())
    elif start < _birthday(birth, MINIMUM_WORKING_AGE):
        zones.add("W010", "start_date", birth=birth.isoformat())


def _birthday(birth: dt.date, age: int) -> dt.date:
    """The day one born on ``birth`` turns ``age`` (born 29 February: 1 March)."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return dt.date(birth.year + age, 3, 1)


def _size_classes_on_file(
    employer_ids: Iterable[int], years: Iterable[int]
) -> dict[tuple[int, int], tuple[str, str]]:
    """(employer id, year) -> (declared, computed) size class, as stored."""
    return {
        (employer_id, year): (declared, computed)
        for employer_id, year, declared, computed in EmployerYear.objects.filter(
            employer_id__in=list(employer_ids), year__in=list(years)
        ).values_list("employer_id", "year", "declared_size_class", "computed_size_class")
    }


def _hm(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def training_snapshot(training: Training) -> dict[str, Any]:
    """The zones of a training as stored in the history (JSON-safe)."""
    data: dict[str, Any] = {"reference": training.reference, "insz": training.worker.insz}
    for name in TRAINING_FIELDS:
        value = getattr(training, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    data["version"] = training.version
    return data


# --------------------------------------------------------------------------------------
# One chunk: read what it needs, check, write, rebuild credit
# --------------------------------------------------------------------------------------


class _Chunk:
    def __init__(
        self, session: _Session, parsed: list[_Parsed], steady: frozenset[str] = frozenset()
    ) -> None:
        self.session = session
        # Employers whose size class the chunk assumes its hires leave as the
        # declarations before them saw it (``in_order``), and the employments the chunk
        # changes: (declaration, employer id, (start, end, regime) before or None, after,
        # the years whose rights the chunk computes again for it).
        self.steady = {
            p.employer.pk
            for p in parsed
            if p.employer is not None and p.employer.enterprise_number in steady
        }
        self.employment_changes: list[tuple[_Parsed, int, tuple | None, tuple, set[int]]] = []
        # Employer id -> the size classes ``check_steady`` worked out for the chunk's end
        # (year -> class in effect), and the positions of its changes of employment that
        # follow a training or rights of the chunk.
        self.foreseen: dict[int, tuple[dict[int, str | None], list[int]]] = {}
        self.caller = session.caller
        self.today = session.today
        self.parsed = parsed
        self.now = timezone.now()
        self.actor = (self.caller.channel, self.caller.label[:200], self.caller.user_id)
        self.history: list[HistoryEntry] = []
        self.touched: dict[int, set[str]] = defaultdict(set)  # employer id -> INSZs
        # (employer id, INSZ) changed otherwise than by new trainings: credit from scratch.
        self.whole: set[tuple[int, str]] = set()
        self.rights_years: dict[int, set[tuple[str, int]]] = defaultdict(set)
        self.new_workers: list[tuple[_Parsed, Worker]] = []
        self.renamed_workers: list[Worker] = []  # on file before the chunk
        self.new_employments: list[tuple[_Parsed, Employment]] = []
        self.changed_employments: list[Employment] = []  # on file before the chunk
        # Each change of a worker or an employment as it was made, for the history:
        # (declaration, entity, row, action, before, after); a row new to the chunk has
        # its id once written.
        self.changes: list[tuple[_Parsed, str, Worker | Employment, str, dict | None, dict]] = []
        self.recompute_years: dict[int, set[int]] = defaultdict(set)
        # Employers whose opt-out of a year changed: the effective rights of that year
        # of every one of their workers changed with it, so all their credit is rebuilt.
        self.opt_outs: set[int] = set()
        # Unchanged trainings sent again that were flagged with W003 when written.
        self.replayed_credit: list[tuple[_Parsed, Training]] = []

    # -- reading ----------------------------------------------------------------------
    def load(self) -> None:
        live = [p for p in self.parsed if not p.blocked and p.employer is not None]
        employer_ids = {p.employer.pk for p in live}
        inszs = {p.insz for p in live if p.insz}
        # Lock the workers first, in a fixed order: concurrent declarations for the same
        # worker then run one after the other, each seeing what the other committed.
        self.workers = {w.insz: w for w in _LOCKED_WORKERS.objects(inszs=inszs)}
        worker_ids = {w.pk for w in self.workers.values()}
        self.locked = set(worker_ids)
        insz_of = {w.pk: w.insz for w in self.workers.values()}
        # Keyed by INSZ: a worker declared in this chunk has no id until it is written.
        self.employments: dict[tuple[int, str], list[Employment]] = defaultdict(list)
        for employment in _EMPLOYMENTS.objects(employers=employer_ids, workers=worker_ids):
            key = (employment.employer_id, insz_of[employment.worker_id])
            self.employments[key].append(employment)
        references = {p.values["reference"] for p in live if p.values.get("reference")}
        self.trainings: dict[tuple[int, str], Training] = {
            (t.employer_id, t.reference): t
            for t in _LOCKED_TRAININGS.objects(employers=employer_ids, references=references)
        }
        # Stamped now that every row is locked: a change is stamped no earlier than its
        # transaction took a transaction id (fla.core.sync). Locks take one; a chunk
        # that locked nothing (new workers only) asks for it.
        if not (worker_ids or self.trainings) and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()")
        self.now = timezone.now()
        # Each training with its worker (a cancel names no INSZ: its worker may be new).
        by_id = {w.pk: w for w in self.workers.values()}
        others = {t.worker_id for t in self.trainings.values()} - by_id.keys()
        by_id.update((w.pk, w) for w in _WORKERS.objects(ids=others))
        for training in self.trainings.values():
            training.worker = by_id[training.worker_id]
        # Other trainings of the same workers: for the probable-duplicate warning.
        self.signatures: dict[tuple[int, int, str, dt.date], set[str]] = defaultdict(set)
        declared = [
            p
            for p in live
            if p.declaration.kind == "training"
            and p.insz in self.workers
            and p.values.get("start_date")
        ]
        training_workers = {self.workers[p.insz].pk for p in declared}
        starts = {p.values["start_date"] for p in declared}
        for employer_id, worker_id, title, start, reference in _SAME_DAY.rows(
            employers=employer_ids, workers=training_workers, starts=starts
        ):
            self.signatures[(employer_id, worker_id, title.casefold(), start)].add(reference)

    # -- the main loop ----------------------------------------------------------------
    def apply(self) -> None:
        self.load()
        for kinds in (("employer_year", "worker"), ("rights", "training")):
            for p in self.parsed:
                if p.declaration.kind in kinds and not p.blocked:
                    getattr(self, f"apply_{p.declaration.kind}")(p)
            if "worker" in kinds:
                self.check_steady()
                self.flush_workers()
        self.flush()
        self.rebuild_credit()
        self.judge_replayed_credit()
        for p in self.parsed:
            if p.outcome is None:
                p.outcome = self.outcome(p)

    def outcome(self, p: _Parsed, **kwargs: Any) -> Outcome:
        if p.blocked:
            return Outcome(p.declaration, REJECTED, p.findings)
        status = ACCEPTED_WITH_WARNINGS if p.findings else ACCEPTED
        return Outcome(p.declaration, status, p.findings, **kwargs)

    def record(
        self,
        p: _Parsed,
        entity: str,
        entity_id: Any,
        action: str,
        before: dict | None,
        after: dict | None,
    ) -> None:
        channel, actor, user_id = self.actor
        self.history.append(
            (
                self.now,
                p.employer.pk,
                entity,
                str(entity_id),
                action,
                channel,
                actor,
                user_id,
                before,
                after,
            )
        )

    def worker_of(self, p: _Parsed) -> Worker | None:
        worker = self.workers.get(p.insz) if p.insz else None
        if worker is None or not self.employments.get((p.employer.pk, worker.insz)):
            p.reject("E004", "insz")
            return None
        return worker

    def employed_in(self, p: _Parsed, worker: Worker, start: dt.date, end: dt.date) -> bool:
        for e in self.employments[(p.employer.pk, worker.insz)]:
            if e.start_date <= end and (e.end_date is None or e.end_date >= start):
                return True
        return False

    def within_employment(self, p: _Parsed, worker: Worker, start: dt.date, end: dt.date) -> bool:
        return any(
            e.start_date <= start and (e.end_date is None or e.end_date >= end)
            for e in self.employments[(p.employer.pk, worker.insz)]
        )

    # -- trainings --------------------------------------------------------------------
    def apply_training(self, p: _Parsed) -> None:
        mark = len(p.findings)
        stale = self.apply_training_at(p)
        if stale is not None and p.blocked:
            # Refused as stale, whatever else the declaration would have met.
            del p.findings[mark:]
            p.findings.append(stale)

    def apply_training_at(self, p: _Parsed) -> Finding | None:
        """Apply a training declaration; the E024 it meets, if its ``if_version`` is no
        longer current. Such a declaration is the retry of one that went through, whose
        answer was lost, when the training already is what it asks: it then answers as a
        repeated declaration does (unchanged, the version it has), as an HTTP write
        with a stale If-Match whose change is already made does; otherwise it is
        refused (E024) and changes nothing."""
        declaration, values, employer = p.declaration, p.values, p.employer
        employer_id = employer.pk
        reference = values["reference"]
        existing = self.trainings.get((employer_id, reference))
        stale = None
        if declaration.action in {"replace", "cancel"} and existing is None:
            p.reject("E023", "reference", value=reference)
            return None
        if declaration.if_version == 0:  # must not exist yet
            if existing is not None:
                p.reject("E024", "version", current=existing.version, given=0)
                return None
        elif declaration.if_version is not None:
            current = existing.version if existing else None
            if current is None:
                p.reject("E023", "reference", value=reference)
                return None
            wanted = declaration.if_version
            if current not in (wanted if isinstance(wanted, frozenset) else {wanted}):
                given = (
                    ", ".join(map(str, sorted(wanted))) if isinstance(wanted, frozenset) else wanted
                )
                stale = Finding("E024", "version", {"current": current, "given": given})
        if declaration.action == "cancel":
            if stale is not None and existing.status != TrainingStatus.CANCELLED:
                p.findings.append(stale)
                return stale
            self.cancel_training(p, existing)
            return stale
        self.apply_training_zones(p, existing, stale)
        return stale

    def apply_training_zones(
        self, p: _Parsed, existing: Training | None, stale: Finding | None
    ) -> None:
        values, employer_id = p.values, p.employer.pk
        reference = values["reference"]
        worker = self.worker_of(p)
        if worker is None:
            return
        worker_id = worker.pk
        if existing is not None and existing.worker_id != worker_id:
            p.reject("E025", "reference", value=reference)
            return
        start, end = values["start_date"], values["end_date"]
        year_start, year_end = dt.date(start.year, 1, 1), dt.date(end.year, 12, 31)
        if not self.employed_in(p, worker, year_start, year_end):
            p.reject("E005", "insz", year=end.year)
            return
        self.training_warnings(p, worker, existing)
        fields = {
            name: values[name] if values[name] is not None else ""
            for name in ("title", "description", "provider", "kind", "status", "right_type")
        }
        fields.update(
            {
                name: values[name]
                for name in (
                    "start_date",
                    "end_date",
                    "duration_minutes",
                    "counts_toward_account",
                    "certificate_obtained",
                    "certificate_valid_until",
                )
            }
        )
        warnings = [f.code for f in p.findings]
        if existing is None:
            training = _NewTraining(
                employer_id=employer_id,
                worker_id=worker_id,
                worker=worker,
                pk=None,
                reference=reference,
                version=1,
                warnings=warnings,
                channel=self.caller.channel,
                created_at=self.now,
                updated_at=self.now,
                **fields,
            )
            self.trainings[(employer_id, reference)] = training
            self.new_trainings.append((p, training))
        else:
            if all(getattr(existing, k) == v for k, v in fields.items()):
                if "W003" in (existing.warnings or ()):
                    # The same answer as the first time: the credit is judged again,
                    # on the worker's stored credit, once the chunk's writes are done.
                    self.replayed_credit.append((p, existing))
                    return
                p.outcome = self.outcome(
                    p,
                    object_id=existing.pk,
                    version=existing.version,
                    changed=False,
                    written=existing,
                )
                return
            if stale is not None:
                p.findings.append(stale)
                return
            before = training_snapshot(existing)
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.version += 1
            existing.warnings = warnings
            existing.channel = self.caller.channel
            existing.updated_at = self.now
            self.changed_trainings.append((p, existing, before, "replace"))
            self.whole.add((employer_id, worker.insz))
        self.touched[employer_id].add(worker.insz)
        self.signatures[(employer_id, worker_id, values["title"].casefold(), start)].add(reference)

    def training_warnings(self, p: _Parsed, worker: Worker, existing: Training | None) -> None:
        values = p.values
        start, end, status = values["start_date"], values["end_date"], values["status"]
        if not self.within_employment(p, worker, start, end):
            p.reject("W001", "start_date")
        if status == TrainingStatus.COMPLETED and end > self.today:
            p.reject("W002", "end_date")
        if status == TrainingStatus.PLANNED and end < self.today:
            p.reject("W005", "status")
        if values["certificate_valid_until"] and not values["certificate_obtained"]:
            p.reject("W008", "certificate_valid_until")
        if status != TrainingStatus.CANCELLED:
            key = (p.employer.pk, worker.pk, values["title"].casefold(), start)
            others = self.signatures.get(key, set()) - {values["reference"]}
            if others:
                p.reject("W004", "title", value=sorted(others)[0])

    def cancel_training(self, p: _Parsed, training: Training) -> None:
        self.workers.setdefault(training.worker.insz, training.worker)
        if training.status == TrainingStatus.CANCELLED:
            p.outcome = self.outcome(
                p, object_id=training.pk, version=training.version, changed=False, written=training
            )
            return
        before = training_snapshot(training)
        training.status = TrainingStatus.CANCELLED
        training.version += 1
        training.warnings = []
        training.channel = self.caller.channel
        training.updated_at = self.now
        self.changed_trainings.append((p, training, before, "cancel"))
        self.touched[p.employer.pk].add(training.worker.insz)
        self.whole.add((p.employer.pk, training.worker.insz))

    # -- workers and employments ------------------------------------------------------
    def apply_worker(self, p: _Parsed) -> None:
        values, employer = p.values, p.employer
        worker = self.workers.get(p.insz)
        employment_values = values["employment"]
        known_here = worker is not None and bool(self.employments.get((employer.pk, p.insz)))
        if not known_here and employment_values is None:
            # A worker is attached to an employer through an employment.
            p.reject("E016", "employment.start_date")
            return
        changed = False
        if worker is None:
            worker = Worker(
                insz=p.insz,
                first_name=values["first_name"],
                last_name=values["last_name"],
                birth_date=birth_date_from_insz(p.insz),
            )
            self.workers[p.insz] = worker
            self.new_workers.append((p, worker))
            self.changes.append((p, "worker", worker, "create", None, _worker_snapshot(worker)))
            changed = True
        elif (worker.first_name, worker.last_name) != (values["first_name"], values["last_name"]):
            if worker.pk is not None and self.employed_elsewhere(worker):
                # One person, one name: an employer does not rename a worker whom an
                # employer beyond the caller's reach also has on file.
                p.reject("W009", "last_name")
            else:
                before = _worker_snapshot(worker)
                worker.first_name, worker.last_name = values["first_name"], values["last_name"]
                if worker.pk is not None:
                    self.renamed_workers.append(worker)
                self.changes.append(
                    (p, "worker", worker, "update", before, _worker_snapshot(worker))
                )
                changed = True
        if employment_values is not None:
            changed |= self.upsert_employment(p, worker, employment_values)
        if changed:
            self.touched[employer.pk].add(worker.insz)
            self.whole.add((employer.pk, worker.insz))
        p.outcome = self.outcome(p, changed=changed)

    def employed_elsewhere(self, worker: Worker) -> bool:
        """Whether an employer the caller may not declare for employs or employed the
        worker."""
        return worker.pk in self.workers_employed_elsewhere

    @cached_property
    def workers_employed_elsewhere(self) -> set[int]:
        """Of the known workers the chunk declares, those an employer the caller may not
        declare for employs or employed: one statement, at the first rename."""
        declared = {
            self.workers[p.insz].pk
            for p in self.parsed
            if p.declaration.kind == "worker"
            and not p.blocked
            and p.insz in self.workers
            and self.workers[p.insz].pk is not None
        }
        return set(
            Employment.objects.filter(worker_id__in=declared)
            .exclude(employer_id__in=self.caller.employer_ids(DECLARE))
            .values_list("worker_id", flat=True)
        )

    def upsert_employment(self, p: _Parsed, worker: Worker, values: dict) -> bool:
        employer = p.employer
        current = self.employments[(employer.pk, worker.insz)]
        match = next((e for e in current if e.start_date == values["start_date"]), None)
        old = None
        if match is None:
            match = Employment(worker=worker, employer=employer, **values)
            current.append(match)
            current.sort(key=lambda e: e.start_date)
            self.new_employments.append((p, match))
            self.changes.append(
                (p, "employment", match, "create", None, _employment_snapshot(match))
            )
        else:
            if all(getattr(match, k) == v for k, v in values.items()):
                return False
            old = (match.start_date, match.end_date, match.regime)
            before = _employment_snapshot(match)
            for name, value in values.items():
                setattr(match, name, value)
            if match.pk is not None:
                self.changed_employments.append(match)
            self.changes.append(
                (p, "employment", match, "update", before, _employment_snapshot(match))
            )
        new = (match.start_date, match.end_date, match.regime)
        years = {y for period in (old, new) if period for y in self.years_of(*period[:2])}
        self.employment_changes.append((p, employer.pk, old, new, years))
        for year in years:
            self.rights_years[employer.pk].add((worker.insz, year))
        return True

    def years_of(self, start: dt.date, end: dt.date | None) -> range:
        """The years up to this one whose rights an employment from ``start`` to ``end``
        bears on: those it covers, and the two after its end, whose size class is
        worked out from reference dates in it (``rules.reference_dates``)."""
        last_year = self.today.year if end is None else min(end.year + 2, self.today.year)
        return range(max(start.year, settings.FLA_FIRST_YEAR), last_year + 1)

    def check_steady(self) -> None:
        """Raise ``_Unsteady`` should the chunk's employments, applied before the
        declarations that precede them (``in_order``), change the size class those must
        see: with the positions where to cut the chunk so that none of them does.

        What a training or rights declaration sees of its employer's size class is the
        one in effect (declared, else computed) of each year the chunk's hires compute
        again: applied one at a time, each as the employments before it left it (a
        year's class is computed again after each change of employment in it), but
        rights compare (W006) with the rights computed before the chunk, and a chunk's
        trainings are judged (W003) on those computed at its end. So the chunk is cut
        before an employment that changes a class after a training or rights, and before
        rights after such a change. The classes are worked out here, from the rows as
        they were before the chunk and its changes in order, before anything is written.
        """
        changes = [c for c in self.employment_changes if c[1] in self.steady]
        if not changes:
            return
        years: dict[int, set[int]] = defaultdict(set)
        for _, employer_id, _, _, change_years in changes:
            years[employer_id].update(change_years)
        every_year = {y for ys in years.values() for y in ys}
        if not every_year:
            return
        dates = {year: rules.reference_dates(year) for year in every_year}
        first = min(d for ds in dates.values() for d in ds)
        last = max(d for ds in dates.values() for d in ds)
        stored = _size_classes_on_file(years, every_year)
        # The full-time equivalents on each reference date, summed by the database; a
        # sum of regimes has their four decimals (SQLite sums them as floats).
        days = sorted({d for ds in dates.values() for d in ds})
        sums = Employment.objects.filter(
            employer_id__in=years, start_date__lte=last
        ).exclude(end_date__lt=first).values("employer_id").annotate(**{
            f"d{n}": Sum("regime", filter=Q(start_date__lte=day)
                         & (Q(end_date__isnull=True) | Q(end_date__gte=day)))
            for n, day in enumerate(days)
        })  # fmt: skip
        fte: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
        for row in sums:
            for n, day in enumerate(days):
                if row[f"d{n}"] is not None:
                    fte[(row["employer_id"], day)] = Decimal(row[f"d{n}"]).quantize(REGIME)
        changed_by = {id(change[0]): change[1:] for change in changes}
        in_chunk: dict[int, list[tuple[int, _Parsed]]] = defaultdict(list)
        for i, p in enumerate(self.parsed):
            if p.employer is not None and p.employer.pk in years:
                in_chunk[p.employer.pk].append((i, p))
        cuts: set[int] = set()
        for employer_id, employer_years in years.items():
            in_effect = {year: stored.get((employer_id, year), ("", "")) for year in employer_years}
            seen = {
                year: in_effect[year][0] or in_effect[year][1] or None for year in employer_years
            }
            # Since the start of the piece the walk is in: a class moved, a training or
            # rights declared. A cut starts a new piece, which is checked again anyway.
            moved = declared_before = False
            relaxed = []  # the positions of changes after a training or rights
            for i, p in in_chunk[employer_id]:
                if p.declaration.kind in ("training", "rights") and not p.blocked:
                    if p.declaration.kind == "rights" and moved:
                        cuts.add(i)
                        moved = False
                    declared_before = True
                change = changed_by.get(id(p))  # of this employer: p is one of its own
                if change is None:
                    continue
                _, old, new, change_years = change
                if declared_before:
                    relaxed.append(i)
                for sign, period in ((-1, old), (1, new)):
                    if period is None:
                        continue
                    start, end, regime = period
                    for year in employer_years:
                        for day in dates[year]:
                            if start <= day and (end is None or day <= end):
                                fte[(employer_id, day)] += sign * Decimal(regime)
                for year in change_years:
                    average = sum(fte[(employer_id, d)] for d in dates[year]) / len(dates[year])
                    now = in_effect[year][0] or rules.size_class_for_fte(average).value
                    if now != seen[year]:
                        seen[year] = now
                        if declared_before:
                            cuts.add(i)
                            declared_before = False  # the new piece starts at this change
                        moved = True
            if relaxed:
                # What the chunk's end must find, or a concurrent change of employment
                # (committed since the rows were read) moved the class under it.
                self.foreseen[employer_id] = (dict(seen), relaxed)
        if cuts:
            raise _Unsteady(cuts)

    def check_foreseen(self) -> None:
        """Raise ``_Unsteady``, cut before each change of employment that follows a
        training or rights, should the size classes computed at the chunk's end not be
        those ``check_steady`` worked out: another transaction changed an employment of
        the employer in between (the rows were read without a lock)."""
        if not self.foreseen:
            return
        found = {
            key: declared or computed or None
            for key, (declared, computed) in _size_classes_on_file(
                self.foreseen, {y for seen, _ in self.foreseen.values() for y in seen}
            ).items()
        }
        cuts = {
            i
            for employer_id, (seen, relaxed) in self.foreseen.items()
            if any(found.get((employer_id, year)) != cls for year, cls in seen.items())
            for i in relaxed
        }
        if cuts:
            raise _Unsteady(cuts)

    def flush_workers(self) -> None:
        """Write the workers and employments of the chunk, so later phases have their ids."""
        Worker.objects.bulk_create([w for _, w in self.new_workers], batch_size=1000)
        # Rows this transaction inserted are its own until it commits: no lock needed.
        self.locked.update(w.pk for _, w in self.new_workers)
        if self.renamed_workers:
            Worker.objects.bulk_update(
                self.renamed_workers, ["first_name", "last_name"], batch_size=1000
            )
        for _, employment in self.new_employments:
            employment.worker_id = employment.worker.pk
        Employment.objects.bulk_create([e for _, e in self.new_employments], batch_size=1000)
        if self.changed_employments:
            Employment.objects.bulk_update(
                self.changed_employments, ["end_date", "regime", "joint_committee"], batch_size=1000
            )
        for p, entity, row, action, before, after in self.changes:
            self.record(p, entity, row.pk, action, before, after)
        for p in self.parsed:
            if p.declaration.kind == "worker" and p.outcome is not None and p.insz:
                p.outcome.object_id = self.workers[p.insz].pk

    # -- rights -----------------------------------------------------------------------
    def apply_rights(self, p: _Parsed) -> None:
        values, employer = p.values, p.employer
        worker = self.worker_of(p)
        if worker is None:
            return
        year = values["year"]
        if not self.employed_in(p, worker, dt.date(year, 1, 1), dt.date(year, 12, 31)):
            p.reject("E005", "insz", year=year)
            return
        rows = {
            (r.right_type, r.source): r
            for r in TrainingRight.objects.filter(employer=employer, worker=worker, year=year)
        }
        declared = values["declared"]
        for right_type, minutes in declared.items():
            computed = rows.get((right_type, RightSource.COMPUTED))
            if minutes is not None and computed is not None and computed.minutes != minutes:
                p.reject(
                    "W006",
                    f"{right_type}_minutes",
                    declared=_hm(minutes),
                    computed=_hm(computed.minutes),
                )
        sector = declared.get(RightType.SECTOR)
        if sector is not None:
            floor = self.sector_floor(employer, worker, year)
            if sector < floor:
                p.reject("W007", "sector_minutes", floor=_hm(floor))
        before = {t: r.minutes for (t, s), r in rows.items() if s == RightSource.DECLARED}
        opted = WorkerOptOut.objects.filter(employer=employer, worker=worker, year=year).exists()
        before_state = {"year": year, "declared": before, "opt_out": opted}
        after = {t: m for t, m in declared.items() if m is not None}
        if before == after and opted == values["opt_out"]:
            p.outcome = self.outcome(p, object_id=worker.pk, changed=False)
            return
        for right_type in RightType.values:
            row = rows.get((right_type, RightSource.DECLARED))
            minutes = after.get(right_type)
            if minutes is None and row is not None:
                row.delete()
            elif minutes is not None and row is None:
                TrainingRight.objects.create(
                    employer=employer,
                    worker=worker,
                    year=year,
                    right_type=right_type,
                    source=RightSource.DECLARED,
                    minutes=minutes,
                )
            elif minutes is not None and row.minutes != minutes:
                row.minutes = minutes
                row.save(update_fields=["minutes", "updated_at"])
        if values["opt_out"] and not opted:
            WorkerOptOut.objects.create(employer=employer, worker=worker, year=year)
        elif opted and not values["opt_out"]:
            WorkerOptOut.objects.filter(employer=employer, worker=worker, year=year).delete()
        self.record(
            p,
            "rights",
            f"{worker.pk}:{year}",
            "set",
            before_state,
            {"year": year, "declared": after, "opt_out": values["opt_out"]},
        )
        self.touched[employer.pk].add(worker.insz)
        self.whole.add((employer.pk, worker.insz))
        p.outcome = self.outcome(p, object_id=worker.pk, changed=True)

    def sector_floor(self, employer: Employer, worker: Worker, year: int) -> int:
        """Two days, pro rata of the regime and the days employed in the year."""
        periods = [
            rules.EmploymentPeriod(e.start_date, e.end_date, e.regime, e.joint_committee)
            for e in self.employments[(employer.pk, worker.insz)]
        ]
        days_in_year = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
        share = sum((p.regime * rules.employed_days(p, year) for p in periods), Decimal(0))
        per_day = Decimal(employer.reference_weekly_minutes) / 5
        floor = rules.SECTOR_FLOOR_DAYS * per_day * share / days_in_year
        return int(floor.to_integral_value())

    def apply_employer_year(self, p: _Parsed) -> None:
        values, employer = p.values, p.employer
        row = EmployerYear.objects.filter(employer=employer, year=values["year"]).first()
        before = (
            {"opt_out": row.opt_out, "size_class": row.declared_size_class}
            if row
            else {"opt_out": False, "size_class": ""}
        )
        after = {"opt_out": values["opt_out"], "size_class": values["size_class"] or ""}
        if before == after:
            # No row is a year without opt-out nor declared class: nothing to write,
            # whether or not the rights of the year were computed yet.
            p.outcome = self.outcome(p, object_id=row.pk if row else None, changed=False)
            return
        if row is None:
            row = EmployerYear.objects.create(employer=employer, year=values["year"])
        row.opt_out, row.declared_size_class = after["opt_out"], after["size_class"]
        row.save(update_fields=["opt_out", "declared_size_class"])
        self.record(p, "employer_year", row.pk, "set", before, after)
        self.recompute_years[employer.pk].add(values["year"])
        if before["opt_out"] != after["opt_out"]:
            self.opt_outs.add(employer.pk)
        p.outcome = self.outcome(p, object_id=row.pk, changed=True)

    # -- writing ----------------------------------------------------------------------
    @property
    def new_trainings(self) -> list[tuple[_Parsed, _NewTraining]]:
        return self.__dict__.setdefault("_new", [])

    @property
    def changed_trainings(self) -> list[tuple[_Parsed, Training, dict, str]]:
        return self.__dict__.setdefault("_changed", [])

    def flush(self) -> None:
        if self.new_trainings:
            rows = [_NEW_TRAINING_ROW(t) for _, t in self.new_trainings]
            reserved = None if len(rows) < bulk.COPY_FROM else bulk.reserve_ids(Training, len(rows))
            if reserved is not None:
                # Many, on PostgreSQL: the ids taken from the sequence first, then the
                # rows streamed (COPY) with them: nothing to read back.
                bulk.insert(
                    Training,
                    ("id", *NEW_TRAINING_FIELDS),
                    ([pk, *row] for pk, row in zip(reserved, rows, strict=True)),
                )
                for (_, training), pk in zip(self.new_trainings, reserved, strict=True):
                    training.pk = pk
            else:
                if len(rows) < bulk.COPY_FROM:
                    # A few (an API call's): one INSERT that returns the ids.
                    returned = bulk.insert_returning(
                        Training, NEW_TRAINING_FIELDS, rows, ("employer_id", "reference", "id")
                    )
                else:
                    # Many (SQLite): inserted, then the ids read back by reference.
                    bulk.insert(Training, NEW_TRAINING_FIELDS, rows)
                    returned = Training.objects.filter(
                        bulk.Within(
                            F("employer_id"), {t.employer_id for _, t in self.new_trainings}
                        ),
                        bulk.Within(F("reference"), {t.reference for _, t in self.new_trainings}),
                    ).values_list("employer_id", "reference", "id")
                ids = {(employer_id, reference): pk for employer_id, reference, pk in returned}
                for _, training in self.new_trainings:
                    training.pk = ids[(training.employer_id, training.reference)]
            for p, training in self.new_trainings:
                self.record(p, "training", training.pk, "create", None, training_snapshot(training))
                p.outcome = self.outcome(
                    p, object_id=training.pk, version=1, changed=True, written=training
                )
        if self.changed_trainings:
            bulk.update(
                Training,
                CHANGED_TRAINING_FIELDS,
                (
                    [t.pk, *(getattr(t, name) for name in CHANGED_TRAINING_FIELDS)]
                    for _, t, _, _ in self.changed_trainings
                ),
            )
            for p, training, before, action in self.changed_trainings:
                self.record(p, "training", training.pk, action, before, training_snapshot(training))
                p.outcome = self.outcome(
                    p,
                    object_id=training.pk,
                    version=training.version,
                    changed=True,
                    written=training,
                )
        bulk.insert(HistoryEntry, HISTORY_FIELDS, self.history)

    def rebuild_credit(self) -> None:
        from fla.rights import services as rights

        for employer_id, years in self.recompute_years.items():
            for year in sorted(years):
                # An employer whose opt-out changed has all its credit rebuilt below.
                rights.compute_rights(
                    year,
                    employer_ids=[employer_id],
                    today=self.today,
                    refresh=employer_id not in self.opt_outs,
                    lock=True,
                )
        for employer_id, pairs in self.rights_years.items():
            for year in sorted({y for _, y in pairs}):
                workers = sorted({self.workers[i].pk for i, y in pairs if y == year})
                rights.compute_rights(
                    year,
                    employer_ids=[employer_id],
                    worker_ids=workers,
                    today=self.today,
                    refresh=False,
                    record=False,
                    lock=True,
                )
        self.check_foreseen()
        touched = {self.workers[i].pk for inszs in self.touched.values() for i in inszs}
        for employer_id in self.opt_outs:
            # All its workers are rebuilt: locked first, so that a training of theirs
            # that another transaction is writing is waited for and read, not written
            # over with figures computed without it.
            touched.update(
                Employment.objects.filter(employer_id=employer_id).values_list(
                    "worker_id", flat=True
                )
            )
            touched.update(
                Account.objects.filter(employer_id=employer_id).values_list("worker_id", flat=True)
            )
        unlocked = sorted(touched - self.locked)
        if unlocked:
            # Workers reached through a cancelled reference, or rebuilt with all their
            # employer's, were not locked yet.
            list(
                Worker.objects.filter(bulk.Within(F("pk"), unlocked))
                .select_for_update()
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            self.locked.update(unlocked)
        ledgers: dict[tuple[int, int], Ledger] = {}
        appended = self.appended()
        for employer_id in sorted(self.opt_outs):
            rights.refresh_accounts(employer_id, today=self.today, ledgers=ledgers)
        for employer_id, inszs in self.touched.items():
            if employer_id in self.opt_outs:
                continue  # rebuilt with all the employer's workers
            worker_ids = sorted(self.workers[i].pk for i in inszs)
            rights.refresh_accounts(
                employer_id,
                worker_ids,
                today=self.today,
                ledgers=ledgers,
                appended=appended.get(employer_id),
            )
        self.credit_warnings(ledgers)

    def appended(self) -> dict[int, dict[int, Any]]:
        """Employer id → worker id → what the chunk added, for the workers whose only
        change is new trainings (the refresh may then continue their stored credit)."""
        from fla.rights.services import Appended

        result: dict[int, dict[int, Appended]] = {}
        for employer_id, inszs in self.touched.items():
            if employer_id in self.recompute_years:
                continue  # every worker's rights of a year were computed again
            result[employer_id] = {
                self.workers[i].pk: Appended() for i in inszs if (employer_id, i) not in self.whole
            }
        for _, t in self.new_trainings:
            new = result.get(t.employer_id, {}).get(t.worker_id)
            if new is None or t.status != TrainingStatus.COMPLETED:
                continue
            new.ends.append(t.end_date)
            if t.counts_toward_account:
                new.uses.append(
                    TrainingUse(
                        t.reference,
                        t.start_date,
                        t.end_date,
                        t.duration_minutes,
                        RULE_TYPES.get(t.right_type),
                    )
                )
        return result

    def judge_replayed_credit(self) -> None:
        """An unchanged training sent again answers as it did when written: with W003
        if the worker's credit is exceeded now (the lowest remaining of his stored
        credit lines, which already hold this chunk's other writes)."""
        if not self.replayed_credit:
            return
        pairs = {(t.employer_id, t.worker_id) for _, t in self.replayed_credit}
        lowest = {
            (row["employer_id"], row["worker_id"]): row["low"]
            for row in CreditLine.objects.filter(
                employer_id__in={e for e, _ in pairs}, worker_id__in={w for _, w in pairs}
            )
            .values("employer_id", "worker_id")
            .annotate(low=Min(F("granted_minutes") - F("used_minutes")))
        }
        for p, training in self.replayed_credit:
            low = lowest.get((training.employer_id, training.worker_id), 0)
            if low < 0:
                p.reject("W003", "duration_minutes", remaining=_hm(low))
            p.outcome = self.outcome(
                p, object_id=training.pk, version=training.version, changed=False, written=training
            )

    def credit_warnings(self, ledgers: dict[tuple[int, int], Ledger]) -> None:
        """Flag the counting trainings of workers whose credit went below zero.

        ``ledgers`` are those the refresh of the touched workers just computed: every
        counting training's worker is among them.
        """
        counting = [(p, t) for p, t in self.new_trainings] + [
            (p, t) for p, t, _, _ in self.changed_trainings
        ]
        counting = [
            (p, t)
            for p, t in counting
            if t.status == TrainingStatus.COMPLETED and t.counts_toward_account
        ]
        if not counting:
            return
        # The most negative remaining of a year and type, per worker.
        exceeded: dict[tuple[int, int], int] = {}
        for pair in {(t.employer_id, t.worker_id) for _, t in counting}:
            ledger = ledgers.get(pair)
            exceeded[pair] = rules.lowest(ledger) if ledger is not None else 0
        from fla.rights import services as rights

        # A worker whose credit ends exceeded and who has several trainings written
        # here: each is judged on the credit once it and those declared before it are
        # written, as if each had come alone (so a BATCH file's warnings do not depend
        # on how it is cut into chunks or partitions).
        events: dict[tuple[int, int], list[tuple[_Parsed, Any, TrainingUse | None]]] = defaultdict(
            list
        )
        # New trainings only add to the credit used: if it is not exceeded after all of
        # them, it was not after any. A replace or cancel may have freed some.
        changed = set()
        for p, t in self.new_trainings:
            events[(t.employer_id, t.worker_id)].append((p, t, None))
        for p, t, before, _action in self.changed_trainings:
            pair = (t.employer_id, t.worker_id)  # a training never changes worker (E025)
            changed.add(pair)
            events[pair].append((p, t, _training_use(before)))
        order = {id(p): index for index, p in enumerate(self.parsed)}
        judged: dict[int, dict[int, list]] = defaultdict(dict)
        for pair, happened in events.items():
            if len(happened) < 2:
                continue
            if exceeded.get(pair, 0) < 0 or pair in changed:
                happened.sort(key=lambda event: order[id(event[0])])
                judged[pair[0]][pair[1]] = happened
        each: dict[int, int] = {}  # id of a training written -> its own remaining
        for employer_id, by_worker in judged.items():
            asked = {w: [(t.reference, before) for _, t, before in h] for w, h in by_worker.items()}
            remaining = rights.remaining_after_each(employer_id, asked)
            for worker_id, happened in by_worker.items():
                each.update(
                    (id(t), r) for (_, t, _), r in zip(happened, remaining[worker_id], strict=True)
                )
        flagged = []
        for p, training in counting:
            remaining = each.get(id(training))
            if remaining is None:
                remaining = exceeded.get((training.employer_id, training.worker_id), 0)
            if remaining < 0:
                p.reject("W003", "duration_minutes", remaining=_hm(remaining))
                training.warnings = [f.code for f in p.findings]
                flagged.append(training)
                if p.outcome is not None:
                    p.outcome.status = ACCEPTED_WITH_WARNINGS
        # One UPDATE per distinct list of codes (there are only a few), not one per row.
        by_codes: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for training in flagged:
            by_codes[tuple(training.warnings)].append(training.pk)
        for codes, ids in by_codes.items():
            Training.objects.filter(bulk.Within(F("pk"), ids)).update(warnings=list(codes))


def _training_use(snapshot: dict[str, Any]) -> TrainingUse | None:
    """What a training's history snapshot (``training_snapshot``) charged to the credit."""
    if snapshot.get("status") != TrainingStatus.COMPLETED or not snapshot.get(
        "counts_toward_account"
    ):
        return None
    return TrainingUse(
        snapshot["reference"],
        dt.date.fromisoformat(snapshot["start_date"]),
        dt.date.fromisoformat(snapshot["end_date"]),
        int(snapshot["duration_minutes"]),
        RULE_TYPES.get(snapshot.get("right_type") or ""),
    )


def _worker_snapshot(worker: Worker) -> dict[str, Any]:
    return {"insz": worker.insz, "first_name": worker.first_name, "last_name": worker.last_name}


def _employment_snapshot(employment: Employment) -> dict[str, Any]:
    return {
        "start_date": _day(employment.start_date),
        "end_date": _day(employment.end_date),
        "regime": str(employment.regime),
        "joint_committee": employment.joint_committee,
    }
