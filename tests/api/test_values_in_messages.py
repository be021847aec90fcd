"""A message that names a rejected value names it as the client wrote it in JSON:
``null``, ``true``, ``false``, never Python's ``None``, ``True``, ``False``."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, training_body


def _training(world) -> str:
    return f"employers/{world.own.employer.enterprise_number}/trainings/T-9"


@pytest.mark.parametrize("value,shown", [(None, "null"), (True, "true"), (False, "false")])
def test_a_typed_body_names_json_literals_as_json(world, as_employer, value, shown):
    body = training_body(world.own.worker.insz, duration_minutes=value)
    problem = assert_problem(as_employer.put(_training(world), body), 422)
    [error] = problem["errors"]
    assert (error["zone"], error["code"]) == ("duration_minutes", "E019")
    assert error["message"] == f"Ongeldig getal: {shown}."


@pytest.mark.parametrize("value,shown", [(True, "true"), (False, "false")])
def test_the_dry_run_names_json_literals_as_json(world, as_employer, value, shown):
    url = f"employers/{world.own.employer.enterprise_number}/declarations/validate"
    data = {"insz": world.own.worker.insz, "year": 2025, "legal_minutes": value}
    response = as_employer.post(url, {"declarations": [{"kind": "rights", "data": data}]})
    assert response.status_code == 200, response.content
    [anomaly] = response.json()["outcomes"][0]["anomalies"]
    assert (anomaly["zone"], anomaly["code"]) == ("legal_minutes", "E019")
    assert anomaly["message"] == f"Ongeldig getal: {shown}."


@pytest.mark.parametrize("language", ["nl", "en"])
def test_an_empty_body_is_no_json_object_not_a_missing_zone(world, as_employer, language):
    # Sent without -d: the object is missing, not a zone without a name.
    response = as_employer.client.generic(
        "PUT",
        f"/api/v1/{_training(world)}",
        b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    [error] = assert_problem(response, 422)["errors"]
    assert error["zone"] == "" and "code" not in error
    assert (
        error["message"]
        == {
            "nl": "De inhoud van het verzoek moet een JSON-object zijn.",
            "en": "The body must be a JSON object.",
        }[language]
    )
