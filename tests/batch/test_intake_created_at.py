"""The header's created_at: what the XSD lets through is what Python can store."""

import datetime as dt
import io

import pytest

from fla.batch import services
from fla.batch.models import BatchFile
from tests.batch.test_receipt import assert_nothing_stored

DEFAULT = b"<created_at>2026-01-09T10:00:00+01:00</created_at>"


def with_created_at(data: bytes, value: str) -> bytes:
    assert data.count(DEFAULT) == 1
    return data.replace(DEFAULT, f"<created_at>{value}</created_at>".encode())


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-09T24:00:00",  # valid xs:dateTime, but no hour 24 in Python: was a 500
        "-0001-01-01T00:00:00",  # was stored as NULL
        "12026-01-01T00:00:00",  # was stored as NULL
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC: was a 500
        "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC: was a 500
    ],
)
def test_a_creation_time_python_cannot_hold_is_invalid_against_the_xsd(world, batch_storage, value):
    data = with_created_at(world.file(), value)
    receipt = services.receive(world.caller, io.BytesIO(data), production=True)
    (error,) = receipt.errors
    before = data[: data.index(b"<created_at>")]
    assert error.code == "invalid" and "created_at" in error.reason and value in error.reason
    assert (error.line, error.column) == (
        before.count(b"\n") + 1,
        len(before) - before.rfind(b"\n"),
    )
    assert_nothing_stored(batch_storage)


@pytest.mark.parametrize(
    "value,stored",
    [
        ("2026-01-09T23:59:59Z", dt.datetime(2026, 1, 9, 23, 59, 59, tzinfo=dt.UTC)),
        ("2026-01-09T10:30:00.1234567+01:00", dt.datetime(2026, 1, 9, 9, 30, 0, 123456, dt.UTC)),
        ("1900-01-01T00:00:00+14:00", dt.datetime(1899, 12, 31, 10, 0, tzinfo=dt.UTC)),
        ("2199-12-31T23:59:59-14:00", dt.datetime(2200, 1, 1, 13, 59, 59, tzinfo=dt.UTC)),
    ],
)
def test_a_creation_time_within_the_pattern_is_stored(world, batch_storage, value, stored):
    data = with_created_at(world.file(), value)
    assert services.receive(world.caller, io.BytesIO(data), production=True).accepted
    assert BatchFile.objects.get().created_at == stored


def test_a_creation_time_without_offset_is_belgian_time_without_a_warning(
    world, batch_storage, recwarn
):
    data = with_created_at(world.file(), "2026-07-09T10:30:00")
    assert services.receive(world.caller, io.BytesIO(data), production=True).accepted
    assert BatchFile.objects.get().created_at == dt.datetime(2026, 7, 9, 8, 30, tzinfo=dt.UTC)
    assert [str(w.message) for w in recwarn if "naive datetime" in str(w.message)] == []
