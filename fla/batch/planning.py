"""How the declarations of a BATCH file are shared among workers: partitions by worker.

A large file is split into partitions that different worker processes (on any number
of machines) apply at the same time, each in file order and with its own checkpoint.
Every declaration of one worker falls in the same partition, chosen from his INSZ, and
the write path locks workers: each partition's outcomes are then those of the file
applied in order, because no declaration of one partition reads or changes what a
declaration of another one does. The plan keeps that true:

- a file with a declaration that reaches across workers is one partition: an employer
  year, a worker with his employment, or the rights of a worker-year (each may change
  or first set the employer's size class of a year, and then the rights of all its
  workers are computed again). Files of trainings (the bulk of what a secretariat
  sends) and of workers without employment are shared;
- a training that goes by its reference rather than by the INSZ it names (a cancel,
  which changes the training whoever it names, or one that names no INSZ) goes to the
  partition of the worker whose training the reference is. A create or replace that
  names another worker than the reference's holder is rejected (E025) in any order,
  since a training never changes worker: it needs no placing;
- E022 (a reference used again in the same file) is decided for the whole file before
  any partition runs, since the first use may sit in a partition that runs later.

The plan is made once per file and stored with it, so that every worker and every
resumption after a crash shares the same partitions. The receipt, which reads every
declaration anyway, notes (``receipt.Scan.notes``) whether one reaches across workers,
how many go by their reference, and the references the file may use twice
(``parsing.RepeatedReferences``, in fixed memory). The plan reads the file again only
to confirm those, and to look up the holders of the references that go by theirs: a
file of new trainings, each naming its worker, is planned without reading it.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db.models import F
from lxml import etree

from fla.batch.parsing import INSZ_TAG, Keys, read_keys, reference_digest
from fla.core import bulk
from fla.core.identifiers import checked_enterprise_number, checked_insz
from fla.employers.models import Employer
from fla.trainings.models import Training

# Declarations that may change the employer's size class of a year, and with it the
# rights of all its workers: a file with one of them (or a worker with his employment)
# is one partition.
WHOLE_FILE_KINDS = ("employer_year", "rights")
# References looked up in one statement while the plan is made.
LOOKUP_BATCH = 5000
# Trainings placed by their reference's holder (cancels, and those that name no INSZ)
# at most; a file with more is one partition, so that the plan stays small whatever
# the file.
MAX_ASSIGNED = 50_000
# Declarations read between two calls of the plan's ``alive`` callback.
ALIVE_EVERY = 10_000


def partition_of_insz(insz: str, count: int) -> int:
    """The partition of a worker: the same for every spelling of his INSZ."""
    if count == 1:
        return 0
    cleaned = checked_insz(insz) or insz
    return zlib.crc32(cleaned.encode()) % count


@dataclass
class Plan:
    count: int = 1
    duplicates: frozenset[int] = frozenset()  # positions rejected with E022
    assigned: dict[int, int] = field(default_factory=dict)  # position -> partition

    def as_json(self) -> dict:
        return {
            "count": self.count,
            "duplicates": sorted(self.duplicates),
            "assigned": [[position, index] for position, index in sorted(self.assigned.items())],
        }

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        return cls(
            count=data.get("count", 1),
            duplicates=frozenset(data.get("duplicates", ())),
            assigned={position: index for position, index in data.get("assigned", ())},
        )

    def selector(self, index: int, after: int) -> Callable[[int, etree._Element], bool]:
        """Whether a declaration (by position and element) belongs to partition ``index``
        and comes after its checkpoint ``after``."""
        if self.count == 1:
            return lambda position, element: position > after
        count, assigned = self.count, self.assigned

        def select(position: int, element: etree._Element) -> bool:
            if position <= after:
                return False
            partition = assigned.get(position)
            if partition is None:
                insz = (element.findtext(INSZ_TAG) or "").strip()
                partition = partition_of_insz(insz, count)
            return partition == index

        return select


def partitions_wanted(total: int) -> int:
    """How many partitions a file of ``total`` declarations gets at most: as configured,
    but none smaller than two chunks."""
    chunk = max(1, settings.FLA_BATCH_CHUNK)
    return max(1, min(settings.FLA_BATCH_PARTITIONS, total // (2 * chunk)))


def make_plan(
    source: IO[bytes],
    total: int,
    notes: dict | None,
    *,
    single: bool = False,
    alive: Callable[[], None] = lambda: None,
) -> Plan:
    """The plan of a stored (already validated) file; one partition if ``single``.

    ``alive`` is called every ``ALIVE_EVERY`` declarations read (the worker renews its
    lease on the file there).

    ``notes`` are what the receipt noted (``receipt.Scan.notes``): ``repeated``, the
    digests of the references seen more than once; ``across``, whether a declaration
    reaches across workers; ``by_reference``, how many trainings go by their reference.
    The file is read again only to tell which of the repeated references are really
    the same, and to look up the holders of those that go by their reference. A file
    received before the receipt noted some of them (None, or a key missing) is read
    for what is missing: every reference is compared if ``repeated`` is.
    """
    notes = notes or {}
    count = 1 if single or notes.get("across") else partitions_wanted(total)
    every = notes.get("repeated") is None
    repeated = set(notes.get("repeated") or ())
    # Whether kinds and placements must still be read (a file received before the
    # receipt noted them); a file noted as reaching across workers is one partition.
    unknown = "across" not in notes
    placing = count > 1 and (unknown or notes.get("by_reference", 0) > 0)
    if not repeated and not every and not placing:
        return Plan(count)  # nothing to learn from the file
    first: set[tuple[str, str]] = set()
    duplicates: set[int] = set()
    owners = _Owners(count) if count > 1 else None
    for keys in read_keys(source):
        if keys.position % ALIVE_EVERY == 0:
            alive()
        if unknown and (keys.kind in WHOLE_FILE_KINDS or keys.employment):
            owners, count = None, 1
        if owners is None and not repeated and not every:
            break  # one partition, and no reference to confirm: nothing left to learn
        if keys.kind != "training" or not keys.reference:
            continue
        if every or reference_digest(keys.employer, keys.reference) in repeated:
            key = (keys.employer, keys.reference)
            if key in first:
                duplicates.add(keys.position)
                continue
            first.add(key)
        if owners is not None and (keys.cancel or not keys.insz) and not owners.add(keys):
            owners, count = None, 1
    if owners is not None and not owners.flush():
        owners, count = None, 1
    return Plan(count, frozenset(duplicates), owners.assigned if owners is not None else {})


class _Owners:
    """The partitions of the trainings that go by their reference (cancels, and those
    that name no INSZ), from the workers who hold their references today; a file that
    places more than ``MAX_ASSIGNED`` of them is not shared."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.assigned: dict[int, int] = {}
        self.pending: list[Keys] = []

    def add(self, keys: Keys) -> bool:
        self.pending.append(keys)
        return len(self.pending) < LOOKUP_BATCH or self.flush()

    def flush(self) -> bool:
        """Look the pending references up; False if the plan would hold too many."""
        by_employer: dict[str, list[Keys]] = defaultdict(list)
        for keys in self.pending:
            by_employer[keys.employer].append(keys)
        self.pending = []
        numbers = {n: checked_enterprise_number(n) for n in by_employer}
        employers = dict(
            Employer.objects.filter(
                enterprise_number__in=set(numbers.values()) - {None}
            ).values_list("enterprise_number", "pk")
        )
        for number, group in by_employer.items():
            employer_id = employers.get(numbers[number])
            if employer_id is None:
                continue  # E003 for each of them: nothing is written
            holders = dict(
                Training.objects.filter(
                    bulk.Within(F("reference"), {k.reference for k in group}),
                    employer_id=employer_id,
                ).values_list("reference", "worker__insz")
            )
            for keys in group:
                holder = holders.get(keys.reference)
                if holder is None:
                    continue  # a new reference, or one the write path will reject
                if keys.insz and (checked_insz(keys.insz) or keys.insz) == holder:
                    continue  # a cancel naming the holder: his partition already
                if len(self.assigned) >= MAX_ASSIGNED:
                    return False
                self.assigned[keys.position] = partition_of_insz(holder, self.count)
        return True
