"""``Caller.employer_ids``: every permission resolved in one pass, and still the right one.

A person's own accesses give what their role grants; a mandatary's members get read and
declare (never manage) on the employers under an active mandate; an API client gets its
own employer or its mandatary's, within the scopes of its token.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fla.accounts.access import DECLARE, MANAGE, READ, Caller
from fla.core.choices import Channel
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    today = timezone.localdate()
    e = {name: factories.make_employer(f"Werkgever {name}") for name in "abcdefg"}
    user = factories.make_user("mixed")
    factories.grant(user, e["a"], "read")
    factories.grant(user, e["b"], "declare")
    factories.grant(user, e["c"], "manage")
    reader_of = factories.make_mandatary("Lezers")
    declarer_of = factories.make_mandatary("Aangevers")
    factories.join(user, reader_of, "read")
    factories.join(user, declarer_of, "manage")  # manage through a mandatary: read + declare
    factories.mandate(reader_of, e["d"])
    factories.mandate(declarer_of, e["e"])
    factories.mandate(declarer_of, e["f"], end=today - dt.timedelta(days=1))  # ended
    factories.mandate(declarer_of, e["g"], start=today + dt.timedelta(days=1))  # not yet
    return {"user": user, "e": {k: v.pk for k, v in e.items()}, "declarer_of": declarer_of}


def test_a_person_gets_each_permission_from_roles_and_active_mandates_in_one_query(world):
    e = world["e"]
    caller = Caller.for_user(world["user"])
    with CaptureQueriesContext(connection) as captured:
        read = caller.employer_ids(READ)
        declare = caller.employer_ids(DECLARE)
        manage = caller.employer_ids(MANAGE)
        assert caller.can(e["b"], DECLARE) and not caller.can(e["a"], DECLARE)
    assert len(captured.captured_queries) == 1
    assert read == {e["a"], e["b"], e["c"], e["d"], e["e"]}
    assert declare == {e["b"], e["c"], e["e"]}
    assert manage == {e["c"]}
    assert caller.employer_ids("no such permission") == frozenset()


def test_a_person_without_any_access_sees_nothing():
    caller = Caller.for_user(factories.make_user("nobody"))
    assert caller.employer_ids(READ) == caller.employer_ids(DECLARE) == frozenset()


def test_an_api_client_of_a_mandatary_reads_and_declares_only_under_active_mandates(world):
    e = world["e"]
    caller = Caller(channel=Channel.API, label="c", mandatary_id=world["declarer_of"].pk)
    with CaptureQueriesContext(connection) as captured:
        assert caller.employer_ids(READ) == {e["e"]}
        assert caller.employer_ids(DECLARE) == {e["e"]}
        assert caller.employer_ids(MANAGE) == frozenset()
    assert len(captured.captured_queries) == 1


def test_an_api_client_of_an_employer_needs_no_query_and_keeps_to_its_scopes(world):
    e = world["e"]
    read_only = Caller(channel=Channel.API, label="c", employer_id=e["a"], scopes=frozenset({READ}))
    with CaptureQueriesContext(connection) as captured:
        assert read_only.employer_ids(READ) == {e["a"]}
        assert read_only.employer_ids(DECLARE) == frozenset()
        assert read_only.employer_ids(MANAGE) == frozenset()
    assert len(captured.captured_queries) == 0


def test_a_scope_the_person_lacks_grants_nothing(world):
    caller = Caller(
        channel=Channel.WEB, label="x", user_id=world["user"].pk, scopes=frozenset({READ})
    )
    assert caller.employer_ids(READ)
    assert caller.employer_ids(DECLARE) == frozenset()
    assert caller.employer_ids(MANAGE) == frozenset()


def test_the_system_acts_on_every_employer(world):
    caller = Caller.for_system()
    every = set(world["e"].values())
    assert every <= caller.employer_ids(READ)
    assert caller.employer_ids(MANAGE) == caller.employer_ids(READ)
