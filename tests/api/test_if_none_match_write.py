"""If-None-Match on a write: ``*`` writes only what does not exist yet, and a tag list
refuses a change based on a version it names (RFC 9110 §13.1.2)."""

from __future__ import annotations

import pytest

from fla.trainings.models import Training
from tests.api.conftest import assert_problem, training_body


def _training(world):
    return f"employers/{world.own.employer.enterprise_number}/trainings"


def test_star_does_not_replace_an_existing_training(world, as_employer):
    url = f"{_training(world)}/T-1"
    response = as_employer.put(
        url, training_body(world.own.worker.insz, title="Anders"), headers={"If-None-Match": "*"}
    )
    body = assert_problem(response, 412)
    assert body["current_etag"] == '"1"'
    training = Training.objects.get(employer=world.own.employer, reference="T-1")
    assert (training.version, training.title) == (1, "Veiligheid op de werkvloer")


def test_star_creates_a_training_that_does_not_exist(world, as_employer):
    url = f"{_training(world)}/NEW-9"
    body = training_body(world.own.worker.insz)
    response = as_employer.put(url, body, headers={"If-None-Match": "*"})
    assert response.status_code == 201, response.content
    assert response["ETag"] == '"1"'
    # Sent again: it exists now.
    assert_problem(as_employer.put(url, body, headers={"If-None-Match": "*"}), 412)


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', '"7", "1"'])
def test_a_tag_list_naming_the_current_version_is_refused(world, as_employer, header):
    url = f"{_training(world)}/T-1"
    response = as_employer.put(
        url, training_body(world.own.worker.insz, title="Anders"), headers={"If-None-Match": header}
    )
    assert_problem(response, 412)
    assert_problem(as_employer.delete(url, headers={"If-None-Match": header}), 412)
    assert Training.objects.get(employer=world.own.employer, reference="T-1").version == 1


def test_a_tag_list_naming_another_version_lets_the_change_through(world, as_employer):
    url = f"{_training(world)}/T-1"
    response = as_employer.put(
        url, training_body(world.own.worker.insz, title="Anders"), headers={"If-None-Match": '"7"'}
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'


def test_workers_and_rights(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    worker = f"employers/{en}/workers/{insz}"
    etag = as_employer.get(worker)["ETag"]
    change = {"first_name": "An", "last_name": "Anders"}
    for header in ("*", etag):
        assert_problem(as_employer.put(worker, change, headers={"If-None-Match": header}), 412)
    assert as_employer.get(worker).json()["last_name"] != "Anders"
    new = f"employers/{en}/workers/85073003328"
    body = {
        "first_name": "Jan",
        "last_name": "Nieuw",
        "employment": {"start_date": "2024-01-01", "joint_committee": "200"},
    }
    assert as_employer.put(new, body, headers={"If-None-Match": "*"}).status_code == 201
    rights = f"{worker}/rights/2025"
    etag = as_employer.get(rights)["ETag"]
    for header in ("*", etag):
        response = as_employer.put(rights, {"legal_minutes": 5}, headers={"If-None-Match": header})
        assert_problem(response, 412)
    assert as_employer.get(rights).json()["declared"]["legal_minutes"] is None
    response = as_employer.put(rights, {"legal_minutes": 5}, headers={"If-None-Match": '"x"'})
    assert response.status_code == 200, response.content


def test_star_is_written_with_the_other_puts_of_its_client(world, as_employer, monkeypatch):
    """Create-only goes through the group commit as a plain PUT does: the write path
    checks that the reference is absent (version 0), no lock of the view's own."""
    from fla.api.routers import trainings
    from fla.declarations import grouping

    grouped = []
    original = grouping.submit_grouped

    def spy(caller, declaration, employer):
        grouped.append(declaration.if_version)
        return original(caller, declaration, employer)

    monkeypatch.setattr(grouping, "submit_grouped", spy)
    monkeypatch.setattr(trainings, "worker_locked", None)  # not taken
    body = training_body(world.own.worker.insz)
    url = f"{_training(world)}/NEW-10"
    assert as_employer.put(url, body, headers={"If-None-Match": "*"}).status_code == 201
    assert grouped == [0]
    # on file: refused before the write
    assert_problem(as_employer.put(url, body, headers={"If-None-Match": "*"}), 412)
    assert grouped == [0]


def test_version_zero_in_the_write_path_means_not_on_file_yet(world):
    from fla.accounts.access import Caller
    from fla.declarations.services import submit
    from fla.declarations.types import Declaration

    caller = Caller(channel="api", label="t", employer_id=world.own.employer.pk)
    en = world.own.employer.enterprise_number

    def declaration(reference):
        data = {**training_body(world.own.worker.insz), "reference": reference}
        return Declaration(kind="training", employer=en, data=data, if_version=0)

    [existing, new] = submit(caller, [declaration("T-1"), declaration("NEW-11")])
    assert [f.code for f in existing.errors] == ["E024"]
    assert new.accepted and new.changed and new.version == 1


def test_star_on_a_training_on_file_is_412_whatever_the_body(world, as_employer):
    """The precondition is judged before the body (RFC 9110 §13.2.1)."""
    url = f"{_training(world)}/T-1"
    body = training_body(world.own.worker.insz, start_date="2025-03-11", end_date="2025-03-10")
    assert_problem(as_employer.put(url, body, headers={"If-None-Match": "*"}), 412)
    # without the precondition the same body is refused for what it says
    assert_problem(as_employer.put(url, body), 422)


def test_the_dry_run_reads_version_zero_as_not_on_file_yet(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz

    def dry_run(reference):
        data = {**training_body(insz), "reference": reference}
        body = {"declarations": [{"kind": "training", "if_version": 0, "data": data}]}
        [outcome] = as_employer.post(f"employers/{en}/declarations/validate", body).json()[
            "outcomes"
        ]
        return outcome["status"], [a["code"] for a in outcome["anomalies"]]

    assert dry_run("T-1") == ("rejected", ["E024"])
    assert dry_run("NEW-12")[0] != "rejected"
