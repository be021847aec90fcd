"""The heartbeat thread is started while the apps are set up (OpsConfig.ready), but
touches the database only once they all are: Django warns of a query during app
initialisation ("Accessing the database during app initialization is discouraged")."""

from __future__ import annotations

import threading
import warnings

from django.apps import apps

from fla.ops import heartbeat
from fla.ops.models import WorkerHeartbeat


def test_the_first_beat_waits_until_the_apps_are_ready(monkeypatch, settings):
    settings.FLA_HEARTBEAT_SECONDS = 3600
    registry_ready = threading.Event()
    monkeypatch.setattr(apps, "ready_event", registry_ready)
    monkeypatch.setattr(apps, "ready", False)
    monkeypatch.setattr(heartbeat.atexit, "register", lambda function: None)
    monkeypatch.setattr(heartbeat, "close_old_connections", lambda: None)
    beats: list[bool] = []
    beaten = threading.Event()

    def beat(started_at=None) -> None:
        beats.append(apps.ready)
        beaten.set()

    monkeypatch.setattr(heartbeat, "beat", beat)
    thread = heartbeat.start()
    try:
        assert not beaten.wait(0.5), "the heartbeat wrote while the apps were set up"
        monkeypatch.setattr(apps, "ready", True)
        registry_ready.set()
        assert beaten.wait(5) and beats == [True]
    finally:
        heartbeat.stop()
        thread.join(5)
    assert not thread.is_alive()


def test_a_worker_stopped_before_the_apps_are_ready_never_writes(monkeypatch, settings):
    settings.FLA_HEARTBEAT_SECONDS = 3600
    monkeypatch.setattr(apps, "ready_event", threading.Event())
    monkeypatch.setattr(heartbeat.atexit, "register", lambda function: None)
    beats: list[object] = []
    monkeypatch.setattr(heartbeat, "beat", beats.append)
    thread = heartbeat.start()
    heartbeat.stop()
    thread.join(5)
    assert not thread.is_alive() and beats == []


def test_the_worker_start_up_path_raises_no_runtime_warning(
    transactional_db, monkeypatch, settings
):
    """OpsConfig.ready in a worker process (argv db_worker), with warnings as errors, the
    registry not ready yet: nothing queries the database until it is, and then the
    worker's row is written (from the thread: a database without the test's open
    transaction)."""
    settings.FLA_HEARTBEAT_SECONDS = 3600
    registry_ready = threading.Event()
    monkeypatch.setattr(apps, "ready_event", registry_ready)
    monkeypatch.setattr(apps, "ready", False)
    # Django silences the warning while tests hold stored app configs.
    monkeypatch.setattr(apps, "stored_app_configs", [])
    monkeypatch.setattr(heartbeat.atexit, "register", lambda function: None)
    monkeypatch.setattr("sys.argv", ["fla", "db_worker"])
    monkeypatch.setattr("fla.ops.priority.lower", lambda: 0)
    failures: list[str] = []
    monkeypatch.setattr(heartbeat.logger, "warning", lambda *a, **k: failures.append(a[0]))
    wrote = threading.Event()
    real_beat = heartbeat.beat

    def beat(started_at=None) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                real_beat(started_at)
            finally:
                wrote.set()

    monkeypatch.setattr(heartbeat, "beat", beat)
    try:
        apps.get_app_config("ops").ready()
        assert not wrote.wait(0.5)
        monkeypatch.setattr(apps, "ready", True)
        registry_ready.set()
        assert wrote.wait(5), failures
    finally:
        heartbeat.stop()
    assert failures == []
    assert WorkerHeartbeat.objects.filter(worker=heartbeat.worker_name()).exists()
