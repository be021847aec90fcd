"""``fla requeue-running``: put back in their queues the tasks left RUNNING by workers
that are gone (after restoring a backup, or workers killed); see fla.ops.recovery."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fla.ops.recovery import NoHeartbeats, WorkersRunning, requeue_running


class Command(BaseCommand):
    help = (
        "Put the background tasks left RUNNING by gone workers back in their queues (BATCH "
        "files resume from their checkpoints, rights runs from their cursor), release the "
        "BATCH leases those workers held and delete their heartbeat rows. Run it with every "
        "worker stopped: after restoring a backup, before starting the workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only say what would be done")
        parser.add_argument(
            "--force",
            action="store_true",
            help="with heartbeats off (FLA_HEARTBEAT_SECONDS=0): every worker is known stopped",
        )

    def handle(self, *args, dry_run: bool = False, force: bool = False, **options):
        try:
            result = requeue_running(dry_run=dry_run, force=force)
        except NoHeartbeats:
            raise CommandError(
                "heartbeats are off (FLA_HEARTBEAT_SECONDS=0), so no row tells whether a "
                "worker still runs. Stop every worker, then run again with --force."
            ) from None
        except WorkersRunning as exc:
            raise CommandError(
                f"workers are running: {exc}. Stop every worker first: a task one of them "
                "runs would run twice. (Rows of a backup just restored count as gone "
                f"{exc.wait} s from now.)"
            ) from None
        verb = "would be" if dry_run else "were"
        queues = ", ".join(f"{queue} {n}" for queue, n in result.tasks.items())
        self.stdout.write(
            f"{result.total} running task(s) {verb} requeued" + (f" ({queues})" if queues else "")
        )
        self.stdout.write(f"{result.batch_files} BATCH file(s) {verb} released by gone workers")
        self.stdout.write(f"{result.heartbeats} heartbeat row(s) of gone workers {verb} deleted")
