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

from fla.batch.schemas import BATCH_NS
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

    A Bloom filter of 2**27 bits (16 MB, taken at the first reference) with three hash
    functions remembers the references read so far; a reference it may have seen
    already becomes a candidate, by its ``reference_digest``. The plan confirms the
    candidates against the references themselves (``fla.batch.planning``). Expected
    false candidates: about 3 in a million references, 200 in three million.
    """

    BITS = 1 << 27  # three hashes of 27 bits each

    def __init__(self) -> None:
        self.bits: bytearray | None = None
        self.candidates: set[int] = set()

    def add(self, employer: str, reference: str) -> None:
        bits = self.bits
        if bits is None:
            bits = self.bits = bytearray(self.BITS // 8)
        digest = _reference_hash(employer, reference)
        spread = int.from_bytes(digest[7:], "big")  # 104 bits: three positions of 27
        a, b, c = spread & _MASK, (spread >> 27) & _MASK, (spread >> 54) & _MASK
        seen = (bits[a >> 3] >> (a & 7)) & (bits[b >> 3] >> (b & 7)) & (bits[c >> 3] >> (c & 7))
        bits[a >> 3] |= 1 << (a & 7)
        bits[b >> 3] |= 1 << (b & 7)
        bits[c >> 3] |= 1 << (c & 7)
        if seen & 1:
            self.candidates.add(int.from_bytes(digest[:7], "big"))


_MASK = RepeatedReferences.BITS - 1


def safe_iterparse(source: IO[bytes], **kwargs) -> etree.iterparse:
    return etree.iterparse(
        source,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        **kwargs,
    )


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
