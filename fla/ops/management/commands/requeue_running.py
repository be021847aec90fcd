"""``fla requeue-running``: put back in their queues the tasks left RUNNING by workers
that are gone (after restoring a backup, or workers killed); see fla.ops.recovery."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fla.ops.recovery import NoHeartbeats, WorkersRunning, requeue_running


class Command(BaseCommand):
    help = (
        "Put the background tasks left RUNNING by gone workers back in their queues (BATCH "
        "files resume from their checkpoints, rights runs from their cursor), release the "
        "BATCH leases those workers held and delete their heartbeat rows. Run it with every "
        "worker stopped: after restoring a backup, before starting the workers. With "
        "--worker, only the tasks those workers claimed, while the others go on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only say what would be done")
        parser.add_argument(
            "--force",
            action="store_true",
            help="with heartbeats off (FLA_HEARTBEAT_SECONDS=0): every worker (or each one "
            "named by --worker) is known stopped",
        )
        parser.add_argument(
            "--worker",
            action="append",
            default=[],
            metavar="WORKER_ID",
            help="only the tasks this worker claimed last, and its heartbeat row: its "
            "db_worker --worker-id (as /ops/ names it); repeat for several. The other "
            "workers may go on running.",
        )

    def handle(
        self, *args, dry_run: bool = False, force: bool = False, worker: list[str], **options
    ):
        named = [name.strip() for name in worker]
        if any(not name for name in named):
            raise CommandError("--worker needs a worker id (as /ops/ names the worker)")
        which = "those workers" if named else "every worker"
        try:
            result = requeue_running(dry_run=dry_run, force=force, workers=named)
        except NoHeartbeats:
            raise CommandError(
                "heartbeats are off (FLA_HEARTBEAT_SECONDS=0), so no row tells whether a "
                f"worker still runs. Stop {which}, then run again with --force."
            ) from None
        except WorkersRunning as exc:
            raise CommandError(
                f"workers are running: {exc}. Stop {which} first: a task one of them "
                "runs would run twice. (Rows of a backup just restored count as gone "
                f"{exc.wait} s from now.)"
            ) from None
        verb = "would be" if dry_run else "were"
        queues = ", ".join(f"{queue} {n}" for queue, n in result.tasks.items())
        self.stdout.write(
            f"{result.total} running task(s) {verb} requeued" + (f" ({queues})" if queues else "")
        )
        if named:
            self.stdout.write(
                "BATCH leases of those workers are left to run out "
                f"(FLA_BATCH_LEASE_SECONDS, {settings.FLA_BATCH_LEASE_SECONDS} s)"
            )
        else:
            self.stdout.write(f"{result.batch_files} BATCH file(s) {verb} released by gone workers")
        self.stdout.write(f"{result.heartbeats} heartbeat row(s) of gone workers {verb} deleted")
