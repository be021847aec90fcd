"""Web hardening: CSRF, cookies and sessions, security headers, login rate limit, and
``check --deploy`` clean in the production profile."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import make_insz
from tests.ops.test_settings import PRODUCTION

ROOT = Path(__file__).resolve().parents[2]
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


# --- headers -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["web:welcome", "web:dashboard", "web:workers", "web:trainings"])
def test_pages_carry_the_strict_policy_and_security_headers(app, name):
    response = app.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_no_template_has_inline_script_style_or_event_handlers():
    offenders = []
    for path in (ROOT / "fla").rglob("templates/**/*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
            offenders.append((path.name, match.group(0)))
        for pattern in (r"\sstyle=", r"<style", r"\son[a-z]+=", r"javascript:"):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append((path.name, pattern))
    assert offenders == []


def test_production_profile_sets_hsts_and_secure_cookies():
    code = (
        "import fla.settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, "
        "s.SECURE_SSL_REDIRECT)"
    )
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    env.update(PRODUCTION)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "31536000", "True", "True", "True", "Lax", "True", "28800", "True", "True",
    ]  # fmt: skip


def test_check_deploy_is_clean_in_the_production_profile():
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    env.update(PRODUCTION)
    # A long random key, as production must have (the test value of tests/ops is too simple).
    env["SECRET_KEY"] = "k7#Qz!f9Lr2@xW8vN5^bT3&mH6*pJ1(sD4)gY0-eC+uA=iO~lK" + "Zq8R"
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={**env, "DJANGO_SETTINGS_MODULE": "fla.settings"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# --- sessions ------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_cookie_is_httponly_lax_and_the_session_expires(app):
    response = app.get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert app.session.get_expire_at_browser_close()
    assert app.session.get_expiry_age() <= django_settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_the_session_cookie_is_sent_httponly_and_lax(client, world):
    response = client.post(reverse("web:demo_login"), {"user": world["user"].pk})
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # ends with the browser; the server side expires too


@pytest.mark.django_db
def test_an_expired_session_is_logged_out(app):
    assert app.get(reverse("web:dashboard")).status_code == 200
    key = app.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = app.get(reverse("web:dashboard"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


# --- CSRF ----------------------------------------------------------------------------


def _callbacks(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_only_the_bearer_token_api_is_csrf_exempt():
    exempt = sorted(
        route
        for route, callback in _callbacks(get_resolver().url_patterns)
        if getattr(callback, "csrf_exempt", False)
    )
    assert exempt, "the API endpoints are expected to be exempt"
    assert [route for route in exempt if not route.startswith("api/v1/")] == []
    sources = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "fla").rglob("*.py")
        if "csrf_exempt" in p.read_text() and "/migrations/" not in p.as_posix()
    ]
    assert sources == ["fla/api/urls.py"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data",
    [
        ("web:logout", {}),
        ("web:choose_employer", {"employer": "1"}),
        ("web:search", {"last_name": "J"}),
        ("web:access_grant", {"insz": "85073003328", "role": "manage"}),
        ("set_language", {"language": "fr"}),
        ("web:demo_login", {"user": "1"}),
    ],
)
def test_a_post_without_the_csrf_token_is_refused(world, name, data):
    from tests.factories import grant, make_user

    manager = make_user()
    grant(manager, world["employer"], "manage")
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(reverse(name), data)
    assert response.status_code == 403
    from fla.accounts.models import EmployerAccess

    assert EmployerAccess.objects.filter(employer=world["employer"]).count() == 2


# --- login rate limit ----------------------------------------------------------------


@pytest.mark.django_db
def test_demo_login_posts_beyond_the_limit_get_429(client, settings):
    settings.FLA_LOGIN_RATE_LIMIT = 10
    url = reverse("web:demo_login")
    answers = [client.post(url, {"user": "999999"}).status_code for _ in range(12)]
    assert answers[:10] == [302] * 10
    assert answers[10:] == [429, 429]
    limited = client.post(url, {"user": "999999"})
    assert int(limited["Retry-After"]) >= 1
    # Another client address still gets in.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post(url, {"user": "999999"}).status_code == 302
    # Showing the list is not an attempt.
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_limit_counts_per_forwarded_client(settings):
    settings.FLA_LOGIN_RATE_LIMIT = 2
    settings.FLA_TRUSTED_PROXIES = ["10.0.0.0/24"]
    url = reverse("web:demo_login")

    def attempt(remote: str, forwarded: str = "") -> int:
        headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
        return Client(REMOTE_ADDR=remote, **headers).post(url, {"user": "9"}).status_code

    # Two clients behind the same proxy each get their own count.
    assert [attempt("10.0.0.5", "198.51.100.7") for _ in range(3)] == [302, 302, 429]
    assert attempt("10.0.0.5", "198.51.100.8") == 302
    # A client cannot escape by claiming another address: only what the proxy saw counts.
    assert attempt("10.0.0.5", "203.0.113.1, 198.51.100.7") == 429
    # Through two trusted proxies, the first untrusted address from the right counts.
    assert attempt("10.0.0.6", "198.51.100.7, 10.0.0.5") == 429
    # A direct client's own X-Forwarded-For is ignored.
    assert [attempt("192.0.2.9", "198.51.100.9") for _ in range(3)] == [302, 302, 429]
    assert attempt("192.0.2.10", "198.51.100.9") == 302


@pytest.mark.django_db
def test_a_successful_login_clears_the_count(client, world, settings):
    settings.FLA_LOGIN_RATE_LIMIT = 3
    url = reverse("web:demo_login")
    for _ in range(2):
        client.post(url, {"user": "999999"})
    assert client.post(url, {"user": world["user"].pk}).status_code == 302  # logs in
    client.logout()
    assert [client.post(url, {"user": "999999"}).status_code for _ in range(4)] == [
        302, 302, 302, 429,
    ]  # fmt: skip


@pytest.mark.django_db
def test_oidc_start_and_callback_are_rate_limited(client, settings):
    settings.FLA_LOGIN_RATE_LIMIT = 2
    settings.OIDC_ISSUER = "https://idp.example.be"
    settings.OIDC_CLIENT_ID = "fla"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp.example.be/auth"
    start = reverse("web:oidc_init")
    assert client.get(start).status_code == 302
    assert client.get(start).status_code == 302
    assert client.get(start).status_code == 429
    assert client.get(reverse("web:oidc_callback") + "?code=x&state=y").status_code == 429


@pytest.mark.django_db
def test_the_limit_can_be_switched_off(client, settings):
    settings.FLA_LOGIN_RATE_LIMIT = 0
    url = reverse("web:demo_login")
    assert {client.post(url, {"user": make_insz()}).status_code for _ in range(15)} == {302}
