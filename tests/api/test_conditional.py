"""Conditional requests (RFC 9110 §13): If-Match compares strongly and holds when the
current version is any of the tags it lists; If-None-Match gives 304 on every GET."""

from __future__ import annotations

import pytest

from fla.trainings.models import Training
from tests.api.conftest import ApiClient, assert_problem, make_token, training_body
from tests.api.test_matrix import OPERATIONS, _request


def _training(world, reference="T-1") -> str:
    return f"employers/{world.own.employer.enterprise_number}/trainings/{reference}"


@pytest.mark.parametrize(
    "if_match",
    [
        '"7", "1"',
        '"1", "7"',
        '"7","1"',
        'W/"9", "1"',
        '"x", "1", W/"1"',
        "*",
        ' "1" ',
        '"1", "\u00b2"',
        '"99999999999999999999", "1"',
    ],
)
def test_put_training_holds_when_any_strong_tag_is_current(world, as_employer, if_match):
    body = training_body(world.own.worker.insz, title="Nieuw")
    response = as_employer.put(_training(world), body, headers={"If-Match": if_match})
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert Training.objects.get(employer=world.own.employer, reference="T-1").title == "Nieuw"


@pytest.mark.parametrize(
    "if_match",
    ['W/"1"', '"7", W/"1"', '"7", "8"', '"1', "1", '""', ",", '"\u00b2"', '"\u00b9"', '"1.0"'],
)
def test_put_training_fails_when_no_strong_tag_is_current(world, as_employer, if_match):
    body = training_body(world.own.worker.insz, title="Nieuw")
    response = as_employer.put(_training(world), body, headers={"If-Match": if_match})
    assert_problem(response, 412)
    assert Training.objects.get(employer=world.own.employer, reference="T-1").version == 1


@pytest.mark.parametrize("if_match", ["*", '"1"'])
def test_if_match_star_needs_a_current_training(world, as_employer, if_match):
    body = training_body(world.own.worker.insz)
    response = as_employer.put(_training(world, "NEW"), body, headers={"If-Match": if_match})
    problem = assert_problem(response, 412)
    # The detail says what failed: there is no version at all, not a tag that was wrong.
    assert problem["detail"] == (
        "Deze resource bestaat niet; If-Match vraagt een bestaande versie ervan."
    )
    assert problem["current_etag"] is None
    assert not Training.objects.filter(reference="NEW").exists()


def test_if_match_on_a_worker_not_on_file_says_so(world, as_employer):
    url = f"employers/{world.own.employer.enterprise_number}/workers/85073003328"
    body = {
        "first_name": "An",
        "last_name": "Peeters",
        "employment": {"start_date": "2025-01-01", "joint_committee": "200"},
    }
    response = as_employer.put(url, body, headers={"If-Match": "*", "Accept-Language": "en"})
    problem = assert_problem(response, 412)
    assert problem["detail"] == (
        "This resource does not exist; If-Match asks for an existing version of it."
    )


@pytest.mark.parametrize(
    "if_match,status", [('"5", "1"', 200), ('W/"1"', 412), ('"5", W/"1"', 412), ("*", 200)]
)
def test_delete_compares_strongly_too(world, as_employer, if_match, status):
    response = as_employer.delete(_training(world), headers={"If-Match": if_match})
    assert response.status_code == status, response.content
    expected = "cancelled" if status == 200 else "completed"
    assert Training.objects.get(employer=world.own.employer, reference="T-1").status == expected


@pytest.mark.parametrize("resource", ["rights", "worker"])
def test_rights_and_workers_compare_strongly_with_several_tags(world, as_employer, resource):
    base = f"employers/{world.own.employer.enterprise_number}/workers/{world.own.worker.insz}"
    if resource == "rights":
        url, body = base + "/rights/2025", {"legal_minutes": 1200}
    else:
        url = base
        body = {
            "first_name": "An",
            "last_name": "Peeters",
            "employment": {"start_date": "2024-01-01", "regime": 1, "joint_committee": "200"},
        }
    etag = as_employer.get(url)["ETag"]
    assert_problem(as_employer.put(url, body, headers={"If-Match": f"W/{etag}"}), 412)
    response = as_employer.put(url, body, headers={"If-Match": f'"stale", {etag}'})
    assert response.status_code == 200, response.content


# --- If-None-Match ------------------------------------------------------------------

GETS = [param for param in OPERATIONS if param.values[0] == "get"]


@pytest.mark.parametrize("method,path,operation", GETS)
def test_every_get_answers_304_for_its_current_etag(world, method, path, operation):
    client = ApiClient(make_token(world.employer_client))
    first = _request(client, world.own, method, path, operation)
    assert first.status_code == 200, first.content[:300]
    etag = first["ETag"]
    # Weak only where the body holds the time of the read (the trainings' sync_from).
    weak = etag.startswith("W/")
    assert weak == (operation["operationId"] == "list_trainings"), etag
    opaque = etag.removeprefix("W/")
    assert opaque.startswith('"') and opaque.endswith('"')
    again = _request(client, world.own, method, path, operation)
    assert again["ETag"] == etag  # the same representation, the same tag
    for header in (opaque, f'"other", {opaque}', f"W/{opaque}", "*"):
        cached = _request(client, world.own, method, path, operation, if_none_match=header)
        assert cached.status_code == 304, (header, cached.status_code)
        assert cached["ETag"] == etag and cached.content == b""
    fresh = _request(client, world.own, method, path, operation, if_none_match='"other"')
    assert fresh.status_code == 200
    if weak:
        assert {**fresh.json(), "sync_from": None} == {**first.json(), "sync_from": None}
    else:
        assert fresh.content == first.content


def test_a_change_gives_a_new_etag_for_the_lists(world, as_employer):
    base = f"employers/{world.own.employer.enterprise_number}"
    for n, url in enumerate((base + "/trainings", base + "/workers")):
        before = as_employer.get(url)["ETag"]
        renamed = as_employer.put(
            base + f"/workers/{world.own.worker.insz}",
            {"first_name": "Ann", "last_name": f"Anders {n}"},
        )
        assert renamed.status_code == 200, renamed.content
        changed = as_employer.put(
            base + "/trainings/T-1", training_body(world.own.worker.insz, title=f"X {n}")
        )
        assert changed.status_code == 200, changed.content
        after = as_employer.get(url, headers={"If-None-Match": before})
        assert after.status_code == 200 and after["ETag"] != before


def test_a_version_that_moves_to_another_listed_tag_still_holds(world, as_employer, monkeypatch):
    """If-Match: "1", "2" read when the training was at version 1; it is at 2 when the
    write takes the worker's lock: any version the client listed will do."""
    from fla.api.routers import trainings

    url = _training(world)
    body = training_body(world.own.worker.insz, title="Second")
    assert as_employer.put(url, body).status_code == 200  # now version 2
    found = trainings.find_training

    def read_before_the_change(employer, reference):
        training = found(employer, reference)
        training.version = 1  # what the check saw, a moment before the other write
        return training

    monkeypatch.setattr(trainings, "find_training", read_before_the_change)
    third = training_body(world.own.worker.insz, title="Third")
    response = as_employer.put(url, third, headers={"If-Match": '"1", "2"'})
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"3"'
    stale = as_employer.put(url, body, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
