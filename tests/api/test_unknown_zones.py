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
    problem = assert_problem(
        as_employer.post(f"employers/{en}/declarations/validate", validate), 422
    )
    assert sorted(e["zone"] for e in problem["errors"]) == ["declarations.0.dat", "dry"]


def test_if_version_on_rights_points_to_if_match(world, as_employer):
    """Rights have no version number: their version is the ETag of their GET, sent
    as If-Match with their PUT; the answer to an ``if_version`` says so."""
    as_employer.language = "en"
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    url = f"employers/{en}/workers/{insz}/rights/2025"
    problem = assert_problem(as_employer.put(url, {"legal_minutes": 60, "if_version": 1}), 422)
    assert _zones(problem) == [
        (
            "body",
            "if_version",
            "This zone is unknown: to write only what has not changed since your GET, "
            "send that GET's ETag in the If-Match header.",
        )
    ]
    assert not TrainingRight.objects.filter(worker=world.own.worker, source="declared").exists()
    etag = as_employer.get(url)["ETag"]
    written = as_employer.put(url, {"legal_minutes": 60}, headers={"If-Match": etag})
    assert written.status_code == 200, written.content
    stale = as_employer.put(url, {"legal_minutes": 90}, headers={"If-Match": etag})
    assert_problem(stale, 412)


def test_if_version_of_a_declaration_other_than_a_training_says_why(world, as_employer):
    as_employer.language = "fr"
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    rights = {"insz": insz, "year": 2025, "legal_minutes": 60}
    not_versioned = (
        "Seule une formation a une version (if_version). Les droits et un travailleur "
        "s'écrivent sous condition par leur propre PUT avec l'en-tête If-Match (l'ETag de "
        "leur GET)."
    )
    body = {
        "declarations": [
            {"kind": "rights", "data": rights, "if_version": 3},
            {"kind": "rights", "data": {**rights, "if_version": 3}},
            {
                "kind": "training",
                "data": {**training_body(insz), "reference": "T-9", "if_version": 0},
            },
        ]
    }
    for path in ("declarations", "declarations/validate"):
        problem = assert_problem(as_employer.post(f"employers/{en}/{path}", body), 422)
        assert sorted(_zones(problem)) == [
            ("body", "declarations.0.if_version", not_versioned),
            ("body", "declarations.1.data.if_version", not_versioned),
            (
                "body",
                "declarations.2.data.if_version",
                "if_version se place dans la déclaration à côté de kind et data, pas dans data.",
            ),
        ]
    assert not TrainingRight.objects.filter(worker=world.own.worker, source="declared").exists()
    assert not Training.objects.filter(reference="T-9").exists()
