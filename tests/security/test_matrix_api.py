"""Authorisation matrix of the API: every operation of the OpenAPI document, every caller.

ROWS come from the OpenAPI document the application serves (a test checks the served
one is the one the rows are built from), path values are the target employer's
enterprise number, its worker's INSZ, its training's reference and its BATCH file.
COLUMNS as in the web matrix; the API has no anonymous session, so "anonymous" is a
request without a token (401) and "worker of another employer" is the signed-in web
session of a worker of the target, sending the token of its own employer's client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken

from fla.api.reference import openapi_document
from fla.batch.builder import file_bytes
from tests.security.conftest import bearer, diff, snapshot, training_zones, web_client

pytestmark = pytest.mark.django_db

# API URLs that are not operations of the document, with the reason.
API_ALLOWED = {
    "api:token": "OAuth2 token endpoint: client credentials, no employer data",
    "api:openapi-json": "the public OpenAPI document",
    "api:openapi-view": "Swagger UI over the public document",
    "api:api-root": "ninja's root: the same 404 problem as any unknown path",
    "api:not-found": "catch-all: problem+json 404 for unknown paths",
}


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as in the document, e.g. /api/v1/employers/{enterprise_number}
    body_schema: str  # name of the request body's schema, "" if none
    content_type: str


def _rows(document: dict) -> list[Row]:
    rows = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            content_type = next(iter(content), "")
            ref = content.get(content_type, {}).get("schema", {}).get("$ref", "")
            rows.append(Row(method, path, ref.rsplit("/", 1)[-1], content_type))
    return rows


ROWS = _rows(openapi_document())


def _body(row: Row, org, sender: str = "") -> tuple[bytes, str]:
    insz = org.worker.insz
    if row.content_type in {"application/xml", "text/xml"}:
        return (
            file_bytes(
                reference="MATRIX-API",
                sender=sender or org.employer.enterprise_number,
                employers=[
                    (
                        org.employer.enterprise_number,
                        [("training", training_zones(insz, "MATRIX-API-1", title="Matrix"))],
                    )
                ],
            ),
            row.content_type,
        )
    bodies = {
        "TrainingIn": lambda: {
            k: v for k, v in training_zones(insz, "x").items() if k != "reference"
        },
        "WorkerIn": lambda: {
            "first_name": "Matrix",
            "last_name": "Werknemer",
            "employment": {"start_date": "2024-01-01", "regime": 1, "joint_committee": "200"},
        },
        "RightsIn": lambda: {"legal_minutes": 2280},
        "ValidateIn": lambda: {
            "declarations": [{"kind": "training", "data": training_zones(insz, "V-1")}]
        },
        "DeclarationsIn": lambda: {
            "declarations": [{"kind": "training", "data": training_zones(insz, "D-1")}]
        },
    }
    if not row.content_type:
        return b"", "application/json"
    assert row.body_schema in bodies, (
        f"{row.method.upper()} {row.path}: add a plausible body for {row.body_schema} here"
    )
    return json.dumps(bodies[row.body_schema]()).encode(), row.content_type


def _url(row: Row, org) -> str:
    values = {
        "enterprise_number": org.employer.enterprise_number,
        "insz": org.worker.insz,
        "reference": org.training.reference,
        "year": "2025",
        "file_id": str(org.batch_file.pk),
    }
    url = row.path
    for name, value in values.items():
        url = url.replace("{" + name + "}", value)
    assert "{" not in url, f"{row.path}: teach the matrix which value of the target to use"
    return url


@dataclass(frozen=True)
class Column:
    name: str
    client: str | None
    target: str
    visible: tuple[str, ...]
    expect: str  # ok | denied | anonymous
    session_user: str | None = None
    sends_as_mandatary: bool = False  # BATCH files: the sender is the mandatary


COLUMNS = [
    Column("own", "own_client", "own", ("own",), "ok"),
    Column("mandated", "mandatary_client", "mandated", ("mandated",), "ok", None, True),
    Column("no_mandate", "mandatary_client", "foreign", ("mandated",), "denied"),
    Column("ended_mandate", "mandatary_client", "ended", ("mandated",), "denied"),
    Column("own_client_on_foreign", "own_client", "foreign", ("own",), "denied"),
    Column("anonymous", None, "own", (), "anonymous"),
    Column("anonymous_session", None, "own", (), "anonymous", session_user="own_user"),
    Column("worker_of_other", "home_client", "foreign", ("home",), "denied", "worker_user"),
]
ORG_NAMES = ("own", "mandated", "ended", "foreign", "home")


def _send(world, column: Column, row: Row):
    target = getattr(world, column.target)
    client = web_client(getattr(world, column.session_user)) if column.session_user else Client()
    headers = {}
    if column.client:
        headers["HTTP_AUTHORIZATION"] = "Bearer " + bearer(getattr(world, column.client))
    body, content_type = _request_body(world, column, row)
    return client.generic(
        row.method.upper(), _url(row, target), body, content_type=content_type, **headers
    )


def _request_body(world, column: Column, row: Row) -> tuple[bytes, str]:
    sender = world.mandatary.enterprise_number if column.sends_as_mandatary else ""
    return _body(row, getattr(world, column.target), sender)


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("column", COLUMNS, ids=[c.name for c in COLUMNS])
@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method.upper()} {r.path}" for r in ROWS])
def test_api_matrix(world, row, column):
    before = snapshot() if column.expect != "ok" else {}
    response = _send(world, column, row)
    sent = _url(row, getattr(world, column.target)) + _request_body(world, column, row)[0].decode()
    status = response.status_code
    content = _content(response)
    assert status < 500, content[:500]
    forbidden = [getattr(world, n) for n in ORG_NAMES if n not in column.visible]
    leaks = {org.label: org.leaks_in(content, sent) for org in forbidden}
    assert not any(leaks.values()), f"{column.name} {row.method} {row.path}: {leaks}"
    if column.expect == "ok":
        assert 200 <= status < 300, content[:500]
        return
    assert response["Content-Type"].startswith("application/problem+json") or status < 300
    assert not diff(before, snapshot()), diff(before, snapshot())
    if column.expect == "anonymous":
        assert status == 401, status
        return
    if "{" in row.path:
        assert status == 404, (status, content[:300])
    elif row.method == "post":  # a file sent in the name of the target: rejected whole
        assert status == 422, content[:300]
        assert b"wrong_sender" in content
    else:  # lists: the target simply is not in them
        assert status == 200, status


def test_rows_are_the_served_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert _rows(response.json()) == ROWS
    assert len(ROWS) >= 17


@pytest.mark.parametrize(
    "client_name,scopes,visible",
    [
        ("own_client", "read", ("own",)),
        ("own_client", "declare", ("own",)),
        ("mandatary_client", "read", ("mandated",)),  # not the file of the ended mandate
        ("mandatary_client", "declare", ()),  # the mandatary sent none itself
        ("home_client", "read", ("home",)),
    ],
)
def test_the_batch_list_holds_the_files_of_the_clients_organisation_only(
    world, client_name, scopes, visible
):
    """Every employer of the world sent a file: a client lists those it may see, as it
    may read each of them by its id, and nothing of the others'."""
    client = getattr(world, client_name)
    token = bearer(client)
    AccessToken.objects.filter(token=token).update(scope=scopes)
    response = Client().get("/api/v1/batches", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:500]
    listed = [item["file_id"] for item in response.json()["items"]]
    assert sorted(listed) == sorted(getattr(world, n).batch_file.pk for n in visible)
    for name in ORG_NAMES:
        if name not in visible:
            assert not getattr(world, name).leaks_in(response.content), name


def test_the_batch_list_is_the_online_applications_list_of_the_same_organisation(world):
    """The API's list and the page "Bestanden" of a user of the same organisation show
    the same files."""
    page = web_client(world.own_user).get("/batch/")
    assert page.status_code == 200
    shown = [file.pk for file in page.context["files"]]
    response = Client().get(
        "/api/v1/batches", HTTP_AUTHORIZATION=f"Bearer {bearer(world.own_client)}"
    )
    assert (
        [item["file_id"] for item in response.json()["items"]] == shown == [world.own.batch_file.pk]
    )
