"""A zone a body does not know is refused, never ignored."""

from __future__ import annotations

from fla.rights.models import TrainingRight
from fla.trainings.models import Training
from tests.api.conftest import assert_problem, training_body


def _zones(body):
    return [(e["in"], e["zone"], e["message"]) for e in body["errors"]]


def test_a_misspelt_right_does_not_clear_the_declared_rights(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    url = f"employers/{en}/workers/{insz}/rights/2025"
    assert as_employer.put(url, {"legal_minutes": 100, "sector_minutes": 50}).status_code == 200
    body = assert_problem(as_employer.put(url, {"legal_minute": 100}), 422)
    assert _zones(body) == [("body", "legal_minute", "Deze zone is onbekend.")]
    declared = TrainingRight.objects.filter(worker=world.own.worker, year=2025, source="declared")
    assert sorted(declared.values_list("minutes", flat=True)) == [50, 100]


def test_unknown_zones_of_a_training_are_named_in_the_language_asked(world, as_employer):
    as_employer.language = "fr"
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    body = training_body(insz, right_typ="sector", counts_toward_acount=False)
    problem = assert_problem(as_employer.put(f"employers/{en}/trainings/TYPO-1", body), 422)
    assert sorted(_zones(problem)) == [
        ("body", "counts_toward_acount", "Cette zone est inconnue."),
        ("body", "right_typ", "Cette zone est inconnue."),
    ]
    assert not Training.objects.filter(reference="TYPO-1").exists()


def test_unknown_zones_of_nested_and_validate_bodies(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    worker = {
        "first_name": "An",
        "last_name": "Peeters",
        "employment": {"start_date": "2024-01-01", "joint_committee": "200", "regim": 0.5},
    }
    problem = assert_problem(as_employer.put(f"employers/{en}/workers/{insz}", worker), 422)
    assert [e["zone"] for e in problem["errors"]] == ["employment.regim"]
    validate = {"declarations": [{"kind": "rights", "dat": {}, "data": {}}], "dry": True}
    problem = assert_problem(as_employer.post(f"employers/{en}/declarations/validate", validate), 422)
    assert sorted(e["zone"] for e in problem["errors"]) == ["declarations.0.dat", "dry"]
