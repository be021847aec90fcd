"""Boots the production profile as ``make prod`` does and runs a smoke test through it.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must run: without them the test
fails and says which one is missing. It creates its own database and drops it after.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.xdist_group("prod")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_services() -> None:
    import psycopg
    import redis

    try:
        psycopg.connect(PG_ADMIN, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"the production smoke test needs PostgreSQL on 127.0.0.1:5432: {exc}")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"the production smoke test needs Redis on 127.0.0.1:6379: {exc}")


class Discovery(http.server.BaseHTTPRequestHandler):
    """A provider's discovery document: enough for the login redirect."""

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        body = json.dumps(
            {
                "issuer": base,
                "authorization_endpoint": base + "/authorize",
                "token_endpoint": base + "/token",
                "userinfo_endpoint": base + "/userinfo",
                "jwks_uri": base + "/jwks",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str, headers: dict | None = None):
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        return opener.open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        return exc


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the production profile stopped early (exit {proc.returncode})")
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_production_profile_boots_and_serves(tmp_path):
    require_services()
    import psycopg

    db = f"fla_prodsmoke_{uuid.uuid4().hex[:10]}"
    url = f"postgres://postgres@127.0.0.1:5432/{db}"
    idp = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
    threading.Thread(target=idp.serve_forever, daemon=True).start()
    ports = [free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FLA_PROFILE"}}
    env.update(
        {
            "OIDC_ISSUER": f"http://127.0.0.1:{idp.server_address[1]}",
            "OIDC_VERIFY_SSL": "false",
            "WEB_WORKERS": "2",
            "FLA_HEARTBEAT_SECONDS": "2",
        }
    )
    log = open(tmp_path / "prod.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "fla.ops.prod", "--database-url", url, "--redis-url", REDIS,
         "--ports", ",".join(map(str, ports)), "--run-dir", str(tmp_path / "run"),
         "--duration", "900"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(
            lambda: "FLA production profile" in (tmp_path / "prod.log").read_text(),
            600, "the web nodes", proc,
        )  # fmt: skip
        for port in ports:
            base = f"http://127.0.0.1:{port}"
            health = get(base + "/healthz")
            assert health.status == 200 and json.load(health) == {"status": "ok"}
            ready = get(base + "/readyz", {"X-Request-ID": "smoke-1"})
            assert ready.status == 200
            assert json.load(ready) == {
                "status": "ok", "database": "ok", "cache": "ok", "queue": "ok",
            }  # fmt: skip
            assert ready.headers["X-Request-ID"] == "smoke-1"

            # Static files: hashed names from the manifest, served by whitenoise, compressed.
            welcome = get(base + "/")
            assert welcome.status == 200
            page = welcome.read().decode()
            css = re.search(r'href="(/static/web/fla\.[0-9a-f]{12}\.css)"', page)
            assert css, "the page does not link the hashed stylesheet"
            static = get(base + css.group(1), {"Accept-Encoding": "gzip"})
            assert static.status == 200
            assert "max-age=315360000" in static.headers["Cache-Control"]
            assert static.headers.get("Content-Encoding") == "gzip"

            # Login: the production profile sends the browser to the OIDC provider.
            login = get(base + "/login/")
            assert login.status == 302
            start = get(base + login.headers["Location"])
            assert start.status == 302
            assert start.headers["Location"].startswith(env["OIDC_ISSUER"] + "/authorize?")
            assert "client_id=fla-local" in start.headers["Location"]
            assert get(base + "/login/demo/").status == 404  # no demo login in production

        # A read of the database: the yearly rights run, enqueued from the command line,
        # is done by the workers and its progress is read by the web nodes.
        prod_env = {**env, "FLA_PROFILE": "production", "DATABASE_URL": url,
                    "REDIS_URL": REDIS, "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
                    "OIDC_CLIENT_ID": "fla-local", "OIDC_CLIENT_SECRET": "s"}  # fmt: skip
        out = subprocess.run(
            [str(Path(sys.executable).parent / "fla"), "compute-rights", "--year", "2025",
             "--background"],
            cwd=ROOT, env=prod_env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert re.search(r"rights run \d+ of 2025 enqueued: 0/[1-9]\d*", out), out

        def metrics():
            return get(f"http://127.0.0.1:{ports[1]}/metrics").read().decode()

        done = 'fla_rights_run_progress_ratio{status="done",year="2025"} 1.0'
        wait_for(lambda: done in metrics(), 120, "the rights run", proc)
        text = metrics()
        assert len(re.findall(r"^fla_worker_heartbeat_age_seconds\{", text, re.M)) == 2
        assert re.search(r'^fla_queue_depth\{queue="rights"\} 0\.0$', text, re.M)
        assert re.search(r'^fla_http_requests_total\{.*route="/readyz".*\} [1-9]', text, re.M)
        assert "fla_http_request_duration_seconds_bucket" in text
        # JSON logs with the request id.
        logged = (tmp_path / "prod.log").read_text()
        assert '"request_id":"smoke-1"' in logged
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        finally:
            log.close()
            idp.shutdown()
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    assert proc.returncode == 0, (tmp_path / "prod.log").read_text()[-3000:]
