"""Heartbeats of the background workers (``fla db_worker``).

A worker process writes its row, named by the id given to ``db_worker --worker-id``
(the id django-tasks-db records on the tasks it claims; ``deploy/systemd`` gives
``host-instance``), or ``host:pid`` when it was started without one, when it starts and then every
FLA_HEARTBEAT_SECONDS from a daemon thread, with the number of tasks it has run and the
task it is running. The thread is started from the app's ``ready()``, so that every way
of starting the worker has it, but it writes its first row only once the app registry
is ready: a query while the apps are being set up is discouraged by Django (it warns,
"Accessing the database during app initialization"), and raced the other apps' set-up. The row is removed when the process exits normally; a killed worker
leaves a row whose age keeps growing, which is what the alert watches. After each of
its own beats, a running worker deletes the rows not written for
FLA_HEARTBEAT_FORGET_SECONDS (``forget_stale``): the row of a worker killed for good
stops the alert after that long, while a worker merely late keeps its row, and its
alert, and the rows of a whole fleet that died stay (no worker is left to delete them).
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import logging
import os
import socket
import sys
import threading

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

_state = {"done": 0, "failed": 0, "current": ""}
_lock = threading.Lock()
_stop = threading.Event()  # set at exit (or by ``stop``): the thread ends


def worker_name(argv: list[str] | None = None) -> str:
    """The name of this worker's heartbeat row: its ``--worker-id``, else host:pid."""
    return worker_id(argv) or f"{socket.gethostname()}:{os.getpid()}"


def is_worker_process(argv: list[str] | None = None) -> bool:
    argv = sys.argv if argv is None else argv
    return len(argv) > 1 and argv[1].replace("-", "_") == "db_worker"


def worker_id(argv: list[str] | None = None) -> str:
    """The ``--worker-id`` of a ``db_worker`` command line ("" when none is given: the
    command then makes up a random one, which names nothing an operator knows)."""
    argv = sys.argv if argv is None else argv
    if not is_worker_process(argv):
        return ""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--worker-id", nargs="?", default="")
    try:
        known, _ = parser.parse_known_args(argv[2:])
    except SystemExit:  # a command line db_worker itself refuses
        return ""
    return (known.worker_id or "").strip()


def beat(started_at=None) -> None:
    from fla.ops.models import WorkerHeartbeat

    with _lock:
        state = dict(_state)
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=worker_name(),
        defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            # A worker started again under the same id takes its row over.
            **({"started_at": started_at} if started_at else {}),
            "seen_at": now,
            "tasks_done": state["done"],
            "tasks_failed": state["failed"],
            "current_task": state["current"][:300],
        },
        create_defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": started_at or now,
            "seen_at": now,
            "tasks_done": state["done"],
            "tasks_failed": state["failed"],
            "current_task": state["current"][:300],
        },
    )


def forget_stale(now=None) -> list[str]:
    """Delete the heartbeat rows of the workers not seen for FLA_HEARTBEAT_FORGET_SECONDS
    (never this worker's own); returns their names."""
    from fla.ops.models import WorkerHeartbeat

    horizon = settings.FLA_HEARTBEAT_FORGET_SECONDS
    if horizon <= 0:
        return []
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=horizon)
    stale = WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).exclude(worker=worker_name())
    gone = list(stale.values_list("worker", "seen_at"))
    if gone:
        WorkerHeartbeat.objects.filter(
            worker__in=[name for name, _ in gone], seen_at__lt=cutoff
        ).delete()
        for name, seen_at in gone:
            logger.warning(
                "heartbeat of worker %s forgotten: not seen since %s",
                name,
                seen_at.isoformat(),
                extra={"worker": name},
            )
    return [name for name, _ in gone]


def _on_started(sender, task_result, **kwargs) -> None:
    with _lock:
        _state["current"] = task_result.task.module_path


def _on_finished(sender, task_result, **kwargs) -> None:
    with _lock:
        _state["current"] = ""
        if str(task_result.status).endswith("FAILED"):
            _state["failed"] += 1
        else:
            _state["done"] += 1


def _forget() -> None:
    from fla.ops.models import WorkerHeartbeat

    try:
        WorkerHeartbeat.objects.filter(worker=worker_name()).delete()
    except Exception:  # the database may be gone at exit; the row then just ages
        pass


def start() -> threading.Thread | None:
    """Start the heartbeat thread of this worker process."""
    interval = settings.FLA_HEARTBEAT_SECONDS
    if interval <= 0:
        return None
    from django_tasks.signals import task_finished, task_started

    task_started.connect(_on_started, dispatch_uid="fla.ops.heartbeat.started")
    task_finished.connect(_on_finished, dispatch_uid="fla.ops.heartbeat.finished")
    started_at = timezone.now()
    _stop.clear()

    def loop() -> None:
        # Started while the apps are set up (OpsConfig.ready): the database waits until
        # they all are.
        while not apps.ready_event.wait(0.1):
            if _stop.is_set():
                return
        while True:
            try:
                close_old_connections()
                beat(started_at)
                forget_stale()
            except Exception:
                logger.warning("heartbeat not written", exc_info=True)
            finally:
                connections.close_all()
            if _stop.wait(interval):
                return

    thread = threading.Thread(target=loop, name="fla-heartbeat", daemon=True)
    thread.start()
    atexit.register(_forget)
    atexit.register(_stop.set)
    return thread


def stop() -> None:
    """Stop the heartbeat thread (at exit, as ``start`` arranges; or a test's)."""
    _stop.set()
