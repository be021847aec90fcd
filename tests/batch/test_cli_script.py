"""``fla batch`` in a script: an exit status for each outcome of ``submit``, the
notification written as the UTF-8 bytes it is whatever the locale, and the status of a
failed file in JSON with its error."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.utils import timezone

from fla.batch import services
from fla.batch.management.commands.batch import Command
from fla.batch.models import BatchFile, BatchStatus


@pytest.fixture
def exit_status(monkeypatch):
    """``fla batch submit ARGS`` run as from the shell: its exit status. (The command
    closes the database connections as it ends: not the test's.)"""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)

    def run(*args: str) -> int:
        try:
            Command().run_from_argv(["fla", "batch", "--skip-checks", "submit", *args])
        except SystemExit as exc:
            return exc.code
        return 0

    return run


def test_each_outcome_of_submit_has_its_own_exit_status(world, tmp_path, capsys, exit_status):
    path = tmp_path / "file.xml"
    path.write_bytes(world.file(reference="S1"))
    mandatary = ["--as-mandatary", world.mandatary.enterprise_number]
    assert exit_status(str(path), *mandatary, "--json") == 0
    assert json.loads(capsys.readouterr().out)["accepted"]
    # the same reference again: rejected, and the receipt says why
    assert exit_status(str(path), *mandatary, "--json") == 3
    assert json.loads(capsys.readouterr().out)["errors"][0]["code"] == "duplicate_reference"
    # a file that cannot be read, an unknown organisation: errors, no receipt
    assert exit_status(str(tmp_path / "missing.xml"), *mandatary) == 1
    assert exit_status(str(tmp_path), *mandatary) == 1
    assert exit_status(str(path), "--as-employer", "0403170701") == 1
    # a mistyped option is a usage error (argparse's 2), not a rejected file
    assert exit_status(str(path), *mandatary, "--tset") == 2
    assert capsys.readouterr().out == ""
    assert BatchFile.objects.count() == 1


def test_a_rejected_file_raises_with_the_rejected_status(world, tmp_path, capsys):
    path = tmp_path / "file.xml"
    path.write_bytes(world.file(environment="test"))
    with pytest.raises(CommandError) as raised:
        call_command(
            "batch", "submit", str(path), "--as-mandatary", world.mandatary.enterprise_number
        )
    assert raised.value.returncode == 3
    assert "[wrong_environment]" in capsys.readouterr().out


def _done_in_french(world) -> BatchFile:
    data = world.file("FR-1", [world.training("T1", kind="Formal")], language="fr")
    receipt = services.receive(world.caller, io.BytesIO(data), production=True)
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert batch.status == BatchStatus.DONE
    return batch


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_the_notification_is_written_as_utf8_whatever_the_locale(world, encoding):
    """``fla batch notification ID > notification.xml`` under a locale that is not UTF-8:
    the document says it is UTF-8, so its bytes must be (the French message has a
    no-break space before its colon, which Latin-1 writes as one byte and ASCII cannot
    write at all)."""
    batch = _done_in_french(world)
    with open(services.default_storage.path(batch.notification_name), "rb") as stored:
        expected = stored.read()
    assert "\u00a0:".encode() in expected
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding=encoding)
    call_command("batch", "notification", str(batch.pk), stdout=OutputWrapper(out))
    out.flush()
    assert raw.getvalue() == expected


def test_the_status_of_a_failed_file_in_json_says_its_error(world, capsys):
    receipt = services.receive(world.caller, io.BytesIO(world.file()), production=True)
    BatchFile.objects.filter(pk=receipt.file_id).update(
        status=BatchStatus.FAILED, error="OperationalError: disk I/O error"
    )
    call_command("batch", "status", str(receipt.file_id), "--json")
    status = json.loads(capsys.readouterr().out)
    assert (status["status"], status["error"]) == ("failed", "OperationalError: disk I/O error")
    call_command("batch", "status", str(receipt.file_id))
    assert "error: OperationalError: disk I/O error" in capsys.readouterr().out
    done = _done_in_french(world)
    call_command("batch", "status", str(done.pk), "--json")
    assert json.loads(capsys.readouterr().out)["error"] is None


def test_resume_says_why_a_file_is_not_resumed(world):
    receipt = services.receive(world.caller, io.BytesIO(world.file()), production=True)
    file_id = receipt.file_id
    with pytest.raises(CommandError, match=f"^No file {file_id + 1}\\.$"):
        call_command("batch", "resume", str(file_id + 1))
    with pytest.raises(CommandError, match="is received, not failed: nothing to resume"):
        call_command("batch", "resume", str(file_id))
    BatchFile.objects.filter(pk=file_id).update(status=BatchStatus.FAILED, erased_at=timezone.now())
    with pytest.raises(CommandError, match="content was erased on .* cannot be resumed"):
        call_command("batch", "resume", str(file_id))


def test_the_notification_of_a_failed_file_says_it_failed_and_how_to_resume(world):
    receipt = services.receive(world.caller, io.BytesIO(world.file()), production=True)
    file_id = receipt.file_id
    with pytest.raises(CommandError, match=f"^File {file_id} is received: no notification yet"):
        call_command("batch", "notification", str(file_id))
    BatchFile.objects.filter(pk=file_id).update(
        status=BatchStatus.FAILED, error="OperationalError: disk I/O error"
    )
    with pytest.raises(
        CommandError,
        match=f"^File {file_id} failed: it has no notification \\(OperationalError: disk I/O "
        f"error\\)\\. `fla batch resume {file_id}` takes it on",
    ):
        call_command("batch", "notification", str(file_id))


class _Stdin(io.TextIOWrapper):
    """Standard input at a terminal (``tty``) or from a pipe, holding ``data``."""

    def __init__(self, data: bytes, tty: bool):
        super().__init__(io.BytesIO(data))
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
def test_submit_from_a_terminal_says_what_it_waits_for(world, monkeypatch, capsys, tty):
    monkeypatch.setattr("sys.stdin", _Stdin(world.file("STDIN-1"), tty))
    call_command("batch", "submit", "-", "--as-mandatary", world.mandatary.enterprise_number)
    out, err = capsys.readouterr()
    assert "accepted" in out.lower()
    hint = "Reading the file from standard input; end it with Ctrl-D"
    assert (hint in err) is tty
