"""A large BATCH file is shared into partitions by worker (fla.batch.planning): the
outcome is that of the file applied in order, whichever worker applies which partition
and in whatever order."""

import datetime as dt
import io
import threading
import time

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult, get_date_max

from fla.batch import parsing, planning, services
from fla.batch.builder import file_bytes
from fla.batch.models import BatchFile, BatchPartition, BatchResult
from fla.batch.parsing import read_declarations
from fla.declarations import services as declaration_services
from fla.rights.models import Account, CreditLine
from fla.trainings.models import Training
from tests.factories import make_worker

INVALID_INSZ = "85073003329"


class Rollback(Exception):
    pass


def receive(world, declarations, reference="F1"):
    data = world.file(reference=reference, declarations=declarations)
    receipt = services.receive(world.caller, io.BytesIO(data), production=True)
    assert receipt.accepted, receipt.errors
    return receipt.file_id


def stored(file_id):
    return default_storage.open(BatchFile.objects.get(pk=file_id).storage_name, "rb")


def snapshot(file_id):
    """Everything a file's processing decides, without ids."""
    results = [
        (r.position, r.status, [f["code"] for f in r.findings])
        for r in BatchResult.objects.filter(file_id=file_id).order_by("position")
    ]
    trainings = sorted(
        Training.objects.values_list(
            "reference", "worker__insz", "title", "version", "start_date", "status", "warnings"
        )
    )
    credit = sorted(
        CreditLine.objects.values_list(
            "worker__insz", "year", "right_type", "granted_minutes", "used_minutes"
        )
    )
    accounts = sorted(
        Account.objects.values_list(
            "worker__insz", "granted_minutes", "remaining_minutes", "trainings_count"
        )
    )
    batch = BatchFile.objects.get(pk=file_id)
    counts = (batch.processed, batch.accepted, batch.accepted_with_warnings, batch.rejected)
    return results, trainings, credit, accounts, counts


@pytest.fixture
def crowd(world, settings):
    """Twelve workers of the mandated employer, an earlier file (the trainings OLD, OLD2
    and OLD3 of the sixth, seventh and eighth, employer rights of the first six), and a
    file of 54 trainings for them with the cases that cross partitions: more trainings
    of a worker than his credit allows, a reference used twice in the file, a cancel
    that names no INSZ, one that names another worker than the training's, a training
    of another worker's reference, an invalid INSZ."""
    settings.FLA_BATCH_CHUNK = 5
    workers = world.workers + [make_worker(world.employer) for _ in range(9)]
    settings.FLA_BATCH_PARTITIONS = 1
    earlier = [world.training(reference, worker=workers[i])
               for reference, i in (("OLD", 5), ("OLD2", 6), ("OLD3", 7))]  # fmt: skip
    for i, worker in enumerate(workers[:6]):
        earlier.append(
            ("rights", {"insz": worker.insz, "year": 2025, "employer_minutes": 600 + 60 * i})
        )
    services.process(receive(world, earlier, "F0"))
    declarations = [world.training(f"E{i}", worker=workers[i]) for i in range(6)]
    for i in range(48):
        start = dt.date(2025, 1, 6) + dt.timedelta(days=7 * (i // 12))
        declarations.append(
            world.training(
                f"T{i}",
                worker=workers[i % 12],
                start_date=start.isoformat(),
                end_date=start.isoformat(),
                duration_minutes=240,
            )
        )
    declarations[20] = world.training("T3", worker=workers[7], title="Again")  # E022
    declarations[30] = ("training", {"reference": "OLD", "action": "cancel"})
    # A cancel goes by its reference whoever it names; a create naming another worker
    # than the reference's holder is E025 in any order.
    declarations[35] = ("training", {"reference": "OLD2", "action": "cancel",
                                     "insz": workers[1].insz})  # fmt: skip
    declarations[45] = world.training("OLD3", worker=workers[2], title="Taken")
    declarations[40] = world.training("BAD", insz=INVALID_INSZ)
    world.workers = workers
    return declarations


def test_partitions_give_the_outcome_of_the_file_applied_in_order(world, crowd, settings):
    file_id = receive(world, crowd)
    snapshots = {}
    for count in (1, 2, 3, 4):
        settings.FLA_BATCH_PARTITIONS = count
        try:
            with transaction.atomic():
                assert services.process(file_id) == "done"
                batch = BatchFile.objects.get(pk=file_id)
                assert batch.plan["count"] == count
                snapshots[count] = snapshot(file_id), batch.plan
                raise Rollback
        except Rollback:
            pass
    (sequential, plan_1), plan_4 = snapshots[1], snapshots[4][1]
    for count in (2, 3, 4):
        assert snapshots[count][0] == sequential, count
    # Credit is exceeded for some workers, and only from a training on (each training is
    # judged on the credit once it and those declared before it are charged).
    warned = {position for position, _, codes in sequential[0] if "W003" in codes}
    assert warned and warned != set(range(min(warned), 55))
    results = {position: codes for position, _, codes in sequential[0]}
    assert results[21] == ["E022"] and results[41] == ["E001"]
    assert plan_1["duplicates"] == plan_4["duplicates"] == [21]
    # The cancels go where the workers holding OLD and OLD2 are.
    owners = [planning.partition_of_insz(world.workers[i].insz, 4) for i in (5, 6)]
    assert plan_4["assigned"] == [[31, owners[0]], [36, owners[1]]]
    assert sequential[0][30] == (31, "accepted", [])  # the cancels are applied
    assert sequential[0][35] == (36, "accepted", [])
    assert results[46] == ["E025"]
    # The file was shared: every declaration in one partition, two or more partitions
    # with declarations (twelve workers hashed into four: one may get none).
    plan = planning.Plan.from_json(plan_4)
    shares = []
    for index in range(4):
        with stored(file_id) as source:
            shares.append(sum(1 for _ in read_declarations(source, plan.selector(index, 0))))
    assert sum(shares) == 54 and sum(1 for share in shares if share) >= 2


def test_partition_of_a_worker_does_not_depend_on_how_the_insz_is_written(world):
    insz = world.workers[0].insz
    written = f"{insz[:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:]}"
    assert planning.partition_of_insz(written, 7) == planning.partition_of_insz(insz, 7)


def test_a_file_that_reaches_across_workers_is_one_partition(world, crowd, settings):
    settings.FLA_BATCH_PARTITIONS = 4
    employer_year = ("employer_year", {"year": 2025, "size_class": "20plus"})
    # OLD is the sixth worker's: E025 in any order, the file is still shared.
    moved = world.training("OLD", worker=world.workers[0])
    employment = {"start_date": "2024-01-01", "regime": "0.5", "joint_committee": "200"}
    hired = ("worker", {"insz": world.workers[0].insz, "first_name": "An",
                        "last_name": "Smet", "employment": employment})  # fmt: skip
    renamed = ("worker", {"insz": world.workers[0].insz, "first_name": "An", "last_name": "Smet"})
    rights = ("rights", {"insz": world.workers[0].insz, "year": 2025, "employer_minutes": 60})
    for n, (replaced, count) in enumerate(
        [(employer_year, 1), (moved, 4), (hired, 1), (rights, 1), (renamed, 4), (crowd[30], 4)]
    ):
        declarations = list(crowd)
        declarations[30] = replaced  # the cancel of OLD
        file_id = receive(world, declarations, reference=f"X{n}")
        notes = BatchFile.objects.get(pk=file_id).plan
        assert notes["across"] == (count == 1), n
        # As the receipt noted it, and as a file received before it noted kinds is read.
        for given in (notes, {"repeated": notes["repeated"]}):
            with stored(file_id) as source:
                assert planning.make_plan(source, 54, given).count == count, n
    # Small files are not shared: no partition under two chunks.
    assert planning.partitions_wanted(19) == 1 and planning.partitions_wanted(20) == 2


def test_duplicates_are_exact_when_digests_collide(world, monkeypatch):
    # Every reference gets the same hash: the plan must tell them apart.
    monkeypatch.setattr(parsing, "_reference_hash", lambda employer, reference: bytes(20))
    declarations = [world.training(r) for r in ("A", "B", "A", "C", "B")]
    file_id = receive(world, declarations)
    batch = BatchFile.objects.get(pk=file_id)
    assert batch.plan == {"repeated": [0], "across": False, "by_reference": 0}
    with stored(file_id) as source:
        assert planning.make_plan(source, 5, batch.plan).duplicates == {3, 5}


def test_repeated_references_are_found_in_fixed_memory():
    seen = parsing.RepeatedReferences()
    for i in range(200_000):
        seen.add("0403170701", f"R{i:08d}")
    # Three hashes in 2**27 bits: no false candidate expected at this size.
    assert seen.candidates == set() and len(seen.bits) == 2**24
    seen.add("0403170701", "R00000007")
    seen.add("0403170702", "R00000008")  # the same reference, another employer
    assert seen.candidates == {parsing.reference_digest("0403170701", "R00000007")}
    assert len(seen.bits) == 2**24


def test_a_file_of_distinct_references_rarely_looks_repeated():
    """A million distinct references: seven bits a reference leave about one false
    candidate in ten thousand such files (this test's chance to fail); three bits left
    2.7 a file, so that every such file was read again to confirm them."""
    seen = parsing.RepeatedReferences()
    for i in range(1_000_000):
        seen.add("0403170701", f"R{i:08d}")
    assert seen.candidates == set()
    seen.add("0403170701", "R00000042")
    assert seen.candidates == {parsing.reference_digest("0403170701", "R00000042")}


def test_the_receipt_notes_the_references_used_twice(world):
    declarations = [world.training(r) for r in ("A", "B", "C", "B")]
    batch = BatchFile.objects.get(pk=receive(world, declarations))
    assert batch.plan == {
        "repeated": [parsing.reference_digest(world.employer.enterprise_number, "B")],
        "across": False,
        "by_reference": 0,
    }
    with stored(batch.pk) as source:
        assert planning.make_plan(source, 4, batch.plan).duplicates == {4}


def test_a_worker_killed_in_one_partition_is_resumed_exactly_once(
    world, crowd, settings, monkeypatch
):
    settings.FLA_BATCH_PARTITIONS = 2
    file_id = receive(world, crowd)
    # The partition of the first worker: it has declarations whatever the hashes.
    crashed = planning.partition_of_insz(world.workers[0].insz, 2)
    real_apply = services._apply_chunk

    def crashing_apply(batch, partition, *args):
        real_apply(batch, partition, *args)  # its first chunk commits, then the worker dies
        raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr(services, "_apply_chunk", crashing_apply)
    assert services._planned(file_id, "first").plan["count"] == 2
    with pytest.raises(KeyboardInterrupt):
        services.process_partition(file_id, crashed, owner="first")
    monkeypatch.setattr(services, "_apply_chunk", real_apply)
    first = BatchPartition.objects.get(file_id=file_id, index=crashed)
    assert first.checkpoint > 0 and not first.done and first.lease_owner == "first"
    # Another worker takes the other partition, and only that one while the lease runs.
    assert services.process(file_id, owner="second") == "partly"
    assert BatchPartition.objects.get(file_id=file_id, index=1 - crashed).done
    assert BatchFile.objects.get(pk=file_id).status == "processing"
    BatchPartition.objects.filter(pk=first.pk).update(
        lease_until=first.lease_until - dt.timedelta(hours=1)
    )
    assert services.process_partition(file_id, crashed, owner="third") == "done"
    batch = BatchFile.objects.get(pk=file_id)
    assert (batch.status, batch.processed, batch.total) == ("done", 54, 54)
    positions = list(BatchResult.objects.filter(file=batch).values_list("position", flat=True))
    assert positions == list(range(1, 55))
    assert Training.objects.filter(reference__startswith="T").count() == 43
    assert services.process(file_id) == "skipped"


def test_a_file_running_when_the_backup_was_taken_is_requeued_and_done_once(
    world, crowd, settings, monkeypatch
):
    """Restored from a backup taken while a worker applied the file: its task is RUNNING
    and its partition leased by that worker. ``fla requeue-running`` puts the task back,
    releases the lease, and the next worker finishes the file from the checkpoints."""
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    from fla.batch import tasks

    def run_workers():
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
        db_worker.Worker(
            queue_names=["*"], interval=0, batch=True, backend_name="default",
            startup_delay=False, max_tasks=None, worker_id="restored-1",
            excluded_queue_names=[],
        ).run()  # fmt: skip

    settings.FLA_BATCH_PARTITIONS = 2
    file_id = receive(world, crowd)
    DBTaskResult.objects.all().delete()
    tasks.process_file.enqueue(file_id)
    task = DBTaskResult.objects.get()
    task.claim("node1-1")
    real_apply = services._apply_chunk

    def crashing_apply(batch, partition, *args):
        real_apply(batch, partition, *args)  # its first chunk commits, then the dump
        raise KeyboardInterrupt("backup taken")

    monkeypatch.setattr(services, "_apply_chunk", crashing_apply)
    with pytest.raises(KeyboardInterrupt):
        services.process(file_id, owner="node1-1")
    monkeypatch.setattr(services, "_apply_chunk", real_apply)
    held = BatchPartition.objects.get(file_id=file_id, lease_owner="node1-1")
    assert held.checkpoint > 0 and not held.done

    run_workers()  # the other partition is done; the held one waits for its lease
    task.refresh_from_db()
    assert task.status == "RUNNING"
    assert BatchFile.objects.get(pk=file_id).status == "processing"

    call_command("requeue_running", stdout=io.StringIO())
    task.refresh_from_db()
    assert task.status == "READY"
    assert not BatchPartition.objects.filter(file_id=file_id).exclude(lease_owner="").exists()
    run_workers()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    batch = BatchFile.objects.get(pk=file_id)
    assert (batch.status, batch.processed, batch.total) == ("done", 54, 54)
    positions = list(BatchResult.objects.filter(file=batch).values_list("position", flat=True))
    assert positions == list(range(1, 55))
    assert Training.objects.filter(reference__startswith="T").count() == 43


def test_a_failed_partition_stops_the_others(world, crowd, settings, monkeypatch):
    settings.FLA_BATCH_PARTITIONS = 2
    file_id = receive(world, crowd)

    def broken_submit(caller, chunk, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "submit", broken_submit)
    with pytest.raises(RuntimeError):
        services.process(file_id)
    batch = BatchFile.objects.get(pk=file_id)
    assert (batch.status, batch.error) == ("failed", "RuntimeError: disk full")
    assert services.process_partition(file_id, 1) == "skipped"
    assert not BatchResult.objects.filter(file=batch).exists()


def test_an_unfinished_file_of_the_previous_version_keeps_its_checkpoint(
    world, crowd, settings, monkeypatch
):
    file_id = receive(world, crowd)
    real_submit = declaration_services.submit

    def crashing_submit(caller, chunk, **kwargs):
        if BatchResult.objects.filter(file_id=file_id).exists():
            raise KeyboardInterrupt("worker killed")
        return real_submit(caller, chunk, **kwargs)

    monkeypatch.setattr(services, "submit", crashing_submit)
    with pytest.raises(KeyboardInterrupt):
        services.process(file_id)
    monkeypatch.setattr(services, "submit", real_submit)
    # As the previous version left it: a checkpoint on the file, no plan, no partition.
    BatchFile.objects.filter(pk=file_id).update(plan={})
    BatchPartition.objects.all().delete()
    assert BatchFile.objects.get(pk=file_id).processed == 5
    settings.FLA_BATCH_PARTITIONS = 4
    services._planned(file_id, "new")
    assert BatchPartition.objects.get(file_id=file_id).checkpoint == 5
    assert services.process(file_id) == "done"
    batch = BatchFile.objects.get(pk=file_id)
    assert batch.plan["count"] == 1 and batch.processed == 54
    # Received before receipts noted repeated references: every one is compared.
    assert batch.plan["duplicates"] == [21]
    positions = list(BatchResult.objects.filter(file=batch).values_list("position", flat=True))
    assert positions == list(range(1, 55))
    assert Training.objects.filter(reference__startswith="T").count() == 43


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_share_the_file(world, crowd, settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite files are one partition: its single writer would serialise them")
    settings.FLA_BATCH_PARTITIONS = 2
    file_id = receive(world, crowd)
    outcomes = []

    def work(owner):
        try:
            outcomes.append(services.process(file_id, owner=owner))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert "done" in outcomes
    batch = BatchFile.objects.get(pk=file_id)
    assert (batch.status, batch.processed) == ("done", 54)
    assert BatchResult.objects.filter(file=batch).count() == 54
    assert Training.objects.filter(reference__startswith="T").count() == 43


def test_a_reference_of_two_employers_is_not_used_twice(world):
    data = file_bytes(
        reference="F2",
        sender=world.mandatary.enterprise_number,
        employers=[
            (world.employer.enterprise_number, [world.training("A"), world.training("B")]),
            (world.other.enterprise_number, [world.training("A"), world.training("A")]),
        ],
    )
    receipt_ = services.receive(world.caller, io.BytesIO(data), production=True)
    batch = BatchFile.objects.get(pk=receipt_.file_id)
    assert batch.plan["repeated"] == [parsing.reference_digest(world.other.enterprise_number, "A")]


def test_the_plan_lets_other_workers_take_the_other_partitions(world, crowd, settings):
    settings.FLA_BATCH_PARTITIONS = 3
    file_id = receive(world, crowd)
    assert services._planned(file_id, "planner").plan["count"] == 3
    due_now = DBTaskResult.objects.filter(
        task_path="fla.batch.tasks.process_partition", run_after=get_date_max()
    )
    assert sorted(tuple(t.args_kwargs["args"]) for t in due_now) == [(file_id, 1), (file_id, 2)]
    assert list(BatchPartition.objects.filter(file_id=file_id).values_list("index", flat=True)) == [
        0,
        1,
        2,
    ]


def test_comments_between_the_zones_do_not_hide_a_repeated_reference(world):
    data = world.file(declarations=[world.training("A"), world.training("B"), world.training("A")])
    data = data.replace(b"</enterprise_number>", b"</enterprise_number><!-- c --><?pi x?>")
    assert b"<!-- c -->" in data
    receipt_ = services.receive(world.caller, io.BytesIO(data), production=True)
    batch = BatchFile.objects.get(pk=receipt_.file_id)
    assert batch.plan == {
        "repeated": [parsing.reference_digest(world.employer.enterprise_number, "A")],
        "across": False,
        "by_reference": 0,
    }
    assert services.process(batch.pk) == "done"
    third = BatchResult.objects.get(file=batch, position=3)
    assert [f["code"] for f in third.findings] == ["E022"]


def test_a_plan_outliving_its_lease_is_kept(world, crowd, settings, monkeypatch):
    settings.FLA_BATCH_PARTITIONS = 2
    file_id = receive(world, crowd)
    real_plan = planning.make_plan

    def slow_plan(*args, **kwargs):
        # Meanwhile the lease ran out and another worker took the planning over.
        BatchFile.objects.filter(pk=file_id).update(lease_owner="other")
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(planning, "make_plan", slow_plan)
    batch = services._planned(file_id, "slow")
    assert batch.plan["count"] == 2 and batch.lease_owner == ""
    assert BatchPartition.objects.filter(file_id=file_id).count() == 2
    # The other worker finds the plan made and does not make another.
    monkeypatch.setattr(planning, "make_plan", None)
    assert services._planned(file_id, "other").plan == batch.plan


def test_a_notification_that_cannot_be_written_fails_the_file(world, monkeypatch):
    def broken(batch):
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_notification", broken)
    file_id = receive(world, [world.training("A")])
    with pytest.raises(OSError):
        services.process(file_id)
    batch = BatchFile.objects.get(pk=file_id)
    assert (batch.status, batch.error) == ("failed", "OSError: disk full")
    # The first error is kept.
    services._fail(file_id, RuntimeError("later"))
    assert BatchFile.objects.get(pk=file_id).error == "OSError: disk full"


def test_a_file_of_more_cancels_than_the_plan_keeps_is_one_partition(
    world, crowd, settings, monkeypatch
):
    settings.FLA_BATCH_PARTITIONS = 2
    file_id = receive(world, crowd)
    with stored(file_id) as source:
        assert planning.make_plan(
            source, 54, {"repeated": []}
        ).assigned  # the cancel of OLD is placed
    monkeypatch.setattr(planning, "MAX_ASSIGNED", 0)
    with stored(file_id) as source:
        plan = planning.make_plan(source, 54, {"repeated": []})
    assert (plan.count, plan.assigned) == (1, {})
    # A cancel that names the holder goes by his INSZ: nothing to place.
    declarations = [d for d in crowd if d[1].get("action") != "cancel"]
    declarations.append(("training", {"reference": "OLD", "action": "cancel",
                                      "insz": world.workers[5].insz}))  # fmt: skip
    file_id = receive(world, declarations, reference="F-OWN")
    notes = BatchFile.objects.get(pk=file_id).plan
    with stored(file_id) as source:
        plan = planning.make_plan(source, len(declarations), notes)
    assert (plan.count, plan.assigned) == (2, {})


def test_the_planning_lease_is_renewed_while_the_file_is_read(world, crowd, settings, monkeypatch):
    settings.FLA_BATCH_PARTITIONS = 2
    settings.FLA_BATCH_LEASE_SECONDS = 1
    monkeypatch.setattr(planning, "ALIVE_EVERY", 10)
    file_id = receive(world, crowd)
    leases = []
    keys = planning.read_keys

    def reading(source):
        for k in keys(source):
            if k.position % 10 == 1:
                leases.append(BatchFile.objects.get(pk=file_id).lease_until)
                time.sleep(0.05)
            yield k

    monkeypatch.setattr(planning, "read_keys", reading)
    services._planned(file_id, "planner")
    assert len(leases) == 6 and leases == sorted(leases) and leases[-1] > leases[1]


def test_the_pages_and_the_api_do_not_read_the_plan(world, crowd, settings):
    settings.FLA_BATCH_PARTITIONS = 2
    file_id = receive(world, crowd)
    services._planned(file_id, "planner")
    listed = services.files_for(world.caller).get(pk=file_id)
    assert "plan" in listed.get_deferred_fields()


def test_the_receipt_notes_what_the_plan_needs(world):
    other = world.workers[1].insz
    cases = [
        ([world.training("A"), world.training("B")], False, 0),
        ([world.training("A"), ("training", {"reference": "B", "action": " cancel "})], False, 1),
        (
            [
                world.training("A"),
                ("training", {"reference": "B", "action": "cancel", "insz": other}),
            ],
            False,
            1,
        ),  # fmt: skip
        ([("training", {"reference": "B", "title": "no INSZ"})], False, 1),
        ([("worker", {"insz": other, "first_name": "A", "last_name": "B"})], False, 0),
        ([("rights", {"insz": other, "year": 2025, "legal_minutes": 60})], True, 0),
        ([("employer_year", {"year": 2025, "size_class": "lt10"})], True, 0),
    ]
    for n, (declarations, across, by_reference) in enumerate(cases):
        notes = BatchFile.objects.get(pk=receive(world, declarations, reference=f"N{n}")).plan
        assert (notes["across"], notes["by_reference"]) == (across, by_reference), n
    # A comment before the zones hides nothing.
    data = world.file(reference="N-C", declarations=[("training", {"reference": "C"})])
    data = data.replace(b"<training>", b"<training><!-- c --><?pi x?>")
    receipt_ = services.receive(world.caller, io.BytesIO(data), production=True)
    assert BatchFile.objects.get(pk=receipt_.file_id).plan["by_reference"] == 1


class Unreadable(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the plan read the file")


def test_a_file_of_trainings_naming_their_workers_is_planned_without_reading_it(
    world, crowd, settings
):
    settings.FLA_BATCH_PARTITIONS = 4
    declarations = [d for d in crowd if d[1].get("insz") and d[1].get("action") != "cancel"]
    declarations = [d for d in declarations if d[1]["reference"] != "T3"]  # no E022
    notes = BatchFile.objects.get(pk=receive(world, declarations)).plan
    assert notes == {"repeated": [], "across": False, "by_reference": 0}
    plan = planning.make_plan(Unreadable(), len(declarations), notes)
    assert (plan.count, plan.duplicates, plan.assigned) == (4, frozenset(), {})
