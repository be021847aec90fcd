"""Problem+json everywhere, body size, rate limit: never a 500 on bad input."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from tests.api.conftest import ApiClient, assert_problem, make_token, training_body


def test_oversized_body_gives_413(world, as_employer, settings):
    settings.FLA_API_MAX_BODY_BYTES = 1000
    url = f"employers/{world.own.employer.enterprise_number}/trainings/BIG"
    body = training_body(world.own.worker.insz, description="x" * 2000)
    problem = assert_problem(as_employer.put(url, body), 413)
    assert problem["max_bytes"] == 1000


def test_chunked_body_without_length_gives_411(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/CHUNKED"
    body = training_body(world.own.worker.insz)
    # As a WSGI server hands over a chunked request: no Content-Length.
    response = as_employer.put(url, body, headers={"Transfer-Encoding": "chunked"})
    assert response.status_code != 411  # the client set a Content-Length: accepted
    response = as_employer.client.generic(
        "PUT",
        f"/api/v1/{url}",
        b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    problem = assert_problem(response, 411)
    assert "Content-Length" in problem["detail"]


def test_rate_limit_gives_429_with_retry_after(world, settings):
    cache.clear()
    settings.FLA_API_RATE_LIMIT = 3
    api = ApiClient(make_token(world.employer_client))
    statuses = [api.get("anomalies").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("anomalies")
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 61
    # another client has its own window
    assert ApiClient(make_token(world.mandatary_client)).get("anomalies").status_code == 200
    cache.clear()


def test_unknown_endpoint_and_method_are_problems(world, as_employer):
    assert_problem(as_employer.get("nothing/here"), 404)
    response = as_employer.request("PATCH", "anomalies")
    assert_problem(response, 405)
    assert "GET" in response["Allow"]


def test_invalid_json_and_wrong_types_are_422(world, as_employer):
    url = f"/api/v1/employers/{world.own.employer.enterprise_number}/trainings/BAD"
    response = as_employer.client.put(
        url,
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith("application/problem+json")
    assert_problem(as_employer.put(url, [1, 2, 3]), 422)
    assert_problem(as_employer.put(url, {"insz": None}), 422)


def test_bad_path_values_are_404_not_500(world, as_employer):
    en = world.own.employer.enterprise_number
    for url in [
        "employers/abc",
        "employers/0000000000/trainings",
        f"employers/{en}/workers/abc/credit",
        f"employers/{en}/trainings/" + "x" * 300,
        f"employers/{en}/trainings/%00",
    ]:
        assert as_employer.get(url).status_code == 404, url
    assert (
        as_employer.get(f"employers/{en}/workers/{world.own.worker.insz}/rights/abc").status_code
        == 422
    )


def test_openapi_and_docs_need_no_token():
    assert Client().get("/api/v1/openapi.json").status_code == 200
    assert Client().get("/api/v1/docs").status_code == 200


@pytest.mark.parametrize(
    "length", [" 100", "+100", "1_00", "100.0", "-1", "\u0661\u0660\u0660", "x"]
)
def test_a_content_length_not_in_digits_is_a_400(world, as_employer, length):
    """Content-Length is 1*DIGIT (RFC 9110 §8.6): what int() would also read (a sign, a
    space, an underscore, other digits) says nothing sure about the body's size."""
    url = f"/api/v1/employers/{world.own.employer.enterprise_number}/trainings/LEN"
    response = as_employer.client.generic(
        "PUT",
        url,
        json.dumps(training_body(world.own.worker.insz)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
        CONTENT_LENGTH=length,
    )
    problem = assert_problem(response, 400)
    assert problem["detail"] == "De header Content-Length is geen getal."
