"""Short files: libxml2's push parser reads a document of a few bytes only when it is
closed. A well-formed one is still judged against the XSD; a truncated one is still not
well formed, also when the XSD refused its root before its end was read."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fla.api.services import create_client
from fla.batch import receipt, services
from fla.batch.models import BatchFile
from tests.batch.test_channels import token

WRONG_ROOT = "het hoofdelement moet batch_file zijn"


def receive(caller, data):
    return services.receive(caller, io.BytesIO(data), production=True)


@pytest.mark.parametrize(
    ("data", "line", "column", "reason"),
    [
        (b"<x/>", 1, 1, WRONG_ROOT),
        (b"<x></x>", 1, 1, WRONG_ROOT),
        (b"\n<x/>", 2, 1, WRONG_ROOT),
        (b"<x/>\n", 1, 1, WRONG_ROOT),
        (b"\xef\xbb\xbf<x/>", 1, 1, WRONG_ROOT),
        (b'<?xml version="1.0"?><batch/>', 1, 22, WRONG_ROOT),
        (b'<?xml version="1.0"?>\n<batch_file/>', 2, 1, WRONG_ROOT),
        (b'<batch_file xmlns="urn:be:fla:batch:v1"/>', 1, 1, "Expected is ( header )"),
        (b'<batch_file xmlns="urn:be:fla:batch:v1"></batch_file>', 1, 1, "Expected is ( header )"),
    ],
)
def test_a_short_well_formed_file_is_judged_against_the_xsd(world, data, line, column, reason):
    (error,) = receive(world.caller, data).errors
    assert (error.code, error.line, error.column) == ("invalid", line, column)
    assert error.reason.startswith("Niet geldig volgens de XSD") and reason in error.reason
    assert BatchFile.objects.count() == 0


@pytest.mark.parametrize("data", [b"", b"<", b"<x", b"<x/", b"<x>"])
def test_a_short_malformed_file_is_not_well_formed(world, data):
    (error,) = receive(world.caller, data).errors
    assert (error.code, error.line) == ("not_well_formed", 1) and error.column >= 1
    assert BatchFile.objects.count() == 0


def test_a_short_unclosed_root_is_placed_at_the_end(world):
    (error,) = receive(world.caller, b"<x>").errors
    assert (error.code, error.line, error.column) == ("not_well_formed", 1, 4)
    assert error.reason == "Het document eindigt voordat zijn hoofdelement afgesloten is."


ENDS_UNCLOSED = "Het document eindigt voordat zijn hoofdelement afgesloten is."


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"<x>", 1, 4),
        (b"<x>\n", 2, 1),
        (b"<x>\r\n", 2, 1),
        (b"<x> ", 1, 5),
        (b"<x>\n<y/>\n", 3, 1),
        (b"<x>\n<y>", 2, 4),
        (b"<batch_file>\n", 2, 1),
        (b'<batch_file xmlns="urn:be:fla:batch:v1">\n', 2, 1),
        (b"<x>" + b"<y/>" * 1000 + b"\n", 2, 1),
    ],
)
def test_a_short_file_whose_root_is_never_closed_is_not_well_formed(world, data, line, column):
    # Whatever the XSD says of its root, and wherever the streaming pass met that: a
    # document that ends inside its root is no XML document, so none the XSD can judge.
    (error,) = receive(world.caller, data).errors
    assert (error.code, error.line, error.column) == ("not_well_formed", line, column)
    assert error.reason == ENDS_UNCLOSED
    assert BatchFile.objects.count() == 0


@pytest.mark.parametrize("data", [b"<x></y>", b"<x></y>\n", b"<x/>junk\n", b"<x>\n<y a=1/>\n"])
def test_a_short_malformed_file_with_a_wrong_root_is_not_well_formed(world, data):
    (error,) = receive(world.caller, data).errors
    assert error.code == "not_well_formed"
    assert error.reason.startswith("Geen welgevormde XML: ")


def _by_api_and_upload(world, data: bytes):
    """The answers to ``data`` sent by the API (the secretariat's client) and uploaded
    on the web page (its user, in Dutch)."""
    api = Client(
        HTTP_AUTHORIZATION=f"Bearer {token(create_client(name='SSL', mandatary=world.mandatary).client)}"
    )
    response = api.post("/api/v1/batches", data=data, content_type="application/xml")
    web = Client()
    web.force_login(world.user)
    upload = io.BytesIO(data)
    upload.name = "x.xml"
    page = web.post("/batch/upload/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="nl")
    return response, page


def test_a_short_unclosed_file_is_not_well_formed_on_every_channel(world):
    response, page = _by_api_and_upload(world, b"<x>\n")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["code"], error["line"], error["column"]) == ("not_well_formed", 2, 1)
    assert page.status_code == 400
    assert b"not_well_formed" in page.content and ENDS_UNCLOSED.encode() in page.content


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_a_long_file_with_a_wrong_root_is_stopped_at_once(world):
    # Longer than what is read whole: the XSD's refusal of the root is the answer, and
    # the rest of the file is not read to learn whether its root is ever closed.
    data = b"<x>\n" + b"<y/>\n" * (2 * receipt.SHORT_FILE // 5)
    stream = CountingStream(data)
    (error,) = services.receive(world.caller, stream, production=True).errors
    assert (error.code, error.line, error.column) == ("invalid", 1, 1)
    assert WRONG_ROOT in error.reason
    assert stream.bytes_read < len(data)


def test_a_short_file_malformed_before_its_end_is_placed_there(world):
    (error,) = receive(world.caller, b"<x a=1/>").errors
    assert (error.code, error.line) == ("not_well_formed", 1) and error.column < 9
    # libxml2's words, without the line and column the receipt gives on its own.
    assert error.reason.startswith("Geen welgevormde XML: ") and "column" not in error.reason


def test_a_four_byte_file_is_invalid_on_every_channel(world, tmp_path):
    data = b"<x/>"
    response, page = _by_api_and_upload(world, data)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["code"], error["line"], error["column"]) == ("invalid", 1, 1)
    assert WRONG_ROOT in error["reason"]
    assert page.status_code == 400
    assert b"invalid" in page.content and WRONG_ROOT.encode() in page.content

    path = tmp_path / "x.xml"
    path.write_bytes(data)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "batch",
            "submit",
            str(path),
            "--as-mandatary",
            world.mandatary.enterprise_number,
            "--json",
            stdout=out,
        )
    (error,) = json.loads(out.getvalue())["errors"]
    assert (error["code"], error["line"], error["column"]) == ("invalid", 1, 1)
    assert BatchFile.objects.count() == 0
