"""A submission answers and stores the same however it is cut into chunks: random mixes
for two employers (some workers at both), two years, leavers, regimes, a joint
committee with sector rules, declared size classes, opt-outs, employers without a
computed year yet, cancels (some naming another worker), replaces, the same worker
declared twice. Each mix is applied one declaration at a time, whole, in chunks of
three, and as a dry run (whole and one at a time), each from the same starting state;
the answers and what is stored (rights, credit lines, accounts, employer years,
trainings with their warnings, employments, opt-outs, workers, history) are compared."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction

from fla.accounts.access import Caller
from fla.audit.models import HistoryEntry
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.employers.models import EmployerYear
from fla.rights.models import Account, CreditLine, SectorRule, TrainingRight, WorkerOptOut
from fla.rights.services import compute_rights
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker
from tests import factories
from tests.declarations.conftest import TODAY


class _Back(Exception):
    pass


def _answers(outcomes):
    return [
        (o.declaration.position, o.declaration.kind, o.status, sorted(f.code for f in o.findings))
        for o in outcomes
    ]


def snapshot(employers) -> dict:
    ids = [e.pk for e in employers]
    num = {e.pk: e.enterprise_number for e in employers}
    insz = dict(Worker.objects.values_list("pk", "insz"))
    return {
        "rights": sorted(
            (num[r.employer_id], insz[r.worker_id], r.year, r.right_type, r.source, r.minutes)
            for r in TrainingRight.objects.filter(employer_id__in=ids)
        ),
        "credit": sorted(
            (
                num[c.employer_id],
                insz[c.worker_id],
                c.year,
                c.right_type,
                c.granted_minutes,
                c.used_minutes,
            )
            for c in CreditLine.objects.filter(employer_id__in=ids)
        ),
        "accounts": sorted(
            (
                num[a.employer_id],
                insz[a.worker_id],
                a.granted_minutes,
                a.used_legal_minutes,
                a.used_sector_minutes,
                a.used_employer_minutes,
                a.remaining_minutes,
                a.current_year_rights_declared,
                a.trainings_count,
                a.last_training_end,
            )
            for a in Account.objects.filter(employer_id__in=ids)
        ),
        "years": sorted(
            (
                num[y.employer_id],
                y.year,
                y.declared_size_class,
                y.computed_size_class,
                y.average_fte,
                y.opt_out,
            )
            for y in EmployerYear.objects.filter(employer_id__in=ids)
        ),
        "trainings": sorted(
            (
                num[t.employer_id],
                t.reference,
                insz[t.worker_id],
                t.status,
                t.version,
                tuple(t.warnings or ()),
                t.duration_minutes,
            )
            for t in Training.objects.filter(employer_id__in=ids)
        ),
        "employments": sorted(
            (num[e.employer_id], insz[e.worker_id], e.start_date, e.end_date, e.regime)
            for e in Employment.objects.filter(employer_id__in=ids)
        ),
        "optouts": sorted(
            (num[o.employer_id], insz[o.worker_id], o.year)
            for o in WorkerOptOut.objects.filter(employer_id__in=ids)
        ),
        "workers": sorted(Worker.objects.values_list("insz", "first_name", "last_name")),
        "history": sorted(
            Counter(
                (num[h.employer_id], h.entity, h.action)
                for h in HistoryEntry.objects.filter(employer_id__in=ids).exclude(
                    entity="rights-computation"
                )
            ).items()
        ),
    }


def run(caller, declarations, employers, **kwargs):
    """Answers and the stored state after, rolled back."""
    result = {}
    try:
        with transaction.atomic():
            result["answers"] = _answers(submit(caller, declarations, today=TODAY, **kwargs))
            result["state"] = snapshot(employers)
            raise _Back
    except _Back:
        pass
    return result


def _mix(rng, employers, people, n, employer_years):
    declarations = []
    for _ in range(n):
        employer = rng.choice(employers) if rng.random() < 0.3 else employers[0]
        number = employer.enterprise_number
        insz = rng.choice(people)
        kind = rng.choices(
            ["worker", "rights", "training", "employer_year"], [4, 2, 8, employer_years]
        )[0]
        action = "create"
        if kind == "worker":
            start = rng.choice(["2024-01-01", "2025-03-01", "2023-06-01", "2024-06-01"])
            zones = {
                "insz": insz,
                "first_name": "An",
                "last_name": rng.choice(["Maes", "Peeters"]),
                "employment": {
                    "start_date": start,
                    "regime": rng.choice(["1", "0.5", "1", "0.25"]),
                    "joint_committee": rng.choice(["200", "200", "124"]),
                },
            }
            if rng.random() < 0.35:
                zones["employment"]["end_date"] = rng.choice(
                    ["2024-05-31", "2025-06-30", "2024-12-31", "2025-10-31"]
                )
        elif kind == "rights":
            zones = {
                "insz": insz,
                "year": rng.choice([2024, 2025, 2025]),
                rng.choice(["legal_minutes", "sector_minutes", "employer_minutes"]): rng.choice(
                    [0, 60, 456, 960, 2280]
                ),
            }
            if rng.random() < 0.2:
                zones["opt_out"] = True
        elif kind == "employer_year":
            zones = {
                "year": rng.choice([2024, 2025]),
                "size_class": rng.choice(["lt10", "10to19", "20plus", ""]),
            }
            if rng.random() < 0.3:
                zones["opt_out"] = True
        else:
            year = rng.choice([2024, 2025, 2025])
            month = rng.randint(1, 10)
            zones = {
                "reference": f"R{rng.randint(1, 12)}",
                "insz": insz,
                "title": rng.choice(["Heftruck", "EHBO"]),
                "kind": "formal",
                "start_date": f"{year}-{month:02d}-10",
                "end_date": f"{year}-{month:02d}-11",
                "duration_minutes": rng.choice([120, 456, 900, 1500]),
                "status": rng.choice(["completed", "completed", "planned"]),
            }
            action = rng.choices(["create", "replace", "cancel"], [6, 2, 1])[0]
            if action == "cancel":
                zones = {"reference": zones["reference"]}
                if rng.random() < 0.3:
                    zones["insz"] = insz  # a cancel that names someone (maybe not the holder)
        declarations.append(Declaration(kind, number, zones, action=action))
    return [
        Declaration(d.kind, d.employer, d.data, action=d.action, position=i)
        for i, d in enumerate(declarations, 1)
    ]


def _setup(rng, caller_user):
    e1 = factories.make_employer("E1")
    e2 = factories.make_employer("E2")
    for e in (e1, e2):
        factories.grant(caller_user, e, "declare")
    if rng.random() < 0.5:
        for size, days in (("lt10", "2"), ("10to19", "3"), ("20plus", "4")):
            for year in (2024, 2025):
                SectorRule.objects.get_or_create(
                    joint_committee="124",
                    size_class=size,
                    year=year,
                    defaults={"days": Decimal(days)},
                )
    count = rng.choice([12, 13, 13, 14, 19, 20, 3])
    known = [
        factories.make_worker(
            e1, start=dt.date(2024, 1, 1), regime=Decimal(rng.choice(["1", "1", "1", "0.5"]))
        )
        for _ in range(count)
    ]
    both = known[:2]
    for w in both:
        Employment.objects.create(
            worker=w,
            employer=e2,
            start_date=dt.date(2024, 1, 1),
            regime=Decimal("0.5"),
            joint_committee="200",
        )
    for _ in range(3):
        factories.make_worker(e2, start=dt.date(2024, 1, 1))
    mode = rng.random()
    if mode < 0.6:
        years = (2024, 2025)
    elif mode < 0.8:
        years = (2024,)  # no EmployerYear row for 2025: the first hire of the year sets it
    else:
        years = ()
    for year in years:
        compute_rights(year, [e1.pk, e2.pk], today=TODAY)
    if rng.random() < 0.2:
        EmployerYear.objects.update_or_create(
            employer=e1, year=2025, defaults={"declared_size_class": "10to19"}
        )
    return e1, e2, known


def _first(caller, e1, known):
    first = [
        Declaration(
            "training",
            e1.enterprise_number,
            {
                "reference": f"R{n}",
                "insz": known[n - 1].insz,
                "title": "Basis",
                "kind": "formal",
                "start_date": "2025-02-03",
                "end_date": "2025-02-04",
                "duration_minutes": 1500,
                "status": "completed",
            },
        )
        for n in (1, 2)
    ]
    assert all(o.accepted for o in submit(caller, first, today=TODAY))


def _compare(seed: int, employer_years: int) -> list[str]:
    rng = random.Random(seed)
    user = factories.make_user()
    e1, e2, known = _setup(rng, user)
    caller = Caller.for_user(user)
    _first(caller, e1, known)
    new = [factories.make_insz(dt.date(1990, 1, 1) + dt.timedelta(days=n)) for n in range(4)]
    people = [w.insz for w in known[:5]] + new
    declarations = _mix(rng, [e1, e2], people, rng.randint(8, 30), employer_years)
    employers = [e1, e2]
    one = run(caller, declarations, employers, chunk_size=1)
    whole = run(caller, declarations, employers)
    three = run(caller, declarations, employers, chunk_size=3)
    dry = _answers(submit(caller, declarations, dry_run=True, today=TODAY))
    dry_one = _answers(submit(caller, declarations, dry_run=True, today=TODAY, chunk_size=1))
    problems = []
    for name, other in (
        ("dry_one", dry_one),
        ("whole", whole["answers"]),
        ("three", three["answers"]),
        ("dry", dry),
    ):
        if other != one["answers"]:
            diff = [(a, b) for a, b in zip(one["answers"], other, strict=True) if a != b]
            problems.append(f"answers {name}: {diff[:3]}")
    for key in one["state"]:
        for name, other in (("whole", whole), ("three", three)):
            a, b = set(one["state"][key]), set(other["state"][key])
            if a != b:
                problems.append(
                    f"state {name} {key}: one-only {sorted(a - b)[:3]} "
                    f"{name}-only {sorted(b - a)[:3]}"
                )
    return problems


@pytest.mark.parametrize("seed", range(30))
def test_answers_and_stored_state_do_not_depend_on_the_chunks(db, seed):
    problems = _compare(seed, employer_years=0)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("seed", range(30))
def test_the_same_with_employer_years(db, seed):
    problems = _compare(seed, employer_years=1)
    assert not problems, "\n".join(problems)
