"""Prometheus metrics.

In-process counters and histograms (requests, latency, declarations) use
prometheus_client; under gunicorn they run in multiprocess mode when
``PROMETHEUS_MULTIPROC_DIR`` is set (deploy/gunicorn.conf.py sets it), so every worker
process of a node adds to the same numbers. Queue depth, age of the oldest waiting task,
failures, worker heartbeats and rights runs are read from the database at scrape time,
so they are right whichever node is scraped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

# In multiprocess mode each metric opens a file in that folder as it is created: make
# sure the folder exists, so that a process started before the web node (a worker, the
# release step) counts instead of failing at start with FileNotFoundError.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "fla_http_requests",
    "HTTP requests answered, by route pattern, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "fla_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern and method",
    ["route", "method"],
    buckets=BUCKETS,
)
DECLARATIONS = Counter(
    "fla_declarations",
    "Declarations processed by the write path, by channel and result",
    ["channel", "result"],
)

GROUP_SIZE = Histogram(
    "fla_write_group_declarations",
    "Declarations of concurrent API requests written together in one transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)


def count_outcomes(outcomes: Iterable, channel: str, dry_run: bool = False) -> None:
    """Count the outcomes of one ``submit`` call (dry runs are validations: not counted)."""
    if dry_run:
        return
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[str(outcome.status)] = counts.get(str(outcome.status), 0) + 1
    for result, n in counts.items():
        DECLARATIONS.labels(channel=str(channel), result=result).inc(n)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    LATENCY.labels(route=route, method=method).observe(seconds)


class DatabaseCollector:
    """Gauges computed from the database when /metrics is scraped."""

    def collect(self):
        from django.db.models import Count, Min
        from django_tasks_db.models import DBTaskResult

        from fla.ops.models import RightsRun, WorkerHeartbeat

        now = timezone.now()
        depth = GaugeMetricFamily(
            "fla_queue_depth", "Tasks waiting to be run, by queue", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "fla_queue_oldest_age_seconds",
            "Age of the oldest task waiting to be run, by queue (0 when none waits)",
            labels=["queue"],
        )
        waiting = {
            row["queue_name"]: row
            for row in DBTaskResult.objects.ready()
            .values("queue_name")
            .annotate(n=Count("id"), first=Min("enqueued_at"))
        }
        from django.conf import settings

        queues = set(settings.TASKS["default"].get("QUEUES") or []) | set(waiting)
        for queue in sorted(queues):
            row = waiting.get(queue)
            depth.add_metric([queue], row["n"] if row else 0)
            age = (now - row["first"]).total_seconds() if row else 0.0
            oldest.add_metric([queue], max(age, 0.0))
        yield depth
        yield oldest

        by_status = GaugeMetricFamily(
            "fla_tasks", "Background tasks stored, by status", labels=["status"]
        )
        for row in DBTaskResult.objects.values("status").annotate(n=Count("id")):
            by_status.add_metric([row["status"]], row["n"])
        yield by_status

        seen = GaugeMetricFamily(
            "fla_worker_heartbeat_age_seconds",
            "Seconds since each background worker's last heartbeat",
            labels=["worker"],
        )
        done = CounterMetricFamily(
            "fla_worker_tasks", "Tasks run by each background worker", labels=["worker", "result"]
        )
        for beat in WorkerHeartbeat.objects.all():
            seen.add_metric([beat.worker], max((now - beat.seen_at).total_seconds(), 0.0))
            done.add_metric([beat.worker, "successful"], beat.tasks_done)
            done.add_metric([beat.worker, "failed"], beat.tasks_failed)
        yield seen
        yield done

        progress = GaugeMetricFamily(
            "fla_rights_run_progress_ratio",
            "Share of employers done by the latest rights run of each year",
            labels=["year", "status"],
        )
        latest: dict[int, RightsRun] = {}
        for run in RightsRun.objects.order_by("year", "-created_at"):
            latest.setdefault(run.year, run)
        for year, run in sorted(latest.items()):
            progress.add_metric([str(year), run.status], run.done / run.total if run.total else 1.0)
        yield progress


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def render() -> tuple[bytes, str]:
    """The metrics text of this node: in-process metrics of all its processes + database."""
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    return own + generate_latest(database), CONTENT_TYPE_LATEST
