"""``fla requeue-running``: the tasks left RUNNING by gone workers (a restored backup,
workers killed) go back to their queues and are finished by the next worker."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from fla.ops.models import RightsRun, WorkerHeartbeat
from fla.rights.tasks import run_rights, step
from tests.ops.test_rights_run import employers

pytestmark = pytest.mark.django_db


def beat(name: str, seconds_ago: float) -> None:
    seen = timezone.now() - dt.timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(worker=name, host="h", pid=1, started_at=seen, seen_at=seen)


def run_workers(monkeypatch) -> None:
    """``fla db_worker --batch``: run every task that is ready, then stop."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)  # the test's
    db_worker.Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="restored-1", excluded_queue_names=[],
    ).run()  # fmt: skip


@pytest.fixture
def interrupted(settings):
    """A rights run whose worker computed one employer of three, then the backup was
    taken (or the worker killed): its task is RUNNING, claimed by a worker that is gone."""
    settings.FLA_HEARTBEAT_SECONDS = 15
    made = employers()
    run = RightsRun.objects.create(year=2025, total=3, chunk_size=1)
    run_rights.enqueue(run.pk)
    task = DBTaskResult.objects.get()
    task.claim("node1-1")
    assert step(run.pk) is True
    beat("node1-1", 600)
    beat("node1-2", 600)
    return run, task, made


def test_running_tasks_of_gone_workers_are_requeued_and_finished(interrupted, monkeypatch):
    run, task, made = interrupted
    run_workers(monkeypatch)  # as before: nothing is ready, the task stays RUNNING
    task.refresh_from_db()
    assert task.status == "RUNNING"

    out = io.StringIO()
    call_command("requeue_running", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 running task(s) were requeued (rights 1)",
        "0 BATCH file(s) were released by gone workers",
        "2 heartbeat row(s) of gone workers were deleted",
    ]
    task.refresh_from_db()
    assert (task.status, task.started_at) == ("READY", None)
    assert not WorkerHeartbeat.objects.exists()

    run_workers(monkeypatch)
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.worker_ids == ["node1-1", "restored-1"]
    run.refresh_from_db()
    assert (run.status, run.done, run.last_employer_id) == ("done", 3, made[-1].pk)

    out = io.StringIO()
    call_command("requeue_running", stdout=out)
    assert out.getvalue().splitlines()[0] == "0 running task(s) were requeued"


def test_a_dry_run_changes_nothing(interrupted):
    _, task, _ = interrupted
    out = io.StringIO()
    call_command("requeue_running", "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == "1 running task(s) would be requeued (rights 1)"
    task.refresh_from_db()
    assert task.status == "RUNNING" and WorkerHeartbeat.objects.count() == 2


def test_it_refuses_while_a_worker_runs(interrupted):
    _, task, _ = interrupted
    beat("node2-1", 20)  # within three periods of 15 s: alive
    with pytest.raises(CommandError, match=r"workers are running: node2-1 \(\d+ s ago\)"):
        call_command("requeue_running")
    task.refresh_from_db()
    assert task.status == "RUNNING" and WorkerHeartbeat.objects.count() == 3


def test_a_worker_beating_late_by_the_commands_own_period_still_counts_as_running(
    interrupted, settings
):
    """The command may run where FLA_HEARTBEAT_SECONDS is shorter than the workers' own:
    a beat of 100 s ago (workers beating every 60 s) is a live worker, not a gone one."""
    beat("node2-1", 100)
    with pytest.raises(CommandError, match="workers are running: node2-1"):
        call_command("requeue_running", stdout=io.StringIO())
    assert DBTaskResult.objects.get().status == "RUNNING"


def test_with_heartbeats_off_it_acts_only_when_forced(interrupted, settings):
    settings.FLA_HEARTBEAT_SECONDS = 0
    with pytest.raises(CommandError, match="--force"):
        call_command("requeue_running", stdout=io.StringIO())
    assert DBTaskResult.objects.get().status == "RUNNING"
    call_command("requeue_running", "--force", stdout=io.StringIO())
    assert DBTaskResult.objects.get().status == "READY"


# --- one worker gone, the others running -----------------------------------------------


@pytest.fixture
def one_gone(interrupted):
    """node1-1 is gone with its rights run RUNNING; node2-1 runs a task of its own."""
    run, gone_task, _ = interrupted
    run_rights.enqueue(RightsRun.objects.create(year=2024, total=3, chunk_size=1).pk)
    live_task = DBTaskResult.objects.exclude(pk=gone_task.pk).get()
    live_task.claim("node2-1")
    beat("node2-1", 5)
    return gone_task, live_task


def test_a_gone_workers_tasks_are_requeued_while_the_others_run(one_gone):
    gone_task, live_task = one_gone
    out = io.StringIO()
    call_command("requeue_running", "--worker", "node1-1", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 running task(s) were requeued (rights 1)",
        "BATCH leases of those workers are left to run out (FLA_BATCH_LEASE_SECONDS, 120 s)",
        "1 heartbeat row(s) of gone workers were deleted",
    ]
    gone_task.refresh_from_db()
    live_task.refresh_from_db()
    assert (gone_task.status, live_task.status) == ("READY", "RUNNING")
    # node1-2, not named, keeps its row (FLA_HEARTBEAT_FORGET_SECONDS deletes it later).
    assert set(WorkerHeartbeat.objects.values_list("worker", flat=True)) == {"node1-2", "node2-1"}


def test_the_last_claim_decides_whose_task_it_is(one_gone):
    """A task requeued once and claimed again by a live worker is that worker's now."""
    gone_task, _ = one_gone
    gone_task.claim("node2-1")  # worker_ids: node1-1, node2-1
    call_command("requeue_running", "--worker", "node1-1", stdout=io.StringIO())
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING"}


def test_a_named_worker_that_still_beats_is_refused(one_gone):
    with pytest.raises(CommandError, match=r"workers are running: node2-1 \(\d+ s ago\)"):
        call_command(
            "requeue_running", "--worker", "node1-1", "--worker", "node2-1", stdout=io.StringIO()
        )
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING"}
    assert WorkerHeartbeat.objects.count() == 3


def test_a_dry_run_for_one_worker_changes_nothing(one_gone):
    out = io.StringIO()
    call_command("requeue_running", "--worker", "node1-1", "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == "1 running task(s) would be requeued (rights 1)"
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING"}
    assert WorkerHeartbeat.objects.count() == 3


def test_one_worker_with_heartbeats_off_needs_force(one_gone, settings):
    gone_task, live_task = one_gone
    settings.FLA_HEARTBEAT_SECONDS = 0
    with pytest.raises(CommandError, match="Stop those workers, then run again with --force"):
        call_command("requeue_running", "--worker", "node1-1", stdout=io.StringIO())
    call_command("requeue_running", "--worker", "node1-1", "--force", stdout=io.StringIO())
    gone_task.refresh_from_db()
    live_task.refresh_from_db()
    assert (gone_task.status, live_task.status) == ("READY", "RUNNING")


def test_an_empty_worker_id_is_refused(one_gone):
    with pytest.raises(CommandError, match="--worker needs a worker id"):
        call_command("requeue_running", "--worker", " ", stdout=io.StringIO())
