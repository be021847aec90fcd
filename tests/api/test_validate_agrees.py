"""The dry run gives the verdict the typed PUT gives for the same zones."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, training_body


def _validate(client, world, kind, data):
    en = world.own.employer.enterprise_number
    return client.post(
        f"employers/{en}/declarations/validate", {"declarations": [{"kind": kind, "data": data}]}
    )


@pytest.mark.parametrize(
    "zones",
    [
        {"title": ["x"]},
        {"provider": {"a": 1}},
        {"description": 5},
        {"insz": 85073003328},
        {"duration_minutes": [450]},
        {"kind": True},
    ],
)
def test_a_zone_of_the_wrong_json_type_is_refused_by_both(world, as_employer, zones):
    data = {**training_body(world.own.worker.insz), "reference": "V-1", **zones}
    [zone] = zones
    problem = assert_problem(_validate(as_employer, world, "training", data), 422)
    assert [e["zone"] for e in problem["errors"]] == [f"declarations.0.data.{zone}"]
    en = world.own.employer.enterprise_number
    body = {**training_body(world.own.worker.insz), **zones}
    assert_problem(as_employer.put(f"employers/{en}/trainings/V-1", body), 422)


def test_worker_zones_and_the_employment_block(world, as_employer):
    insz = world.own.worker.insz
    employment = {"start_date": "2024-01-01", "joint_committee": 200}
    data = {"insz": insz, "first_name": ["a"], "last_name": {"b": 1}, "employment": employment}
    problem = assert_problem(_validate(as_employer, world, "worker", data), 422)
    assert sorted(e["zone"] for e in problem["errors"]) == [
        "declarations.0.data.employment.joint_committee",
        "declarations.0.data.first_name",
        "declarations.0.data.last_name",
    ]
    data = {"insz": insz, "first_name": "a", "last_name": "b", "employment": "x"}
    assert_problem(_validate(as_employer, world, "worker", data), 422)


def test_a_worker_without_regime_is_full_time_in_both(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    body = {
        "first_name": "An",
        "last_name": "Janssens Own",
        "employment": {"start_date": "2024-01-01", "joint_committee": "200"},
    }
    response = _validate(as_employer, world, "worker", {"insz": insz, **body})
    assert response.status_code == 200, response.content
    assert response.json()["outcomes"][0]["status"] != "rejected", response.json()
    assert as_employer.put(f"employers/{en}/workers/{insz}", body).status_code == 200


def test_a_regime_with_too_many_digits_is_refused_by_both(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    regime = "0." + "1" * 5000
    employment = {"start_date": "2024-01-01", "joint_committee": "200"}
    body = f'{{"first_name": "An", "last_name": "X", "employment": {{"regime": {regime}, '
    body += '"start_date": "2024-01-01", "joint_committee": "200"}}'
    response = as_employer.client.generic(
        "PUT",
        f"/api/v1/employers/{en}/workers/{insz}",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
    )
    problem = assert_problem(response, 422)
    assert [(a["code"], a["zone"]) for a in problem["anomalies"]] == [("E019", "employment.regime")]
    data = {
        "insz": insz,
        "first_name": "An",
        "last_name": "X",
        "employment": {**employment, "regime": regime},
    }
    outcome = _validate(as_employer, world, "worker", data).json()["outcomes"][0]
    assert outcome["status"] == "rejected"
    assert [(a["code"], a["zone"]) for a in outcome["anomalies"]] == [("E019", "employment.regime")]


def test_numbers_and_flags_may_still_come_as_strings_in_the_dry_run(world, as_employer):
    data = {
        "insz": world.own.worker.insz,
        "year": "2025",
        "legal_minutes": 2280,
        "opt_out": "false",
    }
    response = _validate(as_employer, world, "rights", data)
    assert response.status_code == 200, response.content
    assert response.json()["outcomes"][0]["status"] != "rejected"


def test_a_zone_the_kind_does_not_have_is_refused_by_both(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    data = {**training_body(insz), "reference": "V-2", "right_typ": "sector"}
    problem = assert_problem(_validate(as_employer, world, "training", data), 422)
    assert [(e["zone"], e["message"]) for e in problem["errors"]] == [
        ("declarations.0.data.right_typ", "Deze zone is onbekend.")
    ]
    body = {**training_body(insz), "right_typ": "sector"}
    assert_problem(as_employer.put(f"employers/{en}/trainings/V-2", body), 422)
    employment = {"start_date": "2024-01-01", "joint_committee": "200", "regim": "0.5"}
    data = {"insz": insz, "first_name": "a", "last_name": "b", "employment": employment}
    problem = assert_problem(_validate(as_employer, world, "worker", data), 422)
    assert [e["zone"] for e in problem["errors"]] == ["declarations.0.data.employment.regim"]
    # a zone of another kind is no zone of this one
    problem = assert_problem(
        _validate(as_employer, world, "rights", {"insz": insz, "title": "x"}), 422
    )
    assert [e["zone"] for e in problem["errors"]] == ["declarations.0.data.title"]
    # every zone the glossary names is taken
    full = {
        **training_body(insz),
        "reference": "V-3",
        "certificate_valid_until": "2026-01-01",
        "certificate_obtained": True,
        "right_type": "sector",
        "description": "d",
    }
    assert _validate(as_employer, world, "training", full).status_code == 200


@pytest.mark.parametrize(
    "kind,zones",
    [
        ("training", {"duration_minutes": "\u0666\u0660"}),  # Arabic-Indic 60
        ("training", {"duration_minutes": "\uff16\uff10"}),  # fullwidth 60
        ("rights", {"year": "\u0968\u0966\u0968\u096b", "legal_minutes": 60}),  # 2025
        ("rights", {"year": 2025, "legal_minutes": "\u0661\u0662\u0660"}),
        ("worker", {"employment": {"start_date": "2024-01-01", "joint_committee": "200",
                                   "regime": "\u0660.\u0665"}}),
    ],
)  # fmt: skip
def test_digits_other_than_ascii_are_no_number_in_any_declaration(world, as_employer, kind, zones):
    """Python's int() and Decimal() read every script's digits; the XSD of a BATCH file
    and the resources' bodies read 0-9 only, and so do the dry run and the declarations."""
    insz = world.own.worker.insz
    data = {
        "training": {**training_body(insz), "reference": "DIGITS-1"},
        "rights": {"insz": insz},
        "worker": {"insz": insz, "first_name": "An", "last_name": "X"},
    }[kind]
    data.update(zones)
    [zone] = [z for z in zones if z not in ("legal_minutes", "year")] or [
        z for z, v in zones.items() if isinstance(v, str)
    ]
    zone = "employment.regime" if zone == "employment" else zone
    outcome = _validate(as_employer, world, kind, data).json()["outcomes"][0]
    assert outcome["status"] == "rejected"
    assert [(a["code"], a["zone"]) for a in outcome["anomalies"]] == [("E019", zone)]
    en = world.own.employer.enterprise_number
    response = as_employer.post(
        f"employers/{en}/declarations", {"declarations": [{"kind": kind, "data": data}]}
    )
    assert response.status_code == 200, response.content
    [written] = response.json()["outcomes"]
    assert (written["status"], written["changed"]) == ("rejected", False)


def test_a_joint_committee_in_other_digits_is_refused(world, as_employer):
    insz = world.own.worker.insz
    employment = {"start_date": "2024-01-01", "joint_committee": "2\u0660\u0660"}
    data = {"insz": insz, "first_name": "An", "last_name": "X", "employment": employment}
    outcome = _validate(as_employer, world, "worker", data).json()["outcomes"][0]
    assert outcome["status"] == "rejected"
    assert [a["zone"] for a in outcome["anomalies"]] == ["employment.joint_committee"]
