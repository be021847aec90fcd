import datetime as dt
import gc
import io

import pytest
from django.core.files.storage import default_storage
from lxml import etree

from fla.audit.models import HistoryEntry
from fla.batch import services
from fla.batch.models import BatchFile, BatchPartition, BatchResult
from fla.batch.parsing import read_declarations
from fla.batch.planning import Plan
from fla.batch.schemas import notification_schema
from fla.declarations import services as declaration_services
from fla.trainings.models import Training
from fla.workers.models import Worker
from tests.factories import make_insz


def submit_and_process(world, data, production=True, caller=None):
    receipt = services.receive(caller or world.caller, io.BytesIO(data), production=production)
    assert receipt.accepted, receipt.errors
    assert services.process(receipt.file_id) == "done"
    return BatchFile.objects.get(pk=receipt.file_id)


def notification(batch):
    with default_storage.open(batch.notification_name, "rb") as f:
        return etree.parse(f)


NS = {"n": "urn:be:fla:notification:v1"}


def test_every_kind_goes_through_the_write_path(world):
    insz = make_insz(dt.date(1990, 2, 3))
    declarations = [
        (
            "worker",
            {
                "insz": insz,
                "first_name": "An",
                "last_name": "Smet",
                "employment": {
                    "start_date": "2024-01-01",
                    "regime": "0.5",
                    "joint_committee": "200",
                },
            },
        ),
        ("rights", {"insz": world.workers[1].insz, "year": 2025, "employer_minutes": 600}),
        ("employer_year", {"year": 2025, "size_class": "20plus"}),
        world.training("T1", status="planned"),
        world.training("T2", kind="weird"),
        world.training("T3", insz="85073003329"),
    ]
    batch = submit_and_process(world, world.file(declarations=declarations, language="en"))
    assert (batch.status, batch.processed, batch.total, batch.progress) == ("done", 6, 6, 100)
    assert batch.rejected == 2 and batch.accepted + batch.accepted_with_warnings == 4
    assert Worker.objects.filter(insz=insz).exists()
    assert set(Training.objects.values_list("reference", flat=True)) == {"T1"}
    results = {r.position: r for r in BatchResult.objects.filter(file=batch)}
    assert [c["code"] for c in results[5].findings] == ["E011"]
    assert [c["code"] for c in results[6].findings] == ["E001"]
    tree = notification(batch)
    notification_schema().assertValid(tree)
    rows = tree.findall("n:result", NS)
    assert [r.findtext("n:position", namespaces=NS) for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[4].findtext("n:status", namespaces=NS) == "rejected"
    assert rows[4].findtext("n:anomaly/n:code", namespaces=NS) == "E011"
    assert "Unknown training type" in rows[4].findtext("n:anomaly/n:message", namespaces=NS)
    assert tree.findtext("n:summary/n:rejected", namespaces=NS) == "2"
    assert tree.findtext("n:summary/n:total", namespaces=NS) == "6"


def test_employer_without_mandate_is_rejected_per_declaration(world):
    data = services_file_two_employers(world)
    batch = submit_and_process(world, data)
    results = list(BatchResult.objects.filter(file=batch).order_by("position"))
    assert [r.status for r in results] == ["accepted_with_warnings", "rejected"] or [
        r.status for r in results
    ][1] == "rejected"
    assert results[1].findings[0]["code"] == "E003"
    assert Training.objects.filter(employer=world.other).count() == 0


def services_file_two_employers(world):
    from fla.batch.builder import file_bytes

    return file_bytes(
        reference="F2",
        sender=world.mandatary.enterprise_number,
        employers=[
            (world.employer.enterprise_number, [world.training("OK")]),
            (world.other.enterprise_number, [world.training("NO")]),
        ],
    )


def test_a_test_file_is_checked_but_stores_nothing(world):
    data = world.file(
        declarations=[world.training("T1"), world.training("T2", kind="x")], environment="test"
    )
    history = HistoryEntry.objects.count()
    batch = submit_and_process(world, data, production=False)
    assert batch.test and batch.status == "done"
    assert (batch.accepted + batch.accepted_with_warnings, batch.rejected) == (1, 1)
    assert Training.objects.count() == 0 and HistoryEntry.objects.count() == history
    assert notification(batch).findtext("n:header/n:environment", namespaces=NS) == "test"


def test_reference_sent_again_in_a_later_file_is_an_idempotent_replace(world):
    submit_and_process(world, world.file("A", [world.training("T1", title="First")]))
    batch = submit_and_process(world, world.file("B", [world.training("T1", title="Second")]))
    assert batch.rejected == 0
    training = Training.objects.get(reference="T1")
    assert (training.title, training.version) == ("Second", 2)
    again = submit_and_process(world, world.file("C", [world.training("T1", title="Second")]))
    assert again.rejected == 0 and Training.objects.get(reference="T1").version == 2
    assert Training.objects.count() == 1


def test_duplicate_reference_across_chunks_of_one_file(world, settings):
    settings.FLA_BATCH_CHUNK = 2
    declarations = [world.training("T1"), world.training("T2"), world.training("T1", title="X")]
    batch = submit_and_process(world, world.file(declarations=declarations))
    third = BatchResult.objects.get(file=batch, position=3)
    assert third.status == "rejected" and third.findings[0]["code"] == "E022"
    assert Training.objects.get(reference="T1").title == "Safety"


def _received_35_in_chunks_of_10(world, settings):
    settings.FLA_BATCH_CHUNK = 10
    declarations = [world.training(f"T{i}", worker=world.workers[i % 3]) for i in range(35)]
    return services.receive(
        world.caller, io.BytesIO(world.file(declarations=declarations)), production=True
    )


def test_crash_mid_file_resumes_from_the_checkpoint_exactly_once(world, settings, monkeypatch):
    receipt = _received_35_in_chunks_of_10(world, settings)
    real_submit = declaration_services.submit
    calls = {"n": 0}

    def crashing_submit(caller, chunk, **kwargs):
        calls["n"] += 1
        outcomes = real_submit(caller, chunk, **kwargs)  # writes, then the worker dies
        if calls["n"] == 3:
            raise KeyboardInterrupt("worker killed")
        return outcomes

    monkeypatch.setattr(services, "submit", crashing_submit)
    with pytest.raises(KeyboardInterrupt):
        services.process(receipt.file_id, owner="first")
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert batch.processed == 20 and Training.objects.count() == 20
    assert BatchResult.objects.filter(file=batch).count() == 20
    # Its lease still runs: another worker waits for it to expire.
    assert services.process(receipt.file_id, owner="second") == "skipped"
    partition = BatchPartition.objects.get(file=batch)
    assert (partition.checkpoint, partition.lease_owner) == (20, "first")
    BatchPartition.objects.filter(pk=partition.pk).update(
        lease_until=partition.lease_until - dt.timedelta(hours=1)
    )
    monkeypatch.setattr(services, "submit", real_submit)
    assert services.process(receipt.file_id, owner="second") == "done"
    batch.refresh_from_db()
    assert (batch.status, batch.processed) == ("done", 35)
    assert Training.objects.count() == 35
    assert HistoryEntry.objects.filter(entity="training", action="create").count() == 35
    assert list(BatchResult.objects.filter(file=batch).values_list("position", flat=True)) == list(
        range(1, 36)
    )
    assert services.process(receipt.file_id) == "skipped"


def test_a_worker_that_lost_its_lease_writes_nothing(world, settings):
    settings.FLA_BATCH_CHUNK = 5
    declarations = [world.training(f"T{i}") for i in range(12)]
    receipt = services.receive(
        world.caller, io.BytesIO(world.file(declarations=declarations)), production=True
    )
    batch = services._planned(receipt.file_id, "old")
    partition = services._claim(batch.pk, 0, "old")
    BatchPartition.objects.filter(pk=partition.pk).update(lease_owner="new")
    with default_storage.open(batch.storage_name, "rb") as source:
        chunk = list(read_declarations(source))[:5]
    plan = Plan.from_json(batch.plan)
    caller = services.caller_from_json(batch.caller)
    with pytest.raises(services.LeaseLost):
        services._apply_chunk(batch, partition, plan, caller, chunk, "old")
    assert Training.objects.count() == 0 and BatchResult.objects.count() == 0


def test_notification_text_of_each_result(world):
    """The exact XML of each result: zones in order, anomalies in the file's language,
    text escaped, empty reference and INSZ left out, results in position order."""
    batch = submit_and_process(world, world.file(declarations=[world.training("T1")]))
    BatchFile.objects.filter(pk=batch.pk).update(language="en")
    batch.refresh_from_db()
    BatchResult.objects.filter(file=batch).delete()
    finding = {"code": "E008", "zone": "duration_minutes",
               "params": {"duration": "<1&2>", "max": "8:00"}}  # fmt: skip
    for position, reference, insz, status, findings in (
        (3, "", "", "accepted", []),
        (1, "R-1", world.workers[0].insz, "rejected", [finding, {"code": "E007"}]),
        (2, "R.2", "", "accepted", []),
    ):
        BatchResult.objects.create(
            file=batch, position=position, kind="training" if reference else "employer_year",
            enterprise_number="0403170701", reference=reference, insz=insz, status=status,
            findings=findings,
        )  # fmt: skip
    with default_storage.open(services.write_notification(batch), "rb") as f:
        text = f.read().decode()
    results = text[text.index("<result>") : text.index("<summary>")]
    assert results == (
        "<result><position>1</position><kind>training</kind>"
        "<enterprise_number>0403170701</enterprise_number><reference>R-1</reference>"
        f"<insz>{world.workers[0].insz}</insz><status>rejected</status>"
        "<anomaly><code>E008</code><severity>blocking</severity><zone>duration_minutes</zone>"
        "<message>The duration (&lt;1&amp;2&gt;) is longer than the period allows "
        "(at most 8:00).</message></anomaly>"
        "<anomaly><code>E007</code><severity>blocking</severity><zone>duration_minutes</zone>"
        "<message>The duration must be greater than zero.</message></anomaly></result>\n"
        "<result><position>2</position><kind>training</kind>"
        "<enterprise_number>0403170701</enterprise_number><reference>R.2</reference>"
        "<status>accepted</status></result>\n"
        "<result><position>3</position><kind>employer_year</kind>"
        "<enterprise_number>0403170701</enterprise_number><status>accepted</status></result>\n"
    )
    notification_schema().assertValid(etree.fromstring(text.encode()))


def test_results_without_findings_store_an_empty_list(world):
    declarations = [
        ("employer_year", {"year": 2025, "size_class": "20plus"}),
        world.training("T2", kind="weird"),
    ]
    batch = submit_and_process(world, world.file(declarations=declarations))
    stored = dict(BatchResult.objects.filter(file=batch).values_list("position", "findings"))
    assert stored[1] == [] and [f["code"] for f in stored[2]] == ["E011"]
    assert (batch.accepted, batch.rejected) == (1, 1)
    assert not BatchResult.objects.filter(file=batch, findings__isnull=True).exists()


def test_collector_thresholds_raised_while_a_file_is_processed(world, monkeypatch):
    before = gc.get_threshold()
    assert before != services.GC_THRESHOLDS
    seen = []
    real_submit = services.submit

    def recording_submit(*args, **kwargs):
        seen.append(gc.get_threshold())
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(services, "submit", recording_submit)
    submit_and_process(world, world.file(declarations=[world.training("T1")]))
    assert seen == [services.GC_THRESHOLDS] and gc.get_threshold() == before

    def failing_submit(*args, **kwargs):
        seen.append(gc.get_threshold())
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "submit", failing_submit)
    receipt = services.receive(world.caller, io.BytesIO(world.file("F2")), production=True)
    with pytest.raises(RuntimeError):
        services.process(receipt.file_id)
    assert seen[-1] == services.GC_THRESHOLDS and gc.get_threshold() == before
    assert BatchFile.objects.get(pk=receipt.file_id).status == "failed"


def test_a_failed_file_resumed_ends_as_if_it_had_never_failed(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import OperationalError

    receipt = _received_35_in_chunks_of_10(world, settings)
    real_submit = declaration_services.submit
    calls = {"n": 0}

    def failing_submit(caller, chunk, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OperationalError("the database went away")
        return real_submit(caller, chunk, **kwargs)

    monkeypatch.setattr(services, "submit", failing_submit)
    with pytest.raises(OperationalError):
        services.process(receipt.file_id)
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert (batch.status, batch.processed, Training.objects.count()) == ("failed", 20, 20)
    with pytest.raises(CommandError):
        call_command("batch", "resume", str(receipt.file_id + 1))
    monkeypatch.setattr(services, "submit", real_submit)
    from django_tasks_db.models import DBTaskResult

    tasks_before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("batch", "resume", str(receipt.file_id))
    assert DBTaskResult.objects.count() == tasks_before + 1  # a worker will take it
    assert services.process(receipt.file_id) == "done"
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.error) == ("done", 35, "")
    assert Training.objects.count() == 35
    assert list(BatchResult.objects.filter(file=batch).values_list("position", flat=True)) == list(
        range(1, 36)
    )
    assert not services.resume(receipt.file_id)  # done: nothing to resume


def test_a_code_written_otherwise_is_an_anomaly_of_its_declaration_only(world):
    """The schema takes any code of up to 40 characters; which codes exist is the write
    path's to say, per declaration (one bad code never rejects a whole file)."""
    declarations = [
        world.training("C1", kind="Formal"),
        world.training("C2", status="COMPLETED"),
        world.training("C3", kind="formal training course"),
        world.training("C4", right_type="Sector", title="Brandpreventie"),
        world.training("C5", title="Ergonomie"),
    ]
    batch = submit_and_process(world, world.file(declarations=declarations))
    results = {
        r.position: [c["code"] for c in r.findings if c["code"].startswith("E")]
        for r in BatchResult.objects.filter(file=batch)
    }
    assert results == {1: ["E011"], 2: ["E012"], 3: ["E011"], 4: ["E013"], 5: []}
    assert set(Training.objects.values_list("reference", flat=True)) == {"C5"}
    too_long = world.file(reference="F2", declarations=[world.training("C6", kind="x" * 41)])
    receipt = services.receive(world.caller, io.BytesIO(too_long), production=True)
    assert not receipt.accepted and receipt.errors[0].code == "invalid"


def test_a_carriage_return_of_a_value_comes_back_as_sent(world):
    """A value sent as &#13; (a carriage return, which a raw one in XML is not: readers
    take it for a line feed) is quoted back in the notification as the same character."""
    data = world.file(declarations=[world.training("CR-1", kind="KIND")])
    data = data.replace(b"<kind>KIND</kind>", b"<kind>in&#13;house</kind>")
    batch = submit_and_process(world, data)
    messages = notification(batch).xpath("//n:anomaly/n:message/text()", namespaces=NS)
    assert any("in\rhouse" in message for message in messages), messages
