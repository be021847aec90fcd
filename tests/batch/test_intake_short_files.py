"""Short files: libxml2's push parser reads a document of a few bytes only when it is
closed. A well-formed one is still judged against the XSD; a truncated one is still not
well formed."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fla.api.services import create_client
from fla.batch import services
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


def test_a_short_file_malformed_before_its_end_is_placed_there(world):
    (error,) = receive(world.caller, b"<x a=1/>").errors
    assert (error.code, error.line) == ("not_well_formed", 1) and error.column < 9
    # libxml2's words, without the line and column the receipt gives on its own.
    assert error.reason.startswith("Geen welgevormde XML: ") and "column" not in error.reason


def test_a_four_byte_file_is_invalid_on_every_channel(world, tmp_path):
    data = b"<x/>"
    api = Client(
        HTTP_AUTHORIZATION=f"Bearer {token(create_client(name='SSL', mandatary=world.mandatary).client)}"
    )
    response = api.post("/api/v1/batches", data=data, content_type="application/xml")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["code"], error["line"], error["column"]) == ("invalid", 1, 1)
    assert WRONG_ROOT in error["reason"]

    web = Client()
    web.force_login(world.user)
    upload = io.BytesIO(data)
    upload.name = "x.xml"
    page = web.post("/batch/upload/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="nl")
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
