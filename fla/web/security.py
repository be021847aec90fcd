"""Browser-facing hardening: the Content-Security-Policy and the login rate limit.

The other headers (HSTS, X-Content-Type-Options, Referrer-Policy,
Cross-Origin-Opener-Policy) come from Django's ``SecurityMiddleware`` and frame
denial from ``XFrameOptionsMiddleware``; their settings are in ``fla/settings.py``.
"""

from __future__ import annotations

import ipaddress
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header to every response that has none yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No inline script or style anywhere: pages pass data through data- attributes
        # and json_script; every script and stylesheet is a static file of our origin.
        policy = settings.FLA_CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


def _networks(entries: list[str]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent the request.

    ``REMOTE_ADDR``, unless it is one of the reverse proxies of FLA_TRUSTED_PROXIES:
    then the last address of ``X-Forwarded-For`` that is not a trusted proxy (the one
    the outermost trusted proxy saw; addresses further left are the client's own claim
    and are not believed).
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    networks = _networks(settings.FLA_TRUSTED_PROXIES)
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _trusted(address, networks):
            return address
    return remote


def _key(request: HttpRequest, window: int) -> str:
    return f"fla:login:rate:{client_ip(request)}:{window}"


def too_many_attempts(request: HttpRequest) -> bool:
    """Count one login attempt of this client; True once it is over the limit."""
    limit = settings.FLA_LOGIN_RATE_LIMIT
    if limit <= 0:
        return False
    window = int(time.time() // 60)
    key = _key(request, window)
    if cache.add(key, 1, timeout=61):
        return 1 > limit
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=61)
        count = 1
    return count > limit


def forget_attempts(request: HttpRequest) -> None:
    """A completed login clears the client's count: only failures and retries add up."""
    cache.delete(_key(request, int(time.time() // 60)))


def rate_limited_login(methods: tuple[str, ...] = ("GET", "POST")):
    """Answer 429 to a client that starts more than FLA_LOGIN_RATE_LIMIT logins a minute.

    Attempts of the methods given count; a request that ends logged in clears the
    count, so a person who logs in is never slowed down by earlier attempts.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method in methods and too_many_attempts(request):
                response = HttpResponse(
                    "Too many login attempts: wait a minute and try again.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(61 - int(time.time()) % 60)
                return response
            response = view(request, *args, **kwargs)
            if request.method in methods and request.user.is_authenticated:
                forget_attempts(request)
            return response

        return wrapper

    return decorator
