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
  workers are computed again), or a training whose reference already belongs to a
  worker other than the one it names. Files of trainings (the bulk of what a
  secretariat sends) are shared;
- a training that names no INSZ (a cancel) goes to the partition of the worker whose
  training the reference is;
- E022 (a reference used again in the same file) is decided for the whole file before
  any partition runs, since the first use may sit in a partition that runs later.

The plan is made once per file and stored with it, so that every worker and every
resumption after a crash shares the same partitions. The receipt, which reads every
declaration anyway, notes the references the file may use twice
(``parsing.RepeatedReferences``, in fixed memory); the plan reads the file again only
to confirm those, and to look up whose workers the references are when the file is to
be shared.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
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
# Cancels (trainings that name no INSZ) placed by their reference's holder at most; a
# file with more is one partition, so that the plan stays small whatever the file.
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
    repeated: Iterable[int] | None,
    *,
    single: bool = False,
    alive: Callable[[], None] = lambda: None,
) -> Plan:
    """The plan of a stored (already validated) file; one partition if ``single``.

    ``alive`` is called every ``ALIVE_EVERY`` declarations read (the worker renews its
    lease on the file there).

    ``repeated`` are the digests of the references that the receipt saw more than once
    (``Scan.repeated``); the file is read again only to tell which of those are really
    the same reference, and, when it is to be shared, whose workers its references are.
    None (a file received before receipts noted them) compares every reference.
    """
    count = 1 if single else partitions_wanted(total)
    every = repeated is None
    repeated = set(repeated or ())
    if count == 1 and not repeated and not every:
        return Plan(1)
    first: set[tuple[str, str]] = set()
    duplicates: set[int] = set()
    owners = _Owners(count) if count > 1 else None
    for keys in read_keys(source):
        if keys.position % ALIVE_EVERY == 0:
            alive()
        if keys.kind in WHOLE_FILE_KINDS or keys.employment:
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
        if owners is not None and not owners.add(keys):
            owners, count = None, 1
    if owners is not None and not owners.flush():
        owners, count = None, 1
    return Plan(count, frozenset(duplicates), owners.assigned if owners is not None else {})


class _Owners:
    """The partitions of the trainings that name no INSZ, from the workers who hold
    their references today; and whether any reference is held by a worker other than
    the one its declaration names, or the file cancels more than ``MAX_ASSIGNED``
    trainings (then the file is not shared)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.assigned: dict[int, int] = {}
        self.pending: list[Keys] = []

    def add(self, keys: Keys) -> bool:
        self.pending.append(keys)
        return len(self.pending) < LOOKUP_BATCH or self.flush()

    def flush(self) -> bool:
        """Look the pending references up; False if one reaches across workers."""
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
                if not keys.insz:
                    if len(self.assigned) >= MAX_ASSIGNED:
                        return False
                    self.assigned[keys.position] = partition_of_insz(holder, self.count)
                elif checked_insz(keys.insz) != holder:
                    return False
        return True
