"""Checks of the Belgian identifiers, on top of python-stdnum.

All functions take what a user typed (with or without dots, dashes and spaces) and
return the compact form, or raise ``InvalidIdentifier``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from stdnum import exceptions as stdnum_exceptions
from stdnum.be import bis, nn, vat


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier of the kind asked for."""


def clean_insz(value: str) -> str:
    """Return the 11 digits of a valid INSZ: a national number or a BIS number."""
    raw = str(value or "")
    compact = nn.compact(raw)
    if not compact.isdigit() or len(compact) != 11:
        raise InvalidIdentifier("INSZ must have 11 digits")
    for module in (nn, bis):
        try:
            return module.validate(compact)
        except stdnum_exceptions.ValidationError:
            continue
    raise InvalidIdentifier("INSZ checksum or birth date is invalid")


@functools.lru_cache(maxsize=65_536)
def checked_insz(value: str) -> str | None:
    """``clean_insz`` of a string, or None where invalid; remembered for repeat values.

    A large file names each worker many times; the check digits are computed once.
    """
    try:
        return clean_insz(value)
    except InvalidIdentifier:
        return None


@functools.lru_cache(maxsize=4_096)
def checked_enterprise_number(value: str) -> str | None:
    """``clean_enterprise_number`` of a string, or None where invalid; remembered."""
    try:
        return clean_enterprise_number(value)
    except InvalidIdentifier:
        return None


def is_valid_insz(value: str) -> bool:
    try:
        clean_insz(value)
    except InvalidIdentifier:
        return False
    return True


def birth_date_from_insz(insz: str) -> dt.date | None:
    """The birth date an INSZ encodes, or None where it is only partly known."""
    compact = clean_insz(insz)
    module = bis if bis.is_valid(compact) and not nn.is_valid(compact) else nn
    try:
        return module.get_birth_date(compact)
    except stdnum_exceptions.ValidationError:
        return None


def format_insz(insz: str) -> str:
    """``85073003328`` → ``85.07.30-033.28``."""
    c = nn.compact(insz)
    return f"{c[0:2]}.{c[2:4]}.{c[4:6]}-{c[6:9]}.{c[9:11]}" if len(c) == 11 else insz


def mask_insz(insz: str) -> str:
    """Keep the birth-date part, hide the serial and the check digits."""
    c = nn.compact(insz)
    return f"{c[0:6]}*****" if len(c) == 11 else "***********"


def clean_enterprise_number(value: str) -> str:
    """Return the 10 digits of a valid KBO/BCE enterprise number."""
    try:
        compact = vat.validate(str(value or ""))
    except stdnum_exceptions.ValidationError as exc:
        raise InvalidIdentifier("enterprise number is invalid") from exc
    return compact


def format_enterprise_number(number: str) -> str:
    """``0403170701`` → ``0403.170.701``."""
    c = vat.compact(number)
    return f"{c[0:4]}.{c[4:7]}.{c[7:10]}" if len(c) == 10 else number


_JOINT_COMMITTEE = re.compile(r"^[1-9][0-9]{2}(\.[0-9]{2}){0,2}$")  # ASCII digits only


def clean_joint_committee(value: str) -> str:
    """A joint committee: ``999``, ``999.99`` or ``999.99.99``."""
    text = str(value or "").strip()
    if not _JOINT_COMMITTEE.match(text):
        raise InvalidIdentifier("joint committee must look like 200, 225.01 or 305.02.09")
    return text


_NSSO = re.compile(r"^[0-9]{9,10}$")


def clean_nsso_number(value: str) -> str:
    """The NSSO/RSZ employer registration number: 9 or 10 digits, dashes ignored."""
    digits = re.sub(r"[\s.\-/]", "", str(value or ""))
    if not _NSSO.match(digits):
        raise InvalidIdentifier("NSSO number must have 9 or 10 digits")
    return digits
