"""An If-Match is checked under the worker's lock: a write in between makes it fail."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.models import TrainingRight
from fla.workers.models import Worker
from tests.api.conftest import API, ApiClient, assert_problem, make_token

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(function) -> threading.Thread:
    def run():
        try:
            function()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("resource", ["rights", "worker"])
def test_if_match_waits_for_a_concurrent_write_of_the_same_worker(world, resource):
    employer, worker = world.own.employer, world.own.worker
    number = employer.enterprise_number
    client = ApiClient(make_token(world.employer_client))
    if resource == "rights":
        url = f"{API}/employers/{number}/workers/{worker.insz}/rights/2025"
        mine = {"legal_minutes": 1200}
        theirs = Declaration("rights", number, {"insz": worker.insz, "year": 2025,
                                                "legal_minutes": 1500})  # fmt: skip
    else:
        url = f"{API}/employers/{number}/workers/{worker.insz}"
        mine = {
            "first_name": "An",
            "last_name": "Mine",
            "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"},
        }
        theirs = Declaration("worker", number, {"insz": worker.insz, "first_name": "An",
                                                "last_name": "Theirs"})  # fmt: skip
    etag = client.get(url)["ETag"]
    locked, release, result = threading.Event(), threading.Event(), {}

    def other_writer():
        with transaction.atomic():
            list(Worker.objects.filter(pk=worker.pk).select_for_update())
            [outcome] = submit(Caller.for_system("other"), [theirs])
            assert outcome.accepted, outcome.anomalies("en")
            locked.set()
            release.wait(10)

    def put():
        result["response"] = client.put(url, mine, headers={"If-Match": etag})

    writer = in_thread(other_writer)
    assert locked.wait(10)
    putter = in_thread(put)
    # Unguarded, the PUT would check its If-Match against the state before the other
    # write (not committed yet) and then apply over it once that write commits.
    putter.join(0.5)
    release.set()
    writer.join(10)
    putter.join(10)
    assert_problem(result["response"], 412)
    worker.refresh_from_db()
    if resource == "rights":
        declared = TrainingRight.objects.get(worker=worker, source="declared", right_type="legal")
        assert declared.minutes == 1500
    else:
        assert worker.last_name == "Theirs"


@pytest.mark.parametrize("if_none_match", [False, True])
def test_a_new_worker_put_by_many_at_once_is_created_once(world, if_none_match):
    """Concurrent PUTs of one worker not on file yet: one creates him (201); the others
    find him created (200), or, asking If-None-Match: *, are refused (412)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    from tests.factories import make_insz

    number = world.own.employer.enterprise_number
    insz = make_insz(serial=77)
    url = f"{API}/employers/{number}/workers/{insz}"
    body = {"first_name": "Nele", "last_name": "Nieuw",
            "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"}}  # fmt: skip
    headers = {"If-None-Match": "*"} if if_none_match else {}
    token = make_token(world.employer_client)
    start, statuses = threading.Barrier(8), []

    def put():
        client = ApiClient(token)
        start.wait(10)
        statuses.append(client.put(url, body, headers=headers).status_code)

    threads = [in_thread(put) for _ in range(8)]
    for thread in threads:
        thread.join(30)
    expected = [201] + [412] * 7 if if_none_match else [200] * 7 + [201]
    assert sorted(statuses) == expected
    assert Worker.objects.filter(insz=insz).count() == 1


def test_a_new_training_put_by_many_at_once_with_if_none_match_is_created_once(world):
    """Create-only PUTs of one new reference at once (grouped, the write path checking
    under the worker's lock that it is absent): one 201, the others 412."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    from fla.trainings.models import Training
    from tests.api.conftest import training_body

    number = world.own.employer.enterprise_number
    url = f"{API}/employers/{number}/trainings/ONCE-1"
    token = make_token(world.employer_client)
    start, statuses = threading.Barrier(8), []

    def put():
        client = ApiClient(token)
        start.wait(10)
        response = client.put(
            url, training_body(world.own.worker.insz), headers={"If-None-Match": "*"}
        )
        statuses.append(response.status_code)

    threads = [in_thread(put) for _ in range(8)]
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201] + [412] * 7
    assert Training.objects.filter(reference="ONCE-1").count() == 1
