"""gunicorn's access and error logs mask the INSZ that API paths and queries carry.

The servers are real: gunicorn started with deploy/gunicorn.conf.py, and with the
command line ``make run`` (fla.serve) builds, serving a tiny WSGI app so that no
database is needed; the requests go over HTTP and the lines are read from its output.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
_POPEN = subprocess.Popen  # the serve test replaces subprocess.Popen while it runs
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
APP = "tests.ops.test_access_log:hello"
KBO = "0403170701"
# Every spelling the API accepts, in paths and in query strings.
REQUESTS = [
    f"/api/v1/employers/{KBO}/workers/85073003328/credit",
    f"/api/v1/employers/{KBO}/workers/85.07.30-033.28/rights/2025",
    f"/api/v1/employers/{KBO}/trainings?insz=85.07.30-033.28&year=2025",
    f"/api/v1/employers/{KBO}/trainings?insz=850730-03328",
    f"/api/v1/employers/{KBO}/trainings?insz=85%2E07%2E30%2D033%2E28",
    f"/api/v1/employers/{KBO}/trainings?insz=85+07+30+033+28",
    f"/api/v1/employers/{KBO}/workers/850.730.033.28/credit",
    f"/api/v1/employers/{KBO}/trainings?insz=85.+07.+30-033.28",
    f"/api/v1/employers/{KBO}/workers/850730%E2%80%9303328/credit",  # an en dash
    f"/api/v1/employers/{KBO}/workers/{quote('８５０７３００３３２８')}/credit",  # full width
    "/boom/85073003328",
]


def hello(environ, start_response):
    if environ["PATH_INFO"].startswith("/boom/"):
        raise RuntimeError(f"failed on {environ['PATH_INFO']}")
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-ID", "r1")])
    return [b"ok"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_and_log(command: list[str], env: dict[str, str], port: int, out: Path) -> str:
    with out.open("wb") as sink:
        server = _POPEN(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError(out.read_text()) from None
                    time.sleep(0.1)
            for path in REQUESTS:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
                except OSError:
                    pass  # /boom answers 500
        finally:
            server.terminate()
            server.wait(timeout=30)
    return out.read_text()


def _assert_masked(log: str) -> None:
    lines = [line for line in log.splitlines() if "/api/v1/" in line or "/boom/" in line]
    assert len(lines) >= len(REQUESTS), log
    assert "033" not in log and "03328" not in log, log
    assert f"/api/v1/employers/{KBO}/workers/850730*****/credit" in log
    assert "insz=850730*****&year=2025" in log
    # The enterprise number (10 digits) stays readable.
    assert all(KBO in line for line in lines if "/api/v1/" in line)
    # gunicorn's error log ("Error handling request /boom/...") is masked too.
    assert "Error handling request GET /boom/850730*****" in log


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_gunicorn_conf_masks_insz_in_access_and_error_log(tmp_path):
    port = _free_port()
    env = _env(
        tmp_path,
        FLA_BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        WEB_THREADS="2",
        GUNICORN_CONTROL_SOCKET=str(tmp_path / "ctl"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    command = [GUNICORN, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), APP]
    log = _serve_and_log(command, env, port, tmp_path / "out.log")
    _assert_masked(log)
    # The production format is kept: one JSON object per request.
    assert f'"request":"GET /api/v1/employers/{KBO}/workers/850730*****/credit HTTP/1.1"' in log


def test_make_run_server_masks_insz_in_access_log(tmp_path, monkeypatch):
    """fla.serve starts gunicorn with the masking logger; run that very command line."""
    import fla.serve

    started: list[list[str]] = []

    class Done:
        returncode = 0

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(fla.serve.subprocess, "run", lambda *a, **k: None)
    monkeypatch.setattr(
        fla.serve.subprocess, "Popen", lambda args, **k: started.append(list(args)) or Done()
    )
    monkeypatch.setattr(fla.serve.time, "sleep", lambda s: None)
    monkeypatch.setattr(fla.serve.signal, "signal", lambda *a: None)
    port = _free_port()
    monkeypatch.setenv("PORT", str(port))
    fla.serve.main()
    (web,) = [args for args in started if args[0].endswith("gunicorn")]
    assert "fla.wsgi" in web
    command = [APP if arg == "fla.wsgi" else arg for arg in web]
    command += ["--workers", "1", "--threads", "2"]
    log = _serve_and_log(command, _env(tmp_path), port, tmp_path / "out.log")
    _assert_masked(log)


@pytest.mark.parametrize(
    "line",
    [
        "GET /api/v1/employers/0403170701/workers/85073003328 HTTP/1.1",
        "GET /x?insz=85.07.30-033.28 HTTP/1.1",
    ],
)
def test_masking_logger_filters_the_access_record(line):
    """The filter the logger adds works on gunicorn's record shape (format + atoms)."""
    import logging

    from gunicorn.config import Config

    from fla.core.logging_gunicorn import MaskingLogger

    logger = MaskingLogger(Config())
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '"%(r)s"', ({"r": line},), None
    )
    assert all(f.filter(record) for f in logger.access_log.filters)
    message = record.getMessage()
    assert "850730*****" in message and "033" not in message
    assert "0403170701" in message or "0403170701" not in line


def test_every_access_line_of_the_production_format_is_json(tmp_path):
    """A request line with a backslash, a quote or a control character made an access
    line that was not JSON (gunicorn escapes only the quote); each line has its time."""
    import json

    port = _free_port()
    env = _env(
        tmp_path,
        FLA_BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        WEB_THREADS="2",
        GUNICORN_CONTROL_SOCKET=str(tmp_path / "ctl"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    command = [GUNICORN, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), APP]
    out = tmp_path / "out.log"
    raw = ['/a"b\\c?x="y', "/back\\slash/85073003328", "/tab?q=a\tb"]
    with out.open("wb") as sink:
        server = _POPEN(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError(out.read_text()) from None
                    time.sleep(0.1)
            for path in raw:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(
                        f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                    )
                    while sock.recv(4096):
                        pass
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = [line for line in out.read_text().splitlines() if line.startswith('{"')]
    entries = [json.loads(line) for line in lines]
    requests = [entry["request"] for entry in entries]
    assert 'GET /a"b\\c?x="y HTTP/1.1' in requests, lines
    assert "GET /back\\slash/850730***** HTTP/1.1" in requests, lines
    assert all(entry["time"].startswith("[") for entry in entries)
