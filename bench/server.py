"""What the load benchmarks share: a free port, commands in the project, a scratch
PostgreSQL database, a gunicorn, the CPU time of a process.

``start_gunicorn`` starts the application on 127.0.0.1 in its own process group and
returns once ``/healthz`` answers; ``stop`` ends it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def process_stat(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (the state is [0], the
    session [3], user and system CPU ticks [11] and [12]); None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds_of(pid: int | str, fields: list[str] | None = None) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    fields = fields if fields is not None else process_stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, check=True, cwd=ROOT, **kwargs)


@contextmanager
def scratch_database(prefix: str, **settings: str) -> Iterator[dict]:
    """A new, migrated PostgreSQL database (``PGHOST``, ``PGUSER``; trust auth) and the
    environment that points the project at it, with ``settings`` added; dropped after."""
    host = os.environ.get("PGHOST", "127.0.0.1")
    user = os.environ.get("PGUSER", "postgres")
    name = f"{prefix}_{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fla.settings",
        "DATABASE_URL": f"postgres://{user}@{host}:5432/{name}",
        "FLA_DATA_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / name),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    env.pop("DATABASE_REPLICA_URL", None)
    subprocess.run(["createdb", "-h", host, "-U", user, name], env=env, check=True)
    try:
        run([str(VENV_BIN / "fla"), "migrate", "-v", "0"], env)
        yield env
    finally:
        subprocess.run(["dropdb", "-h", host, "-U", user, "--if-exists", name], env=env)


def wait_up(base: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def start_gunicorn(
    env: dict, worker_class: str, workers: int, threads: int, *extra: str
) -> tuple[subprocess.Popen, int]:
    """gunicorn serving FLA on a free port of 127.0.0.1; (process, port) once up."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "fla.wsgi:application",
            "--worker-class",
            worker_class,
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "-b",
            f"127.0.0.1:{port}",
            *extra,
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    wait_up(f"http://127.0.0.1:{port}")
    return server, port


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
