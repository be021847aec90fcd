"""The BATCH endpoints of the API: where the status is (Location), the status with its
ETag and, for a failed file, a reason safe to show; the notification's ETag and language."""

from __future__ import annotations

import pytest
from django.test import Client

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
