"""An employment's start date against the birth date the worker's INSZ encodes: E032
(blocking) before it, W010 (warning) before the 15th birthday, the minimum working age;
nothing where the INSZ encodes no full birth date."""

from __future__ import annotations

import datetime as dt

import pytest

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.workers.models import Employment, Worker
from tests import factories
from tests.declarations.conftest import TODAY

# A BIS number whose birth date is unknown (month and day 00).
BIS_UNKNOWN_BIRTH = "90400000135"


def bis_insz(birth: dt.date, serial: int = 1) -> str:
    """A valid BIS number (month + 40) for a known birth date."""
    body = f"{birth:%y}{birth.month + 40:02d}{birth:%d}{serial:03d}"
    base = int(("2" + body) if birth.year >= 2000 else body)
    return body + f"{97 - base % 97:02d}"


def hire(employer, insz: str, start: str) -> Declaration:
    data = {
        "insz": insz,
        "first_name": "Lien",
        "last_name": "Wouters",
        "employment": {"start_date": start, "regime": "1", "joint_committee": "200"},
    }
    return Declaration("worker", employer.enterprise_number, data)


def findings(outcome) -> list[tuple[str, str]]:
    return [(f.code, f.zone) for f in outcome.findings]


def test_an_employment_before_the_birth_date_is_rejected(employer, caller):
    insz = factories.make_insz(dt.date(2010, 6, 15))
    [outcome] = submit(caller, [hire(employer, insz, "2010-06-14")], today=TODAY)
    assert not outcome.accepted
    assert findings(outcome) == [("E032", "employment.start_date")]
    assert outcome.findings[0].message("en") == (
        "The employment starts before the worker's date of birth (2010-06-15)."
    )
    assert not Worker.objects.filter(insz=insz).exists()


@pytest.mark.parametrize(
    "birth, start, codes",
    [
        (dt.date(2010, 6, 15), "2010-06-15", ["W010"]),  # born that day
        (dt.date(2010, 6, 15), "2025-06-14", ["W010"]),  # the day before turning 15
        (dt.date(2010, 6, 15), "2025-06-15", []),  # 15 that day: a student may work
        (dt.date(2008, 2, 29), "2023-02-28", ["W010"]),  # born on 29 February
        (dt.date(2008, 2, 29), "2023-03-01", []),
        (dt.date(1985, 7, 30), "2024-01-01", []),
    ],
)
def test_younger_than_15_is_a_warning(employer, caller, birth, start, codes):
    insz = factories.make_insz(birth)
    [outcome] = submit(caller, [hire(employer, insz, start)], today=TODAY)
    assert outcome.accepted
    assert findings(outcome) == [(code, "employment.start_date") for code in codes]
    employment = Employment.objects.get(worker__insz=insz, employer=employer)
    assert employment.start_date == dt.date.fromisoformat(start)


def test_a_bis_number_is_checked_against_its_birth_date(employer, caller):
    insz = bis_insz(dt.date(2012, 3, 4))
    [early, young] = submit(
        caller,
        [hire(employer, insz, "2012-03-03"), hire(employer, insz, "2024-09-01")],
        today=TODAY,
    )
    assert findings(early) == [("E032", "employment.start_date")]
    assert young.accepted and findings(young) == [("W010", "employment.start_date")]


def test_no_check_without_a_full_birth_date(employer, caller):
    [outcome] = submit(caller, [hire(employer, BIS_UNKNOWN_BIRTH, "1950-01-01")], today=TODAY)
    assert outcome.accepted and findings(outcome) == []
    assert Worker.objects.get(insz=BIS_UNKNOWN_BIRTH).birth_date is None


def test_a_dry_run_finds_the_same_and_writes_nothing(employer, caller):
    early = hire(employer, factories.make_insz(dt.date(2011, 1, 1)), "2010-12-31")
    young = hire(employer, factories.make_insz(dt.date(2011, 1, 2)), "2025-01-01")
    outcomes = submit(caller, [early, young], today=TODAY, dry_run=True)
    assert [findings(o) for o in outcomes] == [
        [("E032", "employment.start_date")],
        [("W010", "employment.start_date")],
    ]
    assert [o.accepted for o in outcomes] == [False, True]
    assert not Worker.objects.filter(insz__in=[early.data["insz"], young.data["insz"]]).exists()
