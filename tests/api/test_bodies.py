"""Request bodies: a JSON object, with zones of their type. A body that is no object,
a number for a date, true for a number or 0 for a boolean is refused (422), never
read as some other value."""

from __future__ import annotations

import json

import pytest

from fla.rights.models import TrainingRight
from fla.trainings.models import Training
from tests.api.conftest import assert_problem, training_body


def _raw_put(client, url: str, text: str):
    return client.client.put(
        f"/api/v1/{url}",
        text,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )


@pytest.mark.parametrize("text", ["0", "[]", '"x"', "null", "true", "[{}]"])
def test_a_body_that_is_no_object_clears_no_rights(world, as_employer, text):
    url = f"employers/{world.own.employer.enterprise_number}/workers/{world.own.worker.insz}"
    url += "/rights/2025"
    assert as_employer.put(url, {"legal_minutes": 1800}).status_code == 200
    problem = assert_problem(_raw_put(as_employer, url, text), 422)
    assert problem["errors"] == [
        {
            "in": "body",
            "zone": "",
            "error": "The body must be a JSON object.",
            "message": "De inhoud van het verzoek moet een JSON-object zijn.",
        }
    ]
    declared = TrainingRight.objects.get(worker=world.own.worker, source="declared")
    assert declared.minutes == 1800


def test_json_that_does_not_parse_is_400_with_where(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/J-1"
    problem = assert_problem(_raw_put(as_employer, url, '{"title": '), 400)
    assert (
        problem["detail"] == "De inhoud van het verzoek is geen geldige JSON (regel 1, kolom 11)."
    )
    # where, in the language asked, without the parser's own (English) words
    response = as_employer.client.put(
        f"/api/v1/{url}",
        '{\n  "title": "x",\n  }',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    problem = assert_problem(response, 400)
    assert problem["detail"] == (
        "Le corps de la requête n'est pas du JSON valide (ligne 3, colonne 3)."
    )


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_no_json_on_any_endpoint(world, as_employer, literal):
    """JSON (RFC 8259 §6) has no such literal: the body does not parse (400, where it
    stands), rather than being read as a number its zone then refuses."""
    en = world.own.employer.enterprise_number
    worker = f"employers/{en}/workers/{world.own.worker.insz}"
    training = json.dumps(training_body(world.own.worker.insz, title="NaN Infinity"))
    training = training.replace('"duration_minutes": 450', f'"duration_minutes": {literal}')
    # where the literal stands, not where the title holds the same letters
    column = training.index(f": {literal}") + 3
    declarations = '{"declarations": [{"kind": "training", "data": {"duration_minutes": %s}}]}'
    for method, url, text in (
        ("put", f"employers/{en}/trainings/NAN-1", training),
        ("put", worker + "/rights/2025", f'{{\n  "legal_minutes": {literal}\n}}'),
        ("post", f"employers/{en}/declarations/validate", declarations % literal),
        ("post", f"employers/{en}/declarations", declarations % literal),
    ):
        response = getattr(as_employer.client, method)(
            f"/api/v1/{url}",
            text,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        problem = assert_problem(response, 400)
        assert problem["type"] == "urn:fla:problem:bad-request"
        assert problem["detail"].endswith(
            f"{literal} is not a JSON value (JSON has finite numbers only)."
        ), url
        assert "anomalies" not in problem and "errors" not in problem
    assert problem["detail"].startswith("The body is not valid JSON (line 1, column")
    response = _raw_put(as_employer, f"employers/{en}/trainings/NAN-1", training)
    assert assert_problem(response, 400)["detail"] == (
        f"De inhoud van het verzoek is geen geldige JSON (regel 1, kolom {column}): "
        f"{literal} is geen JSON-waarde (JSON kent alleen eindige getallen)."
    )
    response = _raw_put(as_employer, worker + "/rights/2025", f'{{\n  "legal_minutes": {literal}}}')
    assert "(regel 2, kolom 20)" in assert_problem(response, 400)["detail"]
    assert not Training.objects.filter(reference="NAN-1").exists()


@pytest.mark.parametrize(
    "zone,value,code",
    [
        ("start_date", 0, "E010"),
        ("end_date", 20250311, "E010"),
        ("certificate_valid_until", 1.5, "E010"),
        # Text that is no YYYY-MM-DD date, as the dry run and BATCH refuse it (E010):
        # a time of day, a time zone, or seconds since 1970 written as text.
        ("start_date", "2025-03-10T00:00", "E010"),
        ("start_date", "2025-03-10 00:00", "E010"),
        ("end_date", "2025-03-11T00:00:00Z", "E010"),
        ("certificate_valid_until", "1741564800", "E010"),
        ("duration_minutes", False, "E019"),
        ("duration_minutes", True, "E019"),
        # As the dry run reads them (E019): no fraction, even .0, nor Python's 6_0.
        ("duration_minutes", 450.0, "E019"),
        ("duration_minutes", "450.0", "E019"),
        ("duration_minutes", "4_50", "E019"),
        ("counts_toward_account", 0, "E020"),
        ("counts_toward_account", "no", "E020"),
        ("certificate_obtained", "yes", "E020"),
    ],
)
def test_a_zone_of_another_type_is_refused_not_read(world, as_employer, zone, value, code):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/TYPE-1"
    body = training_body(world.own.worker.insz, **{zone: value})
    problem = assert_problem(as_employer.put(url, body), 422)
    assert [(e["zone"], e.get("code")) for e in problem["errors"]] == [(zone, code)]
    assert not Training.objects.filter(reference="TYPE-1").exists()


def test_rights_and_workers_refuse_booleans_for_numbers(world, as_employer):
    base = f"employers/{world.own.employer.enterprise_number}/workers/{world.own.worker.insz}"
    assert_problem(as_employer.put(base + "/rights/2025", {"legal_minutes": True}), 422)
    assert_problem(as_employer.put(base + "/rights/2025", {"opt_out": "yes"}), 422)
    worker = {
        "first_name": "An",
        "last_name": "Janssens",
        "employment": {"start_date": 0, "regime": True, "joint_committee": "200"},
    }
    problem = assert_problem(as_employer.put(base, worker), 422)
    assert {e["zone"] for e in problem["errors"]} == {"employment.start_date", "employment.regime"}
    worker["employment"] = {"start_date": "2024-01-01T00:00", "joint_committee": "200"}
    problem = assert_problem(as_employer.put(base, worker), 422)
    assert [(e["zone"], e.get("code")) for e in problem["errors"]] == [
        ("employment.start_date", "E010")
    ]


def test_a_dry_run_refuses_a_boolean_version(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/declarations/validate"
    body = {"declarations": [{"kind": "training", "if_version": False, "data": {}}]}
    assert_problem(as_employer.post(url, body), 422)


def test_the_usual_bodies_still_pass(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/OK-1"
    body = training_body(world.own.worker.insz, certificate_valid_until="2027-01-31")
    body.update(counts_toward_account=False, certificate_obtained=True)
    response = _raw_put(as_employer, url, json.dumps(body))
    assert response.status_code == 201, response.content
