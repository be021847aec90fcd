"""``fla batch submit FILE | status ID | notification ID | resume ID | glossary``.

Exit status: 0 once the command did what it was asked (for ``submit``: the file is
accepted), 1 on an error (a file that cannot be read, an unknown organisation or file,
...), 2 on a usage error (argparse's own), 3 when ``submit``'s file is rejected: a
script tells a file to correct from a command to correct.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from fla.accounts.access import Caller
from fla.accounts.models import Mandatary
from fla.core.choices import Channel
from fla.core.identifiers import InvalidIdentifier, clean_enterprise_number
from fla.employers.models import Employer

# ``fla batch submit``'s exit status when the file is rejected: not 2, which argparse
# gives a usage error (an option mistyped in a script is no file to correct).
REJECTED = 3
EXIT_STATUS = """exit status:
  0  the file is accepted (the receipt gives its number)
  3  the file is rejected (the receipt says why, with line and column)
  1  another error (the file cannot be read, an unknown organisation)
  2  a usage error"""


class Command(BaseCommand):
    help = "The BATCH channel: submit a file, follow its processing, get its notification."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        submit = sub.add_parser(
            "submit",
            help="Submit a BATCH file; prints the receipt.",
            description="Submit a BATCH file; prints the receipt.",
            epilog=EXIT_STATUS,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        submit.add_argument("file", help="Path of the XML file, or - for standard input.")
        who = submit.add_mutually_exclusive_group()
        who.add_argument(
            "--as-mandatary", metavar="EN", help="Submit as this mandatary (enterprise number)."
        )
        who.add_argument(
            "--as-employer", metavar="EN", help="Submit as this employer (enterprise number)."
        )
        env = submit.add_mutually_exclusive_group()
        env.add_argument(
            "--production",
            dest="production",
            action="store_true",
            default=True,
            help="Send to production (the default).",
        )
        env.add_argument(
            "--test", dest="production", action="store_false", help="Send to the test environment."
        )
        submit.add_argument("--json", action="store_true", help="Print the receipt as JSON.")
        status = sub.add_parser("status", help="Status and progress of a file.")
        status.add_argument("file_id", type=int)
        status.add_argument(
            "--json",
            action="store_true",
            help="Print the status as JSON: that of the API, with the stored error of a "
            "failed file as its error.",
        )
        notification = sub.add_parser(
            "notification", help="Print the notification XML (UTF-8, whatever the locale)."
        )
        notification.add_argument("file_id", type=int)
        resume = sub.add_parser(
            "resume", help="Put a failed file back to work from its checkpoints."
        )
        resume.add_argument("file_id", type=int)
        sub.add_parser("glossary", help="Write docs/glossary-batch.*.md from the XSDs.")

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def caller(self, as_mandatary: str | None, as_employer: str | None) -> Caller:
        try:
            if as_mandatary:
                number = clean_enterprise_number(as_mandatary)
                mandatary = Mandatary.objects.filter(enterprise_number=number).first()
                if mandatary is None:
                    raise CommandError(f"No mandatary with enterprise number {number}.")
                return Caller(
                    channel=Channel.BATCH, label=f"cli:{mandatary.name}", mandatary_id=mandatary.pk
                )
            if as_employer:
                number = clean_enterprise_number(as_employer)
                employer = Employer.objects.filter(enterprise_number=number).first()
                if employer is None:
                    raise CommandError(f"No employer with enterprise number {number}.")
                return Caller(
                    channel=Channel.BATCH, label=f"cli:{employer.name}", employer_id=employer.pk
                )
        except InvalidIdentifier as exc:
            raise CommandError(str(exc)) from exc
        # An operator at the server's shell acts for every organisation.
        caller = Caller.for_system("cli")
        caller.channel = Channel.BATCH
        return caller

    def do_submit(self, file, as_mandatary, as_employer, production, json, **_):
        from fla.batch.services import receive

        caller = self.caller(as_mandatary, as_employer)
        # The receipt's reasons in the language of the rest of the command's output.
        with translation.override("en"):
            if file == "-":
                if sys.stdin.isatty():
                    # Typed or pasted at a terminal, not piped: say what it waits for.
                    self.stderr.write(
                        "Reading the file from standard input; end it with Ctrl-D "
                        "(or give the file's name instead of -)."
                    )
                receipt = receive(caller, sys.stdin.buffer, production=production)
            else:
                try:
                    with open(file, "rb") as stream:
                        receipt = receive(caller, stream, production=production)
                except OSError as exc:
                    raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        self.stdout.write(_json(receipt.as_dict()) if json else receipt.text())
        if not receipt.accepted:
            raise CommandError("The file was rejected.", returncode=REJECTED)

    def do_status(self, file_id, json, **_):
        from fla.batch.models import BatchFile

        batch = BatchFile.objects.filter(pk=file_id).first()
        if batch is None:
            raise CommandError(f"No file {file_id}.")
        from fla.batch.services import status_dict

        # The operator's: the stored error of a failed file as it is (the API says a
        # sentence to the sender, the text prints it too).
        data = {**status_dict(batch), "error": batch.error or None}
        if json:
            self.stdout.write(_json(data))
        else:
            self.stdout.write(
                f"file {batch.pk} {batch.reference} ({batch.environment}): {batch.status}, "
                f"{data['progress']}% ({batch.processed}/{batch.total}); accepted "
                f"{batch.accepted}, with warnings {batch.accepted_with_warnings}, rejected "
                f"{batch.rejected}" + (f"; error: {batch.error}" if batch.error else "")
            )

    def do_notification(self, file_id, **_):

        batch = _file_with_content(file_id)
        if batch.status == "failed":
            raise CommandError(
                f"File {file_id} failed: it has no notification ({batch.error or 'no error kept'}"
                f"). `fla batch resume {file_id}` takes it on from its checkpoints."
            )
        if not batch.notification_name:
            raise CommandError(f"File {file_id} is {batch.status}: no notification yet.")
        with default_storage.open(batch.notification_name, "rb") as source:
            _copy(source, self.stdout)

    def do_resume(self, file_id, **_):
        from fla.batch.models import BatchStatus
        from fla.batch.services import resume

        if not resume(file_id):
            # Why not, as the other subcommands say it (read after the attempt).
            batch = _file_with_content(file_id, "; it cannot be resumed")
            if batch.status != BatchStatus.FAILED:
                raise CommandError(
                    f"File {file_id} is {batch.status}, not failed: nothing to resume."
                )
            raise CommandError(f"File {file_id} could not be resumed.")
        self.stdout.write(f"file {file_id} resumed: a worker takes it from its checkpoints")

    def do_glossary(self, **_):
        from fla.batch.glossary import write_all

        for path in write_all():
            self.stdout.write(f"wrote {path}")


def _copy(source, stdout) -> None:
    """The stored notification to ``stdout`` as the bytes it is: a document that says it
    is UTF-8 must stay UTF-8 whatever the locale's encoding (ISO-8859-1 would write an
    "é" as one byte, ASCII would stop at it). A stream without bytes underneath (a
    ``StringIO``) gets the text."""
    out = getattr(stdout, "_out", stdout)  # Django's OutputWrapper wraps the stream
    binary = getattr(out, "buffer", None)
    if binary is not None:
        out.flush()
        while chunk := source.read(64 * 1024):
            binary.write(chunk)
        binary.flush()
        return
    # A character may be cut in two by a block boundary: the decoder keeps its start.
    decoder = codecs.getincrementaldecoder("utf-8")()
    while chunk := source.read(64 * 1024):
        out.write(decoder.decode(chunk))
    out.write(decoder.decode(b"", final=True))


def _json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _file_with_content(file_id: int, erased_consequence: str = ""):
    """The file ``file_id``, or a CommandError: no such file, or its content erased
    after the retention period (``erased_consequence`` says what that prevents)."""
    from fla.batch.models import BatchFile

    batch = BatchFile.objects.filter(pk=file_id).first()
    if batch is None:
        raise CommandError(f"No file {file_id}.")
    if batch.erased_at:
        raise CommandError(
            f"File {file_id}: its content was erased on {batch.erased_at:%Y-%m-%d} "
            f"(FLA_BATCH_RETENTION_DAYS){erased_consequence}."
        )
    return batch
