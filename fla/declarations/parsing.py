"""Form checks of the zones of a declaration: turn what a channel sent into typed values.

Every function returns the value or appends a ``Finding`` and returns ``None``; nothing
here reads the database. The semantic checks (access, employment, references, credit)
are in ``fla.declarations.services``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from fla.core.identifiers import InvalidIdentifier, checked_insz, clean_joint_committee
from fla.declarations.anomalies import Finding

_BIDI_AND_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
}  # fmt: skip
# A declarant's reference of a training (the API checks its path segment with it too).
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
# At most 12 digits, not counting leading zeros (a fixed-width field: 0000000000000060).
# ASCII digits only: \d and int() also take those of other scripts ("\u0666\u0660" is 60).
_INTEGER = re.compile(r"([+-]?)0*([0-9]{1,12})")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TRUE = {"true", "1", "yes", "y", "on", "ja", "oui", "j"}
_FALSE = {"false", "0", "no", "n", "off", "nee", "non", "nein", ""}


def _significant(number: str) -> str:
    """A number as written, without the zeros that do not change its value: leading
    ones, and trailing ones of a fraction (``0.500000`` is ``.5``)."""
    sign = number[:1] if number[:1] in ("+", "-") else ""
    body = number[len(sign) :]
    if "." in body and "e" not in body.lower():
        whole, fraction = body.split(".", 1)
        return sign + whole.lstrip("0") + "." + fraction.rstrip("0")
    return sign + body.lstrip("0")


def iso_date(text: str) -> dt.date | None:
    """``text`` read as a date written ``YYYY-MM-DD``, or None: a real day only (not
    2025-02-30), and none of the other forms ``date.fromisoformat`` takes (20250301,
    2025-W09-6, 2025-060, digits of other scripts)."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


# The methods below test ``is_missing`` inline (``value is None or (isinstance(value,
# str) and not value.strip())``) and strip a string zone once: they run for every zone
# of every declaration.


class Zones:
    """Reads the zones of one declaration and collects the findings of its checks."""

    def __init__(self, data: dict[str, Any] | None, prefix: str = "") -> None:
        self.data = data if isinstance(data, dict) else {}
        self.prefix = prefix
        self.findings: list[Finding] = []

    def zone(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def add(self, code: str, zone: str, **params: object) -> None:
        self.findings.append(Finding(code, self.zone(zone), params))

    def has(self, name: str) -> bool:
        return not is_missing(self.data.get(name))

    def required(self, name: str) -> Any:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add("E016", name)
            return None
        return value

    def _missing(self, name: str, required: bool) -> None:
        """A zone found missing: E016 if it is required."""
        if required:
            self.add("E016", name)

    def text(
        self, name: str, max_length: int, *, required: bool = False, multiline: bool = False
    ) -> str | None:
        value = self.data.get(name)
        if value.__class__ is str:
            text = value.strip()
            if not text:
                self._missing(name, required)
                return None if required else ""
        elif value is None or (isinstance(value, str) and not value.strip()):
            self._missing(name, required)
            return None if required else ""
        else:
            text = str(value).strip()
        if len(text) > max_length:
            self.add("E017", name, length=len(text), max=max_length)
            return None
        if text.isprintable():
            # No character of the categories C* (controls, formats: the bidi and invisible
            # ones) nor Z* but the space: nothing below would object.
            return text
        allowed = {"\n", "\r", "\t"} if multiline else set()
        for char in text:
            if char in allowed:
                continue
            # Cs: a lone surrogate (JSON's "\ud800"), which no database stores as text.
            if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_AND_INVISIBLE:
                self.add("E018", name)
                return None
        return text

    def insz(self, name: str = "insz") -> str | None:
        value = self.required(name)
        if value is None:
            return None
        clean = checked_insz(str(value))
        if clean is None:
            self.add("E001", name)
        return clean

    def reference(self, name: str = "reference") -> str | None:
        """The declarant's reference exactly as sent, as in a BATCH file (the XSD's
        pattern) and in the address of a training in the API: nothing is trimmed, so a
        space or a control character around it is E021, never another training's
        reference. (The online application trims what is typed in its form.)"""
        value = self.required(name)
        if value is None:
            return None
        text = str(value)
        if not REFERENCE.fullmatch(text):
            self.add("E021", name)
            return None
        return text

    def date(
        self,
        name: str,
        *,
        required: bool = False,
        first: dt.date | None = None,
        last: dt.date | None = None,
    ) -> dt.date | None:
        value = self.data.get(name)
        if value.__class__ is str:
            text = value.strip()
            if not text:
                self._missing(name, required)
                return None
            value = None  # read from ``text`` below
        elif value is None or (isinstance(value, str) and not value.strip()):
            self._missing(name, required)
            return None
        elif isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            day = value
        else:
            if value is not None:
                text = str(value).strip()
            read = iso_date(text)
            if read is None:
                self.add("E010", name)
                return None
            day = read
        if first is not None and last is not None and not first <= day <= last:
            self.add(
                "E009", name, value=day.isoformat(), first=first.isoformat(), last=last.isoformat()
            )
            return None
        return day

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            self._missing(name, required)
            return None
        if isinstance(value, bool):  # JSON's true or false, named as the client wrote it
            self.add("E019", name, value="true" if value else "false")
            return None
        if isinstance(value, int):
            return value
        text = str(value).strip()
        match = _INTEGER.fullmatch(text)
        if match is None:
            self.add("E019", name, value=text[:40])
            return None
        return int(match[1] + match[2])

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.required(name) if required else self.data.get(name)
        if is_missing(value):
            return None
        if isinstance(value, bool):  # JSON's true or false, named as the client wrote it
            self.add("E019", name, value="true" if value else "false")
            return None
        text = str(value).strip()
        try:
            # Decimal() also reads the digits of other scripts: ASCII ones only.
            number = Decimal(text) if text.isascii() else None
        except InvalidOperation:
            number = None
        if number is None:
            self.add("E019", name, value=text[:40])
            return None
        if not number.is_finite() or len(_significant(text)) > 20:
            self.add("E019", name, value=text[:40])
            return None
        return number

    def boolean(self, name: str, default: bool) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return default if text == "" else False
        self.add("E020", name, value=str(value)[:40])
        return None

    def choice(
        self, name: str, choices: set[str], code: str, *, required: bool = False, default: str = ""
    ) -> str | None:
        value = self.data.get(name)
        if value.__class__ is str:
            text = value.strip()
            if not text:
                self._missing(name, required)
                return None if required else default
        elif value is None or (isinstance(value, str) and not value.strip()):
            self._missing(name, required)
            return None if required else default
        else:
            text = str(value).strip()
        if text not in choices:
            self.add(code, name, value=text[:40])
            return None
        return text

    def joint_committee(self, name: str) -> str | None:
        value = self.required(name)
        if value is None:
            return None
        try:
            return clean_joint_committee(str(value))
        except InvalidIdentifier:
            self.add("E014", name, value=str(value)[:40])
            return None
