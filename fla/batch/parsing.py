"""Streaming readers of BATCH files.

``read_declarations`` turns a stored (already validated) file into ``Declaration``
objects, one at a time, clearing every element once read: memory stays flat whatever
the size of the file. Zones arrive as the strings of the XML, so the write path does
every semantic check once, for every channel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import IO, NamedTuple

from lxml import etree

from fla.batch.schemas import BATCH_NS, SAFE_ELEMENTS
from fla.declarations.types import Declaration

NS = "{" + BATCH_NS + "}"
_NS_LEN = len(NS)
DECLARATION_KINDS = ("employer_year", "worker", "rights", "training")
DECLARATION_TAGS = tuple(NS + kind for kind in DECLARATION_KINDS)
ENTERPRISE_NUMBER_TAG = NS + "enterprise_number"
EMPLOYER_TAG = NS + "employer"
INSZ_TAG = NS + "insz"
REFERENCE_TAG = NS + "reference"
TRAINING_TAG = NS + "training"
WORKER_TAG = NS + "worker"
ACTION_TAG = NS + "action"
EMPLOYMENT_TAG = NS + "employment"


def _reference_hash(employer: str, reference: str) -> bytes:
    return hashlib.blake2b(f"{employer}\x00{reference}".encode(), digest_size=20).digest()


def reference_digest(employer: str, reference: str) -> int:
    """A stable 56-bit digest of a training's (enterprise number, reference) as the file
    writes them (stripped): equal keys have equal digests in every process."""
    return int.from_bytes(_reference_hash(employer, reference)[:7], "big")


class RepeatedReferences:
    """The training references a file may use more than once, found in fixed memory.

    A Bloom filter of 2**27 bits (16 MB, taken at the first reference) remembers the
    references read so far, each by seven bits chosen by double hashing of Python's
    own string hash (this process's only: the filter lives in the receipt); a
    reference whose seven bits were all set already becomes a candidate, by its stable
    ``reference_digest``. The plan confirms the candidates against the references
    themselves (``fla.batch.planning``), which costs a second reading of the file.
    Expected false candidates: about one in ten thousand files of a million
    references, one in two files of three million (three hashes gave 2.7 and 209:
    every file of a million references was read twice).
    """

    BITS = 1 << 27

    def __init__(self) -> None:
        self.bits: bytearray | None = None
        self.candidates: set[int] = set()
        self.mask = self.BITS - 1

    def add(self, employer: str, reference: str) -> None:
        bits = self.bits
        if bits is None:
            bits = self.bits = bytearray(self.BITS // 8)
        mask = self.mask
        h1 = hash((employer, reference))
        h2 = hash((reference, employer)) | 1  # odd: seven different bits
        new = False
        for p in (h1, h1 + h2, h1 + 2 * h2, h1 + 3 * h2, h1 + 4 * h2, h1 + 5 * h2, h1 + 6 * h2):
            p &= mask
            byte, bit = p >> 3, 1 << (p & 7)
            old = bits[byte]
            if not old & bit:
                bits[byte] = old | bit
                new = True
        if not new:
            self.candidates.add(reference_digest(employer, reference))


def safe_iterparse(source: IO[bytes], **kwargs) -> etree.iterparse:
    return etree.iterparse(source, **SAFE_ELEMENTS, **kwargs)


def _zones(element: etree._Element, names: dict[str, str]) -> dict:
    """The zones of ``element``: local name -> text, or -> the zones of a nested block.

    ``names`` maps the qualified tags already seen to their local names (a file has
    only the XSD's few): each is sliced once per file, not once per zone.
    """
    data: dict = {}
    for child in element:
        tag = child.tag
        name = names.get(tag)
        if name is None:
            if not isinstance(tag, str):
                continue
            name = names[tag] = tag[_NS_LEN:]
        if len(child):
            data[name] = _zones(child, names)
        else:
            data[name] = child.text or ""
    return data


def _declaration_elements(source: IO[bytes]) -> Iterator[tuple[int, str, str, etree._Element]]:
    """(position, kind, enterprise number, element) of every declaration, in file order;
    each element is cleared once the consumer asks for the next."""
    employer = ""
    position = 0
    for _event, element in safe_iterparse(
        source, events=("end",), tag=(ENTERPRISE_NUMBER_TAG, *DECLARATION_TAGS, EMPLOYER_TAG)
    ):
        tag = element.tag
        if tag == ENTERPRISE_NUMBER_TAG:
            if element.getparent().tag == EMPLOYER_TAG:
                employer = (element.text or "").strip()
            continue
        if tag != EMPLOYER_TAG:
            position += 1
            yield position, tag[_NS_LEN:], employer, element
        element.clear()
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]


def read_declarations(
    source: IO[bytes], select: Callable[[int, etree._Element], bool] | None = None
) -> Iterator[Declaration]:
    """Every declaration of the file, in order, with ``position`` 1, 2, 3, ...

    With ``select``, only those for which ``select(position, element)`` is true: the
    others are skipped before their zones are read.
    """
    names: dict[str, str] = {}
    for position, kind, employer, element in _declaration_elements(source):
        if select is not None and not select(position, element):
            continue
        data = _zones(element, names)
        action = "create"
        if kind == "training":
            action = (data.pop("action", "") or "create").strip()
        yield Declaration(kind=kind, employer=employer, data=data, action=action, position=position)


class Keys(NamedTuple):
    """What a file's plan needs of a declaration (see ``fla.batch.planning``)."""

    position: int
    kind: str
    employer: str
    insz: str
    reference: str
    employment: bool  # a worker declared with an employment
    cancel: bool  # a training cancelled


def read_keys(source: IO[bytes]) -> Iterator[Keys]:
    """The position, kind, enterprise number, INSZ and reference of every declaration
    (zones stripped, "" where absent), whether it declares an employment and whether it
    cancels, without reading the other zones."""
    for position, kind, employer, element in _declaration_elements(source):
        yield Keys(
            position,
            kind,
            employer,
            (element.findtext(INSZ_TAG) or "").strip(),
            (element.findtext(REFERENCE_TAG) or "").strip(),
            kind == "worker" and element.find(EMPLOYMENT_TAG) is not None,
            kind == "training" and (element.findtext(ACTION_TAG) or "").strip() == "cancel",
        )
