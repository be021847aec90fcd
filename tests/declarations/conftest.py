import datetime as dt

import pytest

from fla.accounts.access import Caller
from tests import factories

TODAY = dt.date(2025, 11, 15)


@pytest.fixture
def employer(db):
    return factories.make_employer("Bakkerij Peeters")


@pytest.fixture
def bare_worker(employer):
    """Employed since 2024, without any right."""
    return factories.make_worker(employer, start=dt.date(2024, 1, 1))


@pytest.fixture
def worker(employer):
    """Employed since 2024 with a legal right of 5 days (38:00) in 2025."""
    return factories.make_worker_with_right(employer)


@pytest.fixture
def user(employer):
    user = factories.make_user()
    factories.grant(user, employer, "declare")
    return user


@pytest.fixture
def caller(user):
    return Caller.for_user(user)


def training(employer, worker, reference="T-1", action="create", **zones):
    from fla.declarations.types import Declaration

    data = factories.training_zones(worker.insz, reference, **zones)
    return Declaration("training", employer.enterprise_number, data, action=action)


def stored_credit(employer):
    """The employer's credit lines (worker, year, type, granted, used) and accounts
    (worker, granted, used legal, remaining), sorted."""
    from fla.rights.models import Account, CreditLine

    lines = sorted(
        CreditLine.objects.filter(employer=employer).values_list(
            "worker_id", "year", "right_type", "granted_minutes", "used_minutes"
        )
    )
    accounts = sorted(
        Account.objects.filter(employer=employer).values_list(
            "worker_id", "granted_minutes", "used_legal_minutes", "remaining_minutes"
        )
    )
    return lines, accounts


class _Back(Exception):
    pass


def rebuilt_credit(employer):
    """``stored_credit`` as a rebuild from scratch leaves it (rolled back)."""
    from django.db import transaction

    from fla.rights.services import refresh_accounts

    try:
        with transaction.atomic():
            refresh_accounts(employer.pk, today=TODAY)
            rebuilt = stored_credit(employer)
            raise _Back
    except _Back:
        pass
    return rebuilt
