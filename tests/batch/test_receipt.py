import io
import os
import re

import pytest
from django.utils import timezone

from fla.accounts.access import Caller
from fla.batch import services
from fla.batch.models import BatchFile, BatchResult
from tests.factories import make_mandatary, make_user


def stored_files(tmp_path):
    media = tmp_path / "media"
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def assert_nothing_stored(tmp_path):
    assert BatchFile.objects.count() == 0
    assert stored_files(tmp_path) == []
    assert os.listdir(tmp_path / "spool") == []


def receive(caller, data, production=True):
    return services.receive(caller, io.BytesIO(data), production=production)


def test_accepted_file_gets_an_id_a_stored_copy_and_a_task(world, batch_storage):
    data = world.file(declarations=[world.training("T1"), world.training("T2")])
    receipt = receive(world.caller, data)
    assert receipt.accepted and receipt.errors == []
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert (batch.reference, batch.sender, batch.total) == (
        "F1",
        world.mandatary.enterprise_number,
        2,
    )
    assert batch.status == "received" and batch.sender_mandatary == world.mandatary
    assert [p.read_bytes() for p in stored_files(batch_storage)] == [data]
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.get()
    assert task.queue_name == "batch" and task.args_kwargs["args"] == [batch.pk]
    assert os.listdir(batch_storage / "spool") == []


def test_not_well_formed_gives_line_and_column(world, batch_storage):
    data = world.file().replace(b"<title>Safety</title>", b"<title>Safety</titel>")
    receipt = receive(world.caller, data)
    assert not receipt.accepted
    (error,) = receipt.errors
    line = data[: data.index(b"</titel>")].count(b"\n") + 1
    assert error.code == "not_well_formed" and error.line == line and error.column > 1
    assert_nothing_stored(batch_storage)


def test_not_well_formed_reason_is_readable_text(world, batch_storage, client):
    """libxml2's words, not Python's bytes: no b'...', no \\xc3\\xa9, no line of its own
    (the receipt gives the line and column)."""
    data = world.file().replace(b"<title>Safety</title>", "<title>Safety</titlé>".encode())
    (error,) = receive(world.caller, data).errors
    assert error.code == "not_well_formed"
    assert error.reason == (
        f"Geen welgevormde XML: Opening and ending tag mismatch: title line {error.line} and titlé"
    )
    client.force_login(world.user)
    upload = io.BytesIO(data)
    upload.name = "bad.xml"
    body = client.post("/batch/upload/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="nl")
    text = body.content.decode()
    assert "and titlé" in text and "b&#x27;" not in text and "\\xc3" not in text


@pytest.mark.parametrize("text", [b"Safety & health", b"Safety &amp health"])
def test_a_bare_ampersand_is_placed_where_it_is(world, batch_storage, text):
    """libxml2 reports it only when the parser is closed: there, not at the file's end
    as a document that ends before its root element is closed."""
    data = world.file().replace(b"<title>Safety</title>", b"<title>" + text + b"</title>")
    (error,) = receive(world.caller, data).errors
    before = data[: data.index(b"&")]
    assert error.code == "not_well_formed"
    assert error.line == before.count(b"\n") + 1
    assert "hoofdelement" not in error.reason
    assert_nothing_stored(batch_storage)


def test_invalid_against_the_xsd_gives_line_column_and_reason(world, batch_storage):
    data = world.file(declarations=[world.training("T1"), world.training("T2")])
    data = data.replace(
        b"<reference>T2</reference>", b"<reference>T2</reference><colour>red</colour>"
    )
    receipt = receive(world.caller, data)
    (error,) = receipt.errors
    before = data[: data.index(b"<colour>")]
    assert error.code == "invalid"
    assert "colour" in error.reason and "not expected" in error.reason
    assert error.line == before.count(b"\n") + 1
    assert error.column == len(before) - before.rfind(b"\n")
    assert_nothing_stored(batch_storage)


def test_a_wrong_format_is_a_validity_error(world, batch_storage):
    data = world.file(declarations=[world.training("T1", start_date="01/03/2025")])
    (error,) = receive(world.caller, data).errors
    before = data[: data.index(b"<start_date>")]
    assert error.code == "invalid" and "start_date" in error.reason
    assert (error.line, error.column) == (
        before.count(b"\n") + 1,
        len(before) - before.rfind(b"\n"),
    )
    assert_nothing_stored(batch_storage)


DATE_ZONES = {
    "start_date": lambda world, date: [world.training("T1", start_date=date)],
    "certificate_valid_until": lambda world, date: [
        world.training("T1", certificate_obtained=True, certificate_valid_until=date)
    ],
    "employment start_date": lambda world, date: [
        (
            "worker",
            {
                "insz": world.workers[0].insz,
                "first_name": "An",
                "last_name": "Peeters",
                "employment": {"start_date": date, "regime": "1", "joint_committee": "200"},
            },
        )
    ],
}


@pytest.mark.parametrize("zone", DATE_ZONES)
@pytest.mark.parametrize("date", ["2025-03-01Z", "2025-03-01+14:00", "2025-03-01-05:00",
                                  "12025-03-01", "-2025-03-01"])  # fmt: skip
def test_a_date_is_yyyy_mm_dd_without_a_time_zone(world, batch_storage, zone, date):
    data = world.file(declarations=DATE_ZONES[zone](world, date))
    (error,) = receive(world.caller, data).errors
    tag = zone.split()[-1]
    before = data[: data.index(f"<{tag}>{date}".encode())]
    assert error.code == "invalid" and tag in error.reason
    assert (error.line, error.column) == (
        before.count(b"\n") + 1,
        len(before) - before.rfind(b"\n"),
    )
    assert_nothing_stored(batch_storage)


@pytest.mark.parametrize("zone", DATE_ZONES)
def test_a_date_as_the_write_path_reads_it_is_valid(world, zone):
    receipt = receive(
        world.caller, world.file(declarations=DATE_ZONES[zone](world, " 2025-03-01 "))
    )
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    (result,) = BatchResult.objects.filter(file_id=receipt.file_id)
    assert "E010" not in [f["code"] for f in result.findings]


def test_duplicate_file_reference_is_refused(world, batch_storage):
    first = receive(world.caller, world.file("SAME"))
    assert first.accepted
    receipt = receive(world.caller, world.file("SAME", [world.training("OTHER")]))
    (error,) = receipt.errors
    assert error.code == "duplicate_reference" and error.line == 3 and error.column
    # It names the sender's earlier file, so that a file sent twice leads to its answer.
    received = timezone.localtime(BatchFile.objects.get().received_at)
    assert error.reason == (
        f"De bestandsreferentie SAME werd al door deze afzender gebruikt, voor bestand "
        f"{first.file_id} (ontvangen op {received:%d/%m/%Y %H:%M})."
    )
    assert BatchFile.objects.count() == 1 and len(stored_files(batch_storage)) == 1
    # Another sender may use the same reference.
    other = make_mandatary("Other secretariat")
    caller = Caller(channel="batch", label="other", mandatary_id=other.pk)
    assert receive(caller, world.file("SAME", sender=other.enterprise_number)).accepted


def test_wrong_sender_is_refused(world, batch_storage):
    stranger = make_mandatary("Stranger")
    receipt = receive(world.caller, world.file(sender=stranger.enterprise_number))
    assert [e.code for e in receipt.errors] == ["wrong_sender"]
    assert receipt.errors[0].line == 3
    assert_nothing_stored(batch_storage)


def test_a_user_of_the_sender_may_send_and_an_outsider_may_not(world, batch_storage):
    member = Caller.for_user(world.user, "batch")
    assert receive(member, world.file("A")).accepted
    outsider = Caller.for_user(make_user(), "batch")
    assert receive(outsider, world.file("B")).errors[0].code == "wrong_sender"


def test_read_only_client_may_not_send(world, batch_storage):
    caller = Caller(
        channel="batch", label="ro", mandatary_id=world.mandatary.pk, scopes=frozenset({"read"})
    )
    assert receive(caller, world.file()).errors[0].code == "wrong_sender"


@pytest.mark.parametrize(
    "environment,production,accepted",
    [
        ("test", True, False),
        ("production", False, False),
        ("test", False, True),
        ("production", True, True),
    ],
)
def test_environment_must_match_the_endpoint(
    world, batch_storage, environment, production, accepted
):
    receipt = receive(world.caller, world.file(environment=environment), production=production)
    assert receipt.accepted is accepted
    if not accepted:
        assert receipt.errors[0].code == "wrong_environment" and receipt.errors[0].line == 3
        assert_nothing_stored(batch_storage)


def test_size_cap(world, batch_storage, settings):
    data = world.file(declarations=[world.training(f"T{i}") for i in range(50)])
    settings.FLA_MAX_BATCH_BYTES = len(data) - 1
    assert receive(world.caller, data).errors[0].code == "too_large"
    assert_nothing_stored(batch_storage)
    settings.FLA_MAX_BATCH_BYTES = len(data)
    assert receive(world.caller, data).accepted


def test_empty_and_non_xml(world, batch_storage):
    assert receive(world.caller, b"").errors[0].code == "not_well_formed"
    assert receive(world.caller, b"hello").errors[0].code == "not_well_formed"
    assert receive(world.caller, b"\xff\xfe<\x00a\x00").errors[0].code == "forbidden"
    assert_nothing_stored(batch_storage)


def test_a_bare_ampersand_in_a_one_line_file_is_placed_where_it_is(world, batch_storage):
    # A generated file on one line, without a final newline (as many serializers write it).
    data = re.sub(rb">\s*\n\s*<", b"><", world.file()).rstrip(b"\n")
    data = data.replace(b"<title>Safety</title>", b"<title>Safety & health</title>")
    assert b"\n" not in data
    (error,) = receive(world.caller, data).errors
    assert error.code == "not_well_formed"
    assert "hoofdelement" not in error.reason, error.reason  # "ends before its root is closed"
    assert error.line == 1 and error.column < len(data) - 100
    assert_nothing_stored(batch_storage)


def test_a_bare_ampersand_on_the_last_line_is_placed_where_it_is(world, batch_storage):
    # The last line holds the & (and the root's end tag); no final newline.
    data = world.file().rstrip(b"\n")
    data = data.replace(b"\n</employer>\n</batch_file>", b"</employer></batch_file>")
    data = data.replace(b"<title>Safety</title>", b"<title>Safety & health</title>")
    (error,) = receive(world.caller, data).errors
    assert "hoofdelement" not in error.reason, error.reason


def test_an_insz_refused_by_the_xsd_is_not_written_to_the_log(world, batch_storage, caplog):
    insz = world.workers[0].insz
    data = world.file().replace(insz.encode(), insz.encode() + b"9")  # 12 digits
    receipt = receive(world.caller, data)
    assert not receipt.accepted
    assert insz not in caplog.text
