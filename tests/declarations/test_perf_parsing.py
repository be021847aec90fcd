"""The form checks (``Zones``) answer exactly what their first, plainer version did.

``ReferenceZones`` below is that version, kept as the specification: the faster
``Zones`` must give the same value and the same findings for any zone value a channel
may send (strings with spaces, numbers, booleans, dates, datetimes, None, nested data).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fla.core.identifiers import InvalidIdentifier, checked_insz, clean_joint_committee
from fla.declarations.anomalies import Finding
from fla.declarations.parsing import Zones

_BIDI_AND_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
}  # fmt: skip
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
_TRUE = {"true", "1", "yes", "y", "on", "ja", "oui", "j"}
_FALSE = {"false", "0", "no", "n", "off", "nee", "non", "nein", ""}


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


class ReferenceZones:
    """The form checks as they were written first, one zone at a time."""

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
        if is_missing(value):
            self.add("E016", name)
            return None
        return value

    def text(
        self, name: str, max_length: int, *, required: bool = False, multiline: bool = False
    ) -> str | None:
        value = self.required(name) if required else self.data.get(name)
        if is_missing(value):
            return None if required else ""
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
            if unicodedata.category(char) == "Cc" or char in _BIDI_AND_INVISIBLE:
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
        value = self.required(name)
        if value is None:
            return None
        text = str(value)  # exactly as sent: nothing trimmed
        if not _REFERENCE.fullmatch(text):
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
        value = self.required(name) if required else self.data.get(name)
        if is_missing(value):
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                self.add("E010", name)
                return None
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(value).strip()):
                self.add("E010", name)
                return None
        if first is not None and last is not None and not first <= day <= last:
            self.add(
                "E009", name, value=day.isoformat(), first=first.isoformat(), last=last.isoformat()
            )
            return None
        return day

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.required(name) if required else self.data.get(name)
        if is_missing(value):
            return None
        if isinstance(value, bool):
            self.add("E019", name, value="true" if value else "false")
            return None
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d{1,12}", text):
            self.add("E019", name, value=text[:40])
            return None
        return int(text)

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.required(name) if required else self.data.get(name)
        if is_missing(value):
            return None
        if isinstance(value, bool):
            self.add("E019", name, value="true" if value else "false")
            return None
        text = str(value).strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            self.add("E019", name, value=text[:40])
            return None
        if not number.is_finite() or len(text) > 20:
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
        value = self.required(name) if required else self.data.get(name)
        if is_missing(value):
            return None if required else default
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


class _Text(str):
    """A str subclass, as some callers might hand over."""


_strings = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "  \t",
            "2025-01-06",
            " 2025-01-06 ",
            "2025-1-6",
            "20250106",
            "2025-02-30",
            "120",
            " +12 ",
            "-3",
            "1e3",
            "12.5",
            "true",
            "Yes",
            "off",
            "nee",
            "formal",
            " informal ",
            "completed",
            "R0001",
            "a\u200bb",
            "line\nbreak",
            "tab\there",
            "x" * 201,
            "85073003328",
            "200.01",
            "0.5",
        ]
    ),
    st.text(max_size=30),
)
_values = st.one_of(
    st.none(),
    _strings,
    _strings.map(_Text),
    st.booleans(),
    st.integers(min_value=-(10**13), max_value=10**13),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 12, 31)),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, max_value=10**6, min_value=-(10**6)
    ),
    st.just({"a": 1}),
    st.just(["x"]),
)


def _both(data: dict) -> tuple[Zones, ReferenceZones]:
    return Zones(dict(data)), ReferenceZones(dict(data))


def _same(new: Zones, old: ReferenceZones, got: Any, expected: Any) -> None:
    assert (type(got), got) == (type(expected), expected)
    assert [(f.code, f.zone, f.params) for f in new.findings] == [
        (f.code, f.zone, f.params) for f in old.findings
    ]


@given(value=_values, required=st.booleans(), multiline=st.booleans())
def test_text(value, required, multiline):
    new, old = _both({"z": value})
    _same(
        new,
        old,
        new.text("z", 20, required=required, multiline=multiline),
        old.text("z", 20, required=required, multiline=multiline),
    )


@given(value=_values, required=st.booleans(), bounded=st.booleans())
def test_date(value, required, bounded):
    bounds = {"first": dt.date(2020, 1, 1), "last": dt.date(2027, 12, 31)} if bounded else {}
    new, old = _both({"z": value})
    _same(
        new,
        old,
        new.date("z", required=required, **bounds),
        old.date("z", required=required, **bounds),
    )


@given(value=_values, required=st.booleans())
def test_integer_and_decimal(value, required):
    new, old = _both({"z": value})
    _same(new, old, new.integer("z", required=required), old.integer("z", required=required))
    new, old = _both({"z": value})
    _same(new, old, new.decimal("z", required=required), old.decimal("z", required=required))


@given(value=_values, required=st.booleans())
def test_choice(value, required):
    choices = {"formal", "informal", "120", "true"}
    new, old = _both({"z": value})
    _same(
        new,
        old,
        new.choice("z", choices, "E011", required=required),
        old.choice("z", choices, "E011", required=required),
    )


@given(value=_values)
def test_identifiers_booleans_and_presence(value):
    for method in ("insz", "reference", "joint_committee", "required", "has"):
        new, old = _both({"z": value})
        _same(new, old, getattr(new, method)("z"), getattr(old, method)("z"))
    for default in (True, False):
        new, old = _both({"z": value})
        _same(new, old, new.boolean("z", default), old.boolean("z", default))


def test_missing_zone():
    new, old = _both({})
    _same(new, old, new.text("z", 5, required=True), old.text("z", 5, required=True))
    _same(new, old, new.date("d", required=True), old.date("d", required=True))
    _same(new, old, new.choice("c", {"a"}, "E011"), old.choice("c", {"a"}, "E011"))


@pytest.mark.parametrize("text", ["2025-W09-6", "2025-060", "20250301", "２０２５-03-01"])
def test_a_date_is_written_yyyy_mm_dd_only(text):
    """``date.fromisoformat`` also reads week and ordinal dates; every channel refuses
    them (the XSD's Date type, the API's typed bodies), and so does the dry run."""
    zones = Zones({"start_date": text})
    assert zones.date("start_date") is None
    assert [f.code for f in zones.findings] == ["E010"]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2025-03-01", dt.date(2025, 3, 1)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2025-02-29", None),
        ("2025-13-01", None),
        ("0000-01-01", None),
        ("2025-3-1", None),
        (" 2025-03-01", None),
        ("2025-03-01T00:00", None),
        ("2025-W09-6", None),
        ("2025-060", None),
        ("20250301", None),
        ("２０２５-03-01", None),
    ],
)
def test_iso_date_reads_a_real_day_written_yyyy_mm_dd_only(text, day):
    """The one reading of a date that the zones and the BATCH results' year share."""
    from fla.declarations.parsing import iso_date

    assert iso_date(text) == day
