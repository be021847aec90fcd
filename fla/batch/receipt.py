"""The receipt of a BATCH file: one streaming, XSD-validating pass over the upload.

The upload is copied to a temporary file as it is read and fed to a validating lxml
pull parser in the same pass. The file is rejected whole, with line, column and
reason, when it is too large, has a DOCTYPE (so no entity or DTD can ever be
declared), is not UTF-8, is not well formed or is not valid against the XSD. The
header's zones are handed to ``check_header`` as soon as the header ends, so a wrong
sender or a duplicate reference stops the upload before the rest is read.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.utils.translation import gettext as _
from lxml import etree

from fla.batch.parsing import (
    DECLARATION_TAGS,
    EMPLOYER_TAG,
    ENTERPRISE_NUMBER_TAG,
    NS,
    REFERENCE_TAG,
    TRAINING_TAG,
    RepeatedReferences,
)
from fla.batch.schemas import BATCH_NS, batch_schema

READ_SIZE = 64 * 1024
MAX_PROLOG = 64 * 1024
HEADER_TAG = NS + "header"
ROOT_TAG = NS + "batch_file"


@dataclass
class ReceiptError:
    code: str  # too_large, forbidden, not_well_formed, invalid, duplicate_reference, ...
    reason: str
    line: int | None = None
    column: int | None = None
    offset: int | None = field(default=None, repr=False)  # where the pass noticed it

    def as_dict(self) -> dict:
        return {"code": self.code, "line": self.line, "column": self.column, "reason": self.reason}


# The reasons of the checks of the header, made by fla.batch.services.receive.


def wrong_sender(sender: str) -> ReceiptError:
    reason = _(
        "Je mag geen bestanden sturen voor de afzender %(sender)s: je bent die organisatie "
        "niet of maakt er geen deel van uit."
    ) % {"sender": sender}
    return ReceiptError("wrong_sender", reason)


def wrong_environment(test_file: bool, line: int | None, column: int | None) -> ReceiptError:
    if test_file:
        reason = _("Een testbestand werd naar productie gestuurd.")
    else:
        reason = _("Een productiebestand werd naar de testomgeving gestuurd.")
    return ReceiptError("wrong_environment", reason, line, column)


def duplicate_reference(reference: str, line: int | None, column: int | None) -> ReceiptError:
    reason = _("De bestandsreferentie %(reference)s werd al door deze afzender gebruikt.") % {
        "reference": reference
    }
    return ReceiptError("duplicate_reference", reason, line, column)


class Rejected(Exception):
    def __init__(self, error: ReceiptError) -> None:
        super().__init__(error.reason)
        self.error = error


@dataclass
class Scan:
    """What the receipt pass learnt of an accepted file."""

    header: dict[str, str] = field(default_factory=dict)
    header_lines: dict[str, int] = field(default_factory=dict)
    header_columns: dict[str, int | None] = field(default_factory=dict)
    declarations: int = 0
    employers: int = 0
    size: int = 0
    # Digests (parsing.reference_digest) of the training references the file may use
    # more than once: candidates for E022, which the plan confirms (fla.batch.planning).
    repeated: set[int] = field(default_factory=set)


class _Position:
    """Line and column of the end of what was read so far (1-based)."""

    def __init__(self) -> None:
        self.line = 1
        self.column = 1

    def advance(self, data: bytes) -> None:
        newlines = data.count(b"\n")
        if newlines:
            self.line += newlines
            tail = data[data.rfind(b"\n") + 1 :]
        else:
            tail = data
        column = len(tail.decode("utf-8", "ignore"))
        self.column = column + 1 if newlines else self.column + column


_XML_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _location(text: bytes, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count(b"\n") + 1
    return line, len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "ignore")) + 1


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
        line, column = _location(head, index)
        if line == 1:
            column += self.position.column - 1
        return Rejected(ReceiptError(code, reason, self.position.line + line - 1, column))

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
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
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
    """Read ``source`` to the end, copying it to ``sink`` and validating it as it goes."""
    parser = _new_parser(SCAN_TAGS)
    result = Scan()
    position = _Position()
    prolog = Prolog()
    fed = 0  # bytes given to the parser
    first_block = b""
    root_closed = False
    header_done = False
    header: dict[str, str] = {}
    employer = ""
    references = RepeatedReferences()
    while True:
        data = source.read(READ_SIZE)
        eof = not data
        if data:
            result.size += len(data)
            if result.size > max_bytes:
                raise Rejected(
                    ReceiptError(
                        "too_large",
                        _("Het bestand is groter dan de limiet van %(limit)s bytes.")
                        % {"limit": max_bytes},
                        position.line,
                        position.column,
                    )
                )
            sink.write(data)
            if len(first_block) < MAX_PROLOG:
                first_block += data[:MAX_PROLOG]
        if not prolog.done:
            data = prolog.feed(data, complete=eof)
        if data:
            try:
                parser.feed(data)
                for _event, element in parser.read_events():
                    tag = element.tag
                    parent = element.getparent()  # None for the root, whatever its name
                    if tag in DECLARATION_TAGS:
                        result.declarations += 1
                        if tag == TRAINING_TAG:
                            found = element.find(REFERENCE_TAG)
                            reference = _string(found).strip() if found is not None else ""
                            if reference:
                                references.add(employer, reference)
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
                            check_header(result)
                    elif tag == ROOT_TAG:
                        root_closed = parent is None
                    elif not header_done and parent is not None and parent.tag == HEADER_TAG:
                        name = tag[len(NS) :]
                        header[name] = _string(element).strip()
                        line = element.sourceline or 0
                        result.header_lines[name] = line
                        result.header_columns[name] = _column_in(first_block, line, name)
            except etree.XMLSyntaxError as exc:
                raise _classify(exc, parser, position, fed) from None
            if _errors(parser):
                raise _validity_error(parser, position, fed)
            position.advance(data)
            fed += len(data)
        if eof:
            break
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        if root_closed:
            raise _classify(exc, parser, position) from None
    result.repeated = references.candidates
    if not root_closed:
        # Checked here: lxml's validating parser may accept or misreport a truncated file.
        raise Rejected(
            ReceiptError(
                "not_well_formed",
                _("Het document eindigt voordat zijn hoofdelement afgesloten is."),
                position.line,
                position.column,
            )
        )
    return result


def _column_in(block: bytes, line: int, local: str) -> int | None:
    """Column of the start tag ``local`` on ``line`` of the start of the file."""
    lines = block.split(b"\n")
    if not 0 < line <= len(lines):
        return None
    found = re.search(
        rb"<(?:[A-Za-z_][\w.-]*:)?" + re.escape(local.encode()) + rb"[\s/>]", lines[line - 1]
    )
    return len(lines[line - 1][: found.start()].decode("utf-8", "ignore")) + 1 if found else None


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
        return _validity_error(parser, position, offset)
    return _syntax_error(exc, position)


def _syntax_error(exc: etree.XMLSyntaxError, position: _Position) -> Rejected:
    line, column = (
        exc.position if exc.position and exc.position[0] else (position.line, position.column)
    )
    message = str(exc.msg if hasattr(exc, "msg") else exc)
    message = re.sub(r"\s*\(<string>, line \d+\)$", "", message)
    reason = _("Geen welgevormde XML: %(detail)s") % {"detail": message}
    return Rejected(ReceiptError("not_well_formed", reason, line, column))


def _validity_error(
    parser: etree.XMLPullParser, position: _Position, offset: int | None = None
) -> Rejected:
    entry = _errors(parser)[0]
    line, column = (entry.line, entry.column) if entry.line else (None, None)
    return Rejected(ReceiptError("invalid", _invalid(entry), line, column, offset))


def _invalid(entry) -> str:
    # lxml's own words after ours: they name the element and the rule, and are not ours
    # to translate.
    return _("Niet geldig volgens de XSD: %(detail)s") % {"detail": _message(entry)}


# ---------------------------------------------------------------------------------------
# Locating a validity error: libxml2's streaming validator reports no line, so the
# receipt re-reads the spooled file in small steps up to the first error.
# ---------------------------------------------------------------------------------------

_ELEMENT_IN_MESSAGE = re.compile(r"Element '([^']+)'")


def locate(spooled: IO[bytes], error: ReceiptError, step: int = 64) -> ReceiptError:
    """Fill in line and column of a validity error by re-validating in small steps."""
    spooled.seek(0)
    parser = _new_parser()
    position = _Position()
    recent: deque = deque(maxlen=256)
    buffer = b""
    fed = 0
    while True:
        block = spooled.read(READ_SIZE)
        if not block:
            break
        if error.offset is not None and fed + len(block) <= error.offset:
            # Before the window where the error was noticed: no need for small steps.
            buffer = (buffer + block)[-4096:]
            parser.feed(block)
            _follow(parser, recent)
            position.advance(block)
            fed += len(block)
            continue
        fed += len(block)
        for start in range(0, len(block), step):
            piece = block[start : start + step]
            buffer = (buffer + piece)[-4096:]
            try:
                parser.feed(piece)
                _follow(parser, recent)
            except etree.XMLSyntaxError:
                try:
                    _follow(parser, recent)
                except etree.XMLSyntaxError:
                    pass
                if not _errors(parser):
                    return error
            if _errors(parser):
                return _place(error, _errors(parser)[0], recent, position, piece, buffer)
            position.advance(piece)
    try:
        parser.close()
    except etree.XMLSyntaxError:
        pass
    entries = _errors(parser)
    if entries:
        return _place(error, entries[0], recent, position, b"", buffer)
    return error


def _follow(parser: etree.XMLPullParser, recent: deque) -> None:
    """Note the line of each element read, and let go of the elements that have ended:
    only their tags and lines are needed, and the file may be large."""
    for event, element in parser.read_events():
        recent.append((event, element.tag, element.sourceline))
        if event == "end":
            _drop(element)


def _place(error, entry, recent, position, piece, buffer) -> ReceiptError:
    reason = _invalid(entry)
    match = _ELEMENT_IN_MESSAGE.search(entry.message)
    line = None
    if match:
        tag = match.group(1)
        for _event, seen_tag, sourceline in reversed(recent):
            if seen_tag == tag:
                line = sourceline
                break
        local = tag.split("}")[-1]
        # Column: the start tag of that element on its line, in what was just read.
        if line is not None:
            text = buffer.decode("utf-8", "ignore")
            end_line = position.line + piece.count(b"\n")
            lines = text.split("\n")
            index = len(lines) - 1 - (end_line - line)
            if 0 <= index < len(lines):
                found = re.search(
                    r"<(?:[A-Za-z_][\w.-]*:)?" + re.escape(local) + r"[\s/>]", lines[index]
                )
                column = found.start() + 1 if found else None
                if index == 0 and column is not None and len(lines) > 1:
                    column = None  # the line starts before the buffer: column unknown
                return ReceiptError("invalid", reason, line, column)
    return ReceiptError("invalid", reason, line or position.line, None if line else position.column)
