"""A hire that moves the size class (here the first of its year: no EmployerYear row
yet), then rights of other workers: the chunk is cut once, before the rights, not
before each of them."""

from __future__ import annotations

import datetime as dt

from fla.declarations import services
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.employers.models import EmployerYear
from fla.rights.services import compute_rights
from tests import factories

TODAY = dt.date(2026, 1, 15)  # January: no EmployerYear row for 2026 yet
N = 200


def _count_chunks(monkeypatch) -> list[int]:
    sizes: list[int] = []
    apply = services._Chunk.apply

    def counting(self):
        sizes.append(len(self.parsed))
        return apply(self)

    monkeypatch.setattr(services._Chunk, "apply", counting)
    return sizes


def test_rights_after_a_hire_that_moves_the_class_are_cut_once(employer, caller, monkeypatch):
    number = employer.enterprise_number
    workers = [
        factories.make_worker(
            employer,
            start=dt.date(2024, 1, 1),
            insz=factories.make_insz(dt.date(1970, 1, 1) + dt.timedelta(days=i), serial=5),
        )
        for i in range(N)
    ]
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert not EmployerYear.objects.filter(employer=employer, year=2026).exists()
    hire = Declaration(
        "worker",
        number,
        {
            "insz": factories.make_insz(dt.date(1990, 5, 1)),
            "first_name": "An",
            "last_name": "Maes",
            "employment": {"start_date": "2026-01-05", "regime": "1", "joint_committee": "200"},
        },
    )
    rights = [
        Declaration("rights", number, {"insz": w.insz, "year": 2026, "employer_minutes": 960})
        for w in workers
    ]
    declarations = [hire, *rights]
    sizes = _count_chunks(monkeypatch)
    outcomes = submit(caller, declarations, today=TODAY)
    assert all(o.accepted for o in outcomes)
    # the chunk, rolled back; then the hire, and the rights together
    assert sizes == [N + 1, 1, N]
