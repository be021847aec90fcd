"""The BATCH channel: receive a file, process it through the one write path, notify.

``receive`` gives the receipt at once: the file is streamed to a temporary file while
one lxml pass validates it; an accepted file is moved to the default storage, gets a
``BatchFile`` row and a task. ``process`` (run by a background worker) reads the stored
file in chunks and hands each chunk to ``fla.declarations.services.submit``; the
results and the checkpoint of a chunk are committed in the same transaction as its
writes, so a worker killed mid-file is resumed from the last checkpoint by the next
worker: every declaration is applied exactly once.

Access: the caller must be the sender organisation (an API client of it, or a user
who belongs to it in their own right, not through a mandate); access to each employer of the file is checked per declaration by
the write path (E003), so one lapsed mandate does not block the other employers.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import re
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from fla.accounts.access import DECLARE, READ, Caller, active_mandates
from fla.accounts.models import EmployerAccess, Mandatary, MandataryAccess, Mandate
from fla.batch import planning
from fla.batch import receipt as receipt_scan
from fla.batch.models import BatchFile, BatchPartition, BatchResult, BatchStatus
from fla.batch.parsing import read_declarations
from fla.batch.schemas import NOTIFICATION_NS
from fla.core import bulk
from fla.core.choices import Channel, Role
from fla.declarations.anomalies import Finding
from fla.declarations.parsing import iso_date
from fla.declarations.services import in_order, submit
from fla.declarations.types import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, Declaration, Outcome
from fla.employers.models import Employer
from fla.rights.models import Account, CreditLine, TrainingRight
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# Receipt
# ---------------------------------------------------------------------------------------


@dataclass
class Receipt:
    """The immediate answer to a submitted file."""

    accepted: bool
    file_id: int | None = None
    reference: str = ""
    sender: str = ""
    environment: str = ""
    declarations: int = 0
    size_bytes: int = 0
    errors: list[receipt_scan.ReceiptError] = field(default_factory=list)

    @classmethod
    def of(cls, batch: BatchFile) -> Receipt:
        """The receipt of an accepted file."""
        return cls(
            accepted=True,
            file_id=batch.pk,
            reference=batch.reference,
            sender=batch.sender,
            environment=batch.environment,
            declarations=batch.total,
            size_bytes=batch.size_bytes,
        )

    @classmethod
    def rejected(cls, header: dict[str, str], error: receipt_scan.ReceiptError) -> Receipt:
        """The receipt of a rejected file: with the header's zones read before the
        rejection (each as the file writes it, stripped), empty where none was read."""
        return cls(
            accepted=False,
            reference=header.get("file_reference", ""),
            sender=header.get("sender", ""),
            environment=header.get("environment", ""),
            errors=[error],
        )

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "file_id": self.file_id,
            "reference": self.reference,
            "sender": self.sender,
            "environment": self.environment,
            "declarations": self.declarations,
            "size_bytes": self.size_bytes,
            "errors": [e.as_dict() for e in self.errors],
        }

    def text(self) -> str:
        if self.accepted:
            return (
                f"ACCEPTED file {self.file_id}: reference {self.reference}, sender "
                f"{self.sender}, {self.environment}, {self.declarations} declarations"
            )
        read = [
            f"{name} {value}"
            for name, value in (
                ("reference", self.reference),
                ("sender", self.sender),
                ("environment", self.environment),
            )
            if value
        ]
        lines = ["REJECTED" + (": " + ", ".join(read) if read else "")]
        for e in self.errors:
            where = f"line {e.line}" if e.line else "line ?"
            where += f", column {e.column}" if e.column else ""
            lines.append(f"  {where}: [{e.code}] {e.reason}")
        return "\n".join(lines)


def caller_to_json(caller: Caller) -> dict:
    return {
        "label": caller.label,
        "user_id": caller.user_id,
        "employer_id": caller.employer_id,
        "mandatary_id": caller.mandatary_id,
        "scopes": sorted(caller.scopes),
        "system": caller.system,
    }


def caller_from_json(data: dict, within: frozenset[int] | None = None) -> Caller:
    return Caller(
        channel=Channel.BATCH,
        label=data.get("label", "batch"),
        user_id=data.get("user_id"),
        employer_id=data.get("employer_id"),
        mandatary_id=data.get("mandatary_id"),
        scopes=frozenset(data.get("scopes") or [READ, DECLARE]),
        system=bool(data.get("system")),
        within=within,
    )


def sending_caller(batch: BatchFile) -> Caller:
    """Who a file's declarations are applied as: the person or client who sent it,
    acting for the sending organisation's employers only: the sender itself, or those
    the sending mandatary holds a mandate for when the file is applied. A file is read
    back (status, notification) by the sender's organisation, so it must hold nothing
    of an employer outside it, whatever else its sender may reach."""
    within: set[int] = set()
    if batch.sender_employer_id is not None:
        within.add(batch.sender_employer_id)
    if batch.sender_mandatary_id is not None:
        within.update(
            Mandate.objects.filter(
                active_mandates(), mandatary_id=batch.sender_mandatary_id
            ).values_list("employer_id", flat=True)
        )
    # Also an operator's file: it acts as its sender would, so one whose sender is no
    # longer known (an organisation deleted since) acts for no employer (E003).
    return caller_from_json(batch.caller, within=frozenset(within))


def _sender_organisation(caller: Caller, number: str) -> tuple[Employer | None, Mandatary | None]:
    """The organisation ``number`` if the caller may send files for it, else raise."""
    employer = Employer.objects.filter(enterprise_number=number).first()
    mandatary = Mandatary.objects.filter(enterprise_number=number).first()
    if caller.system:
        # The operator may send for any organisation, as that organisation: one FLA does
        # not know (a mistyped number) has no employers for the file to act for.
        if employer is None and mandatary is None:
            raise receipt_scan.Rejected(receipt_scan.unknown_sender(number))
        return employer, mandatary
    if DECLARE in caller.scopes:
        if caller.employer_id is not None and employer and employer.pk == caller.employer_id:
            return employer, None
        if caller.mandatary_id is not None and mandatary and mandatary.pk == caller.mandatary_id:
            return None, mandatary
        if caller.user_id is not None:
            # An employer the person declares for in their own right: not one they reach
            # through a mandatary's mandate, whose files the mandatary sends under its
            # own number (the file would count as the employer's own).
            if _declares_for(caller.user_id, employer):
                return employer, None
            if _declares_for(caller.user_id, mandatary):
                return None, mandatary
    raise receipt_scan.Rejected(_wrong_sender(caller, number, employer, mandatary))


def _declares_for(user_id: int, organisation: Employer | Mandatary | None) -> bool:
    """Whether the person may declare for ``organisation`` through their own access to it
    (an ``EmployerAccess`` or ``MandataryAccess``, both reached as ``accesses``)."""
    return (
        organisation is not None
        and organisation.accesses.filter(
            user_id=user_id, role__in=[Role.DECLARE, Role.MANAGE]
        ).exists()
    )


def _wrong_sender(
    caller: Caller, number: str, employer: Employer | None, mandatary: Mandatary | None
) -> receipt_scan.ReceiptError:
    """Why the caller may not send for ``number``, as precisely as its access tells."""
    if caller.employer_id is not None or caller.mandatary_id is not None:  # an API client
        own = (employer and employer.pk == caller.employer_id) or (
            mandatary and mandatary.pk == caller.mandatary_id
        )
        return (receipt_scan.read_only_sender if own else receipt_scan.wrong_sender)(number)
    if caller.user_id is None:
        return receipt_scan.wrong_sender(number)
    memberships = MandataryAccess.objects.filter(user_id=caller.user_id)
    if (
        employer
        and EmployerAccess.objects.filter(user_id=caller.user_id, employer=employer).exists()
    ) or (mandatary and memberships.filter(mandatary=mandatary).exists()):
        return receipt_scan.read_only_sender(number)
    if employer:
        own = list(
            memberships.filter(role__in=[Role.DECLARE, Role.MANAGE])
            .order_by("mandatary__enterprise_number")
            .values_list("mandatary__enterprise_number", flat=True)
        )
        if own:
            return receipt_scan.employer_not_mandatary_sender(number, own)
    return receipt_scan.wrong_sender(number)


def may_send(caller: Caller) -> bool:
    """Whether the caller may send a file for some organisation (``_sender_organisation``):
    the upload is offered to those only."""
    if caller.system:
        return True
    if DECLARE not in caller.scopes:
        return False
    if caller.employer_id is not None or caller.mandatary_id is not None:
        return True
    if caller.user_id is None:
        return False
    return (
        bool(caller.employer_ids(DECLARE))
        or MandataryAccess.objects.filter(
            user_id=caller.user_id, role__in=[Role.DECLARE, Role.MANAGE]
        ).exists()
    )


def receive(caller: Caller, stream: IO[bytes], *, production: bool) -> Receipt:
    """Validate ``stream`` in one pass and accept it for processing, or reject it whole."""
    found: dict = {}

    def check_header(scan: receipt_scan.Scan) -> None:
        header = scan.header
        sender = header.get("sender", "")
        found["employer"], found["mandatary"] = _sender_organisation(caller, sender)
        test = header.get("environment") == "test"
        if test == production:  # a test file to production, or the other way round
            raise receipt_scan.Rejected(receipt_scan.wrong_environment(test))
        if BatchFile.objects.filter(
            sender=sender, reference=header.get("file_reference"), test=test
        ).exists():
            raise _duplicate(header)

    max_bytes = settings.FLA_MAX_BATCH_BYTES
    with tempfile.NamedTemporaryFile(
        prefix="fla-batch-", suffix=".xml", dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as spool:
        try:
            scan = receipt_scan.scan(stream, spool, max_bytes=max_bytes, check_header=check_header)
        except receipt_scan.Rejected as exc:
            spool.flush()
            error = receipt_scan.place(spool, exc.error)
            # The code and the place only: the reason may quote a value of the file
            # (an XSD message quotes the zone it refuses, an INSZ with a digit too many).
            logger.info(
                "BATCH file rejected: %s at line %s, column %s",
                error.code,
                error.line,
                error.column,
            )
            return Receipt.rejected(exc.header, error)
        spool.flush()
        spool.seek(0)
        header = scan.header
        created_at = parse_datetime(header.get("created_at", ""))
        if created_at is not None and timezone.is_naive(created_at):
            created_at = timezone.make_aware(created_at)  # without an offset: Belgian time
        name = f"batch/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xml"
        stored = default_storage.save(name, File(spool, name=name))
        try:
            with transaction.atomic():
                batch = BatchFile.objects.create(
                    reference=header["file_reference"],
                    sender=header["sender"],
                    sender_employer=found.get("employer"),
                    sender_mandatary=found.get("mandatary"),
                    submitted_by_id=caller.user_id,
                    caller=caller_to_json(caller),
                    test=header.get("environment") == "test",
                    language=header.get("language") or "nl",
                    created_at=created_at,
                    received_at=timezone.now(),
                    storage_name=stored,
                    size_bytes=scan.size,
                    total=scan.declarations,
                    plan=scan.notes(),
                )
                from fla.batch.tasks import process_file

                process_file.enqueue(batch.pk)
        except IntegrityError:
            default_storage.delete(stored)
            error = receipt_scan.place(spool, _duplicate(header).error)
            return Receipt.rejected(header, error)
        except BaseException:
            default_storage.delete(stored)
            raise
    return Receipt.of(batch)


def _duplicate(header: dict) -> receipt_scan.Rejected:
    """The file reference of ``header`` is taken: named with the sender's earlier file."""
    reference = header.get("file_reference", "")
    earlier = (
        BatchFile.objects.filter(
            sender=header.get("sender", ""),
            reference=reference,
            test=header.get("environment") == "test",
        )
        .values_list("pk", "received_at")
        .first()
    )
    return receipt_scan.Rejected(receipt_scan.duplicate_reference(reference, *(earlier or ())))


# ---------------------------------------------------------------------------------------
# Scoping
# ---------------------------------------------------------------------------------------


def files_for(caller: Caller) -> QuerySet[BatchFile]:
    """The files a caller may see: those of the organisations it belongs to now (having
    sent a file gives no access of its own: a user who leaves the organisation no longer
    sees what they sent). Without their plan, which only the workers read (it may hold
    tens of thousands of positions).

    A mandatary (its clients and members) keeps seeing the files it sent itself after a
    mandate ends: their receipt and notification answer what it sent, at a time it was
    entitled to. Of the files an employer sent itself, it sees those of the employers it
    holds an active mandate for, while it holds it."""
    files = BatchFile.objects.defer("plan")
    if caller.system:
        return files
    if READ not in caller.scopes:
        return files.none()
    if caller.employer_id is not None:
        return files.filter(sender_employer_id=caller.employer_id)
    if caller.mandatary_id is not None:
        # as for a member of the mandatary in the online application: its own files and
        # those of the employers it holds an active mandate for
        return files.filter(
            Q(sender_mandatary_id=caller.mandatary_id)
            | Q(sender_employer_id__in=caller.employer_ids(READ))
        )
    if caller.user_id is not None:
        mandataries = MandataryAccess.objects.filter(user_id=caller.user_id).values("mandatary_id")
        return files.filter(
            Q(sender_employer_id__in=caller.employer_ids(READ))
            | Q(sender_mandatary_id__in=mandataries)
        )
    return files.none()


# ---------------------------------------------------------------------------------------
# Processing
# ---------------------------------------------------------------------------------------


class LeaseLost(Exception):
    """Another worker took the file or partition over, or the file failed: this worker
    stops without writing."""


def _lease_seconds() -> int:
    return settings.FLA_BATCH_LEASE_SECONDS


def _lease_until() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=_lease_seconds())


def _schedule_watch(when: dt.datetime, file_id: int, index: int | None = None) -> None:
    """A task that takes the file's planning (``index`` None) or a partition over if its
    worker dies (a dead man's switch)."""
    from fla.batch import tasks

    task, args = (
        (tasks.process_file, (file_id,))
        if index is None
        else (tasks.process_partition, (file_id, index))
    )
    if task.get_backend().supports_defer:
        task.using(run_after=when).enqueue(*args)


def process(file_id: int, *, chunk_size: int | None = None, owner: str | None = None) -> str:
    """Process a received file: plan it if no worker has yet, let other workers take
    its other partitions, then apply every partition no other worker holds. Safe to run
    twice, and at the same time by several workers.

    Returns "done" once the file is, "skipped" if this worker found nothing to do, and
    "partly" if other workers still hold partitions of it."""
    owner = owner or uuid.uuid4().hex
    batch = _planned(file_id, owner, chunk_size)
    if batch is None:
        return "skipped"
    worked = False
    for index in range(batch.plan["count"]):
        outcome = process_partition(file_id, index, chunk_size=chunk_size, owner=owner)
        if outcome == "done":
            return "done"
        worked = worked or outcome == "partition done"
    return "partly" if worked else "skipped"


def _planned(file_id: int, owner: str, chunk_size: int | None = None) -> BatchFile | None:
    """The file, with its plan and partitions, made now if no worker has made them yet;
    None if the file is finished, failed, or another worker is planning it. A test
    file's rolled-back chunk size is fixed here, by the worker that starts on it."""
    batch = BatchFile.objects.filter(pk=file_id).first()
    if batch is None or batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
        return None
    if "count" in batch.plan:
        return batch
    now = timezone.now()
    with transaction.atomic():
        batch = BatchFile.objects.select_for_update().get(pk=file_id)
        planned = "count" in batch.plan
        if planned or batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
            return batch if planned else None
        if batch.held(now):
            # Another worker is planning it; look again when its lease runs out.
            _schedule_watch(batch.lease_until + dt.timedelta(seconds=1), file_id)
            return None
        batch.lease_owner = owner
        batch.lease_until = _lease_until()
        batch.status = BatchStatus.PROCESSING
        batch.started_at = batch.started_at or now
        if batch.test and batch.test_chunk_size is None:
            batch.test_chunk_size = rolled_back_chunk_size(chunk_size)
        batch.save(
            update_fields=["lease_owner", "lease_until", "status", "started_at", "test_chunk_size"]
        )
        _schedule_watch(batch.lease_until + dt.timedelta(seconds=1), file_id)
    # A file that an earlier version (without partitions) began has declarations
    # applied and no plan: it is one partition, from the checkpoint it kept.
    started = batch.processed > 0
    with _failing(file_id, "plan"), default_storage.open(batch.storage_name, "rb") as source:
        plan = planning.make_plan(
            source,
            batch.total,
            batch.plan,
            single=started,
            alive=lambda: _renew_file_lease(file_id, owner),
        )
    with transaction.atomic():
        current = BatchFile.objects.select_for_update().get(pk=file_id)
        # Every plan of a file is as good as another: the first committed is kept, even
        # if this worker's lease ran out meanwhile (a plan of a large file may take
        # longer than the lease, and another worker would only make it again).
        if "count" in current.plan or current.status != BatchStatus.PROCESSING:
            return current if "count" in current.plan else None
        current.plan = plan.as_json()
        current.lease_owner, current.lease_until = "", None
        current.save(update_fields=["plan", "lease_owner", "lease_until"])
        # The checkpoint is 0, but for a file an earlier version began (one partition).
        BatchPartition.objects.bulk_create(
            BatchPartition(file=current, index=index, checkpoint=current.processed)
            for index in range(plan.count)
        )
    # Other workers may take the other partitions at once. (Should this worker die before
    # they are enqueued, the file's dead man's switch resumes all of them.)
    from fla.batch import tasks

    for index in range(1, plan.count):
        tasks.process_partition.enqueue(file_id, index)
    logger.info("BATCH file %s planned: %s partition(s)", file_id, plan.count)
    return current


def _renew_file_lease(file_id: int, owner: str) -> None:
    """Keep the file's planning lease while the plan is made, as long as it is ours."""
    BatchFile.objects.filter(pk=file_id, lease_owner=owner).update(lease_until=_lease_until())


def process_partition(
    file_id: int, index: int, *, chunk_size: int | None = None, owner: str | None = None
) -> str:
    """Apply one partition of a planned file to its end, from its checkpoint.

    Returns "done" if the file is finished (by this call or an earlier one), "partition
    done" if this call finished the partition while others are still at work,
    "skipped" if the partition is done or another worker holds it, and "lease lost" if
    another worker took it over meanwhile."""
    owner = owner or uuid.uuid4().hex
    chunk_size = chunk_size or settings.FLA_BATCH_CHUNK
    partition = _claim(file_id, index, owner)
    if partition is None:
        return "done" if _finish_if_complete(file_id) else "skipped"
    batch = partition.file
    plan = planning.Plan.from_json(batch.plan)
    caller = sending_caller(batch)
    try:
        with _failing(file_id, f"partition {index}"):
            _apply_partition(batch, partition, plan, caller, chunk_size, owner)
            with transaction.atomic():
                current = BatchPartition.objects.select_for_update().get(pk=partition.pk)
                if current.lease_owner != owner:
                    raise LeaseLost
                current.done = True
                current.lease_owner, current.lease_until = "", None
                current.save(update_fields=["done", "lease_owner", "lease_until"])
    except LeaseLost:
        return "lease lost"
    return "done" if _finish_if_complete(file_id) else "partition done"


def _apply_partition(
    batch: BatchFile,
    partition: BatchPartition,
    plan: planning.Plan,
    caller: Caller,
    chunk_size: int,
    owner: str,
) -> None:
    """Each chunk of a partition in a transaction of its own, with its results and
    checkpoint.

    A production file's chunks are cut where the write path needs it
    (``declarations.services.in_order``: a hire before the trainings that follow it), so
    that each declaration gets what it would get alone, in file order. A test file's
    chunks are rolled back (nothing of them is kept but their results): the write path
    cuts each of them the same way inside one transaction (``submit(dry_run=True)``), so
    a declaration of a test file sees the earlier ones of its own chunk. Those chunks
    are therefore larger (``FLA_BATCH_TEST_CHUNK``), so that a test file of that size
    answers exactly what production would, while no transaction holds its locks for
    longer than a few seconds."""
    chunks = _sized if batch.test else in_order
    if batch.test:
        # The size fixed when the file was started, whatever this worker's settings: the
        # file's page and notification say it. (A file started before it was stored: this
        # worker's, as then.)
        chunk_size = batch.test_chunk_size or rolled_back_chunk_size(chunk_size)
    with _fewer_collections(), default_storage.open(batch.storage_name, "rb") as source:
        remaining = read_declarations(source, plan.selector(partition.index, partition.checkpoint))
        for chunk in chunks(remaining, chunk_size):
            _apply_chunk(batch, partition, plan, caller, chunk, owner)
            if not batch.test:
                bulk.refresh_statistics(GROWING_TABLES, grown_only=True)


def rolled_back_chunk_size(chunk_size: int | None = None) -> int:
    """How many declarations a test file's rolled-back chunks hold: a declaration of a
    test file is checked with the earlier ones of its own chunk only."""
    return max(chunk_size or settings.FLA_BATCH_CHUNK, settings.FLA_BATCH_TEST_CHUNK)


def _claim(file_id: int, index: int, owner: str) -> BatchPartition | None:
    """Take partition ``index`` of the file if it is left to do and no worker holds it."""
    now = timezone.now()
    with transaction.atomic():
        partition = (
            BatchPartition.objects.select_for_update(of=("self",))
            .select_related("file")
            .filter(file_id=file_id, index=index)
            .first()
        )
        if partition is None or partition.done or partition.file.status != BatchStatus.PROCESSING:
            return None
        if partition.held(now):
            # Another worker is on it; look again when its lease runs out.
            _schedule_watch(partition.lease_until + dt.timedelta(seconds=1), file_id, index)
            return None
        partition.lease_owner = owner
        partition.lease_until = _lease_until()
        partition.save(update_fields=["lease_owner", "lease_until"])
        _schedule_watch(partition.lease_until + dt.timedelta(seconds=1), file_id, index)
    return partition


def _sized(declarations: Iterator[Declaration], size: int) -> Iterator[list[Declaration]]:
    """The declarations in chunks of ``size``, as they come."""
    chunk: list[Declaration] = []
    for declaration in declarations:
        chunk.append(declaration)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Thresholds of Python's cyclic garbage collector while a file is processed (the
# default is (700, 10, 10)). A chunk keeps tens of thousands of objects alive until it
# is written (declarations, outcomes, rows); with the default, the collections of the
# young generations traverse them again and again and promote them, and the full
# collections those promotions set off walk the whole heap: a quarter of the CPU time of
# a 100,000-declaration file. Reference counting frees nearly all of them at the end of
# the chunk anyway; the few cycles wait a little longer for a collection.
GC_THRESHOLDS = (10_000, 20, 20)
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, ...] = ()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """``GC_THRESHOLDS`` while the block runs, in any thread; the previous thresholds
    again once the last such block has ended."""
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


def _apply_chunk(
    batch: BatchFile,
    partition: BatchPartition,
    plan: planning.Plan,
    caller: Caller,
    chunk: list[Declaration],
    owner: str,
) -> None:
    with transaction.atomic():
        current = BatchPartition.objects.select_for_update().get(pk=partition.pk)
        if current.lease_owner != owner or current.checkpoint != partition.checkpoint:
            raise LeaseLost
        outcomes: dict[int, Outcome] = {}
        to_submit = []
        for d in chunk:
            if d.position in plan.duplicates:
                # The file used the reference earlier (E022).
                reference = str(d.data.get("reference", "")).strip()
                finding = Finding("E022", "reference", {"value": reference})
                outcomes[d.position] = Outcome(d, REJECTED, [finding])
            else:
                to_submit.append(d)
        if to_submit:
            for outcome in submit(caller, to_submit, dry_run=batch.test):
                outcomes[outcome.declaration.position] = outcome
        plain, with_findings = [], []
        counts = {ACCEPTED: 0, ACCEPTED_WITH_WARNINGS: 0, REJECTED: 0}
        for declaration in chunk:
            outcome = outcomes[declaration.position]
            counts[outcome.status] += 1
            row = _result(batch, declaration, outcome)
            if outcome.findings:
                with_findings.append((*row, _findings_json(outcome.findings)))
            else:
                plain.append(row)
        # Without findings, the column is left to its database default, [].
        bulk.insert(BatchResult, RESULT_FIELDS[:-1], plain)
        bulk.insert(BatchResult, RESULT_FIELDS, with_findings)
        current.checkpoint = chunk[-1].position
        current.lease_until = _lease_until()
        current.save(update_fields=["checkpoint", "lease_until"])
        # Last, so that other partitions wait for this row only while this one commits.
        counted = BatchFile.objects.filter(pk=batch.pk, status=BatchStatus.PROCESSING).update(
            processed=F("processed") + len(chunk),
            accepted=F("accepted") + counts[ACCEPTED],
            accepted_with_warnings=F("accepted_with_warnings") + counts[ACCEPTED_WITH_WARNINGS],
            rejected=F("rejected") + counts[REJECTED],
        )
        if not counted:
            raise LeaseLost  # the file failed in another partition
    partition.checkpoint = current.checkpoint


def _json_safe(value: object) -> object:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# The tables a BATCH file fills and its processing reads; their statistics are refreshed
# as the file grows. The history is only written here (autovacuum's analyze follows it
# for the pages that read it).
GROWING_TABLES = (
    Training,
    CreditLine,
    Account,
    TrainingRight,
    Employment,
    Worker,
    BatchResult,
)
RESULT_FIELDS = ("file", "position", "kind", "enterprise_number", "reference", "insz",
                 "year", "status", "findings")  # fmt: skip
# A year as the XSD (xs:integer) and the write path read it: a sign, leading zeros.
_YEAR = re.compile(r"\+?0*([0-9]{1,4})")


def _result(batch: BatchFile, declaration: Declaration, outcome: Outcome) -> tuple:
    """One BatchResult row, in the order of RESULT_FIELDS, but for the findings."""
    data = declaration.data
    if declaration.kind == "training":
        reference, year = data.get("reference", ""), _training_year(data)
    else:
        match = _YEAR.fullmatch(str(data.get("year", "") or "").strip())
        reference, year = "", int(match[1]) if match else None
    return (batch.pk, declaration.position, declaration.kind[:16],
            str(declaration.employer)[:16], str(reference or "")[:64],
            str(data.get("insz", "") or "")[:16], year, outcome.status)  # fmt: skip


def _training_year(data: dict) -> int | None:
    """The year of a training, which has no year zone: that of its end date, or of its
    start date when it gives no end date; none when that zone is not a date."""
    text = str(data.get("end_date", "") or "").strip()
    if not text:
        text = str(data.get("start_date", "") or "").strip()
    day = iso_date(text)  # as the declarations read a date
    return day.year if day else None


def _findings_json(findings: list[Finding]) -> list[dict]:
    """The findings of a result as stored: the anomaly and its values, not its text."""
    return [
        {"code": f.code, "zone": f.zone, "params": {k: _json_safe(v) for k, v in f.params.items()}}
        for f in findings
    ]


def _finish_if_complete(file_id: int) -> bool:
    """Write the notification and close the file once every partition is done; whether
    the file is done. Two workers may finish their last partitions at once: each writes
    a notification, the first to commit keeps its own, the other deletes its copy."""
    status = BatchFile.objects.filter(pk=file_id).values_list("status", flat=True).first()
    if status != BatchStatus.PROCESSING:
        return status == BatchStatus.DONE
    partitions = BatchPartition.objects.filter(file_id=file_id)
    if not partitions.exists() or partitions.filter(done=False).exists():
        return False
    # Read now: the counts of a partition's last chunk commit before it is marked done.
    batch = BatchFile.objects.get(pk=file_id)
    with _failing(file_id, "notification"):
        name = write_notification(batch)
    with transaction.atomic():
        current = BatchFile.objects.select_for_update().get(pk=file_id)
        if current.status != BatchStatus.PROCESSING:
            default_storage.delete(name)
            return current.status == BatchStatus.DONE
        current.notification_name = name
        current.status = BatchStatus.DONE
        current.finished_at = timezone.now()
        current.save(update_fields=["notification_name", "status", "finished_at"])
    return True


@contextmanager
def _failing(file_id: int, step: str) -> Iterator[None]:
    """An error in the block fails the file (``_fail``) and goes on up; a lost lease only
    stops this worker."""
    try:
        yield
    except LeaseLost:
        raise
    except Exception as exc:
        logger.exception("BATCH file %s failed (%s)", file_id, step)
        _fail(file_id, exc)
        raise


def _fail(file_id: int, exc: Exception) -> None:
    """The file failed, with the first error: no worker goes on with any of its
    partitions (a chunk counts only on a file in processing, a claim only takes a
    partition of one)."""
    BatchFile.objects.filter(
        pk=file_id, status__in=[BatchStatus.RECEIVED, BatchStatus.PROCESSING]
    ).update(
        status=BatchStatus.FAILED,
        error=f"{type(exc).__name__}: {exc}"[:2000],
        lease_owner="",
        lease_until=None,
    )


def resume(file_id: int) -> bool:
    """Put a failed file back to work, once what made it fail (a database outage, a full
    disk) is put right: each partition goes on from its checkpoint, so no declaration is
    applied twice and none is lost. False if the file has not failed."""
    from fla.batch import tasks

    with transaction.atomic():
        batch = BatchFile.objects.select_for_update().filter(pk=file_id).first()
        if batch is None or batch.status != BatchStatus.FAILED or batch.erased_at:
            return False
        batch.status = BatchStatus.PROCESSING if "count" in batch.plan else BatchStatus.RECEIVED
        batch.error = ""
        batch.lease_owner, batch.lease_until = "", None
        batch.save(update_fields=["status", "error", "lease_owner", "lease_until"])
        BatchPartition.objects.filter(file_id=file_id).update(lease_owner="", lease_until=None)
        transaction.on_commit(lambda: tasks.process_file.enqueue(file_id))
    logger.info("BATCH file %s resumed", file_id)
    return True


FINISHED = (BatchStatus.DONE, BatchStatus.FAILED)
# What a file's notification answers once its content is erased (410).
ERASED = gettext_lazy("De inhoud van dit bestand werd gewist na de bewaartermijn.")


def erase_expired_files(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Erase the content of the finished files received more than ``days``
    (``FLA_BATCH_RETENTION_DAYS``) ago: the stored XML, the results and the notification,
    which repeat the declarations' INSZ and names. The file's header, status and counts
    are kept (``erased_at`` says when), so its reference stays used and its page still
    says what became of it. Returns the number of files erased."""
    now = now or timezone.now()
    days = settings.FLA_BATCH_RETENTION_DAYS if days is None else days
    expired = BatchFile.objects.filter(
        received_at__lt=now - dt.timedelta(days=days), status__in=FINISHED, erased_at__isnull=True
    )
    erased = 0
    for file_id in expired.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            # Read again under the lock: a failed file may have been resumed meanwhile.
            batch = (
                BatchFile.objects.select_for_update()
                .filter(pk=file_id, erased_at__isnull=True, status__in=FINISHED)
                .first()
            )
            if batch is None:
                continue
            names = [name for name in (batch.storage_name, batch.notification_name) if name]
            BatchResult.objects.filter(file_id=file_id).delete()
            BatchPartition.objects.filter(file_id=file_id).delete()
            batch.storage_name = batch.notification_name = ""
            batch.plan = {}
            batch.erased_at = now
            batch.save(update_fields=["storage_name", "notification_name", "plan", "erased_at"])
            # The stored files go once the rows that name them are gone for good.
            transaction.on_commit(lambda names=names: _delete_stored(names))
        erased += 1
    if erased:
        logger.info("BATCH: content of %s file(s) erased after the retention period", erased)
    return erased


def _delete_stored(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


# ---------------------------------------------------------------------------------------
# Notification
# ---------------------------------------------------------------------------------------


def findings_of(result: BatchResult, language: str) -> list[dict]:
    return _rendered_findings(result.findings, language)


def _rendered_findings(findings: list[dict], language: str) -> list[dict]:
    return [
        Finding(f["code"], f.get("zone", ""), f.get("params") or {}).as_dict(language)
        for f in findings
    ]


# What the notification shows of each result, in the order _ResultWriter takes them; the
# findings as their JSON text, decoded only when there are any.
NOTIFIED_FIELDS = ("position", "kind", "enterprise_number", "reference", "insz", "status")


def write_notification(batch: BatchFile) -> str:
    """Write the notification XML, streamed, to the default storage; return its name."""
    now = timezone.now()
    with tempfile.NamedTemporaryFile(
        prefix="fla-notification-", suffix=".xml", dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as out:
        header = "".join(
            _zone(tag, value)
            for tag, value in (
                ("file_id", batch.pk),
                ("file_reference", batch.reference),
                ("sender", batch.sender),
                ("environment", batch.environment),
                ("received_at", batch.received_at.isoformat()),
                ("processed_at", now.isoformat()),
            )
        )
        out.write(
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<notification xmlns="{NOTIFICATION_NS}">\n'
                f"<header>{header}</header>\n"
            ).encode()
        )
        # Rows as tuples, not model instances: a file has as many results as declarations.
        rows = (
            BatchResult.objects.filter(file=batch)
            .order_by("position")
            .values_list(*NOTIFIED_FIELDS, Cast("findings", TextField()))
            .iterator(chunk_size=2000)
        )
        render = _ResultWriter(batch.language).xml
        lines = []
        for row in rows:
            lines.append(render(*row))
            if len(lines) >= 1000:
                out.write("".join(lines).encode())
                lines = []
        summary = "".join(
            _zone(tag, value)
            for tag, value in (
                ("total", batch.processed),
                ("accepted", batch.accepted),
                ("accepted_with_warnings", batch.accepted_with_warnings),
                ("rejected", batch.rejected),
            )
        )
        parts = checked_in_parts(batch)
        if parts is not None:
            summary += _zone("checked_in_parts", parts)
        lines.append(f"<summary>{summary}</summary>\n</notification>\n")
        out.write("".join(lines).encode())
        out.flush()
        out.seek(0)
        name = f"batch/{now:%Y/%m}/notification-{batch.pk}-{uuid.uuid4().hex[:8]}.xml"
        return default_storage.save(name, File(out, name=name))


# A carriage return is written as a reference: written as such, a reader of the XML
# would read it as a line feed (XML 1.0 §2.11). A value of the file may hold one (sent
# as &#13;), and the notification gives back what it read.
_ENTITIES = {"\r": "&#13;"}


def _xml_text(text: str) -> str:
    """``text`` as the content of an element: &, <, > and the carriage return escaped."""
    return escape(text, _ENTITIES)


def _zone(tag: str, value: object) -> str:
    return f"<{tag}>{_xml_text(str(value))}</{tag}>"


def _escaped(text: str) -> str:
    """``_xml_text(text)``, without its replacements when nothing needs escaping."""
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return _xml_text(text)
    return text


class _ResultWriter:
    """The ``<result>`` element of one BatchResult row, in the file's language.

    The zones that repeat from row to row (kind, enterprise number, status) are escaped
    once per distinct value; the reference and INSZ only when they hold a character to
    escape; the findings are decoded and rendered only for the results that have some.
    """

    REPEATED_LIMIT = 10_000  # distinct values kept; beyond, escaped every time

    def __init__(self, language: str) -> None:
        self.language = language
        self.repeated: dict[str, str] = {}

    def text(self, value: str) -> str:
        escaped = self.repeated.get(value)
        if escaped is None:
            escaped = _xml_text(value)
            if len(self.repeated) < self.REPEATED_LIMIT:
                self.repeated[value] = escaped
        return escaped

    def xml(
        self,
        position: int,
        kind: str,
        enterprise_number: str,
        reference: str,
        insz: str,
        status: str,
        findings: str,
    ) -> str:
        text = self.text
        xml = (
            f"<result><position>{position}</position><kind>{text(kind)}</kind>"
            f"<enterprise_number>{text(enterprise_number)}</enterprise_number>"
        )
        if reference:
            xml += f"<reference>{_escaped(reference)}</reference>"
        if insz:
            xml += f"<insz>{_escaped(insz)}</insz>"
        xml += f"<status>{text(status)}</status>"
        if findings != "[]":
            xml += "".join(
                "<anomaly>"
                + "".join(
                    _zone(tag, finding[tag]) for tag in ("code", "severity", "zone", "message")
                )
                + "</anomaly>"
                for finding in _rendered_findings(json.loads(findings), self.language)
            )
        return xml + "</result>\n"


def status_dict(batch: BatchFile) -> dict:
    """Status and progress of a file, as the API and the command line show them."""
    return {
        "file_id": batch.pk,
        "reference": batch.reference,
        "sender": batch.sender,
        "environment": batch.environment,
        "status": batch.status,
        "progress": batch.progress,
        "total": batch.total,
        "processed": batch.processed,
        "accepted": batch.accepted,
        "accepted_with_warnings": batch.accepted_with_warnings,
        "rejected": batch.rejected,
        "received_at": batch.received_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "erased_at": batch.erased_at.isoformat() if batch.erased_at else None,
        "checked_in_parts": checked_in_parts(batch),
    }


def checked_in_parts(batch: BatchFile) -> int | None:
    """For a test file larger than one rolled-back chunk, the chunk's size: each of its
    declarations was checked with the earlier ones of its own chunk only (a training of
    a worker hired in an earlier chunk is rejected as of an unknown worker, where
    production would accept it). None for any other file, and for a test file no worker
    has started on yet (its size is not fixed).

    The size is the one stored when a worker started on the file (``test_chunk_size``),
    so every process says the same. A file started before the size was stored has none:
    its size is this process's setting, as it was then worked out (the best guess, and
    what its page said until then)."""
    if not batch.test:
        return None
    size = batch.test_chunk_size
    if size is None:
        if batch.status == BatchStatus.RECEIVED:
            return None
        size = rolled_back_chunk_size()
    return size if batch.total > size else None
