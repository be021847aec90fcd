"""POST /employers/{en}/declarations: many declarations in one request, each by itself."""

from __future__ import annotations

import pytest

from fla.api.schemas import MAX_DECLARATIONS
from fla.employers.models import EmployerYear
from fla.rights.models import TrainingRight
from fla.trainings.models import Training
from fla.workers.models import Worker
from tests import factories
from tests.api.conftest import assert_problem, training_body


def _training(insz: str, reference: str, **zones) -> dict:
    return {"kind": "training", "data": {**training_body(insz, **zones), "reference": reference}}


def _path(org) -> str:
    return f"employers/{org.employer.enterprise_number}/declarations"


def _codes(outcome: dict) -> list[str]:
    return [anomaly["code"] for anomaly in outcome["anomalies"]]


def _hire(insz: str, joint_committee: str) -> dict:
    """A new worker, employed from 2025."""
    employment = {"start_date": "2025-01-01", "joint_committee": joint_committee}
    data = {"insz": insz, "first_name": "Bert", "last_name": "Peeters", "employment": employment}
    return {"kind": "worker", "data": data}


def _mixed_body(org) -> tuple[dict, str]:
    """A new worker, his rights, his training, a training of the org's worker, a
    training that ends before it starts, and a reference used a second time."""
    hire = factories.make_insz()
    declarations = [
        _hire(hire, "200"),
        {"kind": "rights", "data": {"insz": hire, "year": "2025", "sector_minutes": 960}},
        _training(hire, "M-1"),
        _training(org.worker.insz, "M-2", title="Heftruck"),
        _training(org.worker.insz, "M-3", start_date="2025-03-12", end_date="2025-03-11"),
        _training(org.worker.insz, "M-2", title="Heftruck again"),
    ]
    return {"declarations": declarations}, hire


def test_each_declaration_stands_or_falls_by_itself(world, as_employer):
    org = world.own
    body, hire = _mixed_body(org)
    response = as_employer.post(_path(org), body)
    assert response.status_code == 200, response.content
    outcomes = response.json()["outcomes"]
    assert [(o["position"], o["kind"]) for o in outcomes] == [
        (1, "worker"),
        (2, "rights"),
        (3, "training"),
        (4, "training"),
        (5, "training"),
        (6, "training"),
    ]
    assert [o["status"] != "rejected" for o in outcomes] == [True, True, True, True, False, False]
    assert "E006" in _codes(outcomes[4]) and _codes(outcomes[5]) == ["E022"]
    assert [o["changed"] for o in outcomes] == [True, True, True, True, False, False]
    assert [o["version"] for o in outcomes] == [None, None, 1, 1, None, None]
    # Written: the worker, his sector right, both trainings; of the rejected, nothing.
    worker = Worker.objects.get(insz=hire)
    assert TrainingRight.objects.get(worker=worker, year=2025, right_type="sector").minutes == 960
    trainings = Training.objects.filter(employer=org.employer)
    assert set(trainings.values_list("reference", "title")) == {
        ("T-1", "Veiligheid op de werkvloer"),
        ("M-1", "Veiligheid op de werkvloer"),
        ("M-2", "Heftruck"),
    }
    assert Training.objects.get(reference="M-1").worker == worker
    assert Training.objects.get(reference="M-2").channel == "api"


def test_the_same_body_again_writes_nothing_twice(world, as_employer):
    org = world.own
    body, _ = _mixed_body(org)
    first = as_employer.post(_path(org), body).json()["outcomes"]
    trainings = Training.objects.count()
    again = as_employer.post(_path(org), body).json()["outcomes"]
    assert [o["status"] for o in again] == [o["status"] for o in first]
    assert [o["version"] for o in again] == [o["version"] for o in first]
    assert [o["changed"] for o in again] == [False] * len(first)
    assert Training.objects.count() == trainings


def test_the_dry_run_predicts_the_outcomes(world, as_employer):
    org = world.own
    body, _ = _mixed_body(org)
    predicted = as_employer.post(_path(org) + "/validate", body).json()["outcomes"]
    assert Training.objects.filter(reference__startswith="M-").count() == 0
    applied = as_employer.post(_path(org), body).json()["outcomes"]
    keys = ("position", "kind", "status", "anomalies")
    assert [{k: o[k] for k in keys} for o in applied] == predicted


def test_if_version_is_checked_per_declaration(world, as_employer):
    org = world.own  # holds T-1, version 1
    body = {
        "declarations": [
            {**_training(org.worker.insz, "T-1", title="Stale"), "if_version": 7},
            {**_training(org.worker.insz, "T-1b", title="New"), "if_version": 0},
            {**_training(org.worker.insz, "T-1", title="Fresh"), "if_version": 1},
        ]
    }
    outcomes = as_employer.post(_path(org), body).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["rejected", "accepted", "rejected"]
    assert _codes(outcomes[0]) == ["E024"]
    assert _codes(outcomes[2]) == ["E022"]  # T-1 was already used in this body
    assert Training.objects.get(employer=org.employer, reference="T-1").title == (
        "Veiligheid op de werkvloer"
    )
    outcomes = as_employer.post(_path(org), {"declarations": body["declarations"][2:]}).json()
    assert outcomes["outcomes"][0]["version"] == 2
    assert Training.objects.get(employer=org.employer, reference="T-1").title == "Fresh"


def test_a_mandatary_declares_for_a_mandated_employer_only(world, as_mandatary):
    body = {"declarations": [_training(world.mandated.worker.insz, "X-1", title="EHBO")]}
    response = as_mandatary.post(_path(world.mandated), body)
    assert response.json()["outcomes"][0]["status"] == "accepted"
    body = {"declarations": [_training(world.foreign.worker.insz, "X-1")]}
    assert_problem(as_mandatary.post(_path(world.foreign), body), 404)
    assert not Training.objects.filter(employer=world.foreign.employer, reference="X-1").exists()


def test_a_worker_of_another_employer_is_not_reached(world, as_employer):
    body = {"declarations": [_training(world.foreign.worker.insz, "X-2")]}
    [outcome] = as_employer.post(_path(world.own), body).json()["outcomes"]
    assert outcome["status"] == "rejected"
    assert not Training.objects.filter(reference="X-2").exists()


def test_anomalies_come_in_the_language_asked(world, as_employer):
    as_employer.language = "fr"
    body = {"declarations": [_training(world.own.worker.insz, "L-1", duration_minutes=0)]}
    [outcome] = as_employer.post(_path(world.own), body).json()["outcomes"]
    [anomaly] = outcome["anomalies"]
    as_employer.language = "nl"
    [dutch] = as_employer.post(_path(world.own), body).json()["outcomes"][0]["anomalies"]
    assert anomaly["code"] == dutch["code"] and anomaly["message"] != dutch["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"declarations": [_training("85073003328", f"N-{i}") for i in range(MAX_DECLARATIONS + 1)]},
        {"declarations": [{"kind": "training", "data": {"title": ["a list"]}}]},
        {"declarations": "none"},
        {},
    ],
    ids=["too many", "zone of the wrong type", "not a list", "missing"],
)
def test_a_body_no_channel_could_take_is_refused_whole(world, as_employer, body):
    assert_problem(as_employer.post(_path(world.own), body), 422)
    assert not Training.objects.filter(reference__startswith="N-").exists()


def test_an_empty_list_is_an_empty_answer(world, as_employer):
    response = as_employer.post(_path(world.own), {"declarations": []})
    assert response.status_code == 200 and response.json() == {"outcomes": []}


@pytest.mark.parametrize(
    "kind,zones",
    [
        ("training", {"title": "x\ud800y"}),
        ("training", {"description": "\udc80"}),
        ("training", {"duration_minutes": "6\ud8000"}),
        ("training", {"kind": "formal\ud800"}),
        ("worker", {"first_name": "An\ud800"}),
    ],
    ids=["title", "description", "number", "code", "first name"],
)
def test_a_lone_surrogate_is_an_anomaly_of_its_own_declaration(world, as_employer, kind, zones):
    """JSON may carry "\\ud800", which no database stores as text: that declaration is
    rejected, and the others of the body are applied."""
    insz = world.own.worker.insz
    if kind == "training":
        bad = _training(insz, "S-2", **zones)
    else:
        data = {"insz": insz, "first_name": "An", "last_name": "Janssens", **zones}
        bad = {"kind": "worker", "data": data}
    body = {"declarations": [_training(insz, "S-1", title="Goed"), bad]}
    for path in (_path(world.own) + "/validate", _path(world.own)):
        response = as_employer.post(path, body)
        assert response.status_code == 200, response.content[:300]
        first, second = response.json()["outcomes"]
        assert first["status"] == "accepted" and second["status"] == "rejected"
        assert _codes(second) and set(_codes(second)) <= {"E011", "E018", "E019"}
    assert Training.objects.filter(reference="S-1").exists()
    assert not Training.objects.filter(reference="S-2").exists()


def _hire_and_rights(insz: str) -> list[dict]:
    return [
        _hire(insz, "118"),
        {"kind": "rights", "data": {"insz": insz, "year": "2026", "legal_minutes": 60}},
    ]


def test_declarations_are_judged_in_their_order(world, as_employer):
    """As if sent one by one: rights after a hire are compared (W006) with the rights
    computed for him, a training before the hire of its worker does not know him."""
    org = world.own
    en = org.employer.enterprise_number
    # 20 FTE or more in 2026: a new worker's legal right is computed at his hire.
    EmployerYear.objects.create(employer=org.employer, year=2026, declared_size_class="20plus")
    # One by one, through the resources, for another new worker: the verdicts to match.
    alone = factories.make_insz()
    worker, rights = _hire_and_rights(alone)
    zones = {k: v for k, v in worker["data"].items() if k != "insz"}
    assert as_employer.put(f"employers/{en}/workers/{alone}", zones).status_code in (200, 201)
    response = as_employer.put(f"employers/{en}/workers/{alone}/rights/2026", {"legal_minutes": 60})
    assert response.status_code == 200, response.content
    rights_alone = response.json()
    expected = sorted(w["code"] for w in rights_alone["warnings"])
    assert "W006" in expected
    hired = factories.make_insz()
    body = {"declarations": [_training(hired, "O-1"), *_hire_and_rights(hired)]}
    predicted = as_employer.post(_path(org) + "/validate", body).json()["outcomes"]
    first = as_employer.post(_path(org), body).json()["outcomes"]
    for outcomes in (predicted, first):
        training, hire, rights = outcomes
        assert (training["status"], _codes(training)) == ("rejected", ["E004"])
        assert hire["status"] != "rejected"
        assert sorted(_codes(rights)) == expected
    # Sent again, the same rights answer the same; the training now finds its worker.
    training, hire, rights = as_employer.post(_path(org), body).json()["outcomes"]
    assert sorted(_codes(rights)) == expected and not rights["changed"]
    assert not hire["changed"] and training["status"] != "rejected"


def test_a_body_with_versions_sent_again_answers_as_the_first_time(world, as_employer):
    """The retry of a body whose answer was lost: each training is already what it
    asks, so its stale if_version does not refuse it (as a PUT with If-Match)."""
    org = world.own  # holds T-1, version 1
    insz = org.worker.insz
    replace = {**_training(insz, "T-1", title="Nieuw"), "if_version": 1}
    first = as_employer.post(_path(org), {"declarations": [replace]}).json()["outcomes"]
    again = as_employer.post(_path(org), {"declarations": [replace]}).json()["outcomes"]
    assert [(o["status"], o["changed"], o["version"]) for o in first] == [("accepted", True, 2)]
    assert [(o["status"], o["changed"], o["version"]) for o in again] == [("accepted", False, 2)]
    cancel = {"kind": "training", "action": "cancel", "if_version": 2, "data": {"reference": "T-1"}}
    for changed in (True, False):
        [outcome] = as_employer.post(_path(org), {"declarations": [cancel]}).json()["outcomes"]
        assert (outcome["status"], outcome["changed"], outcome["version"]) == (
            "accepted",
            changed,
            3,
        )
    # A training that is not what the stale version's declaration asks is still refused.
    other = {**_training(insz, "T-1", title="Anders"), "if_version": 1}
    [outcome] = as_employer.post(_path(org), {"declarations": [other]}).json()["outcomes"]
    assert (outcome["status"], _codes(outcome)) == ("rejected", ["E024"])
    # And so is a create-only (0) of a training on file, as If-None-Match: * is.
    create_only = {**_training(insz, "T-1", title="Anders"), "if_version": 0}
    [outcome] = as_employer.post(_path(org), {"declarations": [create_only]}).json()["outcomes"]
    assert _codes(outcome) == ["E024"]
    assert Training.objects.get(employer=org.employer, reference="T-1").version == 3


def test_if_version_on_another_kind_than_a_training_is_refused(world, as_employer):
    rights = {"kind": "rights", "if_version": 1, "data": {"insz": world.own.worker.insz,
              "year": "2025", "legal_minutes": 2280}}  # fmt: skip
    for path in (_path(world.own), _path(world.own) + "/validate"):
        problem = assert_problem(as_employer.post(path, {"declarations": [rights]}), 422)
        assert [e["zone"] for e in problem["errors"]] == ["declarations.0.if_version"]


def test_the_dry_run_agrees_with_the_submission_on_a_stale_version(world, as_employer):
    """Whether a stale if_version is a retry is decided where the declaration stands in
    its body: after the declarations before it, before those after it."""
    org, worker = world.own, world.own.worker  # T-1, version 1
    replace = {**_training(worker.insz, "T-1", title="Nieuw"), "if_version": 1}
    as_employer.post(_path(org), {"declarations": [replace]})  # T-1 is now version 2
    # The worker's employment now ends in 2024: a training of 2025 is refused after it.
    ending = {
        "kind": "worker",
        "data": {
            "insz": worker.insz,
            "first_name": worker.first_name,
            "last_name": worker.last_name,
            "employment": {
                "start_date": "2024-01-01",
                "end_date": "2024-06-30",
                "joint_committee": "200",
            },
        },
    }
    body = {"declarations": [ending, replace]}
    predicted = as_employer.post(_path(org) + "/validate", body).json()["outcomes"]
    applied = as_employer.post(_path(org), body).json()["outcomes"]
    keys = ("position", "kind", "status", "anomalies")
    assert [{k: o[k] for k in keys} for o in applied] == predicted
    assert (applied[1]["status"], _codes(applied[1])) == ("rejected", ["E024"])


VERSION_MESSAGES = {
    "nl": "Ongeldige versie: -1. Toegelaten: 0 (de opleiding mag nog niet bestaan) of de "
    "versie die ze moet hebben, vanaf 1.",
    "fr": "Version invalide\u00a0: -1. Admis\u00a0: 0 (la formation ne doit pas encore "
    "exister) ou la version qu'elle doit avoir, à partir de 1.",
    "de": "Ungültige Version: -1. Zulässig: 0 (die Weiterbildung darf noch nicht bestehen) "
    "oder die Version, die sie haben muss, ab 1.",
    "en": "Invalid version: -1. Allowed: 0 (the training must not exist yet) or the version "
    "it must have, from 1.",
}


@pytest.mark.parametrize("language", sorted(VERSION_MESSAGES))
@pytest.mark.parametrize("dry_run", [False, True], ids=["submit", "validate"])
def test_a_negative_version_is_refused_saying_what_is_allowed(
    world, as_employer, language, dry_run
):
    """No version is negative: -1 is a mistake, refused with the body (422) and a
    message in the request's language, not compared as a stale version (where a
    training already as the declaration asks would even be answered as a retry)."""
    org = world.own  # holds T-1, version 1
    same = {**_training(org.worker.insz, "T-1"), "if_version": -1}
    new = {**_training(org.worker.insz, "T-9"), "if_version": 0}
    as_employer.language = language
    path = _path(org) + ("/validate" if dry_run else "")
    problem = assert_problem(as_employer.post(path, {"declarations": [new, same]}), 422)
    assert problem["type"] == "urn:fla:problem:invalid-request"
    [error] = problem["errors"]
    assert (error["in"], error["zone"], error["code"]) == (
        "body",
        "declarations.1.if_version",
        "E019",
    )
    assert error["message"] == VERSION_MESSAGES[language]
    assert not Training.objects.filter(employer=org.employer, reference="T-9").exists()


@pytest.mark.parametrize("version", [True, 1.0, "1", -(2**70)], ids=repr)
def test_a_version_that_is_no_whole_number_is_refused_the_same_way(world, as_employer, version):
    org = world.own
    body = {"declarations": [{**_training(org.worker.insz, "T-1"), "if_version": version}]}
    [error] = assert_problem(as_employer.post(_path(org), body), 422)["errors"]
    assert (error["zone"], error["code"]) == ("declarations.0.if_version", "E019")
    assert error["message"].startswith("Ongeldige versie: ")


def test_versions_from_0_still_work(world, as_employer):
    org = world.own  # holds T-1, version 1
    body = {
        "declarations": [
            {**_training(org.worker.insz, "T-9"), "if_version": 0},
            {**_training(org.worker.insz, "T-1", title="Nieuw"), "if_version": 1},
            {**_training(org.worker.insz, "T-8"), "if_version": None},
        ]
    }
    outcomes = as_employer.post(_path(org), body).json()["outcomes"]
    assert [o["status"] != "rejected" for o in outcomes] == [True, True, True], outcomes
    assert [o["version"] for o in outcomes] == [1, 2, 1]
