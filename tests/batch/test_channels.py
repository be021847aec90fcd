"""The three ways in: API, command line, online application; and the published XSDs."""

import datetime as dt
import io
import json
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from lxml import etree
from oauth2_provider.models import AccessToken

from fla.api.services import create_client
from fla.batch import services
from fla.batch.glossary import LANGUAGES, glossary_path, render
from fla.batch.models import BatchFile
from fla.batch.schemas import SCHEMA_DIR, SCHEMAS
from fla.trainings.models import Training
from tests.factories import make_user


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token(client, scopes=None):
    raw = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        application=client.application,
        token=raw,
        expires=timezone.now() + dt.timedelta(minutes=10),
        scope=scopes or client.scopes,
    )
    return raw


# --- schemas and glossary -------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_committed_glossary_is_what_the_xsd_gives(lang):
    assert glossary_path(lang).read_text(encoding="utf-8") == render(lang), (
        "Run `fla batch glossary` after changing the XSDs."
    )


def test_glossary_names_every_zone_of_the_xsd():
    text = render("en")
    for name in SCHEMAS:
        tree = etree.parse(str(SCHEMA_DIR / name))
        for element in tree.iter("{http://www.w3.org/2001/XMLSchema}element"):
            assert f"`{element.get('name')}`" in text


def test_schemas_are_published(client):
    for name in SCHEMAS:
        response = client.get(f"/batch/schemas/{name}")
        assert response.status_code == 200 and response["Content-Type"] == "application/xml"
        etree.XMLSchema(etree.fromstring(response.content))
    assert client.get("/batch/schemas/settings.py").status_code == 404
    assert client.get("/batch/schemas/..%2Fpyproject.toml").status_code == 404


# --- API ------------------------------------------------------------------------------


@pytest.fixture
def api_token(world):
    return token(create_client(name="SSL", mandatary=world.mandatary).client)


def test_api_submit_status_and_notification(world, api_token):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    data = world.file(declarations=[world.training("T1"), world.training("T2", kind="x")])
    response = api.post("/api/v1/batches", data=data, content_type="application/xml")
    assert response.status_code == 202, response.content
    receipt = response.json()
    assert receipt["accepted"] and receipt["declarations"] == 2
    file_id = receipt["file_id"]
    status = api.get(f"/api/v1/batches/{file_id}").json()
    assert (status["status"], status["progress"]) == ("received", 0)
    assert api.get(f"/api/v1/batches/{file_id}/notification").status_code == 409
    services.process(file_id)
    status = api.get(f"/api/v1/batches/{file_id}").json()
    assert (status["status"], status["progress"], status["rejected"]) == ("done", 100, 1)
    response = api.get(f"/api/v1/batches/{file_id}/notification")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    tree = etree.fromstring(b"".join(response.streaming_content))
    assert tree.tag == "{urn:be:fla:notification:v1}notification"
    # The declarations went through the BATCH channel.
    assert Training.objects.get(reference="T1").channel == "batch"


def test_api_rejection_is_a_422_with_line_and_column(world, api_token):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    response = api.post("/api/v1/batches", data=b"<batch_file", content_type="application/xml")
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["code"] == "not_well_formed" and problem["errors"][0]["line"] == 1
    assert BatchFile.objects.count() == 0


def test_api_test_endpoint_and_media_type(world, api_token):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    data = world.file(environment="test")
    assert (
        api.post("/api/v1/batches", data=data, content_type="application/xml").json()["errors"][0][
            "code"
        ]
        == "wrong_environment"
    )
    assert (
        api.post("/api/v1/batches?test=true", data=data, content_type="application/xml").status_code
        == 202
    )
    assert api.post("/api/v1/batches", data=data, content_type="text/plain").status_code == 415


def test_api_files_are_scoped_to_the_organisation(world, api_token):
    receipt = services.receive(world.caller, io.BytesIO(world.file()), production=True)
    other = create_client(name="Other", employer=world.other).client
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token(other)}")
    assert api.get(f"/api/v1/batches/{receipt.file_id}").status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    assert api.get(f"/api/v1/batches/{receipt.file_id}").status_code == 200
    assert Client().get(f"/api/v1/batches/{receipt.file_id}").status_code == 401


def test_api_read_only_client_cannot_submit(world):
    client = create_client(name="RO", mandatary=world.mandatary, scopes=["read"]).client
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token(client)}")
    response = api.post("/api/v1/batches", data=world.file(), content_type="application/xml")
    assert response.status_code == 403


ZONE_AS_ROOT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<sender xmlns="urn:be:fla:batch:v1">0400000383</sender>\n'
)


def test_a_zone_as_root_element_is_a_rejection_on_every_channel(world, api_token, tmp_path):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}", raise_request_exception=False)
    response = api.post("/api/v1/batches", data=ZONE_AS_ROOT, content_type="application/xml")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["code"], error["line"], error["column"]) == ("invalid", 2, 1)

    web = Client(raise_request_exception=False)
    web.force_login(world.user)
    upload = io.BytesIO(ZONE_AS_ROOT)
    upload.name = "sender.xml"
    page = web.post("/batch/upload/", {"file": upload, "environment": "production"})
    assert page.status_code == 400 and b'data-testid="receipt"' in page.content

    path = tmp_path / "sender.xml"
    path.write_bytes(ZONE_AS_ROOT)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("batch", "submit", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["errors"][0]["code"] == "invalid"
    assert BatchFile.objects.count() == 0


# --- command line ---------------------------------------------------------------------


def test_cli_submit_status_notification(world, tmp_path, capsys):
    path = tmp_path / "file.xml"
    path.write_bytes(world.file(declarations=[world.training("T1")]))
    call_command(
        "batch", "submit", str(path), "--as-mandatary", world.mandatary.enterprise_number, "--json"
    )
    receipt = json.loads(capsys.readouterr().out)
    assert receipt["accepted"]
    file_id = str(receipt["file_id"])
    call_command("batch", "status", file_id)
    assert "received" in capsys.readouterr().out
    services.process(receipt["file_id"])
    call_command("batch", "status", file_id, "--json")
    assert json.loads(capsys.readouterr().out)["progress"] == 100
    call_command("batch", "notification", file_id)
    assert etree.fromstring(capsys.readouterr().out.encode()).tag.endswith("notification")


def test_cli_rejection_and_unknown_organisation(world, tmp_path, capsys):
    path = tmp_path / "file.xml"
    path.write_bytes(world.file(environment="production"))
    with pytest.raises(CommandError):
        call_command(
            "batch",
            "submit",
            str(path),
            "--test",
            "--as-mandatary",
            world.mandatary.enterprise_number,
        )
    assert "wrong_environment" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("batch", "submit", str(path), "--as-employer", "0403170701")
    with pytest.raises(CommandError):
        call_command("batch", "status", "999")


# --- online application ---------------------------------------------------------------


def test_pages_upload_list_detail_and_download(world, client):
    client.force_login(world.user)
    assert client.get("/batch/upload/").status_code == 200
    upload = io.BytesIO(
        world.file(declarations=[world.training("T1"), world.training("T2", kind="x")])
    )
    upload.name = "file.xml"
    response = client.post("/batch/upload/", {"file": upload, "environment": "production"})
    batch = BatchFile.objects.get()
    assert response.status_code == 302
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200 and b'data-testid="file-id"' in receipt.content
    assert batch.submitted_by == world.user
    page = client.get("/batch/")
    assert page.status_code == 200 and b"F1" in page.content and b"<progress" in page.content
    assert client.get(f"/batch/{batch.pk}/notification.xml").status_code == 404
    services.process(batch.pk)
    detail = client.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    assert detail.status_code == 200 and b"E011" in detail.content
    assert b"100%" in client.get(f"/batch/{batch.pk}/progress/").content
    download = client.get(f"/batch/{batch.pk}/notification.xml")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]


def test_pages_rejection_shows_line_and_reason(world, client):
    client.force_login(world.user)
    upload = io.BytesIO(b"<batch_file>")
    upload.name = "bad.xml"
    response = client.post("/batch/upload/", {"file": upload, "environment": "production"})
    assert response.status_code == 400 and b'data-testid="receipt"' in response.content


def test_pages_are_scoped_and_need_login(world, client):
    # A reference no random token (CSRF) can contain by chance.
    reference = "SCOPE-FILE-REF"
    receipt = services.receive(world.caller, io.BytesIO(world.file(reference)), production=True)
    assert client.get("/batch/").status_code == 302
    client.force_login(make_user())
    assert client.get(f"/batch/{receipt.file_id}/").status_code == 404
    assert reference.encode() not in client.get("/batch/").content
    client.force_login(world.user)  # a member of the sending mandatary
    assert client.get(f"/batch/{receipt.file_id}/").status_code == 200
