"""Request ids, JSON logs with the INSZ masked, /metrics, heartbeats, the operators' page."""

import datetime as dt
import json
import logging
import os
import shlex
import socket
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fla.ops import heartbeat, metrics
from fla.ops.logging import JsonFormatter, RequestIdFilter, request_id
from fla.ops.models import RightsRun, WorkerHeartbeat
from fla.rights.tasks import run_rights
from tests.factories import make_user


def test_request_id_is_made_or_kept(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    bad = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert bad != "<script>" and len(bad) == 32


def test_json_log_line_has_request_id_and_masks_insz():
    from fla.core.logging import MaskInszFilter

    record = logging.LogRecord(
        "fla.x", logging.INFO, __file__, 1, "worker %s", ("85073003328",), None
    )
    record.insz = "85.07.30-033.28"
    token = request_id.set("req-7")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    MaskInszFilter().filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["request_id"] == "req-7" and entry["level"] == "INFO"
    assert entry["message"] == "worker 850730*****"
    assert "033" not in line and "85073003328" not in line


def test_metrics_count_requests_queue_and_declarations(client, db):
    client.get("/healthz")
    run = RightsRun.objects.create(year=2025, total=4, done=1)
    run_rights.enqueue(run.pk)

    class Done:
        status = "accepted"

    class Rejected:
        status = "rejected"

    metrics.count_outcomes([Done(), Done(), Rejected()], "api")
    metrics.count_outcomes([Done()], "api", dry_run=True)
    heartbeat.beat()
    text = client.get("/metrics").content.decode()
    assert 'fla_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert (
        'fla_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in text
    )
    assert 'fla_queue_depth{queue="rights"} 1.0' in text
    assert 'fla_queue_oldest_age_seconds{queue="rights"}' in text
    assert 'fla_declarations_total{channel="api",result="accepted"}' in text
    assert f'fla_worker_heartbeat_age_seconds{{worker="{heartbeat.worker_name()}"}}' in text
    assert 'fla_rights_run_progress_ratio{status="queued",year="2025"} 0.25' in text


def test_declaration_counter_adds_up(db):
    class Out:
        status = "accepted_with_warnings"

    before = metrics.DECLARATIONS.labels(
        channel="batch", result="accepted_with_warnings"
    )._value.get()
    metrics.count_outcomes([Out()] * 3, "batch")
    after = metrics.DECLARATIONS.labels(
        channel="batch", result="accepted_with_warnings"
    )._value.get()
    assert after - before == 3


def test_metrics_allow_list(client, db, settings):
    settings.FLA_METRICS_ALLOW = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403
    settings.FLA_METRICS_ALLOW = ["127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200


def test_heartbeat_row_is_written_and_updated(db):
    heartbeat.beat()
    first = WorkerHeartbeat.objects.get(worker=heartbeat.worker_name())
    heartbeat.beat()
    again = WorkerHeartbeat.objects.get(worker=heartbeat.worker_name())
    assert again.seen_at >= first.seen_at and again.started_at == first.started_at


@pytest.mark.parametrize(
    "argv, expected",
    [(["fla", "db_worker"], True), (["fla", "db-worker", "--queue-name", "*"], True),
     (["fla", "runserver"], False), (["pytest"], False)],
)  # fmt: skip
def test_worker_process_detection(argv, expected):
    assert heartbeat.is_worker_process(argv) is expected


@pytest.mark.parametrize(
    "argv, expected",
    [(["fla", "db_worker", "--queue-name", "*", "--worker-id", "node1-2"], "node1-2"),
     (["fla", "db-worker", "--worker-id=prod-1", "--queue-name", "batch"], "prod-1"),
     (["fla", "db_worker", "--queue-name", "*"], None),
     (["fla", "db_worker", "--worker-id"], None),
     (["fla", "runserver", "--worker-id", "x"], None)],
)  # fmt: skip
def test_heartbeat_is_named_by_the_worker_id_else_host_and_pid(argv, expected):
    host_pid = f"{socket.gethostname()}:{os.getpid()}"
    assert heartbeat.worker_name(argv) == (expected or host_pid)


def test_the_systemd_worker_is_named_by_its_worker_id():
    unit = (Path(__file__).resolve().parents[2] / "deploy/systemd/fla-worker@.service").read_text()
    command = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(command.removeprefix("ExecStart=").replace("${FLA_WORKER_QUEUES}", "*"))
    assert heartbeat.worker_name(argv) == "%H-%i"


def test_a_worker_started_again_under_its_id_takes_its_row_over(db, monkeypatch):
    monkeypatch.setattr(heartbeat.sys, "argv", ["fla", "db_worker", "--worker-id", "node1-1"])
    first_start = timezone.now() - dt.timedelta(hours=1)
    heartbeat.beat(first_start)
    heartbeat.beat(first_start)
    row = WorkerHeartbeat.objects.get()
    assert (row.worker, row.pid, row.started_at) == ("node1-1", os.getpid(), first_start)
    WorkerHeartbeat.objects.update(pid=1)  # the killed process's row
    again = timezone.now()
    heartbeat.beat(again)
    row = WorkerHeartbeat.objects.get()
    assert (row.worker, row.pid, row.started_at) == ("node1-1", os.getpid(), again)


def test_ops_page_is_for_staff_only(client, db):
    assert client.get("/ops/").status_code == 302
    client.force_login(make_user())
    assert client.get("/ops/").status_code == 404


def test_ops_page_shows_queues_failures_heartbeats_and_runs(client, db):
    run_rights.enqueue(999999)
    failed = DBTaskResult.objects.get()
    failed.status = "FAILED"
    failed.exception_class_path = "fla.ops.models.RightsRun.DoesNotExist"
    failed.save()
    RightsRun.objects.create(year=2026, total=10, done=5, status="running", last_employer_id=77)
    heartbeat.beat()
    run_rights.enqueue(1)
    client.force_login(make_user(is_staff=True))
    page = client.get("/ops/").content.decode()
    assert "RightsRun.DoesNotExist" in page
    assert heartbeat.worker_name() in page
    assert "5 / 10 (50 %)" in page
    assert "<td>rights</td><td>1</td>" in page


def test_request_ids_are_never_masked_in_a_log_line(client, monkeypatch):
    # A made-up id with 11 decimal digits in a row is written whole in every log line:
    # the access log and the application's log name the same request.
    from fla.core.logging import mask_text
    from fla.ops import middleware

    class FakeUuid:
        hex = "01234567890abc0123456789def01234"

    monkeypatch.setattr(middleware.uuid, "uuid4", FakeUuid)
    made = client.get("/healthz")["X-Request-ID"]
    assert made == FakeUuid.hex == mask_text(made)
    # A proxy's id with an INSZ in it is kept masked, as every log line writes it.
    given = client.get("/healthz", HTTP_X_REQUEST_ID="req-85073003328-x")["X-Request-ID"]
    assert given == "req-850730*****-x" == mask_text(given)


def test_django_request_warnings_carry_the_request_id(client, db):
    # Django logs "Not Found: …" after the middleware has answered; the line still names
    # the request it is about.
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append((record.getMessage(), record.request_id))

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    finally:
        logger.removeHandler(handler)
    assert ("Not Found: /no-such-page/", "req-404") in seen


def test_debug_does_not_add_a_log_handler_without_the_mask(tmp_path):
    # With DEBUG on, Django's own console handler wrote django.* records as they came
    # (an INSZ in a "Not Found" path unmasked), and each a second time.
    import os
    import subprocess
    import sys

    code = (
        "import django, logging, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'fla.settings';"
        "django.setup();"
        "logging.getLogger('django.request').warning('Not Found: /api/v1/x/85073003328');"
        "logging.getLogger('django.server').info('\"GET /x/85073003328 HTTP/1.1\" 404')"
    )
    env = {**os.environ, "DEBUG": "true", "FLA_DATA_DIR": str(tmp_path)}
    env.pop("FLA_PROFILE", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert "85073003328" not in result.stderr and result.stderr.count("850730*****") == 2


def test_a_missing_metrics_folder_is_made_not_fatal(tmp_path):
    # A worker or the release step started before the web node (which makes the folder)
    # failed at start with FileNotFoundError.
    import os
    import subprocess
    import sys

    folder = tmp_path / "run" / "metrics"
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'fla.settings';"
        "django.setup(); from fla.ops import metrics;"
        "metrics.observe_request('/healthz', 'GET', 200, 0.01); print('counted')"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "FLA_DATA_DIR": str(tmp_path)}
    env.pop("FLA_PROFILE", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "counted" and any(folder.glob("*.db"))
