"""Every operation of the OpenAPI document against every kind of caller.

The operations come from the served document, so a new endpoint is in the matrix the
day it is added; it only needs a request body example below when it takes one.
"""

from __future__ import annotations

import json
import re

import pytest

from fla.api.reference import openapi_document
from tests.api.conftest import ApiClient, assert_problem, make_token, training_body

BODIES = {
    "TrainingIn": lambda org: training_body(org.worker.insz, title="Eerste hulp"),
    "WorkerIn": lambda org: {
        "first_name": "An",
        "last_name": "Janssens",
        "employment": {"start_date": "2024-01-01", "regime": 1, "joint_committee": "200"},
    },
    "RightsIn": lambda org: {"legal_minutes": 2280},
    "ValidateIn": lambda org: {
        "declarations": [
            {"kind": "training", "data": {**training_body(org.worker.insz), "reference": "V-1"}}
        ]
    },
    "DeclarationsIn": lambda org: {
        "declarations": [
            {"kind": "training", "data": {**training_body(org.worker.insz), "reference": "D-1"}}
        ]
    },
}


def _operations():
    document = openapi_document()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield pytest.param(method, path, operation, id=f"{method.upper()} {path}")


OPERATIONS = list(_operations())


def _prepare(org, method: str, path: str, operation: dict, *, need_data: bool = True):
    """The URL and body of a request for ``org``; for the cases that fail before the
    data is looked at (no token, expired token, missing scope) any value will do."""
    values = {
        "{enterprise_number}": org.employer.enterprise_number,
        "{insz}": org.worker.insz,
        "{reference}": "T-1",
        "{year}": "2025",
    }
    url = path
    for name, value in values.items():
        url = url.replace(name, value)
    body, content_type = None, "application/json"
    content = operation.get("requestBody", {}).get("content", {})
    if content:
        content_type = next(iter(content))
        ref = content[content_type].get("schema", {}).get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        if name in BODIES:
            body = json.dumps(BODIES[name](org))
    known = "{" not in url and (not content or body is not None)
    if not known:
        # Endpoints mounted from another channel (BATCH) bring their own data fixtures;
        # their data cases live in that channel's tests.
        assert "batch" in operation.get("tags", []), (
            f"{method.upper()} {path}: add its path values / body example to the matrix"
        )
        if need_data:
            pytest.skip("data cases of BATCH endpoints are tested in tests/batch")
        url = re.sub(r"\{[^}]+\}", "1", url)
        body = body or ""
    return url, body, content_type


def _request(
    client: ApiClient,
    org,
    method: str,
    path: str,
    operation: dict,
    need_data=True,
    if_none_match: str | None = None,
):
    url, body, content_type = _prepare(org, method, path, operation, need_data=need_data)
    headers = {}
    if client.token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {client.token}"
    if if_none_match is not None:
        headers["HTTP_IF_NONE_MATCH"] = if_none_match
    return client.client.generic(
        method.upper(), url, body or "", content_type=content_type, **headers
    )


def _is_write(method: str) -> bool:
    return method in {"put", "post", "delete"}


@pytest.mark.parametrize("method,path,operation", OPERATIONS)
def test_own_employer(world, method, path, operation):
    response = _request(
        ApiClient(make_token(world.employer_client)), world.own, method, path, operation
    )
    assert 200 <= response.status_code < 300, response.content[:500]
    # Every GET, PUT and DELETE answers with the ETag of what it shows (lists too).
    assert response.has_header("ETag") or method == "post", (method, path)
    assert response["Content-Language"] == "nl"


@pytest.mark.parametrize("method,path,operation", OPERATIONS)
def test_mandated_employer(world, method, path, operation):
    response = _request(
        ApiClient(make_token(world.mandatary_client)), world.mandated, method, path, operation
    )
    assert 200 <= response.status_code < 300, response.content[:500]


@pytest.mark.parametrize("method,path,operation", OPERATIONS)
def test_employer_without_mandate(world, method, path, operation):
    client = ApiClient(make_token(world.mandatary_client))
    response = _request(client, world.foreign, method, path, operation)
    if "{enterprise_number}" in path:
        assert_problem(response, 404)
    else:  # lists: the foreign employer is simply not in them
        assert response.status_code == 200
        assert world.foreign.employer.enterprise_number.encode() not in response.content
    # the same for the employer's own client
    response = _request(
        ApiClient(make_token(world.employer_client)), world.foreign, method, path, operation
    )
    if "{enterprise_number}" in path:
        assert_problem(response, 404)


@pytest.mark.parametrize("method,path,operation", OPERATIONS)
def test_no_token(world, method, path, operation):
    response = _request(ApiClient(None), world.own, method, path, operation, need_data=False)
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body["instance"].startswith("/api/v1/")


@pytest.mark.parametrize("method,path,operation", OPERATIONS)
def test_expired_token(world, method, path, operation):
    token = make_token(world.employer_client, expired=True)
    response = _request(ApiClient(token), world.own, method, path, operation, need_data=False)
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("method,path,operation", OPERATIONS)
def test_read_only_scope(world, method, path, operation):
    response = _request(
        ApiClient(make_token(world.read_only_client)),
        world.own,
        method,
        path,
        operation,
        need_data=_is_write(method) is False,
    )
    if _is_write(method):
        assert_problem(response, 403)
        assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    else:
        assert response.status_code == 200, response.content[:500]


def test_every_operation_declares_its_scope():
    for param in OPERATIONS:
        method, path, operation = param.values
        wanted = [{"OAuth2": ["declare" if _is_write(method) else "read"]}]
        if method == "get" and path.startswith("/api/v1/batches"):
            # the files, their status and notification: also for the connector that
            # sent them
            wanted.append({"OAuth2": ["declare"]})
        assert operation["security"] == wanted, path
