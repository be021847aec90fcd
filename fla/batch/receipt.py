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


def check_prolog(head: bytes, *, complete: bool) -> bool:
    """Refuse a DOCTYPE and any encoding but UTF-8, before lxml sees a byte.

    Walks the prolog (XML declaration, comments, processing instructions) up to the
    root element. Returns False when more bytes are needed to decide.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or head[1:2] == b"\x00":
        raise Rejected(ReceiptError("forbidden", "The file must be encoded in UTF-8.", 1, 1))
    match = _XML_DECL.match(head[3:] if head.startswith(b"\xef\xbb\xbf") else head)
    if match and match.group(1).lower() not in (b"utf-8", b"utf8"):
        raise Rejected(ReceiptError("forbidden", "The file must be encoded in UTF-8.", 1, 1))
    index = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while index < len(head) and head[index : index + 1] in b" \t\r\n":
            index += 1
        rest = head[index:]
        if len(rest) < 10 and not complete:
            return False
        if rest.startswith(b"<?"):
            close, end = head.find(b"?>", index + 2), 2
        elif rest.startswith(b"<!--"):
            close, end = head.find(b"-->", index + 4), 3
        elif rest.startswith(b"<!") or rest.startswith(b"<\x00"):
            # <!DOCTYPE in any spelling, or any other declaration: never given to lxml.
            line, column = _location(head, index)
            raise Rejected(
                ReceiptError(
                    "forbidden", "A DOCTYPE is not allowed: no DTD, no entities.", line, column
                )
            )
        else:
            return True  # the root element, or something lxml will refuse
        if close < 0:
            if complete or len(head) >= MAX_PROLOG:
                line, column = _location(head, index)
                raise Rejected(
                    ReceiptError(
                        "not_well_formed", "The prolog of the file is not closed.", line, column
                    )
                )
            return False
        index = close + end


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
        # (check_prolog); external entities, DTDs and the
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


def scan(
    source: IO[bytes], sink: IO[bytes], *, max_bytes: int, check_header: Callable[[Scan], None]
) -> Scan:
    """Read ``source`` to the end, copying it to ``sink`` and validating it as it goes."""
    parser = _new_parser(SCAN_TAGS)
    result = Scan()
    position = _Position()
    head = b""
    first_block = b""
    prolog_checked = False
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
                        f"The file is larger than the limit of {max_bytes} bytes.",
                        position.line,
                        position.column,
                    )
                )
            sink.write(data)
            if len(first_block) < MAX_PROLOG:
                first_block += data[:MAX_PROLOG]
        if not prolog_checked:
            head += data
            if not check_prolog(head, complete=eof):
                continue
            prolog_checked = True
            data, head = head, b""
            if not data.strip():
                raise Rejected(ReceiptError("not_well_formed", "The file is empty.", 1, 1))
        if data:
            try:
                parser.feed(data)
                for _event, element in parser.read_events():
                    tag = element.tag
                    if tag in DECLARATION_TAGS:
                        result.declarations += 1
                        if tag == TRAINING_TAG:
                            reference = (element.findtext(REFERENCE_TAG) or "").strip()
                            if reference:
                                references.add(employer, reference)
                        _drop(element)
                    elif tag == ENTERPRISE_NUMBER_TAG:
                        if element.getparent().tag == EMPLOYER_TAG:
                            employer = (element.text or "").strip()
                    elif tag == EMPLOYER_TAG:
                        result.employers += 1
                        _drop(element)
                    elif tag == HEADER_TAG:
                        header_done = True
                        result.header = header
                        if not _errors(parser):
                            check_header(result)
                    elif tag == ROOT_TAG:
                        root_closed = element.getparent() is None
                    elif not header_done and element.getparent().tag == HEADER_TAG:
                        name = tag[len(NS) :]
                        header[name] = (element.text or "").strip()
                        line = element.sourceline or 0
                        result.header_lines[name] = line
                        result.header_columns[name] = _column_in(first_block, line, name)
            except etree.XMLSyntaxError as exc:
                raise _classify(exc, parser, position, result.size - len(data)) from None
            if _errors(parser):
                raise _validity_error(parser, position, result.size - len(data))
            position.advance(data)
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
                "The document ends before its root element is closed.",
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
    return Rejected(
        ReceiptError("not_well_formed", f"Not well-formed XML: {message}", line, column)
    )


def _validity_error(
    parser: etree.XMLPullParser, position: _Position, offset: int | None = None
) -> Rejected:
    entry = _errors(parser)[0]
    line, column = (entry.line, entry.column) if entry.line else (None, None)
    return Rejected(
        ReceiptError(
            "invalid", f"Not valid against the XSD: {_message(entry)}", line, column, offset
        )
    )


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
            for event, element in parser.read_events():
                recent.append((event, element.tag, element.sourceline))
            position.advance(block)
            fed += len(block)
            continue
        fed += len(block)
        for start in range(0, len(block), step):
            piece = block[start : start + step]
            buffer = (buffer + piece)[-4096:]
            try:
                parser.feed(piece)
                for event, element in parser.read_events():
                    recent.append((event, element.tag, element.sourceline))
            except etree.XMLSyntaxError:
                try:
                    for event, element in parser.read_events():
                        recent.append((event, element.tag, element.sourceline))
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


def _place(error, entry, recent, position, piece, buffer) -> ReceiptError:
    reason = f"Not valid against the XSD: {_message(entry)}"
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
