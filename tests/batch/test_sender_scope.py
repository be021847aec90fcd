"""A file acts for its sending organisation's employers only.

Its status and notification are read back by that organisation (its API clients, its
members), so a declaration for any other employer is rejected (E003) even when the
person who sent the file may reach that employer by another way.
"""

import datetime as dt
import io

from django.core.files.storage import default_storage

from fla.accounts.access import Caller
from fla.batch import services
from fla.batch.builder import file_bytes
from fla.batch.models import BatchFile, BatchResult
from fla.trainings.models import Training
from tests.factories import grant, make_user, make_worker


def _process(caller, data):
    receipt = services.receive(caller, io.BytesIO(data), production=True)
    assert receipt.accepted, receipt.errors
    assert services.process(receipt.file_id) == "done"
    return BatchFile.objects.get(pk=receipt.file_id)


def _findings(batch):
    return [
        [f["code"] for f in r.findings if f["code"].startswith("E")]
        for r in BatchResult.objects.filter(file=batch).order_by("position")
    ]


def test_an_employers_file_declares_for_that_employer_only(world):
    person = make_user()
    grant(person, world.employer)
    grant(person, world.other)  # may declare for both, online
    theirs = make_worker(world.other, start=dt.date(2020, 1, 1))
    theirs.last_name = "Zonderland"
    theirs.save()
    data = file_bytes(
        reference="E1",
        sender=world.employer.enterprise_number,
        employers=[
            (world.employer.enterprise_number, [world.training("MINE")]),
            (world.other.enterprise_number, [world.training("THEIRS", worker=theirs)]),
        ],
    )
    batch = _process(Caller.for_user(person, channel="batch"), data)
    assert _findings(batch) == [[], ["E003"]]
    assert not Training.objects.filter(employer=world.other).exists()
    # what the sender's API client reads back holds nothing of the other employer
    client = Caller(channel="api", label="Acme API", employer_id=world.employer.pk)
    assert services.files_for(client).filter(pk=batch.pk).exists()
    with default_storage.open(batch.notification_name, "rb") as f:
        text = f.read().decode()
    # the sender's own zones come back with E003, nothing read from the other employer
    theirs_result = text[text.index("<reference>THEIRS</reference>") :]
    theirs_result = theirs_result[: theirs_result.index("</result>")]
    assert "<code>E003</code>" in theirs_result and theirs_result.count("<code>") == 1
    assert "Zonderland" not in text


def test_a_mandatarys_file_declares_for_its_mandated_employers_only(world):
    # the secretariat's member also has an access of their own to an employer that did
    # not mandate the secretariat
    grant(world.user, world.other)
    theirs = make_worker(world.other, start=dt.date(2020, 1, 1))
    data = file_bytes(
        reference="M1",
        sender=world.mandatary.enterprise_number,
        employers=[
            (world.employer.enterprise_number, [world.training("MANDATED")]),
            (world.other.enterprise_number, [world.training("DIRECT", worker=theirs)]),
        ],
    )
    batch = _process(Caller.for_user(world.user, channel="batch"), data)
    assert _findings(batch) == [[], ["E003"]]
    assert list(Training.objects.values_list("reference", flat=True)) == ["MANDATED"]


def test_a_mandate_ended_before_processing_stops_the_file_for_that_employer(world):
    data = world.file(reference="M2", declarations=[world.training("LATE")])
    receipt = services.receive(world.caller, io.BytesIO(data), production=True)
    assert receipt.accepted
    world.employer.mandates.update(end_date=dt.date.today() - dt.timedelta(days=1))
    assert services.process(receipt.file_id) == "done"
    assert _findings(BatchFile.objects.get(pk=receipt.file_id)) == [["E003"]]
    assert not Training.objects.exists()
