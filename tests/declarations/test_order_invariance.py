"""A submission answers the same however it is cut into chunks, and its dry run answers
what it answers: random mixes of hires, size classes, rights and trainings (created,
replaced, cancelled, repeated), each checked three ways on the same starting state."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.employers.models import EmployerYear
from tests import factories
from tests.declarations.conftest import TODAY


def _answers(outcomes) -> list[tuple[str, str, list[str]]]:
    return [(o.declaration.kind, o.status, sorted(f.code for f in o.findings)) for o in outcomes]


def _mix(
    rng: random.Random, number: str, known: list, new: list[str], leavers: bool = False
) -> list[Declaration]:
    """Up to 24 declarations for the employer: its workers on file (``known``) and
    people it may hire (``new``), trainings from a small pool of references; with
    ``leavers``, some employments end."""
    people = [w.insz for w in known] + new
    declarations = []
    for _ in range(rng.randint(6, 24)):
        insz = rng.choice(people)
        kind = rng.choices(["worker", "rights", "training", "employer_year"], [3, 2, 8, 1])[0]
        if kind == "worker":
            start = rng.choice(["2024-01-01", "2025-03-01", "2025-09-01"])
            zones = {"insz": insz, "first_name": "An", "last_name": rng.choice(["Maes", "Peeters"]),
                     "employment": {"start_date": start, "regime": rng.choice(["1", "0.5"]),
                                    "joint_committee": "200"}}  # fmt: skip
            if leavers and rng.random() < 0.4:
                zones["employment"]["end_date"] = rng.choice(["2024-05-31", "2025-06-30"])
        elif kind == "rights":
            zones = {"insz": insz, "year": 2025,
                     rng.choice(["legal_minutes", "sector_minutes", "employer_minutes"]):
                     rng.choice([60, 960, 2280])}  # fmt: skip
        elif kind == "employer_year":
            zones = {"year": 2025, "size_class": rng.choice(["lt10", "10to19", "20plus"])}
        else:
            month = rng.randint(1, 10)
            zones = {"reference": f"R{rng.randint(1, 15)}", "insz": insz,
                     "title": rng.choice(["Heftruck", "EHBO"]), "kind": "formal",
                     "start_date": f"2025-{month:02d}-10", "end_date": f"2025-{month:02d}-11",
                     "duration_minutes": rng.choice([120, 900, 1500]),
                     "status": rng.choice(["completed", "planned"])}  # fmt: skip
        action = "create"
        if kind == "training":
            action = rng.choices(["create", "replace", "cancel"], [6, 2, 1])[0]
            if action == "cancel":
                zones = {"reference": zones["reference"]}
        declarations.append(Declaration(kind, number, zones, action=action))
    return [
        Declaration(d.kind, d.employer, d.data, action=d.action, position=i)
        for i, d in enumerate(declarations, 1)
    ]


# 50, 135 and 283 once found rights declared after a training of the same worker
# judging that training (W003) in the same chunk.
@pytest.mark.parametrize("seed", [*range(40), 135, 283])
def test_the_answers_do_not_depend_on_the_chunks_nor_on_the_dry_run(employer, caller, seed):
    rng = random.Random(seed)
    known = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(3)]
    for worker in known[:2]:
        factories.grant_right(employer, worker)
    # An earlier submission: references R1 and R2 are on file.
    first = [
        Declaration("training", employer.enterprise_number, {
            "reference": f"R{n}", "insz": known[n - 1].insz, "title": "Basis", "kind": "formal",
            "start_date": "2025-02-03", "end_date": "2025-02-04", "duration_minutes": 1500,
            "status": "completed"})
        for n in (1, 2)
    ]  # fmt: skip
    assert all(o.accepted for o in submit(caller, first, today=TODAY))
    new = [factories.make_insz(dt.date(1990, 1, 1) + dt.timedelta(days=n)) for n in range(3)]
    declarations = _mix(rng, employer.enterprise_number, known, new)
    whole = _answers(submit(caller, declarations, dry_run=True, today=TODAY))
    one_by_one = _answers(submit(caller, declarations, dry_run=True, today=TODAY, chunk_size=1))
    applied = _answers(submit(caller, declarations, today=TODAY, chunk_size=3))
    assert one_by_one == whole
    assert applied == whole


@pytest.mark.parametrize("seed", range(30))
def test_the_answers_hold_when_hires_move_the_employer_across_a_size_class(employer, caller, seed):
    """The same with the employer just under 10 full-time equivalents (9.75 on average
    over the year's reference dates), so that the mix's hires and changes of regime
    take it to 10 and back: a chunk that holds trainings or rights before such a hire is
    applied again in halves (``in_order``)."""
    rng = random.Random(seed)
    known = _near_ten(employer)[:3]
    new = [factories.make_insz(dt.date(1990, 1, 1) + dt.timedelta(days=n)) for n in range(3)]
    declarations = _mix(rng, employer.enterprise_number, known, new, leavers=seed % 2 == 1)
    whole = _answers(submit(caller, declarations, dry_run=True, today=TODAY))
    one_by_one = _answers(submit(caller, declarations, dry_run=True, today=TODAY, chunk_size=1))
    applied = _answers(submit(caller, declarations, today=TODAY, chunk_size=3))
    assert one_by_one == whole
    assert applied == whole


def _near_ten(employer) -> list:
    """Thirteen workers employed since 2024: 9.75 full-time equivalents in 2025, just
    under 10 (the average over the year's four reference dates, the first of which,
    2023-12-31, is before they started)."""
    from fla.rights.services import compute_rights

    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(13)]
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert EmployerYear.objects.get(employer=employer, year=2025).average_fte == Decimal("9.75")
    return workers


def _training(number: str, insz: str, reference: str) -> Declaration:
    return Declaration("training", number, {
        "reference": reference, "insz": insz, "title": "Heftruck", "kind": "formal",
        "start_date": "2025-05-12", "end_date": "2025-05-12", "duration_minutes": 120,
        "status": "completed"})  # fmt: skip


def _worker(number: str, insz: str, regime: str) -> Declaration:
    return Declaration("worker", number, {
        "insz": insz, "first_name": "An", "last_name": "Maes",
        "employment": {"start_date": "2024-01-01", "regime": regime, "joint_committee": "200"}})  # fmt: skip


def test_a_training_before_a_hire_that_crosses_a_size_class_is_judged_before_it(employer, caller):
    known = _near_ten(employer)
    number = employer.enterprise_number
    hired = factories.make_insz(dt.date(1990, 5, 1))
    declarations = [
        _training(number, known[0].insz, "A"),  # at fewer than 10: no legal right
        _worker(number, hired, "1"),  # 10.5
        _training(number, known[1].insz, "B"),  # at 10 to 19: one day
    ]
    one_by_one = _answers(submit(caller, declarations, dry_run=True, today=TODAY, chunk_size=1))
    assert [codes for _, _, codes in one_by_one] == [["W003"], [], []]
    assert _answers(submit(caller, declarations, today=TODAY)) == one_by_one


def test_a_training_between_hires_that_cross_a_size_class_and_back_is_judged_between(
    employer, caller
):
    """The class at the chunk's end is the one it started with, but not the one the
    training saw: a change of employment, not only a hire, sends the chunk back."""
    known = _near_ten(employer)
    number = employer.enterprise_number
    hired = factories.make_insz(dt.date(1990, 5, 1))
    declarations = [
        _worker(number, hired, "1"),  # 10.5
        _training(number, known[0].insz, "A"),  # at 10 to 19: one day
        _worker(number, known[1].insz, "0.5"),  # 10.125
        _worker(number, known[2].insz, "0.5"),  # 9.75
    ]
    one_by_one = _answers(submit(caller, declarations, dry_run=True, today=TODAY, chunk_size=1))
    assert [codes for _, _, codes in one_by_one] == [[], [], [], []]
    assert _answers(submit(caller, declarations, today=TODAY)) == one_by_one
