"""Numbers are read by their value, as the BATCH schema reads them."""

from decimal import Decimal

import pytest

from fla.declarations.parsing import Zones


def read(kind: str, text: str):
    zones = Zones({"n": text})
    value = zones.integer("n") if kind == "integer" else zones.decimal("n")
    return value, [finding.code for finding in zones.findings]


@pytest.mark.parametrize(
    "kind,text,value",
    [
        ("integer", "0000000000000060", 60),  # a fixed-width field
        ("integer", "+000000000000000001", 1),
        ("integer", "-0000000000000000450", -450),
        ("integer", "0", 0),
        ("integer", "000", 0),
        ("integer", "999999999999", 999999999999),
        ("decimal", "0.500000000000000000000", Decimal("0.5")),
        ("decimal", "00000000000000000000.5", Decimal("0.5")),
        ("decimal", "1.0000000000000000000000000", Decimal("1")),
        ("decimal", "0.1111111111111111111", Decimal("0.1111111111111111111")),
    ],
)
def test_zeros_that_do_not_change_the_value_do_not_count(kind, text, value):
    assert read(kind, text) == (value, [])


@pytest.mark.parametrize(
    "kind,text",
    [
        ("integer", "1000000000000"),  # 13 digits
        ("integer", "0" * 5000 + "1" * 13),
        ("integer", "6O"),
        ("integer", "--6"),
        ("decimal", "0." + "1" * 20),  # 21 significant characters
        ("decimal", "1" * 21),
        ("decimal", "NaN"),
        ("decimal", "Infinity"),
    ],
)
def test_too_many_digits_or_no_number_is_e019(kind, text):
    assert read(kind, text) == (None, ["E019"])
