"""gunicorn's access and error logs mask the INSZ that API paths and queries carry.

The servers are real (tests/ops/conftest.py): gunicorn started with
deploy/gunicorn.conf.py, and with the command line ``make run`` (fla.serve) builds,
serving a tiny WSGI app so that no database is needed; the requests go over HTTP and the lines are read from its output.
"""

from __future__ import annotations

import socket
import urllib.request
from urllib.parse import quote

import pytest

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
    f"/api/v1/employers/{KBO}/workers?name=Dubois&limit=5",
    "/nl/app/history?action=update&who=Marie%20Dubois",
]


def _request_all(server) -> None:
    for path in REQUESTS:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5).read()
        except OSError:
            pass  # /boom answers 500


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
    # A person's name in a query string is not written either.
    assert "Dubois" not in log, log
    assert "workers?name=***&limit=5" in log and "history?action=update&who=***" in log


def test_gunicorn_conf_masks_insz_in_access_and_error_log(gunicorn_server):
    with gunicorn_server("conf") as server:
        _request_all(server)
    log = server.log
    _assert_masked(log)
    # The production format is kept: one JSON object per request.
    assert f'"request":"GET /api/v1/employers/{KBO}/workers/850730*****/credit HTTP/1.1"' in log


def test_make_run_server_masks_insz_in_access_log(gunicorn_server):
    """fla.serve starts gunicorn with the masking logger; run that very command line."""
    with gunicorn_server("make_run") as server:
        _request_all(server)
    _assert_masked(server.log)


@pytest.mark.parametrize(
    "value, written",
    [
        ("name=Jansen&limit=5", "name=***&limit=5"),  # gunicorn's bare query string
        ("GET /x?limit=5&n%61me=Jansen HTTP/1.1", "GET /x?limit=5&n%61me=*** HTTP/1.1"),
        ("GET /x?Last_Name=Jansen&who= HTTP/1.1", "GET /x?Last_Name=***&who= HTTP/1.1"),
        ("GET /x?nickname=Jan&q=a=b HTTP/1.1", "GET /x?nickname=Jan&q=a=b HTTP/1.1"),
    ],
)
def test_a_persons_name_in_any_query_atom_is_hidden(value, written):
    from fla.core.logging_gunicorn import EscapedAtoms

    assert EscapedAtoms({"r": value})["r"] == written


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


def test_every_access_line_of_the_production_format_is_json(gunicorn_server):
    """A request line with a backslash, a quote or a control character made an access
    line that was not JSON (gunicorn escapes only the quote); each line has its time."""
    import json

    raw = ['/a"b\\c?x="y', "/back\\slash/85073003328", "/tab?q=a\tb"]
    with gunicorn_server("conf") as server:
        for path in raw:
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                )
                while sock.recv(4096):
                    pass
    lines = [line for line in server.log.splitlines() if line.startswith('{"')]
    entries = [json.loads(line) for line in lines]
    requests = [entry["request"] for entry in entries]
    assert 'GET /a"b\\c?x="y HTTP/1.1' in requests, lines
    assert "GET /back\\slash/850730***** HTTP/1.1" in requests, lines
    assert all(entry["time"].startswith("[") for entry in entries)
