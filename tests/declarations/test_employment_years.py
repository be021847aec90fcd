"""A change of employment computes again the rights of every year it bears on: the
years it covered or covers, and the two after, whose size class is worked out from
reference dates in it."""

import datetime as dt

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.employers.models import EmployerYear
from fla.rights.models import TrainingRight
from fla.rights.services import compute_rights
from tests import factories
from tests.declarations.conftest import TODAY


def _employment(employer, insz: str, **employment) -> Declaration:
    return Declaration("worker", employer.enterprise_number, {
        "insz": insz, "first_name": "An", "last_name": "Maes",
        "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200",
                       **employment}})  # fmt: skip


def test_an_employment_ended_earlier_takes_the_rights_of_the_later_years_away(employer, caller):
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(12)]
    worker = workers[0]
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert TrainingRight.objects.filter(worker=worker, year=2025, source="computed").exists()
    [outcome] = submit(
        caller, [_employment(employer, worker.insz, end_date="2024-05-31")], today=TODAY
    )
    assert outcome.accepted and outcome.changed
    assert not TrainingRight.objects.filter(worker=worker, year=2025).exists()
    assert TrainingRight.objects.filter(worker=worker, year=2024, source="computed").exists()


def test_a_past_employment_counts_in_the_size_class_of_the_years_after_it(employer, caller):
    """13 full-time workers since 2024: 9.75 on average over the reference dates of
    2025 (one is 2023-12-31); a fourteenth from January to May 2024 is on two of them."""
    for _ in range(13):
        factories.make_worker(employer, start=dt.date(2024, 1, 1))
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert EmployerYear.objects.get(employer=employer, year=2025).computed_size_class == "lt10"
    insz = factories.make_insz(dt.date(1990, 5, 1))
    [outcome] = submit(caller, [_employment(employer, insz, end_date="2024-05-31")], today=TODAY)
    assert outcome.accepted
    year = EmployerYear.objects.get(employer=employer, year=2025)
    assert (year.average_fte, year.computed_size_class) == (10, "10to19")
    assert (
        TrainingRight.objects.filter(
            employer=employer, year=2025, source="computed", right_type="legal", minutes__gt=0
        ).count()
        == 13
    )
