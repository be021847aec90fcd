"""Real gunicorn servers for the ops tests, started the two ways the project starts them.

``gunicorn_server(how)`` starts gunicorn on a free port, serving the tiny WSGI app
``hello`` below (so that no database is needed), either with deploy/gunicorn.conf.py
("conf", as in production) or with the command line ``make run`` (fla.serve) builds
("make_run"). It waits until the server answers and stops it on leaving. A server that
exits or does not answer within 30 s fails the test with its output: never a skip.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

import fla.serve

ROOT = Path(__file__).resolve().parents[2]
_POPEN = subprocess.Popen  # make_run_command replaces subprocess.Popen while it runs
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
APP = "tests.ops.conftest:hello"
START_SECONDS = 30


def hello(environ, start_response):
    """The app the servers serve: 200 "ok", except /boom/... which raises (a 500)."""
    if environ["PATH_INFO"].startswith("/boom/"):
        raise RuntimeError(f"failed on {environ['PATH_INFO']}")
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-ID", "r1")])
    return [b"ok"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    out: Path  # the server's stdout and stderr: its access and error logs

    @property
    def log(self) -> str:
        return self.out.read_text()


@contextmanager
def running(command: list[str], env: dict[str, str], port: int, out: Path) -> Iterator[Server]:
    """``command`` running until the block ends, once it answers on ``port``."""
    with out.open("wb") as sink:
        server = _POPEN(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError(
                            f"gunicorn did not start: {command}\n{out.read_text()}"
                        ) from None
                    time.sleep(0.1)
            yield Server(port, out)
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture
def make_run_command(monkeypatch) -> Callable[[], list[str]]:
    """The gunicorn command line that fla.serve (``make run``) builds from the
    environment at the time of the call; nothing is started."""

    class Done:
        returncode = 0

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    def command() -> list[str]:
        started: list[list[str]] = []
        with monkeypatch.context() as patch:
            patch.setattr(fla.serve.subprocess, "run", lambda *a, **k: None)
            patch.setattr(
                fla.serve.subprocess,
                "Popen",
                lambda args, **k: started.append(list(args)) or Done(),
            )
            patch.setattr(fla.serve.time, "sleep", lambda s: None)
            patch.setattr(fla.serve.signal, "signal", lambda *a: None)
            fla.serve.main()
        (web,) = [args for args in started if args[0].endswith("gunicorn")]
        return web

    return command


@pytest.fixture
def gunicorn_server(
    tmp_path, monkeypatch, make_run_command
) -> Callable[[str], AbstractContextManager[Server]]:
    """``with gunicorn_server("conf") as server:`` or ``gunicorn_server("make_run")``:
    ``hello`` served by a real gunicorn (see the module's docstring)."""

    def start(how: str) -> AbstractContextManager[Server]:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        env["PYTHONPATH"] = str(ROOT)
        if how == "conf":
            command = [GUNICORN, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), APP]
            env.update(
                FLA_BIND=f"127.0.0.1:{port}",
                WEB_WORKERS="1",
                WEB_THREADS="2",
                GUNICORN_CONTROL_SOCKET=str(tmp_path / "ctl"),
                PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
            )
        elif how == "make_run":
            env["PORT"] = str(port)
            monkeypatch.setenv("PORT", str(port))
            web = make_run_command()
            assert "fla.wsgi" in web, web
            command = [APP if arg == "fla.wsgi" else arg for arg in web]
            command += ["--workers", "1", "--threads", "2"]
        else:
            raise ValueError(how)
        return running(command, env, port, tmp_path / "out.log")

    return start
