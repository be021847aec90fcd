"""gunicorn settings of an FLA web node: ``gunicorn -c deploy/gunicorn.conf.py fla.wsgi``.

Everything can be set from the environment, so one file serves every node:
FLA_BIND, WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT, FORWARDED_ALLOW_IPS and
PROMETHEUS_MULTIPROC_DIR (see docs/configuration.md).
"""

import os
import re
from pathlib import Path

bind = os.environ.get("FLA_BIND", "127.0.0.1:8000")
# Processes x threads: sync Django code, the database connection per thread. A thread
# that waits (for a worker's row lock while a BATCH chunk holding it commits, for the
# database) holds no CPU: with 16, such waits do not leave the other requests queued
# behind too few threads (at 4 and 8 they did, bench/load_fault.py).
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "16"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests: bounds the effect of any slow leak.
# Not too often: a new process loads the application and each of its threads opens
# a database connection whose backend starts cold, which shows in the slowest
# requests of the next seconds (bench/api_load.py: p99 of a cold server over twice a
# warm one's). At 100 req/s a process this is one replacement every 8 minutes or so.
max_requests = 50_000
max_requests_jitter = 5_000
# The longest request line (method, path and query string, version) gunicorn passes on:
# its maximum, twice its default of 4094, so that a long but legal API query reaches
# Django, which answers anything wrong in it with problem+json. Beyond it gunicorn
# answers 414 itself (docs/api.md, "Errors and limits").
limit_request_line = 8190
# The TLS proxy (or load balancer) in front sets X-Forwarded-Proto / -For.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The API puts the INSZ in paths and query strings: gunicorn's access and error logs
# mask it as Django's logs do (fla.core.logging.MaskInszFilter).
logger_class = "fla.core.logging_gunicorn.MaskingLogger"
access_log_format = (
    '{"time":"%(t)s","remote":"%(h)s","request":"%(r)s","status":%(s)s,"bytes":"%(B)s",'
    '"duration_us":%(D)s,"request_id":"%({x-request-id}o)s"}'
)
errorlog = "-"
proc_name = "fla-web"
# gunicorn's control socket: one per node (two nodes on one machine must not share it).
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET", f"/tmp/fla-gunicorn-{bind.replace(':', '-').replace('/', '_')}.ctl"
)

# Metrics: all worker processes of this node count into one folder (prometheus_client's
# multiprocess mode), which must be set before the application is imported.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", f"/tmp/fla-metrics-{bind.replace(':', '-').replace('/', '_')}"
)
_PID = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server):
    """Remove the files of processes that are gone (an earlier run of this node)."""
    folder = Path(_metrics_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.db"):
        match = _PID.search(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
