"""Writes BATCH files, streamed: for the tests, the benchmark and software that files.

write_file(out, reference="F1", sender="0403170701", environment="production",
           employers=[("0403170701", [("training", {...zones...}), ...])])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import IO
from xml.sax.saxutils import escape

from fla.batch.schemas import BATCH_NS
from fla.declarations.types import ZONES

Zones = dict[str, object]
Block = tuple[str, Iterable[tuple[str, Zones]]]

# The order of the zones in the XSD: a training's action comes first.
ORDER = {**ZONES, "training": ("action", *ZONES["training"])}


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape(str(value))


def declaration_xml(kind: str, zones: Zones) -> str:
    parts = [f"<{kind}>"]
    for name in ORDER[kind]:
        if name not in zones or zones[name] is None:
            continue
        value = zones[name]
        if isinstance(value, dict):
            parts.append(declaration_xml(name, value))
        else:
            parts.append(f"<{name}>{_value(value)}</{name}>")
    parts.append(f"</{kind}>")
    return "".join(parts)


def header_xml(
    reference: str,
    sender: str,
    environment: str = "production",
    created_at: str = "2026-01-09T10:00:00+01:00",
    language: str | None = None,
) -> str:
    language_xml = f"<language>{language}</language>" if language else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<batch_file xmlns="{BATCH_NS}">\n'
        f"<header><file_reference>{escape(reference)}</file_reference>"
        f"<sender>{escape(sender)}</sender><environment>{environment}</environment>"
        f"<created_at>{created_at}</created_at>{language_xml}</header>\n"
    )


def iter_file(
    *,
    reference: str,
    sender: str,
    employers: Iterable[Block],
    environment: str = "production",
    language: str | None = None,
) -> Iterator[bytes]:
    """The file as a stream of byte chunks, one declaration per line."""
    yield header_xml(reference, sender, environment, language=language).encode()
    for enterprise_number, declarations in employers:
        lines = [f"<employer><enterprise_number>{enterprise_number}</enterprise_number>\n"]
        for kind, zones in declarations:
            lines.append(declaration_xml(kind, zones) + "\n")
            if len(lines) >= 500:
                yield "".join(lines).encode()
                lines = []
        lines.append("</employer>\n")
        yield "".join(lines).encode()
    yield b"</batch_file>\n"


def write_file(out: IO[bytes], **kwargs) -> int:
    size = 0
    for chunk in iter_file(**kwargs):
        out.write(chunk)
        size += len(chunk)
    return size


def file_bytes(**kwargs) -> bytes:
    return b"".join(iter_file(**kwargs))


class IterStream:
    """A read()-able stream over an iterator of byte chunks (never all in memory)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
