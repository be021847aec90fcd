"""``make run``: the web server and the background worker of the embedded default.

Both run as child processes; stopping this process (Ctrl-C) stops both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("HOST", "127.0.0.1")
    python = sys.executable
    subprocess.run([python, "-m", "fla.cli", "collectstatic", "--noinput", "-v0"], check=True)
    web = subprocess.Popen(
        [
            os.path.join(os.path.dirname(python), "gunicorn"),
            "fla.wsgi",
            "--bind",
            f"{host}:{port}",
            "--workers",
            os.environ.get("WEB_WORKERS", "2"),
            "--threads",
            os.environ.get("WEB_THREADS", "16"),
            # As deploy/gunicorn.conf.py: gunicorn's maximum request line, not its 4094.
            "--limit-request-line",
            "8190",
            "--timeout",
            os.environ.get("WEB_TIMEOUT", "60"),
            "--access-logfile",
            "-",
            # The INSZ in API paths and query strings is masked in these logs too.
            "--logger-class",
            "fla.core.logging_gunicorn.MaskingLogger",
        ]
    )
    worker = subprocess.Popen([python, "-m", "fla.cli", "db_worker", "--queue-name", "*"])
    print(f"FLA is starting on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    children = [web, worker]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return max((child.returncode or 0) for child in children)


if __name__ == "__main__":
    raise SystemExit(main())
