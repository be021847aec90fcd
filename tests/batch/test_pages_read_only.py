"""Who may not send files is not offered the upload, and a refused sender is told why:
read access only, or a secretariat's member naming an employer as the sender."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from fla.accounts.access import Caller
from fla.batch import services
from fla.batch.models import BatchFile
from tests.factories import grant, join, make_user

UPLOAD_BUTTON = 'href="/batch/upload/"'


def _receive(user, data) -> services.Receipt:
    return services.receive(Caller.for_user(user, "batch"), io.BytesIO(data), production=True)


@pytest.fixture
def reader(world):
    """Read access to the employer only, as the demo's dirk.lezer."""
    user = make_user()
    grant(user, world.employer, "read")
    return user


def test_a_reader_is_not_offered_the_upload(world, reader):
    client = Client()
    client.force_login(reader)
    listing = client.get("/batch/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert UPLOAD_BUTTON not in listing and 'data-testid="read-only"' in listing
    page = client.get("/batch/upload/", HTTP_ACCEPT_LANGUAGE="nl")
    body = page.content.decode()
    assert (
        page.status_code == 200 and "<form" not in body.split("</header>")[-1].split("<footer")[0]
    )
    assert "Je mag voor geen enkele organisatie aangeven" in body
    upload = io.BytesIO(world.file(sender=world.employer.enterprise_number))
    upload.name = "file.xml"
    refused = client.post("/batch/upload/", {"file": upload, "environment": "production"})
    assert refused.status_code == 403 and not BatchFile.objects.exists()


def test_a_declarer_is_offered_the_upload(world):
    client = Client()
    client.force_login(world.user)  # a declaring member of the secretariat
    listing = client.get("/batch/").content.decode()
    assert UPLOAD_BUTTON in listing and 'data-testid="read-only"' not in listing
    assert b'name="file"' in client.get("/batch/upload/").content


def test_a_reader_of_the_sender_is_told_he_has_read_access_only(world, reader):
    join(reader, world.mandatary)  # may send for the secretariat, and read Other only
    grant(reader, world.other, "read")
    (error,) = _receive(reader, world.file(sender=world.other.enterprise_number)).errors
    assert error.code == "wrong_sender"
    assert error.reason.startswith(
        f"Je hebt alleen leestoegang tot de afzender {world.other.enterprise_number}"
    )
    assert "maakt er geen deel van uit" not in error.reason


def test_a_reading_member_of_a_secretariat_too(world):
    member = make_user()
    join(member, world.mandatary, "read")
    (error,) = _receive(member, world.file()).errors
    assert error.reason.startswith("Je hebt alleen leestoegang tot de afzender")


def test_a_secretariat_naming_an_employer_as_sender_is_told_to_use_its_own_number(world):
    (error,) = _receive(world.user, world.file(sender=world.other.enterprise_number)).errors
    assert error.code == "wrong_sender"
    assert f"als afzender ({world.mandatary.enterprise_number})" in error.reason


def test_an_outsider_still_gets_the_plain_refusal(world):
    (error,) = _receive(make_user(), world.file()).errors
    assert "je bent die organisatie niet of maakt er geen deel van uit" in error.reason


def test_a_read_only_api_client_of_the_sender_is_told_so(world):
    caller = Caller(
        channel="batch", label="ro", mandatary_id=world.mandatary.pk, scopes=frozenset({"read"})
    )
    receipt = services.receive(caller, io.BytesIO(world.file()), production=True)
    assert receipt.errors[0].reason.startswith("Je hebt alleen leestoegang tot de afzender")


@pytest.mark.parametrize(
    "language,start",
    [
        ("fr", "Vous n'avez qu'un accès en lecture à l'expéditeur"),
        ("de", "Sie haben nur Lesezugriff auf den Absender"),
        ("en", "You have read-only access to the sender"),
    ],
)
def test_the_read_only_refusal_in_every_language(world, reader, language, start):
    from django.utils import translation

    with translation.override(language):
        (error,) = _receive(reader, world.file(sender=world.employer.enterprise_number)).errors
    assert error.reason.startswith(start)
