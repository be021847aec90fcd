"""Probes, metrics and the operators' page."""

from __future__ import annotations

import ipaddress
import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import render
from django.utils import timezone

from fla.ops import metrics
from fla.web.security import client_ip


def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: the process answers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"fla:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was written")
    cache.delete(key)


def _check_queue() -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.ready().exists()


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready: the database, the cache and the task queue answer."""
    checks: dict[str, str] = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("queue", _check_queue),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # reported, not raised: this is a probe
            checks[name] = f"error: {exc.__class__.__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503
    )


def _allowed(address: str) -> bool:
    if not settings.FLA_METRICS_ALLOW:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.FLA_METRICS_ALLOW)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition of this node (and the database gauges)."""
    if not _allowed(client_ip(request)):
        return HttpResponseForbidden("metrics are not served to this address")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


def ops_page(request: HttpRequest) -> HttpResponse:
    """Queue depth and age, the last failed tasks, worker heartbeats, rights runs.

    For staff only: anyone else signed in gets a 404, as if the page did not exist."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_active and request.user.is_staff):
        raise Http404
    from django.db.models import Count, Min
    from django_tasks_db.models import DBTaskResult

    from fla.ops.models import RightsRun, WorkerHeartbeat

    now = timezone.now()
    queues = []
    waiting = {
        row["queue_name"]: row
        for row in DBTaskResult.objects.ready()
        .values("queue_name")
        .annotate(n=Count("id"), first=Min("enqueued_at"))
    }
    running = dict(
        DBTaskResult.objects.running()
        .values("queue_name")
        .annotate(n=Count("id"))
        .values_list("queue_name", "n")
    )
    for name in sorted(set(settings.TASKS["default"].get("QUEUES") or []) | set(waiting)):
        row = waiting.get(name)
        queues.append(
            {
                "name": name,
                "depth": row["n"] if row else 0,
                "oldest_seconds": int((now - row["first"]).total_seconds()) if row else None,
                "running": running.get(name, 0),
            }
        )
    failures = list(
        DBTaskResult.objects.failed()
        .order_by("-finished_at")
        .only("id", "task_path", "queue_name", "finished_at", "exception_class_path")[:20]
    )
    stale_after = 3 * max(settings.FLA_HEARTBEAT_SECONDS, 1)
    heartbeats = [
        {"beat": beat, "age": int((now - beat.seen_at).total_seconds())}
        for beat in WorkerHeartbeat.objects.all()
    ]
    for item in heartbeats:
        item["stale"] = item["age"] > stale_after
    runs = list(RightsRun.objects.all()[:10])
    return render(
        request,
        "ops/index.html",
        {
            "queues": queues,
            "failures": failures,
            "heartbeats": heartbeats,
            "runs": runs,
            "stale_after": stale_after,
            "now": now,
        },
    )
