"""The operator (``fla batch submit`` without ``--as-…``) may send a file for any
organisation, and the file acts for that organisation's employers only, as if it had
sent it: a sender FLA does not know (a mistyped number) is refused at the receipt,
where it would otherwise have acted for every employer, and read back by no one but
the operator."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from fla.accounts.access import Caller
from fla.batch import services
from fla.batch.builder import file_bytes
from fla.batch.models import BatchFile, BatchResult
from fla.trainings.models import Training

# A valid enterprise number no organisation of the tests has, and one whose check
# digits are wrong (the XSD asks ten digits only).
UNKNOWN = "0403170701"
MISTYPED = "0600000000"


def _file(world, sender: str) -> bytes:
    return file_bytes(
        reference="OP-1",
        sender=sender,
        employers=[(world.employer.enterprise_number, [world.training("T1")])],
    )


@pytest.mark.parametrize("sender", [UNKNOWN, MISTYPED], ids=["unknown", "mistyped"])
def test_an_operators_file_for_an_unknown_sender_is_refused(world, sender):
    data = _file(world, sender)
    receipt = services.receive(Caller.for_system("cli"), io.BytesIO(data), production=True)
    assert not receipt.accepted
    (error,) = receipt.errors
    assert error.code == "wrong_sender" and sender in error.reason
    line = data[: data.index(b"<sender>")].count(b"\n") + 1
    column = data.index(b"<sender>") - data.rfind(b"\n", 0, data.index(b"<sender>"))
    assert (error.line, error.column) == (line, column)
    assert receipt.sender == sender
    assert not BatchFile.objects.exists() and not Training.objects.exists()


def test_the_command_line_says_so_in_its_receipt(world, tmp_path, capsys):
    path = tmp_path / "file.xml"
    path.write_bytes(_file(world, UNKNOWN))
    with pytest.raises(CommandError):
        call_command("batch", "submit", str(path), "--json")
    (error,) = json.loads(capsys.readouterr().out)["errors"]
    assert error["code"] == "wrong_sender"
    assert error["reason"] == (
        f"No employer or mandatary has the enterprise number {UNKNOWN}: the sender must be "
        "an organisation FLA knows."
    )
    assert not BatchFile.objects.exists()


def test_an_operators_file_for_a_known_sender_acts_for_its_employers(world):
    data = _file(world, world.mandatary.enterprise_number)
    receipt = services.receive(Caller.for_system("cli"), io.BytesIO(data), production=True)
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    (result,) = BatchResult.objects.filter(file_id=receipt.file_id)
    assert result.status != "rejected", result.findings
    assert Training.objects.filter(employer=world.employer, reference="T1").exists()


def test_an_operators_file_whose_sender_is_gone_acts_for_no_employer(world):
    """A file accepted for a sender that is no longer there when it is applied (the
    organisation deleted meanwhile) acts for no employer, as its sender would: E003."""
    data = _file(world, world.employer.enterprise_number)
    receipt = services.receive(Caller.for_system("cli"), io.BytesIO(data), production=True)
    assert receipt.accepted, receipt.errors
    BatchFile.objects.filter(pk=receipt.file_id).update(sender_employer=None)
    services.process(receipt.file_id)
    (result,) = BatchResult.objects.filter(file_id=receipt.file_id)
    assert [f["code"] for f in result.findings] == ["E003"]
    assert not Training.objects.exists()
