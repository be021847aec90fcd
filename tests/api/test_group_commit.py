"""Training PUTs that arrive while another is being written are written together, and
each answers what it would have answered alone (fla.declarations.grouping)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from fla.accounts.access import Caller
from fla.audit.models import HistoryEntry
from fla.declarations import grouping, services
from fla.ops.metrics import GROUP_SIZE
from fla.trainings.models import Training
from tests import factories
from tests.api.conftest import API, ApiClient, make_token, training_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def patient_groups(monkeypatch):
    """The tests hold a write for as long as they need: never "stuck" unless one says
    so. Each starts with no queue and must leave none busy or waiting."""
    monkeypatch.setattr(grouping, "STUCK_SECONDS", 60)
    monkeypatch.setattr(grouping, "_queues", {})
    yield
    for queue in grouping._queues.values():
        assert not queue.busy and not queue.waiting


def queued() -> int:
    return sum(len(queue.waiting) for queue in grouping._queues.values())


def until(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


class Groups:
    """``submit`` as the grouping calls it: records each call's size; the first call
    waits for ``release`` (so that the others queue up behind it); ``fail_groups``
    makes every call of more than one declaration fail as a lost race would."""

    def __init__(self, monkeypatch, fail_groups: bool = False, fail_first: bool = False) -> None:
        self.sizes: list[int] = []
        self.replays: list[bool] = []
        self.inside, self.release = threading.Event(), threading.Event()
        self.fail_groups = fail_groups
        real = services.submit

        def submit(caller, declarations, **kwargs):
            declarations = list(declarations)
            self.sizes.append(len(declarations))
            self.replays.append(kwargs.get("replay", True))
            if len(self.sizes) == 1:
                self.inside.set()
                assert self.release.wait(10)
                if fail_first:
                    raise RuntimeError("the leader's own write broke")
            if self.fail_groups and len(declarations) > 1:
                raise OperationalError("could not serialize access")
            return real(caller, declarations, **kwargs)

        monkeypatch.setattr(services, "submit", submit)


def new_workers(employer, count: int, name: str) -> list:
    return [
        factories.make_worker(employer, first_name="Lea", last_name=f"{name} {n}")
        for n in range(count)
    ]


def employer_client(world) -> ApiClient:
    return ApiClient(make_token(world.employer_client))


def new_trainings(world, groups, count: int, prefix: str) -> list:
    """A new training for each of ``count`` new workers, references ``prefix``-n, sent
    as ``put_in_order`` does; the responses."""
    employer = world.own.employer
    workers = new_workers(employer, count, prefix)
    requests = [(f"{prefix}-{n}", training_body(w.insz)) for n, w in enumerate(workers)]
    return put_in_order(employer_client(world), employer.enterprise_number, requests, groups)


def put_in_order(client: ApiClient, number: str, requests: list[tuple[str, dict]], groups):
    """Send the PUTs from threads, each queued before the next starts; their responses,
    in the order of ``requests``."""
    responses: list = [None] * len(requests)

    def put(index: int, reference: str, body: dict) -> None:
        try:
            # A test client each: Django's keeps per-request state on the client.
            responses[index] = ApiClient(client.token).put(
                f"{API}/employers/{number}/trainings/{reference}", body
            )
        except Exception as error:  # noqa: BLE001 - the test looks at it
            responses[index] = error
        finally:
            connection.close()

    threads = []
    for index, (reference, body) in enumerate(requests):
        thread = threading.Thread(target=put, args=(index, reference, body))
        thread.start()
        threads.append(thread)
        if index == 0:
            assert groups.inside.wait(10)
        else:
            until(lambda n=index: queued() == n, f"request {index} to queue")
    groups.release.set()
    for thread in threads:
        thread.join(20)
        assert not thread.is_alive(), "a request never got its answer"
    return responses


def test_concurrent_puts_are_written_together_each_with_its_own_outcome(world, monkeypatch):
    employer = world.own.employer
    workers = [world.own.worker, *new_workers(employer, 3, "Maes")]
    for worker in workers[1:]:
        factories.grant_right(employer, worker)
    groups = Groups(monkeypatch)
    client = employer_client(world)
    long = {"start_date": "2025-04-01", "end_date": "2025-04-03", "duration_minutes": 1500}
    requests = [
        ("G-0", training_body(workers[0].insz)),
        ("G-1", training_body(workers[1].insz, **long)),
        ("G-2", training_body(workers[2].insz)),
        # Same worker as G-1: waits for the next group, so that its credit is judged
        # after G-1's, as when sent one after the other.
        ("G-3", training_body(workers[1].insz, title="Heftruck", **long)),
        # Same reference as G-2, another worker: also the next group, where G-2 exists.
        ("G-2", training_body(workers[3].insz)),
    ]
    written_before = GROUP_SIZE._sum.get()
    responses = put_in_order(client, employer.enterprise_number, requests, groups)
    assert groups.sizes == [1, 2, 2], groups.sizes
    assert GROUP_SIZE._sum.get() - written_before == 5  # the groups' sizes, as /metrics has them
    assert [r.status_code for r in responses] == [201, 201, 201, 201, 422]
    assert [a["code"] for a in responses[4].json()["anomalies"]] == ["E025"]
    # Credit 2280 minutes: G-1 (1500) leaves 780, G-3 (1500) goes over. Written in one
    # chunk both would have been flagged; grouped, only G-3 is, as alone.
    assert [w["code"] for w in responses[1].json()["warnings"]] == []
    assert [w["code"] for w in responses[3].json()["warnings"]] == ["W003"]
    trainings = Training.objects.filter(employer=employer, reference__startswith="G-")
    assert sorted(t.reference for t in trainings) == ["G-0", "G-1", "G-2", "G-3"]
    assert trainings.get(reference="G-2").worker == workers[2]
    history = HistoryEntry.objects.filter(
        employer=employer,
        entity="training",
        action="create",
        entity_id__in=[str(t.pk) for t in trainings],
    )
    assert history.count() == 4
    assert {h.actor for h in history} == {"Own payroll"}
    for (reference, _), response in zip(requests[:4], responses[:4], strict=True):
        stored = client.get(f"{API}/employers/{employer.enterprise_number}/trainings/{reference}")
        assert response.json()["training"] == stored.json()
        assert response["ETag"] == stored["ETag"]


def test_a_reference_sent_twice_at_once_is_two_writes_in_turn(world, monkeypatch):
    employer, worker = world.own.employer, world.own.worker
    other = factories.make_worker(employer, first_name="Els", last_name="Wouters")
    groups = Groups(monkeypatch)
    client = employer_client(world)
    responses = []
    number = employer.enterprise_number

    def put(body: dict) -> None:
        try:
            responses.append(
                ApiClient(client.token).put(f"{API}/employers/{number}/trainings/R-9", body)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(training_body(worker.insz),))]
    threads[0].start()
    assert groups.inside.wait(10)
    # The same reference again (identical) and for another worker: neither may join
    # a group that already holds R-9, and each is judged after the one before.
    for n, body in enumerate((training_body(worker.insz), training_body(other.insz)), start=1):
        threads.append(threading.Thread(target=put, args=(body,)))
        threads[-1].start()
        until(lambda n=n: queued() == n, "the request to queue")
    groups.release.set()
    for thread in threads:
        thread.join(20)
        assert not thread.is_alive()
    assert groups.sizes == [1, 1, 1]
    assert [r.status_code for r in responses] == [201, 200, 422]
    assert [a["code"] for a in responses[2].json()["anomalies"]] == ["E025"]
    assert Training.objects.filter(employer=employer, reference="R-9").count() == 1


def test_a_failed_group_writes_each_declaration_alone(world, monkeypatch):
    employer = world.own.employer
    groups = Groups(monkeypatch, fail_groups=True)
    responses = new_trainings(world, groups, 4, "F")
    # The group of three failed; each of its requests then wrote its own.
    assert sorted(groups.sizes) == [1, 1, 1, 1, 3]
    # Whole or not at all: no replay one by one inside the group, which could leave
    # some written before the rest failed, and then written again alone.
    replays = zip(groups.sizes, groups.replays, strict=True)
    assert [replay for size, replay in replays if size > 1] == [False]
    assert {r.status_code for r in responses} == {201}
    assert Training.objects.filter(employer=employer, reference__startswith="F-").count() == 4
    assert {t.version for t in Training.objects.filter(reference__startswith="F-")} == {1}


def test_when_the_leader_breaks_the_waiting_requests_are_still_written(world, monkeypatch):
    groups = Groups(monkeypatch, fail_first=True)
    responses = new_trainings(world, groups, 3, "L")
    assert responses[0].status_code == 500  # as it would have alone
    assert [r.status_code for r in responses[1:]] == [201, 201]
    assert groups.sizes == [1, 2]


@pytest.mark.parametrize("backstop", [False, True])
def test_a_rejected_and_a_valid_declaration_of_one_reference(world, monkeypatch, backstop):
    """Keys: a rejected declaration (bad INSZ) and a valid one under the same reference
    never share a group, where the valid one would be a duplicate (E022). Backstop:
    should keys let them in, the one the group made E022 writes alone. Either way each
    gets the answer it gets alone. (A reference with a space around it, " D-1", is
    refused before it is declared: tests/api/test_reference_path.py.)"""
    employer = world.own.employer
    workers = new_workers(employer, 2, "Aerts")
    if backstop:
        unique = iter(range(1000))
        monkeypatch.setattr(grouping._Waiting, "keys", property(lambda self: (next(unique),)))
    groups = Groups(monkeypatch)
    requests = [
        ("D-0", training_body(workers[0].insz)),
        ("D-1", training_body("12345678901")),
        ("D-1", training_body(workers[1].insz)),
    ]
    responses = put_in_order(employer_client(world), employer.enterprise_number, requests, groups)
    assert groups.sizes == ([1, 2, 1] if backstop else [1, 1, 1])
    assert [r.status_code for r in responses] == [201, 422, 201]
    assert [a["code"] for a in responses[1].json()["anomalies"]] == ["E001"]
    assert Training.objects.get(employer=employer, reference="D-1").worker == workers[1]


def test_a_request_arriving_while_a_write_is_stuck_is_written_alone(world, monkeypatch):
    employer = world.own.employer
    workers = new_workers(employer, 3, "Smet")
    groups = Groups(monkeypatch)
    client = employer_client(world)
    number = employer.enterprise_number
    responses = {}

    def put(reference: str, worker) -> None:
        try:
            responses[reference] = client.put(
                f"{API}/employers/{number}/trainings/{reference}", training_body(worker.insz)
            )
        finally:
            connection.close()

    first = threading.Thread(target=put, args=("S-0", workers[0]))
    first.start()
    assert groups.inside.wait(10)
    second = threading.Thread(target=put, args=("S-1", workers[1]))
    second.start()
    until(lambda: queued() == 1, "the second request to queue")  # waits behind the write
    monkeypatch.setattr(grouping, "STUCK_SECONDS", 0.01)
    time.sleep(0.02)
    # The write has now run too long: a new request does not wait behind it.
    third = threading.Thread(target=put, args=("S-2", workers[2]))
    third.start()
    third.join(10)
    stuck_through = not third.is_alive()
    groups.release.set()
    third.join(20)
    assert stuck_through, "the request waited behind the stuck write"
    assert responses["S-2"].status_code == 201
    first.join(20)
    second.join(20)
    assert groups.sizes == [1, 1, 1]  # the first, S-2 alone, then S-1 (it had queued)
    assert {r.status_code for r in responses.values()} == {201}


def test_inside_a_transaction_or_switched_off_a_declaration_is_written_alone(
    world, monkeypatch, settings
):
    calls = []
    monkeypatch.setattr(grouping, "_alone", lambda *args: calls.append(args) or "alone")
    employer = world.own.employer
    caller = Caller(channel="api", label="Own payroll", employer_id=employer.pk)
    with transaction.atomic():
        assert grouping.submit_grouped(caller, None, employer) == "alone"
    # A caller who may not declare for the employer joins no group.
    reader = Caller(
        channel="api", label="Own payroll", employer_id=employer.pk, scopes=frozenset({"read"})
    )
    assert grouping.submit_grouped(reader, None, employer) == "alone"
    settings.FLA_GROUP_COMMIT = False
    assert grouping.submit_grouped(caller, None, employer) == "alone"
    assert len(calls) == 3 and queued() == 0
