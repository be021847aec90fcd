"""The API's cursor-paginated lists on PostgreSQL: does a middle or a late page cost what
the first one does, for an employer of 300,000 trainings and 300,000 workers?

Creates a PostgreSQL database with ``--workers`` workers and as many trainings (one
each), 30 % of them of one large employer and the rest spread over ``--employers``
others, the large employer's rows interleaved with the others' as a shared table has
them; 300 of the large employer's trainings at each minute (BATCH chunks). A mandatary holds a mandate for ``--mandates`` of the employers. For each
list, the first page, a middle page and a late one (95 % of the way; their cursors) are asked through
Django's test client; the SQL of the page is run with ``EXPLAIN (ANALYZE, BUFFERS)``,
and so is the same page under the cursor condition the list had before (``before``):

* ``GET /employers/{n}/trainings?limit=1000``, in (updated_at, id) order;
* ``GET /employers/{n}/workers?limit=500``, in (last_name, first_name, id) order;
* ``GET /employers?limit=1000`` of the mandatary, by enterprise number.

    python bench/api_list_pages.py [--workers 1000000] [--rounds 3]

Seeding is set-based SQL (INSERT ... SELECT generate_series): about a minute for a
million workers and trainings on two cores. Needs PostgreSQL on 127.0.0.1:5432 (trust
auth; PGHOST/PGUSER to change).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.server import VENV_BIN, run, scratch_database  # noqa: E402

MEASURE = r"""
import datetime as dt, re, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.world import api_token as token
from fla.accounts.models import Mandatary
from fla.api.common import encode_cursor
from fla.employers.models import Employer
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker

workers, others, mandates, rounds = (int(a) for a in sys.argv[1:5])
started = time.perf_counter()
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO employers_employer (id, enterprise_number, nsso_number, name, language,"
        " reference_weekly_minutes, created_at)"
        " SELECT n, lpad(n::text, 8, '0') || lpad((97 - n %% 97)::text, 2, '0'), '',"
        " 'Employer ' || n, 'nl', 2280, now()"
        " FROM generate_series(1, %s) n", [others + 1])
    cursor.execute(
        "INSERT INTO workers_worker (id, insz, first_name, last_name, birth_date)"
        " SELECT n, lpad(n::text, 11, '0'), 'F' || ((n::bigint * 104729) %% 400),"
        " 'L' || ((n::bigint * 7919) %% 30000), date '1970-01-01' + (n %% 15000)"
        " FROM generate_series(1, %s) n", [workers])
    # worker n: the large employer's (id 1) for 3 n in 10, else one of the others
    employer_of = f"CASE WHEN n %% 10 < 3 THEN 1 ELSE 2 + n %% {others} END"
    cursor.execute(
        "INSERT INTO workers_employment (worker_id, employer_id, start_date, end_date,"
        f" regime, joint_committee) SELECT n, {employer_of}, date '2020-01-01', NULL, 1,"
        " '200' FROM generate_series(1, %s) n", [workers])
    # training n of worker n; one moment for each 1,000 n
    cursor.execute(
        "INSERT INTO trainings_training (id, employer_id, worker_id, reference, title,"
        " description, provider, kind, start_date, end_date, duration_minutes, status,"
        " counts_toward_account, certificate_obtained, right_type, version, warnings,"
        " channel, created_at, updated_at)"
        f" SELECT n, {employer_of}, n, 'T-' || n, 'Training ' || n, '', 'Provider', 'formal',"
        " date '2025-01-01' + (n %% 300), date '2025-01-01' + (n %% 300) + 5, 480,"
        " 'completed', true, false, '', 1, '[]'::jsonb, 'batch',"
        " timestamptz '2025-01-01 00:00Z' + (n / 1000) * interval '1 minute',"
        " timestamptz '2025-01-01 00:00Z' + (n / 1000) * interval '1 minute'"
        " FROM generate_series(1, %s) n", [workers])
    for table in ("employers_employer", "workers_worker", "trainings_training"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                       f" (SELECT max(id) FROM {table}))")
    cursor.execute(
        "INSERT INTO accounts_mandatary (name, enterprise_number) VALUES ('M', '0999999999')")
    cursor.execute(
        "INSERT INTO accounts_mandate (mandatary_id, employer_id, start_date, end_date)"
        " SELECT (SELECT id FROM accounts_mandatary), n, date '2024-01-01', NULL"
        " FROM generate_series(2, %s) n", [mandates + 1])
    for table in ("employers_employer", "workers_worker", "workers_employment",
                  "trainings_training", "accounts_mandate"):
        cursor.execute(f"VACUUM ANALYZE {table}")
print(f"seeded in {time.perf_counter() - started:.0f} s: {Worker.objects.count():,} workers,"
      f" {Training.objects.count():,} trainings", flush=True)

large = Employer.objects.get(pk=1)
base = f"/api/v1/employers/{large.enterprise_number}"


employer_token = token(employer=large)
mandatary_token = token(mandatary=Mandatary.objects.get())
sync_from = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()

trainings = Training.objects.filter(employer=large).order_by("updated_at", "id")
staff = Worker.objects.filter(
    pk__in=Employment.objects.filter(employer=large).values("worker_id")
).order_by("last_name", "first_name", "id")
clients = Employer.objects.filter(mandates__mandatary__enterprise_number="0999999999")
clients = clients.order_by("enterprise_number")


def training_cursor(t):
    return encode_cursor([t.updated_at.isoformat(), t.pk, sync_from])


def trainings_before(t):  # the condition before this change
    return Training.objects.select_related("worker").filter(employer=large).filter(
        Q(updated_at__gt=t.updated_at) | Q(updated_at=t.updated_at, id__gt=t.pk)
    ).order_by("updated_at", "id")[:1001]


def workers_before(w):
    return Worker.objects.filter(
        pk__in=Employment.objects.filter(employer=large).values("worker_id")
    ).filter(
        Q(last_name__gt=w.last_name) | Q(last_name=w.last_name, first_name__gt=w.first_name)
        | Q(last_name=w.last_name, first_name=w.first_name, id__gt=w.pk)
    ).order_by("last_name", "first_name", "id")[:501]


def employers_before(e):
    ids = list(clients.values_list("id", flat=True))
    return Employer.objects.filter(pk__in=ids, enterprise_number__gt=e.enterprise_number
                                   ).order_by("enterprise_number")[:1001]


total = trainings.count()
staff_total = staff.count()
clients_total = clients.count()
LISTS = [  # (label, path, token, table, [(page, cursor, queryset before)])
    (f"trainings ({total:,}), limit 1000", f"{base}/trainings?limit=1000", employer_token,
     "trainings_training", [
         ("first", None, None),
         *((page, training_cursor(t), trainings_before(t)) for page, t in (
             ("middle", trainings[total // 2]), ("late", trainings[total - total // 20])))]),
    (f"workers ({staff_total:,}), limit 500", f"{base}/workers?limit=500", employer_token,
     "workers_worker", [
         ("first", None, None),
         *((page, encode_cursor([w.pk]), workers_before(w)) for page, w in (
             ("middle", staff[staff_total // 2]), ("late", staff[staff_total - staff_total // 20])))]),
    (f"employers ({clients_total:,}), limit 1000", "/api/v1/employers?limit=1000",
     mandatary_token, "employers_employer", [
         ("first", None, None),
         *((page, encode_cursor([e.enterprise_number]), employers_before(e)) for page, e in (
             ("middle", clients[clients_total // 2]), ("late", clients[clients_total - clients_total // 20])))]),
]


def explain(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    took = float(re.search(r"Execution Time: ([0-9.]+)", plan)[1])
    hit = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
    return took, int(hit[1]) + int(hit[2] or 0) if hit else 0


results = {}
for _ in range(rounds):
    for label, path, raw, table, pages in LISTS:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        for page, cursor, before in pages:
            url = path + (f"&cursor={cursor}" if cursor else "")
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            took = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.content[:300]
            # the page's query: the last one of its table (a worker cursor's row comes first)
            sql = [q["sql"] for q in queries.captured_queries
                   if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]][-1]
            entry = results.setdefault((label, page), {"now": [], "before": [], "request": []})
            entry["now"].append(explain(sql))
            entry["request"].append(took)
            if before is not None:
                entry["before"].append(explain(*before.query.sql_with_params()))


def cell(samples):
    if not samples:
        return f"{'':>9} {'':>7}"
    return (f"{statistics.median(s[0] for s in samples):6.2f} ms"
            f" {statistics.median(s[1] for s in samples):>7,}")


print(f"{'list':<34} {'page':<7} {'before: SQL, buffers':>20} {'now: SQL, buffers':>20}"
      f" {'request':>10}")
for label, _path, _raw, _table, pages in LISTS:
    for page, _cursor, _before in pages:
        entry = results[(label, page)]
        print(f"{label:<34} {page:<7} {cell(entry['before']):>20} {cell(entry['now']):>20}"
              f" {statistics.median(entry['request']):7.1f} ms")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--employers", type=int, default=5000)
    parser.add_argument("--mandates", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.mandates > args.employers:
        parser.error("--mandates must not exceed --employers")
    with scratch_database("fla_apilist", FLA_API_RATE_LIMIT="0") as env:
        print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
        run(
            [str(VENV_BIN / "python"), "-c", MEASURE, str(args.workers), str(args.employers),
             str(args.mandates), str(args.rounds)],
            env,
        )  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
