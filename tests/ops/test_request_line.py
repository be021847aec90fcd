"""gunicorn passes a request line of up to 8190 bytes (its maximum) on to the
application; only a longer one gets gunicorn's own 414.

Real servers, as in test_access_log: gunicorn with deploy/gunicorn.conf.py, and with the
command line ``make run`` (fla.serve) builds, serving a tiny WSGI app.
"""

from __future__ import annotations

import socket
import time

from tests.ops.test_access_log import _POPEN, APP, GUNICORN, ROOT, _env, _free_port

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


def _statuses(command: list[str], env: dict[str, str], port: int, tmp_path) -> list[int]:
    with (tmp_path / "out.log").open("wb") as sink:
        server = _POPEN(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    _status(port, 100)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError((tmp_path / "out.log").read_text()) from None
                    time.sleep(0.1)
            return [_status(port, length) for length in (4095, 6000, LIMIT, LIMIT + 1)]
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_gunicorn_conf_takes_request_lines_up_to_its_maximum(tmp_path):
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
    assert _statuses(command, env, port, tmp_path) == [200, 200, 200, 414]


def test_make_run_server_takes_request_lines_up_to_the_maximum(tmp_path, monkeypatch):
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
    command = [APP if arg == "fla.wsgi" else arg for arg in web]
    command += ["--workers", "1", "--threads", "2"]
    assert _statuses(command, _env(tmp_path), port, tmp_path) == [200, 200, 200, 414]
