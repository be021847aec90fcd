"""Load and fault test: traffic, a large BATCH file and a killed worker, all at once.

On 127.0.0.1, against a fresh PostgreSQL database: gunicorn (``--worker-class``,
``--web-workers`` x ``--web-threads``; by default gthread 2 x 16, the shape of a
production node in deploy/gunicorn.conf.py) with persistent database connections,
and 2 ``fla db_worker`` processes. It seeds one employer with
workers, rights, an API client and a signed-in web user, submits a BATCH file of
``--declarations`` trainings through the API, and for ``--seconds`` sends mixed API and
web traffic at ``--rate`` requests per second from an open-loop generator
(``bench/paced.py``: request i is due at start + i/rate, whatever became of the earlier
ones; at most ``--connections`` (64) keep-alive connections in flight, no thread per
request; the run stops by itself; a request that cannot get a connection before it is
``--max-lag`` s late is not sent, and counted).
When the file is a quarter done it SIGKILLs the db_worker processing it (the busier of
the two) and starts a new one. After the traffic window it waits (at most
``--batch-timeout`` s) for the file to finish, then checks:

* no 5xx response, and an answer to every request sent;
* the rate: at least ``--min-sent`` (0.95) of the requests offered in the window were
  sent (none more than ``--max-lag`` s late) and answered;
* no declaration lost or duplicated: one result per declaration of the file, and
  the trainings stored = the accepted creates of the file + the trainings the API
  traffic created;
* the credit totals (Account and CreditLine) equal a recomputation from scratch
  (``refresh_accounts`` for every employer, compared row by row).

    python bench/load_fault.py [--seconds 60] [--rate 200] [--declarations 100000]

Prints the figures (req/s achieved, p50/p99 per kind measured from each request's due
time, errors, batch time, the CPU seconds the web server, the db_workers, the
database's backends and the generator used in the traffic window, the load average)
as text and one JSON line; exits 1 when a check fails. Needs PostgreSQL on
127.0.0.1:5432 (trust auth; PGHOST/PGUSER to change).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.paced import Paced, Request, summary  # noqa: E402
from bench.server import (  # noqa: E402
    VENV_BIN,
    cpu_seconds_of,
    process_stat,
    run,
    start_gunicorn,
    stop,
)

SEED = """
import datetime as dt, json, sys
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from fla.api.services import create_client
from fla.rights.models import TrainingRight
from fla.rights.services import refresh_accounts
from fla.workers.models import Worker
from tests import factories

count = int(sys.argv[1])
employer = factories.make_employer("Belasting NV")
rights, ids, inszs = [], [], []
for n in range(count):
    w = factories.make_worker(employer, start=dt.date(2024, 1, 1), first_name="W",
                              last_name=f"Last{n:05d}", insz=factories.make_insz(
                                  dt.date(1960 + n // 900, 1 + (n // 75) % 12, 1),
                                  serial=1 + n % 75))
    ids.append(w.pk)
    inszs.append(w.insz)
    for year in (2024, 2025):
        rights.append(TrainingRight(employer=employer, worker=w, year=year,
                                    right_type="legal", source="computed", minutes=2280))
TrainingRight.objects.bulk_create(rights)
refresh_accounts(employer.pk)
client = create_client(name="Load client", employer=employer)
user = factories.make_user("load-hr", first_name="Load", last_name="HR")
factories.grant(user, employer, "declare")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session["fla_employer_id"] = employer.pk
session.create()
print(json.dumps({"en": employer.enterprise_number, "insz": inszs, "worker_ids": ids,
                  "client_id": client.client_id, "secret": client.client_secret,
                  "session": session.session_key}))
"""

CHECK = """
import json, sys
import django
django.setup()
from django.db.models import Count
from fla.batch.models import BatchFile, BatchResult
from fla.employers.models import Employer
from fla.rights.models import Account, CreditLine
from fla.rights.services import refresh_accounts
from fla.trainings.models import Training

file_id, declarations, api_creates = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
batch = BatchFile.objects.get(pk=file_id)
results = BatchResult.objects.filter(file=batch)
positions = results.values("position").annotate(n=Count("id")).filter(n__gt=1).count()
accepted_refs = set(results.exclude(status="rejected").values_list("reference", flat=True))

def credit():
    accounts = sorted(Account.objects.values_list(
        "employer_id", "worker_id", "granted_minutes", "used_legal_minutes",
        "used_sector_minutes", "used_employer_minutes", "remaining_minutes", "trainings_count"))
    lines = sorted(CreditLine.objects.values_list(
        "employer_id", "worker_id", "year", "right_type", "granted_minutes", "used_minutes"))
    return accounts, lines

before = credit()
for employer_id in Employer.objects.values_list("id", flat=True):
    refresh_accounts(employer_id)
after = credit()
print(json.dumps({
    "status": batch.status,
    "total": batch.total,
    "results": results.count(),
    "duplicate_positions": positions,
    "accepted": len(accepted_refs),
    "rejected": results.filter(status="rejected").count(),
    "trainings": Training.objects.count(),
    "trainings_batch": Training.objects.filter(reference__startswith="B-").count(),
    "trainings_api": Training.objects.filter(reference__startswith="API-").count(),
    "expected_trainings": len(accepted_refs) + api_creates,
    "accounts": len(before[0]), "credit_lines": len(before[1]),
    "accounts_equal": before[0] == after[0], "credit_lines_equal": before[1] == after[1],
    "seconds": (batch.finished_at - batch.started_at).total_seconds()
        if batch.finished_at and batch.started_at else None,
}))
"""


def cpu_seconds(sessions: dict[str, set[int]], database: str) -> dict[str, float]:
    """CPU seconds used so far by the processes of each named group of sessions (the
    web server, the db_workers) and by the PostgreSQL backends of ``database``."""
    totals = {name: 0.0 for name in [*sessions, "postgres"]}
    for entry in os.listdir("/proc"):
        fields = process_stat(entry) if entry.isdigit() else None
        if fields is None:
            continue
        try:
            used = cpu_seconds_of(entry, fields)
            session = int(fields[3])
            for name, ids in sessions.items():
                if session in ids:
                    totals[name] += used
                    break
            else:
                title = Path(f"/proc/{entry}/cmdline").read_bytes()
                if title.startswith(b"postgres:") and f" {database} ".encode() in title:
                    totals["postgres"] += used
        except (OSError, IndexError, ValueError):
            continue
    return totals


def python(code: str, env: dict, *args) -> dict:
    out = run(
        [str(VENV_BIN / "python"), "-c", code, *map(str, args)],
        env,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_batch(path: Path, data: dict, count: int) -> None:
    sys.path.insert(0, str(ROOT))
    from fla.batch.builder import write_file

    inszs = data["insz"]

    def declarations():
        for n in range(count):
            yield (
                "training",
                {
                    "reference": f"B-{n}",
                    "insz": inszs[n % len(inszs)],
                    "title": f"Opleiding {n % 97}",
                    "kind": "formal" if n % 3 else "informal",
                    "start_date": f"2025-{1 + n % 12:02d}-10",
                    "end_date": f"2025-{1 + n % 12:02d}-11",
                    "duration_minutes": 60 + n % 240,
                    "status": "completed" if n % 4 else "planned",
                },
            )

    with path.open("wb") as out:
        write_file(
            out,
            reference="LOAD-1",
            sender=data["en"],
            employers=[(data["en"], declarations())],
        )


class Worker:
    """An ``fla db_worker`` process on every queue."""

    def __init__(self, env: dict, log: Path):
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "fla"),
                "db_worker",
                "--queue-name",
                "*",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--no-reload",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def cpu_seconds(self) -> float:
        return cpu_seconds_of(self.process.pid)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


class Traffic:
    """Paced mixed traffic (``bench/paced.py``): request i is due at start + i / rate."""

    def __init__(
        self,
        port: int,
        data: dict,
        token: str,
        rate: float,
        seconds: float,
        max_lag: float,
        connections: int = 64,
    ):
        self.port, self.data, self.token = port, data, token
        self.rate, self.seconds, self.max_lag = rate, seconds, max_lag
        self.connections = connections
        self.api_creates = 0
        self.generator: Paced | None = None
        self.cpu_seconds = 0.0  # what the generator itself used

    def request(self, i: int) -> Request:
        d = self.data
        n = len(d["insz"])
        insz, wid = d["insz"][i % n], d["worker_ids"][i % n]
        api = {"Authorization": f"Bearer {self.token}"}
        web = {"Cookie": f"sessionid={d['session']}"}
        en = d["en"]
        slot = i % 10
        if slot in (0, 1, 2):
            return Request(
                "api_credit", "GET", f"/api/v1/employers/{en}/workers/{insz}/credit", api
            )
        if slot in (3, 4):
            body = {
                "insz": insz,
                "title": "Eerste hulp",
                "kind": "formal",
                "start_date": "2025-06-02",
                "end_date": "2025-06-02",
                "duration_minutes": 120,
                "status": "completed",
            }
            return Request(
                "api_put",
                "PUT",
                f"/api/v1/employers/{en}/trainings/API-{i}",
                {**api, "Content-Type": "application/json"},
                json.dumps(body).encode(),
            )
        if slot == 5:
            return Request("api_list", "GET", f"/api/v1/employers/{en}/trainings?limit=50", api)
        if slot in (6, 7):
            return Request("web_worker", "GET", f"/app/workers/{wid}/", web)
        if slot == 8:
            return Request("web_list", "GET", "/app/workers/", web)
        return Request("web_dashboard", "GET", "/app/dashboard/", web)

    def counted(self, request: Request, status: int, body: bytes) -> None:
        if request.kind == "api_put" and status == 201:
            self.api_creates += 1

    def warm_up(self, seconds: float = 2.0) -> None:
        """Reads of every kind (no write: the checks stay exact), not measured: each
        server process loads its code, templates and translations before the window."""
        reads = [i for i in range(10) if i % 10 not in (3, 4)]
        Paced(
            "127.0.0.1",
            self.port,
            40,
            seconds,
            lambda i: self.request(reads[i % len(reads)] + 10 * (i // len(reads))),
            max_lag=self.max_lag,
        ).run()

    def run(self) -> float:
        self.generator = Paced(
            "127.0.0.1",
            self.port,
            self.rate,
            self.seconds,
            self.request,
            max_lag=self.max_lag,
            max_connections=self.connections,
            on_result=self.counted,
        )
        before = resource.getrusage(resource.RUSAGE_SELF)
        elapsed = self.generator.run()
        after = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return elapsed

    def figures(self, elapsed: float) -> dict:
        g = self.generator
        out = summary(g.results, elapsed, g.shed)
        out["api_creates"] = self.api_creates
        out["generator_cpu_s"] = round(self.cpu_seconds, 1)
        out["connections_opened"] = g.connections_opened
        return out


def batch_status(base: str, token: str, file_id: int) -> dict:
    response = requests.get(
        f"{base}/api/v1/batches/{file_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--declarations", type=int, default=100_000)
    parser.add_argument("--workers-data", type=int, default=2000, help="workers of the employer")
    parser.add_argument("--batch-timeout", type=float, default=900)
    parser.add_argument("--lease", type=int, default=10, help="FLA_BATCH_LEASE_SECONDS")
    parser.add_argument(
        "--connections",
        type=int,
        default=64,
        help="requests in flight at most (a saturated server then queues at most this many)",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=16, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument(
        "--max-lag", type=float, default=5, help="drop a request this many s past its due time"
    )
    parser.add_argument(
        "--min-sent",
        type=float,
        default=0.95,
        help="share of the offered requests that must be sent in time and answered",
    )
    args = parser.parse_args(argv)

    pghost = os.environ.get("PGHOST", "127.0.0.1")
    pguser = os.environ.get("PGUSER", "postgres")
    db = f"fla_loadfault_{os.getpid()}"
    data_dir = Path(tempfile.mkdtemp(prefix="fla-loadfault-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fla.settings",
        "DATABASE_URL": f"postgres://{pguser}@{pghost}:5432/{db}",
        "DB_CONN_MAX_AGE": "600",
        "FLA_DATA_DIR": str(data_dir),
        "FLA_API_RATE_LIMIT": "0",
        "FLA_API_MAX_BODY_BYTES": str(1024 * 1024),
        "FLA_BATCH_LEASE_SECONDS": str(args.lease),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_REPLICA_URL", None)
    run(["createdb", "-h", pghost, "-U", pguser, db], env)
    server = None
    workers: list[Worker] = []
    try:
        run([str(VENV_BIN / "fla"), "migrate", "-v", "0"], env)
        data = python(SEED, env, args.workers_data)
        batch_path = data_dir / "load.xml"
        write_batch(batch_path, data, args.declarations)

        server, port = start_gunicorn(
            env, args.worker_class, args.web_workers, args.web_threads, "--timeout", "120"
        )
        base = f"http://127.0.0.1:{port}"
        token = requests.post(
            base + "/api/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(data["client_id"], data["secret"]),
            timeout=10,
        ).json()["access_token"]

        workers = [Worker(env, data_dir / f"worker{i}.log") for i in range(2)]
        with batch_path.open("rb") as handle:
            receipt = requests.post(
                base + "/api/v1/batches",
                data=handle,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
                timeout=300,
            )
        assert receipt.status_code == 202, receipt.text[:500]
        file_id = receipt.json()["file_id"]
        batch_started = time.perf_counter()

        killed: dict = {}

        def progress() -> float:
            """Read from the database: the saturated server must not delay the kill."""
            import psycopg

            with psycopg.connect(host=pghost, user=pguser, dbname=db) as conn:
                processed, total = conn.execute(
                    "select processed, total from batch_batchfile where id = %s", (file_id,)
                ).fetchone()
            return round(100 * processed / max(total, 1), 1)

        def kill_and_restart():
            """Once the file is a quarter done (or the traffic half over), SIGKILL the
            worker that is processing it (the busier of the two) and start a new one."""
            give_up = time.perf_counter() + args.seconds / 2
            while time.perf_counter() < give_up and progress() < 25:
                time.sleep(0.1)
            before = [w.cpu_seconds() for w in workers]
            time.sleep(0.5)
            busy = [w.cpu_seconds() - b for w, b in zip(workers, before, strict=True)]
            index = busy.index(max(busy))
            killed["at_progress"] = progress()
            workers[index].kill()
            killed["at"] = round(time.perf_counter() - batch_started, 1)
            killed["worker"] = index
            time.sleep(1)
            workers[index] = Worker(env, data_dir / f"worker{index}-restarted.log")

        killer = threading.Thread(target=kill_and_restart, daemon=True)
        killer.start()
        traffic = Traffic(
            port, data, token, args.rate, args.seconds, args.max_lag, args.connections
        )
        traffic.warm_up()

        def groups() -> dict[str, set[int]]:
            return {"web": {server.pid}, "db_workers": {w.process.pid for w in workers}}

        load_before = os.getloadavg()
        cpu_before = cpu_seconds(groups(), db)
        elapsed = traffic.run()
        cpu_after = cpu_seconds(groups(), db)
        load_after = os.getloadavg()
        killer.join(timeout=args.seconds)
        figures = traffic.figures(elapsed)
        # CPU used during the traffic window (a worker killed in it loses its count).
        figures["cpu_seconds"] = {
            name: round(cpu_after[name] - cpu_before.get(name, 0.0), 1) for name in cpu_after
        }
        figures["cpu_seconds"]["generator"] = round(traffic.cpu_seconds, 1)
        figures["load_average_before"] = [round(x, 2) for x in load_before]
        figures["load_average_after"] = [round(x, 2) for x in load_after]

        deadline = time.perf_counter() + args.batch_timeout
        status = batch_status(base, token, file_id)
        while status["status"] not in {"done", "failed"} and time.perf_counter() < deadline:
            time.sleep(1)
            status = batch_status(base, token, file_id)
        batch_wall = time.perf_counter() - batch_started
        check = python(CHECK, env, file_id, args.declarations, traffic.api_creates)
    finally:
        for worker in workers:
            worker.kill()
        if server is not None:
            stop(server)
        subprocess.run(["dropdb", "-h", pghost, "-U", pguser, "--if-exists", db], env=env)

    report = {
        "seconds": args.seconds,
        "rate": args.rate,
        "declarations": args.declarations,
        "server": {
            "worker_class": args.worker_class,
            "workers": args.web_workers,
            "threads": args.web_threads,
        },
        "traffic": figures,
        "kill": killed,
        "batch": {
            "status": check["status"],
            "wall_seconds": round(batch_wall, 1),
            "processing_seconds": check["seconds"],
            "declarations_per_s": round(args.declarations / check["seconds"], 1)
            if check["seconds"]
            else None,
        },
        "check": check,
    }
    failures = []
    if figures["5xx"]:
        failures.append(f"{figures['5xx']} responses 5xx")
    if figures["no_answer"]:
        failures.append(f"{figures['no_answer']} requests without an answer")
    offered = round(args.rate * args.seconds)
    answered = figures["n"] - figures["no_answer"]
    if answered < args.min_sent * offered:
        failures.append(
            f"{answered} of the {offered} requests offered were sent and answered "
            f"(at least {args.min_sent:.0%} needed: {figures['shed']} over "
            f"{args.max_lag:g} s late)"
        )
    if check["status"] != "done":
        failures.append(f"the file is {check['status']}")
    if check["results"] != args.declarations or check["duplicate_positions"]:
        failures.append(
            f"{check['results']} results for {args.declarations} declarations "
            f"({check['duplicate_positions']} positions twice)"
        )
    if check["trainings"] != check["expected_trainings"]:
        failures.append(f"{check['trainings']} trainings, {check['expected_trainings']} expected")
    if not (check["accounts_equal"] and check["credit_lines_equal"]):
        failures.append("credit differs from a recomputation from scratch")
    report["failures"] = failures

    t = figures
    print(
        f"server: gunicorn {args.worker_class}, {args.web_workers} workers x "
        f"{args.web_threads} threads; {t['connections_opened']} connections; load average "
        f"{t['load_average_before'][0]} before, {t['load_average_after'][0]} after the traffic"
    )
    print(
        "CPU seconds in the traffic window: "
        + ", ".join(f"{name} {value}" for name, value in t["cpu_seconds"].items())
        + (
            f" ({1000 * t['cpu_seconds']['web'] / t['requests']:.1f} ms of web server per request)"
            if t["requests"]
            else ""
        )
    )
    print(
        f"traffic: {t['requests']} requests in {elapsed:.1f} s = {t['req_per_s']} req/s "
        f"(asked {args.rate}), p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms, "
        f"5xx {t['5xx']}, no answer {t['no_answer']}, 4xx {t['4xx']}, "
        f"not sent (over {args.max_lag} s late) {t['shed']}"
    )
    for kind, k in t["kinds"].items():
        print(
            f"  {kind:14} n={k['n']:6} p50 {k['p50_ms']:7} ms  p99 {k['p99_ms']:7} ms  "
            f"max {k['max_ms']:7} ms  {k['statuses']}"
        )
    print(
        f"batch: {args.declarations} declarations, {check['status']} after "
        f"{batch_wall:.1f} s wall ({check['seconds']} s processing), worker killed at "
        f"{killed.get('at')} s (progress {killed.get('at_progress')} %); results "
        f"{check['results']}, accepted {check['accepted']}, rejected {check['rejected']}"
    )
    print(
        f"trainings: {check['trainings']} stored, {check['expected_trainings']} expected; "
        f"credit recomputed from scratch equal: accounts {check['accounts_equal']}, "
        f"lines {check['credit_lines_equal']} ({check['accounts']} accounts, "
        f"{check['credit_lines']} lines)"
    )
    print(json.dumps(report))
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
