"""The BATCH endpoints of the API: where the status is (Location), the status with its
ETag and, for a failed file, a reason safe to show; the notification's ETag and language."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fla.api.api import api as ninja_api
from fla.api.common import encode_cursor
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


def test_a_failed_files_notification_says_it_failed_not_that_it_is_not_ready(world):
    """A connector waiting for the notification of a failed file would wait forever on
    "not ready": the problem says the file failed, why, and where its status is."""
    file_id = _submit(world)
    api = _api(world)
    waiting = assert_problem(api.get(f"{API}/batches/{file_id}/notification"), 409)
    assert waiting["type"] == "urn:fla:problem:not-ready"
    BatchFile.objects.filter(pk=file_id).update(
        status=BatchStatus.FAILED, error="OperationalError: disk I/O error"
    )
    response = api.get(f"{API}/batches/{file_id}/notification", HTTP_ACCEPT_LANGUAGE="en")
    failed = assert_problem(response, 409)
    assert failed["type"] == "urn:fla:problem:file-failed"
    assert failed["detail"].startswith("This file failed: it has no notification.")
    assert f"/api/v1/batches/{file_id}" in failed["detail"]
    assert failed["error"].startswith("Processing stopped because of a database error.")
    assert "disk I/O" not in response.content.decode()
    assert failed["progress"] == 0


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


@pytest.mark.parametrize("charset", ["iso-8859-1", "utf-16", "windows-1252"])
def test_a_file_said_to_be_in_another_charset_than_utf8_is_415(world, charset):
    """As the JSON endpoints: a BATCH file is UTF-8, and nothing of it is stored."""
    data = file_bytes(
        reference="F-CS",
        sender=world.own.employer.enterprise_number,
        employers=[(world.own.employer.enterprise_number, [])],
    )
    api = _api(world)
    refused = api.post(
        f"{API}/batches",
        data=data,
        content_type=f"application/xml; charset={charset}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    problem = assert_problem(refused, 415)
    assert problem["detail"] == f"The request content must be encoded in UTF-8, not in {charset}."
    assert not BatchFile.objects.filter(reference="F-CS").exists()
    for same in ("utf-8", "UTF8", '"utf-8"'):
        ok = api.post(f"{API}/batches", data=data, content_type=f"application/xml; charset={same}")
        assert ok.status_code in (202, 422), ok.content
        assert ok.status_code == 202 or ok.json()["errors"][0]["code"] == "duplicate_reference"


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
    declare = Client(
        HTTP_AUTHORIZATION=f"Bearer {make_token(world.mandatary_client, scopes='declare')}"
    )
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


# --- the list of files ---------------------------------------------------------------


def _stored(employer=None, reference="L-1", received_at="2026-01-09T10:00:00Z", **fields):
    """A file as the receipt stores it (sent by ``employer``, or by ``fields``'
    ``sender_mandatary``), without its content."""
    mandatary = fields.pop("sender_mandatary", None)
    return BatchFile.objects.create(
        reference=reference,
        sender=(mandatary or employer).enterprise_number,
        sender_employer=None if mandatary else employer,
        sender_mandatary=mandatary,
        received_at=received_at,
        storage_name="none.xml",
        **fields,
    )


def _listed(token: str, query: str = "") -> list[str]:
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"{API}/batches{query}")
    assert response.status_code == 200, response.content[:500]
    return [item["reference"] for item in response.json()["items"]]


def test_the_list_gives_each_file_as_its_status_does_newest_first(world):
    first, second = _submit(world, "F-1"), _submit(world, "F-2")
    services.process(first)
    BatchFile.objects.filter(pk=second).update(status=BatchStatus.FAILED, error="KeyError: x")
    api = _api(world)
    response = api.get(f"{API}/batches", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    assert response["Content-Language"] == "en"
    page = response.json()
    assert page["next_cursor"] is None
    assert [item["file_id"] for item in page["items"]] == [second, first]
    for item in page["items"]:
        assert item["url"] == f"{API}/batches/{item['file_id']}"
        status = api.get(item["url"], HTTP_ACCEPT_LANGUAGE="en").json()
        assert item == {**status, "url": item["url"]}
    assert page["items"][0]["error"].startswith("Processing stopped because of an internal")


def test_the_list_has_an_etag_and_answers_304(world):
    file_id = _submit(world)
    api = _api(world)
    first = api.get(f"{API}/batches")
    assert first.status_code == 200 and first["ETag"]
    cached = api.get(f"{API}/batches", HTTP_IF_NONE_MATCH=first["ETag"])
    assert cached.status_code == 304
    services.process(file_id)
    assert api.get(f"{API}/batches", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_client_lists_the_files_of_its_organisation_only(world):
    """The same files as ``GET /batches/{file_id}`` shows: by the organisation of the
    client (employer A never sees a file of employer B), and for a token of scope
    ``declare`` alone, only those its organisation sent itself."""
    own, mandated, foreign = world.own.employer, world.mandated.employer, world.foreign.employer
    mandatary = world.mandatary_client.mandatary
    _stored(own, "OWN-1", "2026-01-01T10:00:00Z")
    _stored(own, "OWN-2", "2026-01-02T10:00:00Z")
    _stored(mandated, "MANDATED-1", "2026-01-03T10:00:00Z")
    _stored(foreign, "FOREIGN-1", "2026-01-04T10:00:00Z")
    _stored(None, "SENT-BY-MANDATARY", "2026-01-05T10:00:00Z", sender_mandatary=mandatary)
    foreign_client = create_client(name="Foreign payroll", employer=foreign).client
    mandated_client = create_client(name="Mandated payroll", employer=mandated).client
    cases = [
        (world.employer_client, None, ["OWN-2", "OWN-1"]),
        (world.employer_client, "declare", ["OWN-2", "OWN-1"]),
        (world.read_only_client, None, ["OWN-2", "OWN-1"]),
        (foreign_client, None, ["FOREIGN-1"]),
        (mandated_client, None, ["MANDATED-1"]),
        # its own files and those of the employer it holds a mandate for
        (world.mandatary_client, "read", ["SENT-BY-MANDATARY", "MANDATED-1"]),
        (world.mandatary_client, "declare", ["SENT-BY-MANDATARY"]),
    ]
    for client, scopes, expected in cases:
        assert _listed(make_token(client, scopes=scopes)) == expected, (client.name, scopes)
    # and nothing of the others' files, but for its own employer's number in its own
    text = (
        Client(HTTP_AUTHORIZATION=f"Bearer {make_token(foreign_client)}")
        .get(f"{API}/batches")
        .content
    )
    for employer in (own, mandated):
        assert employer.enterprise_number.encode() not in text


def test_following_the_cursor_visits_every_file_once_newest_first(world):
    own = world.own.employer
    same = "2026-01-05T10:00:00Z"  # two files received at the same moment
    files = [
        _stored(own, "P-1", "2026-01-01T10:00:00Z"),
        _stored(own, "P-2", same),
        _stored(own, "P-3", same),
        _stored(own, "P-4", "2026-01-06T10:00:00Z"),
        _stored(own, "P-5", "2026-01-07T10:00:00+01:00"),
    ]
    expected = ["P-5", "P-4", "P-3", "P-2", "P-1"]
    assert files[2].pk > files[1].pk
    api, seen, url = _api(world), [], f"{API}/batches?limit=2"
    pages = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["reference"] for item in page["items"]]
        pages += 1
        url = f"{API}/batches?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == expected and pages == 3


@pytest.mark.parametrize(
    "cursor",
    [
        "bm9wZQ",  # "nope"
        "!!!",
        "W10",  # []
        encode_cursor(["2026-01-01T10:00:00+00:00"]),
        encode_cursor([1, 2]),
        encode_cursor(["yesterday", 2]),
        encode_cursor(["2026-01-01T10:00:00", 2]),  # no offset: not one this API gave
        encode_cursor(["9999-12-31T23:59:59-14:00", 2]),  # beyond what UTC holds
        encode_cursor(["2026-01-01T10:00:00+00:00", 0]),
        encode_cursor(["2026-01-01T10:00:00+00:00", -1]),
        encode_cursor(["2026-01-01T10:00:00+00:00", 2**63]),
        encode_cursor(["2026-01-01T10:00:00+00:00", "2"]),
        encode_cursor(["2026-01-01T10:00:00+00:00", 2.5]),
        encode_cursor(["2026-01-01T10:00:00+00:00", True]),
        encode_cursor(["2026-01-01T10:00:00\x00+00:00", 2]),
        encode_cursor([{"received_at": "2026-01-01T10:00:00+00:00"}, 2]),
    ],
)
def test_a_forged_cursor_is_400(world, cursor):
    _stored(world.own.employer)
    body = assert_problem(_api(world).get(f"{API}/batches?cursor={cursor}"), 400)
    assert body["type"] == "urn:fla:problem:bad-cursor"


def test_the_list_filters_by_status_environment_reference_and_moment(world):
    own = world.own.employer
    _stored(own, "Q-1", "2026-01-01T10:00:00Z", status=BatchStatus.DONE)
    _stored(own, "Q-2", "2026-01-02T10:00:00Z", status=BatchStatus.FAILED)
    _stored(own, "Q-3", "2026-01-03T10:00:00Z", status=BatchStatus.DONE, test=True)
    _stored(own, "Q-1", "2026-01-04T10:00:00Z", status=BatchStatus.RECEIVED, test=True)
    token = make_token(world.employer_client)
    assert _listed(token, "?status=done") == ["Q-3", "Q-1"]
    assert _listed(token, "?status=failed") == ["Q-2"]
    assert _listed(token, "?status=processing") == []
    assert _listed(token, "?environment=test") == ["Q-1", "Q-3"]
    assert _listed(token, "?environment=production") == ["Q-2", "Q-1"]
    assert _listed(token, "?reference=Q-1") == ["Q-1", "Q-1"]
    assert _listed(token, "?reference=Q-1&environment=production&status=done") == ["Q-1"]
    assert _listed(token, "?received_since=2026-01-03T10:00:00Z") == ["Q-1", "Q-3"]
    # without an offset, Belgian time: 11:00 in Brussels is 10:00 UTC
    assert _listed(token, "?received_since=2026-01-03T11:00:00") == ["Q-1", "Q-3"]
    assert _listed(token, "?received_since=2026-01-03T11:00:01") == ["Q-1"]
    assert _listed(token, "?received_since=0001-01-01T00:00:00") == ["Q-1", "Q-3", "Q-2", "Q-1"]
    assert _listed(token, "?received_since=9999-12-31T23:59:59") == []


@pytest.mark.parametrize(
    "query",
    [
        "status=finished",
        "environment=acceptance",
        "reference=a%20b",
        "reference=-x",
        "reference=" + "x" * 65,
        "reference=x%00y",
        "received_since=1767261600",
        "received_since=yesterday",
        "limit=0",
        "limit=1001",
        "cursor=" + "x" * 201,
    ],
)
def test_a_filter_of_the_wrong_shape_is_422(world, query):
    assert_problem(_api(world).get(f"{API}/batches?{query}"), 422)
