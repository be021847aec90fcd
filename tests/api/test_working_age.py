"""The employment's start date against the worker's birth date through the API: E032
refuses a worker (422), W010 is a warning of an accepted one, a dry run finds both."""

from __future__ import annotations

import datetime as dt

from fla.workers.models import Employment
from tests import factories
from tests.api.conftest import assert_problem


def _worker(start: str) -> dict:
    employment = {"start_date": start, "regime": 1, "joint_committee": "200"}
    return {"first_name": "Lien", "last_name": "Wouters", "employment": employment}


def test_put_worker_before_the_birth_date_gives_422(world, as_employer):
    insz = factories.make_insz(dt.date(2012, 5, 1))
    url = f"employers/{world.own.employer.enterprise_number}/workers/{insz}"
    problem = assert_problem(as_employer.put(url, _worker("2012-04-30")), 422)
    assert [(a["code"], a["zone"]) for a in problem["anomalies"]] == [
        ("E032", "employment.start_date")
    ]
    assert not Employment.objects.filter(worker__insz=insz).exists()


def test_put_worker_younger_than_15_is_accepted_with_a_warning(world, as_employer):
    insz = factories.make_insz(dt.date(2012, 5, 1))
    url = f"employers/{world.own.employer.enterprise_number}/workers/{insz}"
    as_employer.language = "fr"
    created = as_employer.put(url, _worker("2025-07-01"))
    assert created.status_code == 201, created.content
    [warning] = created.json()["warnings"]
    assert (warning["code"], warning["severity"], warning["zone"]) == (
        "W010",
        "warning",
        "employment.start_date",
    )
    assert "moins de 15 ans" in warning["message"] and "2012-05-01" in warning["message"]


def test_validate_finds_both(world, as_employer):
    early = factories.make_insz(dt.date(2012, 5, 1))
    young = factories.make_insz(dt.date(2012, 5, 2))
    body = {
        "declarations": [
            {"kind": "worker", "data": {"insz": early, **_worker("2011-01-01")}},
            {"kind": "worker", "data": {"insz": young, **_worker("2025-01-01")}},
        ]
    }
    url = f"employers/{world.own.employer.enterprise_number}/declarations/validate"
    response = as_employer.post(url, body)
    assert response.status_code == 200, response.content
    outcomes = response.json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["rejected", "accepted_with_warnings"]
    assert [[a["code"] for a in o["anomalies"]] for o in outcomes] == [["E032"], ["W010"]]
    assert not Employment.objects.filter(worker__insz__in=[early, young]).exists()
