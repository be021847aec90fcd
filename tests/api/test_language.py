"""One rule for the language of an answer: the one negotiated for the request (the
first of nl/fr/de/en that Accept-Language asks, else nl), for the messages and for
Content-Language alike, on every answer of the API."""

from __future__ import annotations

import pytest
from django.test import Client

from fla.declarations.anomalies import CATALOGUE
from tests.api.conftest import API, ApiClient, assert_problem, make_token, training_body

# (Accept-Language, the language of the answer)
NEGOTIATED = [
    (None, "nl"),
    ("xx, *", "nl"),
    ("es, it;q=0.9", "nl"),
    ("fr-BE,fr;q=0.9,en;q=0.5", "fr"),
    ("de-CH", "de"),
    ("en-GB, nl;q=0.2", "en"),
    ("x" * 600, "nl"),
    # q=0: a language the client does not accept (RFC 9110 §12.4.2)
    ("fr;q=0", "nl"),
    ("en;q=0.000, de;q=0.1", "de"),
    ("fr-BE;q=0, fr;Q=0.0, en;q=0.5", "en"),
]


def _client(world, accept: str | None) -> ApiClient:
    return ApiClient(make_token(world.employer_client), language=accept)


@pytest.mark.parametrize("accept,language", NEGOTIATED)
def test_anomalies_and_header_agree(world, accept, language):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/LANG-1"
    body = training_body(world.own.worker.insz, duration_minutes=0)
    response = _client(world, accept).put(url, body)
    problem = assert_problem(response, 422)
    assert response["Content-Language"] == language
    [anomaly] = problem["anomalies"]
    assert anomaly["message"] == CATALOGUE["E007"].message(language)


@pytest.mark.parametrize("accept,language", NEGOTIATED)
def test_shape_errors_and_header_agree(world, accept, language):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/LANG-1"
    body = training_body(world.own.worker.insz)
    del body["title"]
    response = _client(world, accept).put(url, body)
    problem = assert_problem(response, 422)
    assert response["Content-Language"] == language
    assert problem["errors"][0]["message"] == CATALOGUE["E016"].message(language)


@pytest.mark.parametrize("accept,language", NEGOTIATED)
def test_warnings_and_header_agree(world, accept, language):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/LANG-2"
    body = training_body(
        world.own.worker.insz, status="planned", start_date="2024-02-01", end_date="2024-02-02"
    )
    response = _client(world, accept).put(url, body)
    assert response.status_code == 201, response.content
    assert response["Content-Language"] == language
    warnings = {w["code"]: w["message"] for w in response.json()["warnings"]}
    assert warnings["W005"] == CATALOGUE["W005"].message(language)  # planned, but past


@pytest.mark.parametrize("accept,language", [(None, "nl"), ("xx, *", "nl"), ("de", "de")])
def test_every_kind_of_answer_says_its_language(world, accept, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept is not None else {}
    token = make_token(world.employer_client)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}
    number = world.own.employer.enterprise_number
    answers = {
        "ok": Client().get(f"{API}/employers/{number}", **bearer),
        "401": Client().get(f"{API}/employers", **headers),
        "403": Client().put(
            f"{API}/employers/{number}/trainings/X",
            "{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {make_token(world.read_only_client)}",
            **headers,
        ),
        "404": Client().get(f"{API}/employers/0000000097", **bearer),
        "no endpoint": Client().get(f"{API}/nowhere", **bearer),
        "405": Client().post(f"{API}/employers/{number}", **bearer),
        "400": Client().get(f"{API}/employers?cursor=bm9wZQ", **bearer),
        "422": Client().get(f"{API}/employers?limit=0", **bearer),
    }
    for what, response in answers.items():
        assert response["Content-Language"] == language, (what, response.status_code)
        assert "Accept-Language" in response.get("Vary", ""), what
