"""The heartbeat row of a worker gone for good is deleted by the workers still running,
so its alert stops; a worker merely late keeps its row, and its alert."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from fla.ops import heartbeat
from fla.ops.models import WorkerHeartbeat


def row(name: str, seconds_ago: float) -> WorkerHeartbeat:
    seen = timezone.now() - dt.timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(
        worker=name, host="node9", pid=4242, started_at=seen, seen_at=seen
    )


def ages(client) -> dict[str, float]:
    lines = client.get("/metrics").content.decode().splitlines()
    prefix = 'fla_worker_heartbeat_age_seconds{worker="'
    return {
        line[len(prefix) :].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith(prefix)
    }


@pytest.mark.django_db
def test_a_running_worker_forgets_the_dead_and_keeps_the_late(client, settings):
    settings.FLA_HEARTBEAT_SECONDS = 15
    settings.FLA_HEARTBEAT_FORGET_SECONDS = 3600
    row("node9-dead", 2 * 3600)
    row("node9-late", 120)  # three missed beats: stale, alerting, not forgotten
    heartbeat.beat()
    assert set(ages(client)) == {"node9-dead", "node9-late", heartbeat.worker_name()}

    assert heartbeat.forget_stale() == ["node9-dead"]

    seen = ages(client)
    assert set(seen) == {"node9-late", heartbeat.worker_name()}
    assert seen["node9-late"] > 60  # the suggested alert still fires for it
    assert heartbeat.forget_stale() == []


@pytest.mark.django_db
def test_a_worker_never_forgets_itself_and_zero_forgets_nobody(settings):
    settings.FLA_HEARTBEAT_FORGET_SECONDS = 3600
    row(heartbeat.worker_name(), 2 * 3600)
    assert heartbeat.forget_stale() == []
    row("node9-dead", 30 * 86400)
    settings.FLA_HEARTBEAT_FORGET_SECONDS = 0
    assert heartbeat.forget_stale() == []
    assert WorkerHeartbeat.objects.count() == 2


def test_the_heartbeat_thread_forgets_after_its_own_beat(transactional_db, monkeypatch, settings):
    settings.FLA_HEARTBEAT_SECONDS = 3600
    settings.FLA_HEARTBEAT_FORGET_SECONDS = 3600
    monkeypatch.setattr(heartbeat.atexit, "register", lambda function: None)
    row("node9-dead", 2 * 3600)
    row("node9-late", 120)
    thread = heartbeat.start()
    try:
        deadline = time.monotonic() + 10
        while WorkerHeartbeat.objects.filter(worker="node9-dead").exists():
            assert time.monotonic() < deadline, "the dead worker's row is still there"
            time.sleep(0.05)
    finally:
        heartbeat.stop()
        thread.join(5)
    assert set(WorkerHeartbeat.objects.values_list("worker", flat=True)) == {
        "node9-late",
        heartbeat.worker_name(),
    }
