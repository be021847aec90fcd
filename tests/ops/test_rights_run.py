"""The yearly rights computation as resumable background work."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from fla.audit.models import HistoryEntry
from fla.ops.models import RightsRun
from fla.rights.services import compute_rights
from fla.rights.tasks import next_employers, run_rights, start_run, step
from tests.factories import make_employer, make_worker


def employers(n=3):
    made = []
    for i in range(n):
        employer = make_employer(f"E{i}")
        for _ in range(2):
            make_worker(employer, start=dt.date(2024, 1, 1))
        made.append(employer)
    make_worker(make_employer("Gone"), start=dt.date(2020, 1, 1), end=dt.date(2023, 12, 31))
    return made


def test_a_killed_run_continues_where_it_stopped(db):
    made = employers()
    run, resumed = start_run(2025, chunk_size=1)
    assert not resumed and run.total == 3 and run.status == "queued"
    assert step(run.pk) is True  # the worker computed one employer, then was killed
    run.refresh_from_db()
    assert (run.done, run.last_employer_id, run.status) == (1, made[0].pk, "running")

    again, resumed = start_run(2025)
    assert resumed and again.pk == run.pk
    assert run_rights.call(run.pk) == "done"
    run.refresh_from_db()
    assert (run.status, run.done, run.total, run.percent) == ("done", 3, 3, 100)
    assert run.counts["employers"] == 3 and run.counts["workers"] == 6
    # Each employer was computed once, and nothing is left to compute.
    computed = HistoryEntry.objects.filter(entity="rights-computation", entity_id="2025")
    assert sorted(computed.values_list("employer_id", flat=True)) == [e.pk for e in made]
    again = compute_rights(2025)
    assert again["created"] == again["updated"] == again["deleted"] == 0


def test_a_finished_run_is_not_resumed(db):
    employers(1)
    run, _ = start_run(2025)
    run_rights.call(run.pk)
    second, resumed = start_run(2025)
    assert not resumed and second.pk != run.pk


def test_next_employers_follows_the_cursor(db):
    made = employers(4)
    ids = [e.pk for e in made]
    assert next_employers(2025, 0, 2) == ids[:2]
    assert next_employers(2025, ids[1], 10) == ids[2:]
    assert next_employers(2025, ids[-1], 10) == []


def test_command_enqueues_on_the_rights_queue(db, capsys, django_capture_on_commit_callbacks):
    employers(2)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("compute_rights", "--year", "2025", "--background")
    assert "enqueued: 0/2" in capsys.readouterr().out
    task = DBTaskResult.objects.get()
    assert task.queue_name == "rights" and task.task_path == "fla.rights.tasks.run_rights"
    call_command("compute_rights", "--year", "2025", "--background")
    assert "resumed: 0/2" in capsys.readouterr().out
    assert RightsRun.objects.count() == 1


def test_background_run_takes_its_step_from_the_setting_or_the_option(db, settings):
    # Without --chunk-size a background run steps by FLA_RIGHTS_RUN_CHUNK (the command's
    # own default for a computation in the foreground used to win).
    employers(1)
    settings.FLA_RIGHTS_RUN_CHUNK = 7
    call_command("compute_rights", "--year", "2025", "--background", stdout=StringIO())
    assert RightsRun.objects.get().chunk_size == 7
    RightsRun.objects.all().delete()
    call_command(
        "compute_rights", "--year", "2025", "--background", "--chunk-size", "3", stdout=StringIO()
    )
    assert RightsRun.objects.get().chunk_size == 3


@pytest.mark.parametrize("background", [True, False])
def test_a_chunk_size_below_one_is_refused(db, background):
    employers(1)
    args = ["compute_rights", "--year", "2025", "--chunk-size", "0"]
    with pytest.raises(CommandError, match="--chunk-size must be at least 1"):
        call_command(*args, *(["--background"] if background else []), stdout=StringIO())
    assert not RightsRun.objects.exists()
