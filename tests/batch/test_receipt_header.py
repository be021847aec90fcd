"""A rejected file's receipt says what was read of its header, on every channel: the
reference, sender and environment the pass read (valid against the XSD) before it
stopped, empty where it read none."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fla.api.services import create_client
from fla.batch import services
from fla.batch.models import BatchFile
from tests.batch.test_channels import token


def receive(caller, data, production=True):
    return services.receive(caller, io.BytesIO(data), production=production)


def header_of(receipt):
    return (receipt.reference, receipt.sender, receipt.environment)


def test_a_duplicate_reference_says_the_header(world):
    assert receive(world.caller, world.file("DUP-1")).accepted
    receipt = receive(world.caller, world.file("DUP-1"))
    assert receipt.errors[0].code == "duplicate_reference"
    assert header_of(receipt) == ("DUP-1", world.mandatary.enterprise_number, "production")


def test_a_wrong_sender_says_the_header(world):
    receipt = receive(world.caller, world.file("WS-1", sender=world.other.enterprise_number))
    assert receipt.errors[0].code == "wrong_sender"
    assert header_of(receipt) == ("WS-1", world.other.enterprise_number, "production")


def test_a_test_file_to_production_says_the_header(world):
    receipt = receive(world.caller, world.file("ENV-1", environment="test"))
    assert receipt.errors[0].code == "wrong_environment"
    assert header_of(receipt) == ("ENV-1", world.mandatary.enterprise_number, "test")


def test_an_error_after_the_header_says_the_header(world):
    data = world.file("XSD-1", declarations=[world.training("T1", duration_minutes="many")])
    receipt = receive(world.caller, data)
    assert receipt.errors[0].code == "invalid"
    assert header_of(receipt) == ("XSD-1", world.mandatary.enterprise_number, "production")
    assert receipt.as_dict()["reference"] == "XSD-1"


def test_a_zone_the_xsd_refuses_and_those_after_it_are_not_said(world):
    data = world.file("BAD-1").replace(
        world.mandatary.enterprise_number.encode(), b"04031707019", 1
    )
    receipt = receive(world.caller, data)
    assert receipt.errors[0].code == "invalid"
    assert header_of(receipt) == ("BAD-1", "", "")


@pytest.mark.parametrize("data", [b"", b"<x/>", b"<batch_file"])
def test_a_file_without_a_header_read_says_none(world, data):
    receipt = receive(world.caller, data)
    assert not receipt.accepted and header_of(receipt) == ("", "", "")


def test_every_channel_says_the_header_of_a_rejected_file(world, tmp_path):
    data = world.file("ENV-2", environment="test")
    sender = world.mandatary.enterprise_number

    api = Client(
        HTTP_AUTHORIZATION=(
            f"Bearer {token(create_client(name='SSL', mandatary=world.mandatary).client)}"
        )
    )
    response = api.post("/api/v1/batches", data=data, content_type="application/xml")
    assert response.status_code == 422
    body = response.json()["receipt"]
    assert (body["reference"], body["sender"], body["environment"]) == ("ENV-2", sender, "test")
    assert body["errors"][0]["code"] == "wrong_environment"

    web = Client()
    web.force_login(world.user)
    upload = io.BytesIO(data)
    upload.name = "env.xml"
    page = web.post(
        "/batch/upload/", {"file": upload, "environment": "production"}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert 'data-testid="receipt-reference">ENV-2<' in text
    assert f'data-testid="receipt-sender">{sender}<' in text
    assert 'data-testid="receipt-environment">Test<' in text

    path = tmp_path / "env.xml"
    path.write_bytes(data)
    command = ["batch", "submit", str(path), "--as-mandatary", sender]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(*command, "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert (body["reference"], body["sender"], body["environment"]) == ("ENV-2", sender, "test")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(*command, stdout=out)
    first = out.getvalue().splitlines()[0]
    assert first == f"REJECTED: reference ENV-2, sender {sender}, environment test"
    assert BatchFile.objects.count() == 0


def test_the_upload_page_says_no_header_where_none_was_read(world):
    web = Client()
    web.force_login(world.user)
    upload = io.BytesIO(b"<batch_file")
    upload.name = "bad.xml"
    page = web.post("/batch/upload/", {"file": upload, "environment": "production"})
    assert page.status_code == 400 and b'data-testid="receipt-header"' not in page.content


def test_an_accepted_receipt_says_the_header_on_every_channel(world, tmp_path):
    """Every receipt gives the header's reference, sender and environment: the page of
    an accepted upload too, as the API and the command line do."""
    sender = world.mandatary.enterprise_number
    web = Client()
    web.force_login(world.user)
    upload = io.BytesIO(world.file("OK-1"))
    upload.name = "ok.xml"
    response = web.post("/batch/upload/", {"file": upload, "environment": "production"})
    page = web.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    facts = page.split('data-testid="receipt"')[1].split("</dl>")[0]
    assert "<dt>Reference</dt><dd>OK-1</dd>" in facts
    formatted = f"{sender[:4]}.{sender[4:7]}.{sender[7:]}"
    assert f'<dt>Sender</dt><dd data-testid="receipt-sender">{formatted}</dd>' in facts
    assert "<dt>Environment</dt><dd>Production</dd>" in facts

    path = tmp_path / "ok.xml"
    path.write_bytes(world.file("OK-2"))
    out = io.StringIO()
    call_command("batch", "submit", str(path), "--as-mandatary", sender, "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert (body["reference"], body["sender"], body["environment"]) == (
        "OK-2",
        sender,
        "production",
    )
