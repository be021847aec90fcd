"""How the declarations of a BATCH file are shared among workers: partitions by worker.

A large file is split into partitions that different worker processes (on any number
of machines) apply at the same time, each in file order and with its own checkpoint.
Every declaration of one worker falls in the same partition, chosen from his INSZ, and
the write path locks workers: each partition's outcomes are then those of the file
applied in order, because no declaration of one partition reads or changes what a
declaration of another one does. The plan keeps that true:

- a file with a declaration that reaches across workers is one partition: an employer
  year (it changes the rights of all the employer's workers), or a training whose
  reference already belongs to a worker other than the one it names;
- a training that names no INSZ (a cancel) goes to the partition of the worker whose
  training the reference is;
- E022 (a reference used again in the same file) is decided for the whole file before
  any partition runs, since the first use may sit in a partition that runs later.

The plan is made once per file, by streaming it (memory: a hash per training
reference, about 60 bytes each), and stored with the file, so that every worker and
every resumption after a crash shares the same partitions.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from lxml import etree

from fla.batch.parsing import INSZ_TAG, Keys, read_keys
from fla.core.identifiers import checked_enterprise_number, checked_insz
from fla.employers.models import Employer
from fla.trainings.models import Training

# References looked up in one statement while the plan is made.
LOOKUP_BATCH = 5000


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
            "assigned": sorted(self.assigned.items()),
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


def make_plan(source: IO[bytes], total: int, *, single: bool = False) -> Plan:
    """The plan of a stored (already validated) file; one partition if ``single``."""
    count = 1 if single else partitions_wanted(total)
    duplicates = _duplicates(source)
    if count == 1:
        return Plan(1, duplicates)
    source.seek(0)
    cross, assigned = _owners(read_keys(source), count, duplicates)
    if cross:
        return Plan(1, duplicates)
    return Plan(count, duplicates, assigned)


def _training_key(keys: Keys) -> tuple[str, str] | None:
    if keys.kind != "training" or not keys.reference:
        return None
    return (keys.employer, keys.reference)


def _duplicates(source: IO[bytes]) -> frozenset[int]:
    """Positions of the trainings whose (enterprise number, reference) an earlier training
    of the file already has. A first pass keeps only hashes; if two are equal, a second
    pass compares the references themselves, for those hashes only."""
    seen: set[int] = set()
    repeated: set[int] = set()
    for keys in read_keys(source):
        key = _training_key(keys)
        if key is not None:
            digest = hash(key)
            if digest in seen:
                repeated.add(digest)
            else:
                seen.add(digest)
    del seen
    if not repeated:
        return frozenset()
    source.seek(0)
    first: set[tuple[str, str]] = set()
    duplicates = set()
    for keys in read_keys(source):
        key = _training_key(keys)
        if key is not None and hash(key) in repeated:
            if key in first:
                duplicates.add(keys.position)
            else:
                first.add(key)
    return frozenset(duplicates)


def _owners(
    declarations: Iterable[Keys], count: int, duplicates: frozenset[int]
) -> tuple[bool, dict[int, int]]:
    """(whether the file reaches across workers, position -> partition of the trainings
    that name no INSZ), from the workers who hold the file's references today."""
    assigned: dict[int, int] = {}
    pending: list[Keys] = []

    def look_up() -> bool:
        by_employer: dict[str, list[Keys]] = defaultdict(list)
        for keys in pending:
            by_employer[keys.employer].append(keys)
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
                    employer_id=employer_id, reference__in={k.reference for k in group}
                ).values_list("reference", "worker__insz")
            )
            for keys in group:
                holder = holders.get(keys.reference)
                if holder is None:
                    continue  # a new reference, or one the write path will reject
                if not keys.insz:
                    assigned[keys.position] = partition_of_insz(holder, count)
                elif checked_insz(keys.insz) != holder:
                    return True
        pending.clear()
        return False

    for keys in declarations:
        if keys.kind == "employer_year":
            return True, {}
        if keys.kind == "training" and keys.reference and keys.position not in duplicates:
            pending.append(keys)
            if len(pending) >= LOOKUP_BATCH and look_up():
                return True, {}
    if pending and look_up():
        return True, {}
    return False, assigned
