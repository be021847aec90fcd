"""Read-your-writes with a replica: a client that wrote reads from the primary for a while.

``ReplicaPinMiddleware`` wraps each request in ``dbrouter.pinning()``. A request that
wrote through the ORM, or any successful request of an unsafe method (POST, PUT, PATCH,
DELETE: writes that bypass the ORM count too), pins its client to the primary for
``FLA_REPLICA_PIN_SECONDS`` (default 5): the response sets a cookie with the time the pin
ends, and where the request carried an ``Authorization`` header (API clients, which may
not keep cookies) a cache entry keyed on a hash of that header holds the same time, in
the shared cache (Redis) that every web node sees. A following request of that client
before that time reads from the primary. Without a replica the middleware does nothing.

The cookie carries no secret and no identity: a client that forges it only sends its
own reads to the primary, and never for more than the configured seconds from now.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from fla.core.dbrouter import pinning, replica_configured

COOKIE = "fla_primary"
CACHE_PREFIX = "fla:replica-pin:"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_SECONDS = 5


def pin_seconds() -> int:
    """``FLA_REPLICA_PIN_SECONDS`` (fla/settings.py); 0 turns it off."""
    return max(int(getattr(settings, "FLA_REPLICA_PIN_SECONDS", DEFAULT_SECONDS)), 0)


def _client_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    return CACHE_PREFIX + hashlib.sha256(header.encode()).hexdigest()


class ReplicaPinMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = pin_seconds()
        if not replica_configured() or seconds == 0:
            return self.get_response(request)
        now = time.time()
        key = _client_key(request)
        with pinning(primary=self.pinned(request, key, now, seconds)) as state:
            response = self.get_response(request)
        unsafe = request.method not in SAFE_METHODS and response.status_code < 400
        if state.wrote or unsafe:
            until = now + seconds
            response.set_cookie(
                COOKIE,
                f"{until:.3f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            if key is not None:
                cache.set(key, until, timeout=seconds)
        return response

    @staticmethod
    def pinned(request, key: str | None, now: float, seconds: int) -> bool:
        try:
            until = float(request.COOKIES.get(COOKIE, 0))
        except ValueError:
            until = 0.0
        if now < until <= now + seconds:
            return True
        if key is not None:
            until = cache.get(key) or 0.0
            return now < until <= now + seconds
        return False
