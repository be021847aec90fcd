"""Request id and request metrics, first in the middleware chain."""

from __future__ import annotations

import re
import time
import uuid

from django.conf import settings

from fla.core.logging import mask_text
from fla.ops import metrics
from fla.ops.logging import request_id

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def new_request_id() -> str:
    """32 hexadecimal digits. The INSZ mask leaves them whole even where 11 decimal
    digits stand in a row (it masks only digits with no letter or digit beside them), so
    the access log and the application's log name the same request."""
    return uuid.uuid4().hex


def request_id_of(given: str) -> str:
    """The proxy's well-formed ``X-Request-ID`` with any INSZ-like number in it masked
    (as every log line shows it), or a new id."""
    return mask_text(given) if _VALID_ID.match(given) else new_request_id()


class RequestIdMiddleware:
    """Takes a well-formed ``X-Request-ID`` from the proxy or makes one; logs carry it,
    and the response returns it. The id is never INSZ-like: it is written in every log
    line as it is, and must be the same in all of them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id_of(request.headers.get("X-Request-ID", ""))
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
