"""A company-wide opt-out of a year takes effect on the accounts at once, in every
channel, also when it leaves the computed rights as they were."""

from __future__ import annotations

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.models import Account
from fla.rights.services import refresh_accounts
from tests.declarations.conftest import TODAY


def _granted(employer, worker) -> int:
    return Account.objects.get(employer=employer, worker=worker).granted_minutes


def _employer_year(employer, **zones) -> Declaration:
    # Declared 20 FTE or more: the computation gives the worker 5 days (38:00) in 2025.
    data = {"year": 2025, "size_class": "20plus", **zones}
    return Declaration("employer_year", employer.enterprise_number, data)


def test_opting_out_and_back_in_changes_what_is_granted(employer, worker, caller):
    submit(caller, [_employer_year(employer)], today=TODAY)
    refresh_accounts(employer.pk, today=TODAY)
    assert _granted(employer, worker) == 2280  # the computed legal right of 2025
    [outcome] = submit(caller, [_employer_year(employer, opt_out=True)], today=TODAY)
    assert outcome.accepted and outcome.changed
    # Computed, but no longer counted: nothing was declared.
    assert _granted(employer, worker) == 0
    [outcome] = submit(caller, [_employer_year(employer, opt_out=False)], today=TODAY)
    assert outcome.accepted and outcome.changed
    assert _granted(employer, worker) == 2280
