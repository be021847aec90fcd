"""A submission answers the same however it is cut into chunks, and its dry run answers
what it answers: random mixes of hires, size classes, rights and trainings (created,
replaced, cancelled, repeated), each checked three ways on the same starting state."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.models import TrainingRight
from tests import factories
from tests.declarations.conftest import TODAY


def _answers(outcomes) -> list[tuple[str, str, list[str]]]:
    return [(o.declaration.kind, o.status, sorted(f.code for f in o.findings)) for o in outcomes]


def _mix(rng: random.Random, number: str, known: list, new: list[str]) -> list[Declaration]:
    """Up to 24 declarations for the employer: its workers on file (``known``) and
    people it may hire (``new``), trainings from a small pool of references."""
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
        TrainingRight.objects.create(employer=employer, worker=worker, year=2025,
                                     right_type="legal", source="computed", minutes=2280)  # fmt: skip
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
