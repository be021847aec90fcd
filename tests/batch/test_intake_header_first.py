"""A refused header is the answer, whatever follows it in the same block of the file."""

import io

import pytest

from fla.batch import services
from tests.batch.test_receipt import assert_nothing_stored
from tests.factories import make_mandatary

BAD_INSZ = b"<insz>1</insz>"


def with_invalid_declaration(data: bytes, insz: str) -> bytes:
    zone = f"<insz>{insz}</insz>".encode()
    assert data.count(zone) == 1
    return data.replace(zone, BAD_INSZ)


def receive(caller, data, production=True):
    return services.receive(caller, io.BytesIO(data), production=production)


def refusal(world, data, production=True):
    receipt = receive(world.caller, data, production)
    assert not receipt.accepted
    (error,) = receipt.errors
    return error.code, error.line, error.column


@pytest.mark.parametrize("size", [16, 256, 64 * 1024])
def test_a_wrong_sender_is_refused_as_such_before_an_invalid_declaration(
    world, batch_storage, size, monkeypatch
):
    monkeypatch.setattr("fla.batch.receipt.READ_SIZE", size)
    stranger = make_mandatary("Stranger")
    data = world.file(sender=stranger.enterprise_number)
    data = with_invalid_declaration(data, world.workers[0].insz)
    column = data.split(b"\n")[2].index(b"<sender>") + 1
    assert refusal(world, data) == ("wrong_sender", 3, column)
    assert_nothing_stored(batch_storage)


def test_a_duplicate_reference_and_a_wrong_environment_come_before_an_invalid_declaration(
    world, batch_storage
):
    assert receive(world.caller, world.file("SAME")).accepted
    again = with_invalid_declaration(world.file("SAME"), world.workers[0].insz)
    code, line, _ = refusal(world, again)
    assert (code, line) == ("duplicate_reference", 3)
    test_file = with_invalid_declaration(world.file("T", environment="test"), world.workers[0].insz)
    code, line, _ = refusal(world, test_file)
    assert (code, line) == ("wrong_environment", 3)


def test_an_invalid_header_is_still_invalid(world, batch_storage):
    data = world.file(sender="12345")
    data = with_invalid_declaration(data, world.workers[0].insz)
    code, line, _ = refusal(world, data)
    assert (code, line) == ("invalid", 3)
    assert_nothing_stored(batch_storage)
