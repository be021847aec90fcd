"""A training reference is taken exactly as it was sent: in the path, and in the body of
``POST …/declarations`` (as in a BATCH file, whose XSD pattern allows nothing around it)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from fla.trainings.models import Training
from tests.api.conftest import assert_problem, training_body

ODD = [
    "NL-1%0A",
    "NL-1%0D",
    "NL-1%0B",
    "NL-1%1C",
    "NL-3%20",
    "%20NL-3",
    "x%09",
    "%C2%A0U-2",
    "U-1%E2%80%A8",
]


def _url(world, reference):
    return f"/api/v1/employers/{world.own.employer.enterprise_number}/trainings/{reference}"


@pytest.mark.parametrize("reference", ODD)
def test_put_refuses_a_reference_with_space_or_control_before_writing(
    world, as_employer, reference
):
    count = Training.objects.count()
    response = as_employer.put(_url(world, reference), training_body(world.own.worker.insz))
    body = assert_problem(response, 422)
    assert [(a["code"], a["zone"]) for a in body["anomalies"]] == [("E021", "reference")]
    assert Training.objects.count() == count
    assert not response.has_header("Location")


@pytest.mark.parametrize("reference", ["T-1%0A", "T-1%20", "%20T-1", "T-1%09"])
def test_get_and_delete_of_an_odd_reference_find_nothing(world, as_employer, reference):
    # T-1 exists; the same reference with a space or control character around it does not.
    assert_problem(as_employer.get(_url(world, reference)), 404)
    assert_problem(as_employer.delete(_url(world, reference)), 404)
    assert Training.objects.get(employer=world.own.employer, reference="T-1").status != (
        "cancelled"
    )


def test_location_is_built_from_the_reference(world, as_employer):
    en = world.own.employer.enterprise_number
    dotted = f"{en[:4]}.{en[4:7]}.{en[7:]}"
    response = as_employer.put(
        f"/api/v1/employers/{dotted}/trainings/A.b_c-9", training_body(world.own.worker.insz)
    )
    assert response.status_code == 201, response.content
    assert response["Location"] == f"/api/v1/employers/{en}/trainings/A.b_c-9"
    assert as_employer.get(response["Location"]).status_code == 200


BODY_ODD = [" T-1", "T-1 ", "T-1\n", "\tT-1", "T-1\x1c", "\xa0T-1", "T-1\u2028"]


@pytest.mark.parametrize("reference", BODY_ODD)
def test_a_body_refuses_the_reference_the_path_refuses(world, as_employer, reference):
    # T-1 exists; in a body, as in the path, the reference with something around it is
    # refused, not trimmed into T-1 (which it would replace or cancel).
    en = world.own.employer.enterprise_number
    before = Training.objects.get(employer=world.own.employer, reference="T-1")
    data = {**training_body(world.own.worker.insz, title="Other"), "reference": reference}
    declarations = [
        {"kind": "training", "data": data},
        {"kind": "training", "action": "cancel", "data": {"reference": reference}},
    ]
    for url in ("declarations/validate", "declarations"):
        response = as_employer.post(f"employers/{en}/{url}", {"declarations": declarations})
        assert response.status_code == 200, response.content
        outcomes = response.json()["outcomes"]
        assert [o["status"] for o in outcomes] == ["rejected", "rejected"]
        assert [[(a["code"], a["zone"]) for a in o["anomalies"]] for o in outcomes] == [
            [("E021", "reference")]
        ] * 2
    after = Training.objects.get(pk=before.pk)
    assert (after.title, after.status, after.version) == (
        before.title,
        before.status,
        before.version,
    )
    put = as_employer.put(_url(world, quote(reference)), training_body(world.own.worker.insz))
    assert [(a["code"], a["zone"]) for a in assert_problem(put, 422)["anomalies"]] == [
        ("E021", "reference")
    ]
