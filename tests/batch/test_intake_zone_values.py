"""The receipt reads a zone as the XSD does: its whole text, around any comment or
processing instruction inside it, for the header and for the keys of the in-file
duplicate check (E022)."""

import datetime as dt
import io

import pytest

from fla.accounts.access import Caller
from fla.batch import services
from fla.batch.models import BatchFile, BatchResult
from fla.trainings.models import Training
from tests.factories import make_worker

INSIDE = {"comment": b"<!-- x -->", "processing instruction": b"<?fla note?>"}


def split(data: bytes, zone: str, value: str, at: int, inside: bytes) -> bytes:
    """``data`` with ``inside`` put into the text of ``<zone>value</zone>``, before the
    character ``at`` of the value."""
    old = f"<{zone}>{value}</{zone}>".encode()
    assert data.count(old) == 1, old
    new = f"<{zone}>".encode() + value[:at].encode() + inside + value[at:].encode()
    return data.replace(old, new + f"</{zone}>".encode())


def send(world, data, *, production=True, caller=None):
    return services.receive(caller or world.caller, io.BytesIO(data), production=production)


@pytest.mark.parametrize("inside", INSIDE.values(), ids=INSIDE.keys())
@pytest.mark.parametrize("at", [0, 2], ids=["before the text", "within the text"])
def test_every_header_zone_is_read_whole(world, inside, at):
    data = world.file(reference="SSL-2026-7", language="fr")
    for zone, value in (
        ("file_reference", "SSL-2026-7"),
        ("sender", world.mandatary.enterprise_number),
        ("environment", "production"),
        ("created_at", "2026-01-09T10:00:00+01:00"),
        ("language", "fr"),
    ):
        data = split(data, zone, value, at, inside)
    receipt = send(world, data)
    assert receipt.accepted, receipt.errors
    assert (receipt.reference, receipt.sender) == ("SSL-2026-7", world.mandatary.enterprise_number)
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert (batch.reference, batch.sender, batch.test, batch.language) == (
        "SSL-2026-7",
        world.mandatary.enterprise_number,
        False,
        "fr",
    )
    assert batch.sender_mandatary == world.mandatary
    assert batch.created_at == dt.datetime(2026, 1, 9, 9, 0, tzinfo=dt.UTC)


def test_a_test_file_with_a_comment_in_its_environment_is_refused_by_production(world):
    data = split(world.file(environment="test"), "environment", "test", 0, b"<!-- dry run -->")
    receipt = send(world, data)
    assert not receipt.accepted
    (error,) = receipt.errors
    line = data[: data.index(b"<environment>")].count(b"\n") + 1
    column = data.index(b"<environment>") - data.rfind(b"\n", 0, data.index(b"<environment>"))
    assert (error.code, error.line, error.column) == ("wrong_environment", line, column)
    assert Training.objects.count() == 0 and BatchFile.objects.count() == 0
    # The test channel takes it as the test file it is.
    assert send(world, data, production=False).accepted


def test_a_reference_split_by_a_comment_is_the_same_reference(world):
    data = world.file(reference="SSL-2026-1")
    assert send(world, data).accepted
    again = split(data, "file_reference", "SSL-2026-1", 0, b"<!-- resent -->")
    (error,) = send(world, again).errors
    assert error.code == "duplicate_reference" and "SSL-2026-1" in error.reason
    assert error.line == data[: data.index(b"<file_reference>")].count(b"\n") + 1
    other = split(world.file(reference="ABC999"), "file_reference", "ABC999", 1, b"<!---->")
    receipt = send(world, other)
    assert receipt.accepted and receipt.reference == "ABC999"


def test_an_operators_file_with_a_comment_in_its_sender_acts_for_that_sender(world):
    theirs = make_worker(world.other, start=dt.date(2020, 1, 1))  # no mandate for it
    data = world.file(employer=world.other, declarations=[world.training("X1", worker=theirs)])
    data = split(data, "sender", world.mandatary.enterprise_number, 0, b"<!---->")
    receipt = send(world, data, caller=Caller.for_system("cli"))
    assert receipt.accepted and receipt.sender == world.mandatary.enterprise_number
    services.process(receipt.file_id)
    assert not Training.objects.filter(employer=world.other).exists()
    (result,) = BatchResult.objects.filter(file_id=receipt.file_id)
    assert [f["code"] for f in result.findings] == ["E003"]


def test_a_wrong_sender_is_named_whole(world):
    data = split(world.file(sender="0400000383"), "sender", "0400000383", 5, b"<!---->")
    (error,) = send(world, data).errors
    assert error.code == "wrong_sender" and "0400000383" in error.reason


@pytest.mark.parametrize(
    ("zone", "value", "at"),
    [("reference", "T1", 1), ("enterprise_number", None, 4)],
    ids=["reference", "enterprise number"],
)
def test_a_reference_used_twice_is_found_whatever_splits_its_zones(
    world, settings, zone, value, at
):
    settings.FLA_BATCH_CHUNK = 1  # the write path sees one at a time: the receipt finds it
    data = world.file(declarations=[world.training("T1"), world.training("T1")])
    value = value or world.employer.enterprise_number
    old = f"<{zone}>{value}</{zone}>".encode()
    first = data.index(old)
    data = (
        data[:first]
        + split(data[first : first + len(old)], zone, value, at, b"<!---->")
        + (data[first + len(old) :])
    )
    receipt = send(world, data)
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    results = BatchResult.objects.filter(file_id=receipt.file_id).order_by("position")
    assert [r.status != "rejected" for r in results] == [True, False]
    assert [f["code"] for f in results[1].findings] == ["E022"]


@pytest.mark.parametrize("inside", INSIDE.values(), ids=INSIDE.keys())
def test_the_processing_reads_the_zones_of_a_declaration_whole(world, inside):
    worker = world.workers[0]
    data = world.file(declarations=[world.training("TR-77", title="Safety first")])
    for zone, value, at in (
        ("enterprise_number", world.employer.enterprise_number, 3),
        ("reference", "TR-77", 2),
        ("insz", worker.insz, 6),
        ("title", "Safety first", 6),
        ("start_date", "2025-03-01", 4),
        ("duration_minutes", "480", 1),
    ):
        data = split(data, zone, value, at, inside)
    receipt = send(world, data)
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    (result,) = BatchResult.objects.filter(file_id=receipt.file_id)
    assert result.status != "rejected", result.findings
    assert (result.enterprise_number, result.reference, result.insz) == (
        world.employer.enterprise_number,
        "TR-77",
        worker.insz,
    )
    training = Training.objects.get(employer=world.employer, reference="TR-77")
    assert (training.worker, training.title, training.start_date) == (
        worker,
        "Safety first",
        dt.date(2025, 3, 1),
    )
    assert training.duration_minutes == 480
