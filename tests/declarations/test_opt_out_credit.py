"""An employer's opt-out of a year changes the effective rights of that year of all its
workers: the write path rebuilds all their credit, so what is stored is what a rebuild
from scratch gives, however the declarations are cut into chunks."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.services import compute_rights
from tests import factories
from tests.declarations.conftest import TODAY, rebuilt_credit, stored_credit, training


class _Back(Exception):
    pass


def _year(employer, year: int, **zones) -> Declaration:
    return Declaration("employer_year", employer.enterprise_number, {"year": year, **zones})


def _lines(employer):
    return stored_credit(employer)[0]


def _accounts(employer):
    return stored_credit(employer)[1]


def test_an_opt_out_takes_the_computed_rights_of_every_worker_out_of_the_credit(employer, caller):
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(3)]
    factories.grant_right(employer, workers[2], source="declared", minutes=600)
    [outcome] = submit(caller, [_year(employer, 2025, size_class="20plus")], today=TODAY)
    assert outcome.accepted
    granted = {w: g for w, g, *_ in _accounts(employer)}
    assert granted == {workers[0].pk: 2280, workers[1].pk: 2280, workers[2].pk: 600}

    [outcome] = submit(caller, [_year(employer, 2025, size_class="20plus", opt_out=True)],
                       today=TODAY)  # fmt: skip
    assert outcome.accepted and outcome.changed
    # Only the declared right counts: no line for the others' computed rights.
    assert _lines(employer) == [(workers[2].pk, 2025, "legal", 600, 0)]
    granted = {w: g for w, g, *_ in _accounts(employer)}
    assert granted == {workers[0].pk: 0, workers[1].pk: 0, workers[2].pk: 600}
    assert (_lines(employer), _accounts(employer)) == rebuilt_credit(employer)

    # Opting in again gives the computed rights back.
    [outcome] = submit(caller, [_year(employer, 2025, size_class="20plus")], today=TODAY)
    assert outcome.accepted and outcome.changed
    granted = {w: g for w, g, *_ in _accounts(employer)}
    assert granted == {workers[0].pk: 2280, workers[1].pk: 2280, workers[2].pk: 600}
    assert (_lines(employer), _accounts(employer)) == rebuilt_credit(employer)


def test_an_opt_out_and_a_training_store_the_same_one_at_a_time_or_together(employer, caller):
    """A small employer: computed legal rights of nothing, a line of (0, 0) each year.
    Once the employer opts out of 2024, no worker has a line for it any more: not the
    one trained after the opt-out (one at a time, his stored lines are continued with
    the training), nor the others."""
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(2)]
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert (workers[0].pk, 2024, "legal", 0, 0) in _lines(employer)
    declarations = [
        _year(employer, 2024, opt_out=True),
        training(employer, workers[0], "T-1", start_date="2025-01-10", end_date="2025-01-10",
                 duration_minutes=120),
    ]  # fmt: skip

    stored = {}
    for name, chunk_size in (("one", 1), ("together", 2)):
        try:
            with transaction.atomic():
                outcomes = submit(caller, declarations, today=TODAY, chunk_size=chunk_size)
                assert [o.status for o in outcomes] == ["accepted", "accepted_with_warnings"]
                stored[name] = _lines(employer), _accounts(employer)
                assert stored[name] == rebuilt_credit(employer)
                raise _Back
        except _Back:
            pass
    assert stored["one"] == stored["together"]
    assert stored["one"][0] == [
        (workers[0].pk, 2025, "legal", 0, 120),
        (workers[1].pk, 2025, "legal", 0, 0),
    ]
