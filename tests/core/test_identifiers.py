"""Known valid and invalid Belgian identifiers."""

import datetime as dt
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fla.core.identifiers import (
    InvalidIdentifier,
    birth_date_from_insz,
    checked_enterprise_number,
    checked_insz,
    clean_enterprise_number,
    clean_insz,
    clean_joint_committee,
    format_enterprise_number,
    format_insz,
    mask_insz,
)
from fla.core.logging import mask_text
from tests.factories import make_insz


@pytest.mark.parametrize("value, compact", [
    ("85.07.30-033.28", "85073003328"),   # national number, born 1985
    ("85073003328", "85073003328"),
    ("17.07.30-033.84", "17073003384"),   # born after 2000: check on 2 + number
    ("85 47 30 033 17", "85473003317"),   # BIS number (month + 40)
])  # fmt: skip
def test_valid_insz(value, compact):
    assert clean_insz(value) == compact


@pytest.mark.parametrize("value", [
    "85073003327",      # wrong check digits
    "8507300332",       # 10 digits
    "850730033280",     # 12 digits
    "85133003328",      # month 13
    "abcdefghijk",
    "",
    "85.07.30-033.2X",
])  # fmt: skip
def test_invalid_insz(value):
    with pytest.raises(InvalidIdentifier):
        clean_insz(value)
    assert checked_insz(value) is None
    assert checked_insz(value) is None  # remembered: still None, no exception


def test_checked_identifiers_remember_the_clean_form():
    checked_insz.cache_clear()
    assert checked_insz("85.07.30-033.28") == "85073003328"
    assert checked_insz("85.07.30-033.28") == "85073003328"
    assert checked_insz.cache_info().hits == 1
    assert checked_enterprise_number("0403.170.701") == "0403170701"
    assert checked_enterprise_number("0403.170.702") is None


def test_birth_date_and_formats():
    assert birth_date_from_insz("85073003328") == dt.date(1985, 7, 30)
    assert birth_date_from_insz("17073003384") == dt.date(2017, 7, 30)
    assert format_insz("85073003328") == "85.07.30-033.28"
    assert mask_insz("85073003328") == "850730*****"


@given(
    st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2024, 12, 31)),
    st.integers(min_value=1, max_value=997),
)
def test_generated_insz_round_trip(birth, serial):
    insz = make_insz(birth, serial)
    assert clean_insz(format_insz(insz)) == insz
    assert birth_date_from_insz(insz) == birth


@pytest.mark.parametrize("value, compact", [
    ("0403.170.701", "0403170701"),
    ("BE 0403 170 701", "0403170701"),
    ("403170701", "0403170701"),
])  # fmt: skip
def test_valid_enterprise_number(value, compact):
    assert clean_enterprise_number(value) == compact
    assert format_enterprise_number(compact) == "0403.170.701"


@pytest.mark.parametrize("value", ["0403.170.702", "2403170701", "12345", "", "BE0403170701X"])
def test_invalid_enterprise_number(value):
    with pytest.raises(InvalidIdentifier):
        clean_enterprise_number(value)


@pytest.mark.parametrize("value", ["200", "225.01", "305.02.09", "118"])
def test_valid_joint_committee(value):
    assert clean_joint_committee(value) == value


@pytest.mark.parametrize(
    "value", ["20", "2000", "200.1", "200.01.1", "200.01.01.01", "PC200", "", "099"]
)
def test_invalid_joint_committee(value):
    with pytest.raises(InvalidIdentifier):
        clean_joint_committee(value)


def test_log_masking_hides_every_insz_form():
    text = "worker 85073003328 and 85.07.30-033.28 but not order 123456789012"
    assert mask_text(text) == "worker 850730***** and 850730***** but not order 123456789012"


@pytest.mark.parametrize("written", [
    "850.730.033.28", "85.+07.+30-033.28", "850730\u201303328", "85 07 30 033 28",
    "\uff18\uff15\uff10\uff17\uff13\uff10\uff10\uff13\uff13\uff12\uff18",
    "850730%E2%80%9303328", "85%2E07%2E30%2D033%2E28", "850730  -  03328", "8 5 0 7 3 0 0 3 3 2 8",
])  # fmt: skip
def test_log_masking_hides_every_spelling_the_insz_check_accepts(written):
    from urllib.parse import unquote_plus

    assert clean_insz(unquote_plus(written)) == "85073003328"  # as a query string reads
    assert mask_text(f"GET /workers/{written}/credit") == "GET /workers/850730*****/credit"


@pytest.mark.parametrize("written", [
    "85_07_30_033_28", "85%5F07%5F30%5F033%5F28", "85\\t07\\t30\\t033\\t28",
    "85\\x0907\\x0930 033 28", "850730\\u201303328", "85\t07\t30\t033\t28",
    "\\x0985073003328", "\\u201385073003328", "\\t85073003328\\n",
])  # fmt: skip
def test_log_masking_hides_an_insz_written_with_underscores_or_escaped(written):
    """As a person may type it, or as a log escapes what it holds (an escape before or
    after the number stays as it is)."""
    masked = mask_text(f"Not Found: /workers/{written}")
    assert "850730*****" in masked
    assert "03328" not in "".join(c for c in masked if c.isdigit())


@pytest.mark.parametrize("kept", [
    "0403.170.701", "0403170701", "0403 170 701", "order 123456789012", "2026-11-29 03:47:14",
    "BE68 5390 0754 7034",
])  # fmt: skip
def test_log_masking_keeps_other_numbers(kept):
    assert mask_text(f"see {kept} here") == f"see {kept} here"


@pytest.mark.parametrize("kept", [
    "3f2a12345678901bc",                      # a hex task id with an 11-digit run in it
    "1234567a-8901-4bcd-8123-456789012345",   # digits of a UUID across its dashes
    "00000000-000a-4000-8000-000000000000",
    "c0ffee12345678901", "12345678901deadbeef", "ab12345678901", "REF12345678901X",
    "1234567-8901abc",
])  # fmt: skip
def test_log_masking_keeps_ids_that_hold_eleven_digits(kept):
    """Eleven digits with a letter or a digit right before or after them are part of an
    id, not an INSZ."""
    assert mask_text(f"task {kept} failed") == f"task {kept} failed"


@pytest.mark.parametrize("written, masked", [
    ("W85073003328", "W850730*****"),
    ("insz85073003328x", "insz850730*****x"),
    ("REF85.07.30-033.28", "REF850730*****"),
    ("85073003328abc", "850730*****abc"),
    ("ab\uff18\uff15\uff10\uff17\uff13\uff10\uff10\uff13\uff13\uff12\uff18", "ab850730*****"),
])  # fmt: skip
def test_log_masking_hides_a_valid_insz_glued_to_letters(written, masked):
    """A declarant's reference may be made of a worker's INSZ: where eleven digits glued
    to letters check as an INSZ, they are one."""
    assert mask_text(f"training {written} replaced") == f"training {masked} replaced"
    assert mask_text(f"GET /x?ref={quote(written)}") == f"GET /x?ref={masked}"


@pytest.mark.parametrize("kept", [
    "1234abcd-8507-3003-328a-0123456789ab",          # a UUID whose digits check as an INSZ
    "ab85073003328" + "c" * 19,                      # a 32-character hex id
    "ab85073003328" + "c" * 27,                      # 40 (a SHA-1 digest)
    "ab85073003328" + "c" * 51,                      # 64 (a SHA-256 digest)
    "185073003328x",                                 # twelve digits: not an INSZ
])  # fmt: skip
def test_log_masking_keeps_hex_ids_whose_digits_check_as_an_insz(kept):
    assert mask_text(f"task {kept} done") == f"task {kept} done"


@given(st.uuids())
def test_log_masking_keeps_every_uuid(value):
    for written in (str(value), value.hex):
        assert mask_text(f"task {written} done") == f"task {written} done"


@pytest.mark.parametrize("written", [
    "85073003328", "85.07.30-033.28", "850730 033 28", "850730-03328", "85 07 30 033 28",
])  # fmt: skip
@pytest.mark.parametrize("before, after", [
    ("", ""), ("(", ")"), ("insz=", "&x=1"), ("'", "'"), ("/", "/"), ("_", "_"), ("-", "."),
])  # fmt: skip
def test_log_masking_hides_an_insz_between_non_alphanumerics(written, before, after):
    assert mask_text(f"{before}{written}{after}") == f"{before}850730*****{after}"


def test_a_decoded_line_gains_no_line_break():
    """A line is written decoded when only its decoded copy shows an INSZ: a %0A in it
    must not become a forged second log line."""
    masked = mask_text("GET /x?q=85%2E073003328&a=%0Afake%0Dline%00")
    assert masked == "GET /x?q=850730*****&a=%0Afake%0Dline%00"
