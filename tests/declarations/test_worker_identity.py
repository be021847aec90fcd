"""A worker is one person for every employer: one employer cannot rename him for the
others, and an employment's regime is checked as it is stored."""

import datetime as dt
from decimal import Decimal

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.workers.models import Employment, Worker
from tests import factories

TODAY = dt.date(2025, 11, 15)


def worker_declaration(employer, insz, first="Jan", last="Peeters", regime="1"):
    return Declaration(
        "worker",
        employer.enterprise_number,
        {
            "insz": insz,
            "first_name": first,
            "last_name": last,
            "employment": {"start_date": "2025-01-01", "regime": regime, "joint_committee": "200"},
        },
    )


def codes(outcome):
    return [f.code for f in outcome.findings]


def test_an_employer_cannot_rename_a_worker_another_employer_has_on_file(employer, caller):
    other = factories.make_employer("Other")
    theirs = factories.make_worker(other, start=dt.date(2020, 1, 1))
    names = (theirs.first_name, theirs.last_name)
    [outcome] = submit(
        caller, [worker_declaration(employer, theirs.insz, "Hacked", "Name")], today=TODAY
    )
    assert outcome.status == "accepted_with_warnings" and codes(outcome) == ["W009"]
    theirs.refresh_from_db()
    assert (theirs.first_name, theirs.last_name) == names
    # the employment the employer declared is kept: the worker is now employed there too
    assert Employment.objects.filter(worker=theirs, employer=employer).exists()


def test_a_worker_of_the_callers_own_employers_only_is_renamed(employer, caller):
    [created] = submit(
        caller, [worker_declaration(employer, factories.make_insz(serial=7))], today=TODAY
    )
    assert created.status == "accepted"
    insz = factories.make_insz(serial=7)
    [renamed] = submit(caller, [worker_declaration(employer, insz, "Jan", "Janssens")], today=TODAY)
    assert renamed.status == "accepted" and codes(renamed) == []
    assert Worker.objects.get(insz=insz).last_name == "Janssens"


def test_a_person_who_may_declare_for_both_employers_renames(employer, user):
    other = factories.make_employer("Other")
    factories.grant(user, other, "declare")
    theirs = factories.make_worker(other, start=dt.date(2020, 1, 1))
    [outcome] = submit(
        Caller.for_user(user),
        [worker_declaration(employer, theirs.insz, "An", "Smet")],
        today=TODAY,
    )
    assert codes(outcome) == []
    theirs.refresh_from_db()
    assert (theirs.first_name, theirs.last_name) == ("An", "Smet")


def test_a_regime_that_rounds_to_zero_is_refused(employer, caller):
    insz = factories.make_insz(serial=8)
    [outcome] = submit(caller, [worker_declaration(employer, insz, regime="0.00004")], today=TODAY)
    assert outcome.status == "rejected" and codes(outcome) == ["E026"]
    [kept] = submit(caller, [worker_declaration(employer, insz, regime="0.00006")], today=TODAY)
    assert kept.status == "accepted"
    assert Employment.objects.get(worker__insz=insz).regime == Decimal("0.0001")


def test_the_renames_of_a_chunk_are_checked_in_one_statement(employer, caller):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other = factories.make_employer("Other")
    theirs = [factories.make_worker(other, start=dt.date(2020, 1, 1)) for _ in range(3)]
    declarations = [
        worker_declaration(employer, w.insz, "New", f"Name {n}") for n, w in enumerate(theirs)
    ]
    with CaptureQueriesContext(connection) as queries:
        outcomes = submit(caller, declarations, today=TODAY)
    assert [codes(o) for o in outcomes] == [["W009"]] * 3
    checks = [q["sql"] for q in queries if "NOT" in q["sql"] and "employment" in q["sql"]]
    assert len(checks) == 1, checks
