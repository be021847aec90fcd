"""gunicorn passes a request line of up to 8190 bytes (its maximum) on to the
application; only a longer one gets gunicorn's own 414.

Real servers (tests/ops/conftest.py): gunicorn with deploy/gunicorn.conf.py, and with the
command line ``make run`` (fla.serve) builds, serving a tiny WSGI app.
"""

from __future__ import annotations

import socket

LIMIT = 8190  # gunicorn's maximum limit_request_line


def _status(port: int, line_length: int) -> int:
    """The status of a GET whose request line (without its CRLF) is this long."""
    frame = len("GET /?q= HTTP/1.1")
    line = f"GET /?q={'a' * (line_length - frame)} HTTP/1.1"
    assert len(line) == line_length
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{line}\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def _statuses(server) -> list[int]:
    return [_status(server.port, length) for length in (4095, 6000, LIMIT, LIMIT + 1)]


def test_gunicorn_conf_takes_request_lines_up_to_its_maximum(gunicorn_server):
    with gunicorn_server("conf") as server:
        assert _statuses(server) == [200, 200, 200, 414]


def test_make_run_server_takes_request_lines_up_to_the_maximum(gunicorn_server):
    with gunicorn_server("make_run") as server:
        assert _statuses(server) == [200, 200, 200, 414]
