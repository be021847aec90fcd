"""Fixtures of the online application's tests: an employer with workers and trainings."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.services import refresh_accounts
from tests.factories import (
    grant,
    join,
    make_employer,
    make_mandatary,
    make_user,
    make_worker,
    mandate,
)


def declare_training(caller, employer, worker, reference, **zones):
    today = timezone.localdate()
    data = {
        "insz": worker.insz,
        "reference": reference,
        "title": "Excel voor gevorderden",
        "kind": "formal",
        "start_date": (today - dt.timedelta(days=20)).isoformat(),
        "end_date": (today - dt.timedelta(days=19)).isoformat(),
        "duration_minutes": 450,
        "status": "completed",
        "counts_toward_account": True,
    }
    data.update(zones)
    [outcome] = submit(caller, [Declaration("training", employer.enterprise_number, data)])
    assert outcome.accepted, outcome.anomalies("en")
    return outcome


_SHOWN = re.compile(r'name="warnings_shown" value="([^"]*)"')


def post_confirmed(client, url, data, **extra):
    """Post a declaration form as a user does: send it, and when it shows warnings, tick
    the box and send it again with the warnings it showed."""
    data = {k: v for k, v in data.items() if k not in {"confirm", "warnings_shown"}}
    response = client.post(url, data, **extra)
    found = _SHOWN.search(response.content.decode()) if response.status_code == 200 else None
    if found is None:
        return response
    shown = html.unescape(found[1])
    return client.post(url, dict(data, confirm="on", warnings_shown=shown), **extra)


def build_employer(size: int, name: str = "Acme", trainings: int = 2):
    """An employer with ``size`` workers, a few trainings and computed accounts."""
    employer = make_employer(name)
    workers = [
        make_worker(employer, first_name=f"Anna{i}", last_name=f"Janssens{i:03d}")
        for i in range(size)
    ]
    caller = Caller.for_system("tests")
    for i, worker in enumerate(workers[:trainings]):
        declare_training(caller, employer, worker, f"T-{i}")
    refresh_accounts(employer.pk)
    return employer, workers


@pytest.fixture
def world(db):
    employer, workers = build_employer(5)
    user = make_user("hr", first_name="Hilde", last_name="Ranst")
    grant(user, employer, "declare")
    return {"employer": employer, "workers": workers, "user": user}


@pytest.fixture
def app(client, world):
    """A client logged in as an HR user of one employer."""
    client.force_login(world["user"])
    return client


@pytest.fixture
def secretariat(world):
    """A social secretariat with a mandate of the world's employer."""
    found = make_mandatary("Sociaal Secretariaat Zuid")
    mandate(found, world["employer"])
    return found


@pytest.fixture
def boss(client, secretariat):
    """A member of the secretariat with the role manage, who works on no employer."""
    user = make_user("ssboss", first_name="Sam", last_name="Secretaris")
    join(user, secretariat, "manage")
    client.force_login(user)
    return client
