"""The header's sender is the organisation that sends the file (as in DmfA): the one
the person acts for (an employer they have an access of their own to, or the mandatary
they are a member of), the API client's, or the one given on the command line. A
secretariat's member may not name a mandated employer: the file would count as that
employer's own."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fla.accounts.access import Caller
from fla.api.services import create_client
from fla.batch import services
from fla.batch.models import BatchFile
from tests.batch.test_channels import token
from tests.factories import grant


def test_a_member_of_a_secretariat_may_not_name_a_mandated_employer(world):
    caller = Caller.for_user(world.user, channel="batch")
    data = world.file("E1", sender=world.employer.enterprise_number)
    receipt = services.receive(caller, io.BytesIO(data), production=True)
    (error,) = receipt.errors
    assert error.code == "wrong_sender" and error.column
    # The reason tells the member to give the secretariat's own number.
    assert world.mandatary.enterprise_number in error.reason
    assert BatchFile.objects.count() == 0
    # The secretariat's own number is the sender: accepted, as the mandatary's file.
    receipt = services.receive(caller, io.BytesIO(world.file("M1")), production=True)
    assert receipt.accepted
    assert BatchFile.objects.get().sender_mandatary == world.mandatary


def test_a_person_with_an_access_of_their_own_may_name_that_employer(world):
    grant(world.user, world.employer)  # besides the mandate
    caller = Caller.for_user(world.user, channel="batch")
    data = world.file("E1", sender=world.employer.enterprise_number)
    receipt = services.receive(caller, io.BytesIO(data), production=True)
    assert receipt.accepted, receipt.errors
    assert BatchFile.objects.get().sender_employer == world.employer


def test_read_access_of_their_own_is_said_as_such(world):
    grant(world.user, world.employer, role="read")
    caller = Caller.for_user(world.user, channel="batch")
    data = world.file("E1", sender=world.employer.enterprise_number)
    (error,) = services.receive(caller, io.BytesIO(data), production=True).errors
    assert error.code == "wrong_sender" and "leestoegang" in error.reason


def test_the_upload_page_refuses_a_mandated_employer_as_sender(world):
    web = Client()
    web.force_login(world.user)
    upload = io.BytesIO(world.file("E1", sender=world.employer.enterprise_number))
    upload.name = "e1.xml"
    page = web.post("/batch/upload/", {"file": upload, "environment": "production"})
    assert page.status_code == 400 and b'data-code="wrong_sender"' in page.content
    assert BatchFile.objects.count() == 0


def test_the_api_client_of_a_secretariat_may_not_name_a_mandated_employer(world, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    bearer = token(create_client(name="SSL", mandatary=world.mandatary).client)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    data = world.file("E1", sender=world.employer.enterprise_number)
    response = api.post("/api/v1/batches", data=data, content_type="application/xml")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "wrong_sender"
    assert BatchFile.objects.count() == 0


def test_the_command_line_as_a_secretariat_may_not_name_a_mandated_employer(world, tmp_path):
    path = tmp_path / "e1.xml"
    path.write_bytes(world.file("E1", sender=world.employer.enterprise_number))
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
    assert json.loads(out.getvalue())["errors"][0]["code"] == "wrong_sender"
    assert BatchFile.objects.count() == 0
