"""The receipt of a BATCH file: one streaming, XSD-validating pass over the upload.

The upload is copied to a temporary file as it is read and fed to a validating lxml
pull parser in the same pass. The file is rejected whole, with line, column and
reason, when it is too large, has a DOCTYPE (so no entity or DTD can ever be
declared), is not UTF-8, is not well formed or is not valid against the XSD. The
header's zones are handed to ``check_header`` as soon as the header ends, so a wrong
sender or a duplicate reference stops the upload before the rest is read.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO
from xml.parsers import expat

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from fla.batch.parsing import (
    ACTION_TAG,
    DECLARATION_TAGS,
    EMPLOYER_TAG,
    EMPLOYMENT_TAG,
    ENTERPRISE_NUMBER_TAG,
    INSZ_TAG,
    NS,
    REFERENCE_TAG,
    TRAINING_TAG,
    WORKER_TAG,
    RepeatedReferences,
)
from fla.batch.schemas import BATCH_NS, SAFE, SAFE_ELEMENTS, batch_schema

READ_SIZE = 64 * 1024
# The header is looked for tag by tag in the first bytes of a file only (``scan``).
HEADER_SPLIT = 64 * 1024
MAX_PROLOG = 64 * 1024
# A file the XSD refuses is read to its end, to judge first whether it is well formed,
# when it is no longer than this.
SHORT_FILE = 64 * 1024
HEADER_TAG = NS + "header"
ROOT_TAG = NS + "batch_file"


@dataclass
class ReceiptError:
    code: str  # too_large, forbidden, not_well_formed, invalid, duplicate_reference, ...
    reason: str
    line: int | None = None
    column: int | None = None
    offset: int | None = field(default=None, repr=False)  # where the pass noticed it
    # The header zone the error is about: its start tag is the position (``place``).
    zone: str | None = field(default=None, repr=False)
    # Line and column as libxml2 counts them (lines end at LF only), for ``place``.
    libxml2_position: bool = field(default=False, repr=False)

    def as_dict(self) -> dict:
        return {"code": self.code, "line": self.line, "column": self.column, "reason": self.reason}


def too_large(limit: int, line: int | None = None, column: int | None = None) -> ReceiptError:
    """A file larger than ``limit`` bytes: said in GB or MB where the limit is a whole
    number of them (the default, 2 GB), else in bytes."""
    # The units as the language writes them (French: Go, Mo).
    for unit, size in ((_("GB"), 1024**3), (_("MB"), 1024**2)):
        if limit >= size and limit % size == 0:
            reason = _("Het bestand is groter dan de limiet van %(limit)s.") % {
                "limit": f"{limit // size} {unit}"
            }
            break
    else:
        reason = _("Het bestand is groter dan de limiet van %(limit)s bytes.") % {"limit": limit}
    return ReceiptError("too_large", reason, line, column)


# The reasons of the checks of the header, made by fla.batch.services.receive.


def wrong_sender(sender: str) -> ReceiptError:
    reason = _(
        "Je mag geen bestanden sturen voor de afzender %(sender)s: je bent die organisatie "
        "niet of maakt er geen deel van uit."
    ) % {"sender": sender}
    return ReceiptError("wrong_sender", reason, zone="sender")


def unknown_sender(sender: str) -> ReceiptError:
    """No employer or mandatary has the sender's number: a file sent by the operator, who
    may name any organisation, acts for that organisation's employers only, and one
    FLA does not know has none (a mistyped number, most often)."""
    reason = _(
        "Geen werkgever of mandataris heeft het ondernemingsnummer %(sender)s: de afzender "
        "moet een organisatie zijn die FLA kent."
    ) % {"sender": sender}
    return ReceiptError("wrong_sender", reason, zone="sender")


def read_only_sender(sender: str) -> ReceiptError:
    """The caller belongs to the sender organisation, but may only read its data."""
    reason = _(
        "Je hebt alleen leestoegang tot de afzender %(sender)s: je mag geen bestanden "
        "sturen voor die organisatie. Vraag de toegangsbeheerder om het recht om aan te geven."
    ) % {"sender": sender}
    return ReceiptError("wrong_sender", reason, zone="sender")


def employer_not_mandatary_sender(sender: str, mandataries: list[str]) -> ReceiptError:
    """A member of a social secretariat named as sender an employer it may not declare
    for: a secretariat sends its files under its own enterprise number."""
    reason = _(
        "Je mag geen bestanden sturen voor de afzender %(sender)s: je hebt geen toegang om "
        "aan te geven voor die werkgever. Een sociaal secretariaat vermeldt zijn eigen "
        "ondernemingsnummer als afzender (%(own)s); het bestand geldt dan voor de werkgevers "
        "waarvoor het een actief mandaat heeft."
    ) % {"sender": sender, "own": ", ".join(mandataries)}
    return ReceiptError("wrong_sender", reason, zone="sender")


def wrong_environment(test_file: bool) -> ReceiptError:
    if test_file:
        reason = _("Een testbestand werd naar productie gestuurd.")
    else:
        reason = _("Een productiebestand werd naar de testomgeving gestuurd.")
    return ReceiptError("wrong_environment", reason, zone="environment")


def duplicate_reference(
    reference: str, earlier_id: int | None = None, received_at: dt.datetime | None = None
) -> ReceiptError:
    """The sender used the file reference before: for file ``earlier_id`` when known (a
    file of the same sender, which whoever may send for it may read), so that a file
    sent twice (a second click, a retry) leads to the first one's answer."""
    if earlier_id is None or received_at is None:
        reason = _("De bestandsreferentie %(reference)s werd al door deze afzender gebruikt.")
    else:
        reason = _(
            "De bestandsreferentie %(reference)s werd al door deze afzender gebruikt, voor "
            "bestand %(id)s (ontvangen op %(received)s)."
        )
    received = timezone.localtime(received_at).strftime("%d/%m/%Y %H:%M") if received_at else ""
    reason %= {"reference": reference, "id": earlier_id, "received": received}
    return ReceiptError("duplicate_reference", reason, zone="file_reference")


class Rejected(Exception):
    def __init__(self, error: ReceiptError) -> None:
        super().__init__(error.reason)
        self.error = error
        # The header's zones read before the rejection (``scan``): its receipt says them.
        self.header: dict[str, str] = {}


@dataclass
class Scan:
    """What the receipt pass learnt of an accepted file."""

    header: dict[str, str] = field(default_factory=dict)
    declarations: int = 0
    employers: int = 0
    size: int = 0
    # Digests (parsing.reference_digest) of the training references the file may use
    # more than once: candidates for E022, which the plan confirms (fla.batch.planning).
    repeated: set[int] = field(default_factory=set)
    # Whether a declaration reaches across workers (an employer year, rights, a worker
    # with his employment): the file is then one partition (fla.batch.planning).
    across: bool = False
    # Trainings that go where their reference's holder is: cancels, and those naming no
    # INSZ; the plan reads the file for them only.
    by_reference: int = 0

    def notes(self) -> dict:
        """What the plan starts from (``BatchFile.plan`` until the file is planned)."""
        return {
            "repeated": sorted(self.repeated),
            "across": self.across,
            "by_reference": self.by_reference,
        }


_BOM = b"\xef\xbb\xbf"
_CONTINUATION = bytes(range(0x80, 0xC0))


def _chars(data: bytes) -> int:
    """The characters of UTF-8 ``data``: each counted where its first byte is."""
    return len(data.translate(None, _CONTINUATION))


class _Position:
    """Line and column just after what was read so far (1-based), counted as XML counts
    them: LF, CR LF and a lone CR each end a line (XML 1.0, section 2.11), a column is a
    character, and a byte order mark at the start of the file is none."""

    def __init__(self) -> None:
        self.line = 1
        self.column = 1
        self.offset = 0  # bytes read
        self._cr = False  # what was read ends with a CR (a LF next ends no other line)

    def copy(self) -> _Position:
        other = _Position()
        other.line, other.column, other.offset, other._cr = (
            self.line, self.column, self.offset, self._cr,
        )  # fmt: skip
        return other

    def advance(self, data: bytes) -> None:
        if not data:
            return
        start = self.offset
        self.offset += len(data)
        if start == 0 and data.startswith(_BOM):
            data = data[len(_BOM) :]
        lf, cr = data.count(b"\n"), data.count(b"\r")
        ends = lf + cr - data.count(b"\r\n")
        if self._cr and data.startswith(b"\n"):
            ends -= 1  # the LF of a CR LF cut between two reads
        last = max(data.rfind(b"\n"), data.rfind(b"\r")) if lf or cr else -1
        if last >= 0:
            self.line += ends
            self.column = 1 + _chars(data[last + 1 :])
        else:
            self.column += _chars(data)
        self._cr = data.endswith(b"\r")


_XML_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _utf8_only() -> Rejected:
    return Rejected(ReceiptError("forbidden", _("Het bestand moet in UTF-8 gecodeerd zijn."), 1, 1))


class Prolog:
    """Refuses a DOCTYPE and any encoding but UTF-8, before lxml sees a byte.

    Fed block by block, it walks the prolog (XML declaration, comments, processing
    instructions) up to the root element, keeping its place: what it has walked is
    handed on to the parser and forgotten, so a long prolog is read once and only the
    item being read is kept. The root element must start within ``MAX_PROLOG`` bytes.
    """

    def __init__(self) -> None:
        self.done = False
        self.pending = b""  # read but not yet handed on: the item being read
        self.offset = 0  # where ``pending`` starts in the file
        self.position = _Position()  # line and column of that start
        self.items = 0  # the declarations, comments and PIs walked so far

    def feed(self, data: bytes, *, complete: bool) -> bytes:
        """Walk ``data``; return the bytes now safe for the parser (all of them once done)."""
        head = self.pending + data
        if not self.items:  # the XML declaration is the first item, and may come late
            self._check_encoding(head)
        index = 3 if self.offset == 0 and head.startswith(b"\xef\xbb\xbf") else 0
        while True:
            while index < len(head) and head[index : index + 1] in b" \t\r\n":
                index += 1
            rest = head[index:]
            if complete and not rest and not self.items:
                raise Rejected(ReceiptError("not_well_formed", _("Het bestand is leeg."), 1, 1))
            if self.offset + index >= MAX_PROLOG:
                raise self._too_long(head, index)
            if len(rest) < 10 and not complete:
                break
            if rest.startswith(b"<?"):
                close, end = head.find(b"?>", index + 2), 2
            elif rest.startswith(b"<!--"):
                close, end = head.find(b"-->", index + 4), 3
            elif rest.startswith(b"<!") or rest.startswith(b"<\x00"):
                # <!DOCTYPE in any spelling, or any other declaration: never given to lxml.
                raise self._rejected(
                    head,
                    index,
                    "forbidden",
                    _("Een DOCTYPE is niet toegestaan: geen DTD, geen entiteiten."),
                )
            else:
                self.done, self.pending = True, b""  # the root, or what lxml will refuse
                return head
            if close < 0:
                if complete:
                    raise self._rejected(
                        head,
                        index,
                        "not_well_formed",
                        _("De proloog van het bestand is niet afgesloten."),
                    )
                break
            index = close + end
            self.items += 1
        passed, self.pending = head[:index], head[index:]
        self.position.advance(passed)
        self.offset += len(passed)
        if self.offset + len(self.pending) >= MAX_PROLOG + 10:
            # An open item runs past the limit, or the root is still to come after it.
            raise self._too_long(self.pending, 0)
        return passed

    def _check_encoding(self, head: bytes) -> None:
        if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or head[1:2] == b"\x00":
            raise _utf8_only()
        match = _XML_DECL.match(head[3:] if head.startswith(b"\xef\xbb\xbf") else head)
        if match and match.group(1).lower() not in (b"utf-8", b"utf8"):
            raise _utf8_only()

    def _rejected(self, head: bytes, index: int, code: str, reason: str) -> Rejected:
        position = self.position.copy()
        position.advance(head[:index])
        return Rejected(ReceiptError(code, reason, position.line, position.column))

    def _too_long(self, head: bytes, index: int) -> Rejected:
        return self._rejected(
            head,
            index,
            "forbidden",
            _(
                "Het hoofdelement begint niet binnen de eerste %(limit)s bytes: de proloog "
                "(XML-declaratie, commentaar, verwerkingsinstructies) is te lang."
            )
            % {"limit": MAX_PROLOG},
        )


HEADER_ZONES = ("file_reference", "sender", "environment", "created_at", "language")
# The receipt pass only looks at these elements (events cost Python time per element).
SCAN_TAGS = (ROOT_TAG, HEADER_TAG, EMPLOYER_TAG, *DECLARATION_TAGS, ENTERPRISE_NUMBER_TAG,
             *(NS + zone for zone in HEADER_ZONES))  # fmt: skip


def _new_parser(tags: tuple[str, ...] | None = None) -> etree.XMLPullParser:
    return etree.XMLPullParser(
        events=("end",) if tags else ("start", "end"),
        tag=tags,
        schema=batch_schema(),
        # Not resolve_entities=False: with a schema attached, lxml 6.1 then stops
        # reporting well-formedness errors (a truncated or mismatched document passes).
        # No entity can be declared anyway: a DOCTYPE is refused before lxml sees a byte
        # (Prolog); external entities, DTDs and the
        # network stay off.
        resolve_entities="internal",
        **SAFE,
    )


def _errors(parser: etree.XMLPullParser) -> list:
    # Validity errors of a feed parser surface in feed_error_log as they happen.
    return [
        e
        for log in (parser.feed_error_log, parser.error_log)
        for e in log
        if e.level >= etree.ErrorLevels.ERROR
    ]


def _message(entry) -> str:
    return entry.message.replace("{" + BATCH_NS + "}", "")


def _string(element: etree._Element) -> str:
    """The value of a zone as the XSD reads it: all its text, also around a comment or
    processing instruction inside it (``element.text`` stops at the first)."""
    if not len(element):
        return element.text or ""
    return "".join(element.itertext())


def scan(
    source: IO[bytes], sink: IO[bytes], *, max_bytes: int, check_header: Callable[[Scan], None]
) -> Scan:
    """Read ``source`` to the end, copying it to ``sink`` and validating it as it goes.

    The line and column of a rejection are completed by ``place`` from ``sink``; its
    ``header`` holds the header's zones read before it."""
    header: dict[str, str] = {}
    try:
        return _scan(source, sink, max_bytes, check_header, header)
    except Rejected as exc:
        exc.header = dict(header)
        if exc.error.code == "invalid" and _read_whole(source, sink, max_bytes):
            # Validity is a property of well-formed XML only (XML 1.0, section 2.8): a
            # short file, which the receipt can read whole, is not well formed before it
            # is invalid, whatever fault the pass met first ("<x>" and "<x>" with a
            # newline after it are both not well formed, at their end).
            malformed = _not_well_formed(sink)
            if malformed is not None:
                malformed.header = exc.header
                raise malformed from None
        raise


def _scan(
    source: IO[bytes],
    sink: IO[bytes],
    max_bytes: int,
    check_header: Callable[[Scan], None],
    header: dict[str, str],
) -> Scan:
    parser = _new_parser(SCAN_TAGS)
    result = Scan()
    position = _Position()
    prolog = Prolog()
    fed = 0  # bytes given to the parser
    root_closed = False
    header_done = False
    # The header's zones read in the piece being fed: kept once the XSD accepts them,
    # so that a rejection says only values of the form the XSD gives (not a zone of a
    # megabyte refused for its length).
    zones: dict[str, str] = {}
    employer = ""
    references = RepeatedReferences()
    while True:
        data = source.read(READ_SIZE)
        eof = not data
        if data:
            result.size += len(data)
            if result.size > max_bytes:
                raise Rejected(too_large(max_bytes, position.line, position.column))
            sink.write(data)
        if not prolog.done:
            data = prolog.feed(data, complete=eof)
        # Until the header is checked the parser is given one tag at a time (pieces
        # that end after a ">"), so that an error further on in the same block, such as
        # an invalid declaration, cannot hide a refused header (wrong sender, duplicate
        # reference, wrong environment): the answer does not depend on where a block ends.
        start = 0
        while start < len(data):
            end = len(data)
            if not header_done and fed < HEADER_SPLIT:
                end = data.find(b">", start) + 1 or end
            piece, start = data[start:end], end
            try:
                parser.feed(piece)
                for _event, element in parser.read_events():
                    tag = element.tag
                    parent = element.getparent()  # None for the root, whatever its name
                    if tag in DECLARATION_TAGS:
                        result.declarations += 1
                        if tag == TRAINING_TAG:
                            reference, placed_by_reference = _training_keys(element)
                            if reference:
                                references.add(employer, reference)
                            result.by_reference += placed_by_reference
                        elif tag != WORKER_TAG or element.find(EMPLOYMENT_TAG) is not None:
                            result.across = True
                        _drop(element)
                    elif tag == ENTERPRISE_NUMBER_TAG:
                        if parent is not None and parent.tag == EMPLOYER_TAG:
                            employer = _string(element).strip()
                    elif tag == EMPLOYER_TAG:
                        result.employers += 1
                        _drop(element)
                    elif tag == HEADER_TAG:
                        header_done = True
                        result.header = header
                        if parent is not None and not _errors(parser):
                            header.update(zones)
                            zones.clear()
                            check_header(result)
                    elif tag == ROOT_TAG:
                        root_closed = parent is None
                    elif not header_done and parent is not None and parent.tag == HEADER_TAG:
                        zones[tag[len(NS) :]] = _string(element).strip()
            except etree.XMLSyntaxError as exc:
                raise _classify(exc, parser, position, fed) from None
            if _errors(parser):
                raise _validity_error(parser, fed)
            if zones:
                header.update(zones)
                zones.clear()
            position.advance(piece)
            fed += len(piece)
        if eof:
            break
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        if _errors(parser):
            # A validity error found only now: libxml2's push parser starts on a document
            # once it holds a few bytes past the root's start tag, so a file as short as
            # "<x/>" is read, and validated, only when the parser is closed. Its
            # validator then stops the parser: whether the file is well formed is
            # learnt by reading the copy again without the XSD. A file cut short is
            # reported as such below, at its end.
            malformed = _not_well_formed(sink)
            if malformed is None:
                raise _validity_error(parser, fed) from None
            raise malformed from None
        # libxml2 reports some errors only now (a bare "&": "xmlParseEntityRef: no
        # name"); one it places before the end of the data is in the file, where a file
        # cut short is reported at its very end.
        line, column = exc.position if exc.position else (0, 0)
        if not _errors(parser) and (
            root_closed or (line > 0 and (line, column) < (position.line, position.column))
        ):
            raise _classify(exc, parser, position) from None
    result.repeated = references.candidates
    if not root_closed:
        # Checked here: lxml's validating parser may accept or misreport a truncated file.
        raise _unclosed_root(position)
    return result


def _unclosed_root(end: _Position) -> Rejected:
    return Rejected(
        ReceiptError(
            "not_well_formed",
            _("Het document eindigt voordat zijn hoofdelement afgesloten is."),
            end.line,
            end.column,
        )
    )


def _read_whole(source: IO[bytes], sink: IO[bytes], max_bytes: int) -> bool:
    """Copy the rest of ``source`` to ``sink`` if the whole file is no longer than
    ``SHORT_FILE`` bytes (and ``max_bytes``); True if the copy now holds all of it.

    Called on a file the XSD refused: a longer one is not read to its end for a fault
    that is already certain."""
    sink.seek(0, 2)
    size = sink.tell()
    limit = min(SHORT_FILE, max_bytes)
    while size <= limit:
        data = source.read(limit + 1 - size)
        if not data:
            return True
        size += len(data)
        sink.write(data)
    return False


def _not_well_formed(sink: IO[bytes]) -> Rejected | None:
    """The rejection of the copy ``sink`` if it is not well formed, or None if it is: at
    its end for a file that ends inside its root, else where libxml2 found it so."""
    syntax, root_closed = _malformed(sink)
    if syntax is None:
        return None
    sink.seek(0)
    end = _Position()
    while block := sink.read(READ_SIZE):
        end.advance(block)
    if not root_closed and syntax.code == etree.ErrorTypes.ERR_TAG_NOT_FINISHED:
        return _unclosed_root(end)  # libxml2's "Premature end of data in tag"
    return _syntax_error(syntax, end)


def _malformed(sink: IO[bytes]) -> tuple[etree.XMLSyntaxError | None, bool]:
    """Why the copy ``sink`` is not well formed, or None if it is, and whether its root
    element was closed: read again from its start without the XSD, keeping nothing of
    what is read. The copy is one the receipt has walked up to its root, so without a
    DOCTYPE."""
    sink.flush()
    sink.seek(0)
    parser = etree.XMLPullParser(events=("end",), **SAFE_ELEMENTS)
    root_closed = False
    try:
        while block := sink.read(READ_SIZE):
            parser.feed(block)
            for _event, element in parser.read_events():
                if element.getparent() is None:
                    root_closed = True
                else:
                    _drop(element)
        parser.close().clear()
    except etree.XMLSyntaxError as exc:
        return exc, root_closed
    finally:
        sink.seek(0, 2)
    return None, root_closed


def _training_keys(element: etree._Element) -> tuple[str, bool]:
    """A training's reference (stripped), and whether it goes where the reference's
    holder is (a cancel, or no INSZ). Its first zones are action?, reference, insz?
    (the XSD's order), so at most three are looked at."""
    reference, cancel, insz = "", False, False
    for child in element:
        tag = child.tag
        if tag == REFERENCE_TAG:
            reference = _string(child).strip()
        elif tag == ACTION_TAG:
            cancel = _string(child).strip() == "cancel"
        elif tag == INSZ_TAG:
            insz = True
            break
        elif isinstance(tag, str):  # a later zone (not a comment): no INSZ
            break
    return reference, cancel or not insz


def _drop(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _classify(
    exc: etree.XMLSyntaxError, parser, position: _Position, offset: int | None = None
) -> Rejected:
    if any(e.domain_name == "SCHEMASV" for e in _errors(parser)):
        return _validity_error(parser, offset)
    return _syntax_error(exc, position)


# lxml's feed parser words a syntax error "line 13: b'Opening and ending tag mismatch:
# title line 13 and titl\\xc3\\xa9'": libxml2's bytes as Python writes them, after a line
# the receipt gives on its own.
_FEED_ERROR = re.compile(r"^line \d+: (b(['\"]).*\2)$", re.DOTALL)


def _detail(exc: etree.XMLSyntaxError) -> str:
    """libxml2's words of a syntax error, as readable text."""
    message = str(exc.msg if hasattr(exc, "msg") else exc)
    message = re.sub(r"\s*\(<string>, line \d+\)$", "", message)
    # A parser without the XSD (``_malformed``) adds the line and column the receipt
    # gives on its own.
    message = re.sub(r", line \d+, column \d+$", "", message)
    match = _FEED_ERROR.match(message.strip())
    if match:
        try:
            raw = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            raw = None
        if isinstance(raw, bytes):
            message = raw.decode("utf-8", errors="replace")
    return message.strip()


def _syntax_error(exc: etree.XMLSyntaxError, position: _Position) -> Rejected:
    reason = _("Geen welgevormde XML: %(detail)s") % {"detail": _detail(exc)}
    if exc.position and exc.position[0]:
        line, column = exc.position
        return Rejected(
            ReceiptError("not_well_formed", reason, line, column, libxml2_position=True)
        )
    return Rejected(ReceiptError("not_well_formed", reason, position.line, position.column))


def _validity_error(parser, offset: int | None = None) -> Rejected:
    entry = _errors(parser)[0]
    line, column = (entry.line, entry.column or None) if entry.line else (None, None)
    return Rejected(
        ReceiptError("invalid", _invalid(entry), line, column, offset, libxml2_position=bool(line))
    )


def _invalid(entry) -> str:
    # lxml's own words after ours: they name the element and the rule, and are not ours
    # to translate.
    if "No matching global declaration available for the validation root" in entry.message:
        # The root element is not ours: most often the namespace is missing or another.
        return _(
            "Niet geldig volgens de XSD: het hoofdelement moet batch_file zijn, in de "
            "naamruimte %(namespace)s (%(detail)s)."
        ) % {"namespace": BATCH_NS, "detail": _message(entry)}
    return _("Niet geldig volgens de XSD: %(detail)s") % {"detail": _message(entry)}


# ---------------------------------------------------------------------------------------
# Line and column of a rejection. The receipt's pass knows where it stopped, not where
# the element at fault starts: libxml2's streaming validator reports no line, and lxml
# gives an element a line but no column. ``place`` reads the spooled file again for them.
# ---------------------------------------------------------------------------------------


def place(spooled: IO[bytes], error: ReceiptError) -> ReceiptError:
    """``error`` with the line and column of what it is about, counted as XML counts them
    (``_Position``): the start tag of the element a validity error names, of the header
    zone a check of the header refused, or the place libxml2 found a file not well formed.
    """
    if error.code == "invalid":
        located = locate(spooled, error)
        if located is not None:
            return located
    if error.zone:
        offset = _start_tag_offset(spooled, _header_zone(error.zone))
        if offset is not None:
            error.line, error.column = _xml_position(spooled, offset)
        return error
    if error.libxml2_position and error.line:
        offset = _libxml2_offset(spooled, error.line, error.column or 1)
        error.line, error.column = _xml_position(spooled, offset)
        error.libxml2_position = False
    elif error.line is None and error.offset is not None:
        error.line, error.column = _xml_position(spooled, error.offset)
    return error


_ELEMENT_IN_MESSAGE = re.compile(r"Element '([^']+)'")


class _Stop(Exception):
    pass


class _Watcher:
    """The target of ``locate``'s parser: it numbers the elements as they start, in file
    order, and notes the element that the first validity error is about.

    libxml2 calls the target for an element before the validator, so an error that
    appears by the next call is about the element of the call before it: the element
    the message names, or the innermost open one of that name.
    """

    def __init__(self) -> None:
        self.parser: etree.XMLParser | None = None
        self.watching = False
        self.count = 0
        self.open: list[tuple[str, int]] = []  # (tag, number) of the open elements
        self.last: tuple[str, int] | None = None  # the element of the last call
        self.found: tuple[int, ReceiptError] | None = None  # its number and the error

    def check(self) -> None:
        if self.found is not None or self.parser is None:
            return
        entries = _errors(self.parser)
        if not entries:
            return
        entry = entries[0]
        match = _ELEMENT_IN_MESSAGE.search(entry.message)
        tag = match.group(1) if match else None
        number = None
        if self.last is not None and (tag is None or self.last[0] == tag):
            number = self.last[1]
        else:
            number = next((n for t, n in reversed(self.open) if t == tag), None)
        if number is None and self.last is not None:
            number = self.last[1]
        if number is not None:
            self.found = (number, ReceiptError("invalid", _invalid(entry)))
        raise _Stop

    def start(self, tag, attrib) -> None:
        if self.watching:
            self.check()
        self.count += 1
        self.last = (tag, self.count)
        self.open.append(self.last)

    def end(self, tag) -> None:
        if self.watching:
            self.check()
        self.last = self.open.pop()

    def close(self) -> None:
        return None


def locate(spooled: IO[bytes], error: ReceiptError) -> ReceiptError | None:
    """A validity error with the line and column of the start tag of the element it is
    about, found by validating the spooled file again; None if that pass finds no error.

    The blocks before the one where the receipt noticed the error (``error.offset``) are
    only counted; from there on every element is watched. Nothing is kept of the
    elements read: the parser builds no tree.
    """
    spooled.seek(0)
    watcher = _Watcher()
    parser = etree.XMLParser(
        target=watcher,
        schema=batch_schema(),
        resolve_entities="internal",  # as the receipt's parser (_new_parser)
        **SAFE,
    )
    watcher.parser = parser
    fed = 0
    try:
        while True:
            block = spooled.read(READ_SIZE)
            if not block:
                watcher.watching = True
                try:
                    parser.close()
                except etree.XMLSyntaxError:
                    pass
                watcher.check()
                break
            watcher.watching = error.offset is None or fed + len(block) > error.offset
            fed += len(block)
            try:
                parser.feed(block)
            except etree.XMLSyntaxError:
                watcher.watching = True
                watcher.check()
                break
            watcher.check()
    except _Stop:
        pass
    if watcher.found is None:
        return None
    number, found = watcher.found
    offset = _start_tag_offset(spooled, lambda count, path: count == number)
    if offset is not None:
        found.line, found.column = _xml_position(spooled, offset)
    elif error.offset is not None:
        found.line, found.column = _xml_position(spooled, error.offset)
    else:
        return None
    return found


def _header_zone(zone: str) -> Callable[[int, list[str]], bool]:
    return lambda count, path: len(path) == 3 and path[1] == "header" and path[2] == zone


def _start_tag_offset(spooled: IO[bytes], wanted: Callable[[int, list[str]], bool]) -> int | None:
    """Byte offset of the first start tag ``wanted(number, path)`` is true of: its number
    in file order (1 for the root) and the local names from the root to it.

    Read with expat, which gives the offset of each start tag (libxml2 gives only a
    line). The file is one the receipt has read up to there, so without a DOCTYPE: no
    DTD is read, no entity declared; a file expat cannot read gives None.
    """
    spooled.seek(0)
    reader = expat.ParserCreate()
    reader.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    path: list[str] = []
    count = 0
    found: list[int] = []

    def start(name: str, attributes) -> None:
        nonlocal count
        count += 1
        path.append(name.rpartition(":")[2])
        if wanted(count, path):
            found.append(reader.CurrentByteIndex)
            raise _Stop

    def end(name: str) -> None:
        path.pop()

    def doctype(*args) -> None:
        raise _Stop

    reader.StartElementHandler = start
    reader.EndElementHandler = end
    reader.StartDoctypeDeclHandler = doctype
    try:
        while block := spooled.read(READ_SIZE):
            reader.Parse(block, False)
        reader.Parse(b"", True)
    except (_Stop, expat.ExpatError):
        pass
    return found[0] if found else None


def _xml_position(spooled: IO[bytes], offset: int) -> tuple[int, int]:
    """Line and column (``_Position``) of the byte at ``offset`` of the spooled file."""
    spooled.seek(0)
    position = _Position()
    while position.offset < offset:
        block = spooled.read(min(READ_SIZE, offset - position.offset))
        if not block:
            break
        position.advance(block)
    return position.line, position.column


_CHARACTER_START = re.compile(rb"[^\x80-\xbf]")


def _libxml2_offset(spooled: IO[bytes], line: int, column: int) -> int:
    """Byte offset of the place libxml2 calls ``line``, ``column``: it ends a line at LF
    only (a lone CR is none) and counts columns in characters."""
    spooled.seek(0)
    offset, lines = 0, 1
    while lines < line:
        block = spooled.read(READ_SIZE)
        if not block:
            return offset
        count = block.count(b"\n")
        if lines + count < line:
            lines += count
            offset += len(block)
            continue
        index = -1
        for _skipped in range(line - lines):
            index = block.index(b"\n", index + 1)
        offset += index + 1
        lines = line
    spooled.seek(offset)
    skip = column - 1
    while skip > 0:
        block = spooled.read(READ_SIZE)
        if not block:
            break
        end = block.find(b"\n")
        if end >= 0:
            block = block[:end]
        starts = [m.start() for m in _CHARACTER_START.finditer(block)]
        if len(starts) > skip:
            return offset + starts[skip]
        skip -= len(starts)
        offset += len(block)
        if end >= 0:
            break
    return offset
