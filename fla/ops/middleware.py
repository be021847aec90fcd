"""Request id and request metrics, first in the middleware chain."""

from __future__ import annotations

import re
import time
import uuid

from django.conf import settings

from fla.ops import metrics
from fla.ops.logging import request_id

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class RequestIdMiddleware:
    """Takes a well-formed ``X-Request-ID`` from the proxy or makes one; logs carry it,
    and the response returns it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _VALID_ID.match(given) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


def route_of(request) -> str:
    """The URL pattern that answered (no ids in it), so that labels stay few."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route.lstrip("^")
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            route_of(request),
            request.method if request.method in _METHODS else "other",
            response.status_code,
            time.perf_counter() - start,
        )
        return response
