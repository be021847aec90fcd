"""Request ids, JSON logs with the INSZ masked, /metrics, heartbeats, the operators' page."""

import json
import logging

import pytest
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
