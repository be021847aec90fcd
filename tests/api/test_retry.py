"""A retry of a conditional write that went through gets the answer of a repeated write."""

from __future__ import annotations

from fla.trainings.models import Training
from tests.api.conftest import assert_problem, training_body


def test_a_retried_if_match_put_answers_200_with_the_same_version(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/T-1"
    body = training_body(world.own.worker.insz, title="Nieuw")
    first = as_employer.put(url, body, headers={"If-Match": '"1"'})
    assert (first.status_code, first["ETag"]) == (200, '"2"'), first.content
    again = as_employer.put(url, body, headers={"If-Match": '"1"'})
    assert (again.status_code, again["ETag"]) == (200, '"2"'), again.content
    assert again.json()["training"] == first.json()["training"]
    assert again["Location"] == first["Location"]
    assert Training.objects.get(employer=world.own.employer, reference="T-1").version == 2


def test_a_stale_if_match_with_another_body_still_answers_412(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/T-1"
    as_employer.put(url, training_body(world.own.worker.insz, title="Nieuw"))
    response = as_employer.put(
        url, training_body(world.own.worker.insz, title="Anders"), headers={"If-Match": '"1"'}
    )
    assert assert_problem(response, 412)["current_etag"] == '"2"'
    # A training that does not exist is never "already done" by If-Match.
    response = as_employer.put(
        url.replace("T-1", "NOPE-1"),
        training_body(world.own.worker.insz),
        headers={"If-Match": "*"},
    )
    assert_problem(response, 412)


def test_a_retried_if_match_delete_answers_200(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/T-1"
    first = as_employer.delete(url, headers={"If-Match": '"1"'})
    assert (first.status_code, first["ETag"]) == (200, '"2"'), first.content
    again = as_employer.delete(url, headers={"If-Match": '"1"'})
    assert (again.status_code, again["ETag"]) == (200, '"2"'), again.content
    assert again.json()["training"]["status"] == "cancelled"


def _rights_and_worker(world) -> list[tuple[str, dict]]:
    base = f"employers/{world.own.employer.enterprise_number}/workers/{world.own.worker.insz}"
    worker = {
        "first_name": world.own.worker.first_name,
        "last_name": world.own.worker.last_name,
        "employment": {"start_date": "2024-01-01", "regime": "0.5", "joint_committee": "200"},
    }
    return [(base + "/rights/2025", {"legal_minutes": 1200}), (base, worker)]


def test_a_retried_if_match_put_of_rights_or_a_worker_answers_200(world, as_employer):
    # As a training's: the first attempt went through, its answer was lost; the retry
    # finds the resource as it asks and answers what a repeated PUT answers.
    for url, body in _rights_and_worker(world):
        etag = as_employer.get(url)["ETag"]
        first = as_employer.put(url, body, headers={"If-Match": etag})
        assert first.status_code == 200, first.content
        assert first["ETag"] != etag
        again = as_employer.put(url, body, headers={"If-Match": etag})
        assert (again.status_code, again["ETag"]) == (200, first["ETag"]), again.content
        assert again.json() == first.json()


def test_a_stale_if_match_on_rights_or_a_worker_that_differ_still_answers_412(world, as_employer):
    for url, body in _rights_and_worker(world):
        etag = as_employer.get(url)["ETag"]
        first = as_employer.put(url, body, headers={"If-Match": etag})
        assert first.status_code == 200, first.content
        other = (
            {"legal_minutes": 900}
            if "rights" in url
            else {**body, "employment": {**body["employment"], "regime": "0.8"}}
        )
        response = as_employer.put(url, other, headers={"If-Match": etag})
        assert assert_problem(response, 412)["current_etag"] == first["ETag"]
        assert (
            as_employer.get(url).json() == first.json()["rights" if "rights" in url else "worker"]
        )
