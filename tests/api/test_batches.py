"""The BATCH endpoints of the API: where the status is (Location), the status with its
ETag and, for a failed file, a reason safe to show; the notification's ETag and language."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fla.api.api import api as ninja_api
from fla.api.services import create_client
from fla.batch import services
from fla.batch.builder import file_bytes
from fla.batch.models import BatchFile, BatchStatus
from tests.api.conftest import API, assert_problem, make_token, training_body


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _api(world) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.employer_client)}")


def _submit(world, reference="F-1", language="fr") -> int:
    employer, worker = world.own.employer, world.own.worker
    zones = {**training_body(worker.insz), "reference": "B-1"}
    data = file_bytes(
        reference=reference,
        sender=employer.enterprise_number,
        language=language,
        employers=[(employer.enterprise_number, [("training", zones)])],
    )
    response = _api(world).post(f"{API}/batches", data=data, content_type="application/xml")
    assert response.status_code == 202, response.content
    file_id = response.json()["file_id"]
    assert response["Location"] == f"{API}/batches/{file_id}"
    return file_id


def test_the_status_has_an_etag_and_answers_304(world):
    file_id = _submit(world)
    api = _api(world)
    first = api.get(f"{API}/batches/{file_id}")
    assert first.status_code == 200 and first.json()["error"] is None
    cached = api.get(f"{API}/batches/{file_id}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert cached.status_code == 304 and cached["ETag"] == first["ETag"]
    services.process(file_id)
    done = api.get(f"{API}/batches/{file_id}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done["ETag"] != first["ETag"]


@pytest.mark.parametrize(
    "stored,says",
    [
        (
            'OperationalError: connection to server at "db.internal" (10.0.0.3), port 5432 '
            'failed: FATAL: password authentication failed for user "fla"',
            "a database error",
        ),
        (
            "FileNotFoundError: [Errno 2] No such file or directory: "
            "'/srv/fla/media/batch/2026/secret-name.xml'",
            "an error reading or writing the stored file",
        ),
        ("KeyError: 'insz 85073003328'", "an internal error"),
        ("", "an internal error"),
    ],
)
def test_a_failed_file_says_why_without_the_raw_error(world, stored, says):
    file_id = _submit(world)
    BatchFile.objects.filter(pk=file_id).update(status=BatchStatus.FAILED, error=stored)
    status = _api(world).get(f"{API}/batches/{file_id}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert status["status"] == "failed"
    error = status["error"]
    assert error.startswith(f"Processing stopped because of {says}.")
    assert str(file_id) in error
    for secret in ("db.internal", "10.0.0.3", "password", "/srv", "85073003328", "Error:"):
        assert secret not in error


def test_the_notification_has_an_etag_and_the_language_of_its_file(world):
    file_id = _submit(world, language="fr")
    api = _api(world)
    assert_problem(api.get(f"{API}/batches/{file_id}/notification"), 409)
    services.process(file_id)
    response = api.get(f"{API}/batches/{file_id}/notification", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert b"".join(response.streaming_content).startswith(b"<?xml")
    cached = api.get(f"{API}/batches/{file_id}/notification", HTTP_IF_NONE_MATCH=response["ETag"])
    assert cached.status_code == 304 and cached["ETag"] == response["ETag"]


def test_a_body_that_is_no_xml_is_415_and_too_large_413(world, settings):
    api = _api(world)
    assert_problem(api.post(f"{API}/batches", data="{}", content_type="application/json"), 415)
    settings.FLA_MAX_BATCH_BYTES = 100
    big = b"<batch_file>" + b" " * 200 + b"</batch_file>"
    assert_problem(api.post(f"{API}/batches", data=big, content_type="application/xml"), 413)


# --- a connector that sends files reads the answers to them ----------------------------


def test_a_declare_only_token_reads_the_status_and_notification_of_its_files(world):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.employer_client, scopes='declare')}")
    employer, worker = world.own.employer, world.own.worker
    zones = {**training_body(worker.insz), "reference": "B-D"}
    data = file_bytes(
        reference="F-D",
        sender=employer.enterprise_number,
        employers=[(employer.enterprise_number, [("training", zones)])],
    )
    submitted = api.post(f"{API}/batches", data=data, content_type="application/xml")
    assert submitted.status_code == 202, submitted.content
    status = api.get(submitted["Location"])
    assert status.status_code == 200, status.content
    assert status.json()["reference"] == "F-D"
    services.process(submitted.json()["file_id"])
    notification = api.get(f"{submitted['Location']}/notification")
    assert notification.status_code == 200
    assert b"".join(notification.streaming_content).startswith(b"<?xml")


def test_a_declare_only_token_sees_only_its_organisations_files(world):
    file_id = _submit(world)
    other = create_client(name="Foreign connector", employer=world.foreign.employer).client
    api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(other, scopes='declare')}")
    assert_problem(api.get(f"{API}/batches/{file_id}"), 404)
    assert_problem(api.get(f"{API}/batches/{file_id}/notification"), 404)


def test_a_declare_only_mandatary_token_reads_only_the_files_it_sent(world):
    """A read token sees the files of the employers it holds a mandate for; a declare
    token only the answers to the files its own organisation sent."""
    mandated = world.mandated.employer
    zones = {**training_body(world.mandated.worker.insz), "reference": "B-M"}
    data = file_bytes(
        reference="F-M",
        sender=mandated.enterprise_number,
        employers=[(mandated.enterprise_number, [("training", zones)])],
    )
    mandated_client = create_client(name="Mandated payroll", employer=mandated).client
    sender = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(mandated_client)}")
    file_id = sender.post(f"{API}/batches", data=data, content_type="application/xml").json()[
        "file_id"
    ]
    for scopes, status in (("read", 200), ("declare", 404)):
        token = make_token(world.mandatary_client, scopes=scopes)
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"{API}/batches/{file_id}")
        assert response.status_code == status, (scopes, response.content)
    # and the files it sent itself, whatever their employers
    own = file_bytes(
        reference="F-S",
        sender=world.mandatary_client.mandatary.enterprise_number,
        employers=[(mandated.enterprise_number, [("training", {**zones, "reference": "B-S"})])],
    )
    declare = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.mandatary_client, scopes='declare')}")
    sent = declare.post(f"{API}/batches", data=own, content_type="application/xml")
    assert sent.status_code == 202, sent.content
    assert declare.get(sent["Location"]).status_code == 200


def test_a_token_with_neither_scope_is_403(world):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.employer_client, scopes='')}")
    body = assert_problem(api.get(f"{API}/batches/1"), 403)
    assert body["type"] == "urn:fla:problem:insufficient-scope"
    assert body["detail"] == "Voor deze bewerking is de scope 'read' of 'declare' vereist."
    english = api.get(f"{API}/batches/1", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["detail"] == "This operation needs the scope 'read' or 'declare'."


def test_the_openapi_security_of_the_status_takes_read_or_declare():
    schema = json.loads(json.dumps(ninja_api.get_openapi_schema()))
    either = [{"OAuth2": ["read"]}, {"OAuth2": ["declare"]}]
    assert schema["paths"][f"{API}/batches/{{file_id}}"]["get"]["security"] == either
    notification = schema["paths"][f"{API}/batches/{{file_id}}/notification"]["get"]
    assert notification["security"] == either
    assert schema["paths"][f"{API}/batches"]["post"]["security"] == [{"OAuth2": ["declare"]}]
