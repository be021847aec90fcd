"""HEAD wherever GET is, OPTIONS everywhere, and the token endpoint's own errors."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from django.test import Client

from fla.api.services import create_client
from tests.api.conftest import API, assert_problem


def _paths(world):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    return [
        "employers",
        f"employers/{en}",
        f"employers/{en}/workers",
        f"employers/{en}/workers/{insz}",
        f"employers/{en}/workers/{insz}/rights/2025",
        f"employers/{en}/workers/{insz}/credit",
        f"employers/{en}/trainings",
        f"employers/{en}/trainings/T-1",
    ]


def test_head_answers_as_get_without_the_body(world, as_employer):
    for path in _paths(world):
        got = as_employer.get(path)
        head = as_employer.request("HEAD", path)
        assert (head.status_code, got.status_code) == (200, 200), path
        assert head.content == b""
        for name in ("ETag", "Content-Type", "Content-Language", "Link"):
            assert head.get(name) == got.get(name), (path, name)
        assert head["Content-Length"] == str(len(got.content))


def test_head_is_conditional_and_checked_as_get(world, as_employer):
    en = world.own.employer.enterprise_number
    url = f"employers/{en}/trainings/T-1"
    etag = as_employer.get(url)["ETag"]
    assert as_employer.request("HEAD", url, headers={"If-None-Match": etag}).status_code == 304
    assert as_employer.request("HEAD", f"employers/{en}/trainings/NONE").status_code == 404
    foreign = world.foreign.employer.enterprise_number
    assert as_employer.request("HEAD", f"employers/{foreign}").status_code == 404


def test_options_answers_204_with_allow(world, as_employer):
    en = world.own.employer.enterprise_number
    response = Client().options(f"{API}/employers/{en}/trainings/T-1")
    assert response.status_code == 204
    assert response["Allow"] == "GET, HEAD, PUT, DELETE, OPTIONS"
    response = Client().options(f"{API}/employers/{en}/declarations/validate")
    assert (response.status_code, response["Allow"]) == (204, "POST, OPTIONS")


def test_a_method_not_allowed_names_head(world, as_employer):
    en = world.own.employer.enterprise_number
    response = as_employer.request("PATCH", f"employers/{en}/trainings/T-1")
    assert_problem(response, 405)
    assert response["Allow"] == "GET, HEAD, PUT, DELETE, OPTIONS"
    response = as_employer.request("HEAD", f"employers/{en}/declarations/validate")
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize("path", ["openapi.json", "docs"])
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_the_openapi_document_and_its_page_are_only_read(db, path, method):
    response = getattr(Client(), method)(f"{API}/{path}")
    assert_problem(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert Client().get(f"{API}/{path}").status_code == 200
    assert Client().head(f"{API}/{path}").status_code == 200


# --- the token endpoint ----------------------------------------------------------------


@pytest.fixture
def token_client(world):
    cache.clear()
    new = create_client(name="Token test", employer=world.own.employer)
    yield new
    cache.clear()


def _ask(client_id, secret, address="203.0.113.9"):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(
        f"{API}/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
        REMOTE_ADDR=address,
    )


def test_the_token_endpoint_answers_problems_for_its_own_errors(token_client, settings):
    response = Client().get(f"{API}/oauth/token")
    assert_problem(response, 405)
    assert response["Allow"] == "POST, OPTIONS"
    settings.FLA_API_MAX_BODY_BYTES = 1000
    response = Client().post(
        f"{API}/oauth/token",
        "grant_type=client_credentials&x=" + "a" * 3000,
        content_type="application/x-www-form-urlencoded",
    )
    body = assert_problem(response, 413)
    assert body["max_bytes"] == 1000


def test_token_requests_are_limited_per_address(token_client, settings):
    settings.FLA_API_TOKEN_RATE_LIMIT = 3
    for _turn in range(3):
        assert _ask(token_client.client_id, token_client.client_secret).status_code == 200
    response = _ask(token_client.client_id, token_client.client_secret)
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 61
    other = _ask(token_client.client_id, token_client.client_secret, address="203.0.113.10")
    assert other.status_code == 200


def test_failed_secrets_are_limited_per_address(token_client, settings):
    settings.FLA_API_TOKEN_FAILURE_LIMIT = 2
    for _turn in range(2):
        assert _ask(token_client.client_id, "wrong").status_code == 401
    # Once the failures reach the limit, even the right secret waits.
    response = _ask(token_client.client_id, token_client.client_secret)
    body = assert_problem(response, 429)
    assert body["type"] == "urn:fla:problem:rate-limited"
    assert response.has_header("Retry-After")
