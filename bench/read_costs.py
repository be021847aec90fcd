"""What each request of the load-and-fault mix costs, in process, on PostgreSQL.

Creates a PostgreSQL database, seeds it as ``bench/load_fault.py`` does (one employer
with ``--workers-data`` workers, their rights, an API client and a signed-in web user)
plus ``--trainings`` trainings through the write path, then sends each kind of request
of the mix ``--runs`` times through Django's test client (after three warm-ups) and
prints, per kind: the median and p90 time, the CPU time of this process (the
application's work) and of the database backend serving it, and the number of SQL
queries. No web server, no network: the cost of the application itself.

    python bench/read_costs.py [--workers-data 1000] [--trainings 20000] [--runs 200]
        [--profile KIND [--sql]]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth; PGHOST/PGUSER to change).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load_fault import SEED  # noqa: E402
from bench.server import VENV_BIN, run, scratch_database  # noqa: E402

MEASURE = r"""
import base64, cProfile, json, os, pstats, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client

from bench.server import cpu_seconds_of

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration

data = json.loads(sys.stdin.read())
trainings, runs = int(sys.argv[1]), int(sys.argv[2])
profiled, show_sql = sys.argv[3], sys.argv[4] == "1"
inszs, en = data["insz"], data["en"]
declarations = [
    Declaration("training", en, {
        "reference": f"B-{n}", "insz": inszs[n % len(inszs)], "title": f"Opleiding {n % 97}",
        "kind": "formal" if n % 3 else "informal",
        "start_date": f"2025-{1 + n % 12:02d}-10", "end_date": f"2025-{1 + n % 12:02d}-11",
        "duration_minutes": 60 + n % 240, "status": "completed" if n % 4 else "planned",
    }) for n in range(trainings)
]
assert all(o.accepted for o in submit(Caller.for_system("bench"), declarations))
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]

api = Client()
basic = base64.b64encode(f"{data['client_id']}:{data['secret']}".encode()).decode()
token = api.post("/api/v1/oauth/token", {"grant_type": "client_credentials"},
                 HTTP_AUTHORIZATION=f"Basic {basic}").json()["access_token"]
bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
web = Client()
web.cookies["sessionid"] = data["session"]
ids = data["worker_ids"]
kinds = {
    "GET /healthz": lambda i: api.get("/healthz"),
    "API GET credit": lambda i: api.get(
        f"/api/v1/employers/{en}/workers/{inszs[i % len(inszs)]}/credit", **bearer),
    "API GET trainings?limit=50": lambda i: api.get(
        f"/api/v1/employers/{en}/trainings?limit=50", **bearer),
    "API PUT training": lambda i: api.put(
        f"/api/v1/employers/{en}/trainings/R-{i}", content_type="application/json", data=json.dumps({
            "insz": inszs[i % len(inszs)], "title": "Eerste hulp", "kind": "formal",
            "start_date": "2025-06-02", "end_date": "2025-06-02", "duration_minutes": 120,
            "status": "completed"}), **bearer),
    "API POST 100 declarations": lambda i: api.post(
        f"/api/v1/employers/{en}/declarations", content_type="application/json",
        data=json.dumps({"declarations": [{"kind": "training", "data": {
            "reference": f"M-{i}-{k}", "insz": inszs[(i * 100 + k) % len(inszs)],
            "title": "Brandpreventie", "kind": "formal", "start_date": "2025-06-03",
            "end_date": "2025-06-03", "duration_minutes": 60, "status": "completed"}}
            for k in range(100)]}), **bearer),
    "web worker detail": lambda i: web.get(f"/app/workers/{ids[i % len(ids)]}/"),
    "web worker list": lambda i: web.get("/app/workers/"),
    "web dashboard": lambda i: web.get("/app/dashboard/"),
}

rows = []
for name, send in kinds.items():
    for i in range(3):
        assert send(runs + i).status_code in (200, 201), name
    queries = []
    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)
    with connection.execute_wrapper(count):
        send(runs + 5)
    if show_sql and profiled and profiled in name:
        print("\n".join(q[:300] for q in queries), file=sys.stderr)
    times = []
    profiler = cProfile.Profile() if profiled and profiled in name else None
    cpu0, db0 = time.process_time(), cpu_seconds_of(backend)
    if profiler:
        profiler.enable()
    for i in range(runs):
        started = time.perf_counter()
        send(i)
        times.append(time.perf_counter() - started)
    if profiler:
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    cpu, db = (time.process_time() - cpu0) / runs, (cpu_seconds_of(backend) - db0) / runs
    times.sort()
    rows.append({"kind": name, "median_ms": round(statistics.median(times) * 1000, 2),
                 "p90_ms": round(times[int(len(times) * 0.9)] * 1000, 2),
                 "cpu_ms": round(cpu * 1000, 2), "db_cpu_ms": round(db * 1000, 2),
                 "queries": len(queries)})
print(json.dumps(rows))
"""


def last_line(cmd: list[str], env: dict, input: str | None = None) -> str:
    """The last line a command in the project prints (its JSON result)."""
    out = run(cmd, env, stdout=subprocess.PIPE, text=True, input=input)
    return out.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers-data", type=int, default=1000)
    parser.add_argument("--trainings", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--profile",
        metavar="KIND",
        default="",
        help="profile the requests whose kind contains KIND (to stderr)",
    )
    parser.add_argument(
        "--sql", action="store_true", help="with --profile: also print the SQL of one such request"
    )
    args = parser.parse_args(argv)
    python = str(VENV_BIN / "python")
    with scratch_database("fla_readcosts", DB_CONN_MAX_AGE="600", FLA_API_RATE_LIMIT="0") as env:
        seeded = last_line([python, "-c", SEED, str(args.workers_data)], env)
        load_before = os.getloadavg()[0]
        measured = last_line(
            [python, "-c", MEASURE, str(args.trainings), str(args.runs), args.profile,
             "1" if args.sql else "0"], env, input=seeded
        )  # fmt: skip
        load_after = os.getloadavg()[0]
    rows = json.loads(measured)
    print(
        f"{args.workers_data} workers, {args.trainings} trainings, {args.runs} requests each; "
        f"load average {load_before:.2f} before, {load_after:.2f} after"
    )
    print(f"{'request':<28} {'median':>8} {'p90':>8} {'CPU':>8} {'DB CPU':>8} {'queries':>8}")
    for r in rows:
        print(
            f"{r['kind']:<28} {r['median_ms']:>6.2f}ms {r['p90_ms']:>6.2f}ms "
            f"{r['cpu_ms']:>6.2f}ms {r['db_cpu_ms']:>6.2f}ms {r['queries']:>8}"
        )
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
