"""A body is JSON in UTF-8, sent as such, with every key once."""

from __future__ import annotations

import pytest
from django.test import Client

from fla.trainings.models import Training
from tests.api.conftest import API, assert_problem, make_token


def _put(world, body: bytes, content_type: str | None, reference="MT-1"):
    en = world.own.employer.enterprise_number
    extra = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.employer_client)}"}
    if content_type is not None:
        extra["CONTENT_TYPE"] = content_type
    return Client().generic("PUT", f"{API}/employers/{en}/trainings/{reference}", body, **extra)


def _body(world, duration='"duration_minutes": 450') -> str:
    return (
        f'{{"insz": "{world.own.worker.insz}", "title": "Café", "kind": "formal", "start_date": "2025-03-10", '
        f'"end_date": "2025-03-11", {duration}, "status": "completed"}}'
    )


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "", "application/xml", "json"],
)
def test_a_body_that_is_not_sent_as_json_is_refused(world, content_type):
    response = _put(world, _body(world).encode(), content_type)
    body = assert_problem(response, 415)
    assert body["type"] == "urn:fla:problem:unsupported-media-type"
    assert not Training.objects.filter(reference="MT-1").exists()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON; charset=UTF-8",
        "application/merge-patch+json",
    ],
)
def test_json_media_types_are_read(world, content_type):
    response = _put(world, _body(world).encode(), content_type)
    assert response.status_code == 201, response.content


def test_a_charset_other_than_utf_8_is_refused(world):
    response = _put(world, _body(world).encode("latin-1"), "application/json; charset=latin-1")
    body = assert_problem(response, 415)
    assert "latin-1" in body["detail"]


def test_a_key_given_twice_is_refused(world):
    duplicate = '"duration_minutes": 450, "duration_minutes": 45'
    response = _put(world, _body(world, duplicate).encode(), "application/json")
    body = assert_problem(response, 422)
    assert [(e["in"], e["zone"]) for e in body["errors"]] == [("body", "duration_minutes")]
    assert body["errors"][0]["message"] == "Deze zone komt meer dan eens voor."
    assert not Training.objects.filter(reference="MT-1").exists()


@pytest.mark.parametrize("digits", [4301, 5000, 20000])
def test_a_number_too_long_to_be_any_zone_is_422(world, digits):
    """Valid JSON that Python will not read as an integer (over 4,300 digits) is no
    "invalid JSON" (400): it is a value no zone takes."""
    response = _put(
        world, _body(world, f'"duration_minutes": -{"9" * digits}').encode(), "application/json"
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["message"] == (
        "Een getal in de inhoud van het verzoek telt te veel cijfers."
    )
    assert not Training.objects.filter(reference="MT-1").exists()


def test_a_long_number_within_what_is_read_still_gets_its_anomaly(world):
    response = _put(
        world, _body(world, f'"duration_minutes": {"9" * 4300}').encode(), "application/json"
    )
    assert_problem(response, 422)
