"""GET /api/v1/batches on PostgreSQL: what a page of the list of BATCH files costs, with
the indexes of the sender and received_at (``batch.0009``) and with the one-column
foreign key indexes they replaced, measured alternately in the same minutes.

Creates a PostgreSQL database with ``--files`` files over 200 senders (160 employers, 40
mandataries holding a mandate for 4 of them each, received over two years), then
``--heavy`` more for one employer and as many for one mandatary (a sender with years of
files: a file's row stays after its content is erased). For each client, the first page
and a page from the middle of its files (its cursor) are asked through Django's test
client; the SQL of the list is run with ``EXPLAIN (ANALYZE, BUFFERS)``. Each round
measures both index sets (the old one inside a transaction that is rolled back).

    python bench/batch_list.py [--files 50000] [--heavy 20000] [--rounds 5]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth; PGHOST/PGUSER to change).
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
import datetime as dt, random, re, statistics, sys, time
import django
django.setup()
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.world import api_token as token
from fla.accounts.models import Mandatary, Mandate
from fla.api.common import encode_cursor
from fla.batch.models import BatchFile
from fla.employers.models import Employer

files, heavy, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(1)
employers = [Employer.objects.create(name=f"E{n}", enterprise_number=f"{n:010d}")
             for n in range(160)]
mandataries = [Mandatary.objects.create(name=f"M{n}", enterprise_number=f"9{n:09d}")
               for n in range(40)]
for n, m in enumerate(mandataries):
    for e in employers[n * 4:n * 4 + 4]:
        Mandate.objects.create(mandatary=m, employer=e, start_date=dt.date(2024, 1, 1))
senders = [("sender_employer", e) for e in employers] + [
    ("sender_mandatary", m) for m in mandataries]
start = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)


def file(n, field, org, received):
    return BatchFile(reference=f"R-{n}", sender=org.enterprise_number, **{field: org},
                     received_at=received, storage_name=f"batch/{n}.xml", status="done",
                     test=rng.random() < 0.1, total=1000, processed=1000, accepted=990,
                     rejected=10)


rows = [file(n, *senders[n % len(senders)], start + dt.timedelta(
    seconds=rng.randrange(2 * 365 * 86400))) for n in range(files)]
big_employer, big_mandatary = employers[9], mandataries[3]  # not in a mandate of M3
for n in range(heavy):
    when = dt.datetime(2021, 11, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=131 * n)
    rows.append(file(files + n, "sender_employer", big_employer, when))
    rows.append(file(files + heavy + n, "sender_mandatary", big_mandatary, when))
BatchFile.objects.bulk_create(rows, batch_size=5000)
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE batch_batchfile")


cases = [  # (label, token, the files it lists)
    ("employer, 250 files", token(employer=employers[20]), {"sender_employer": employers[20]}),
    (f"employer, {heavy + files // 200:,} files", token(employer=big_employer),
     {"sender_employer": big_employer}),
    (f"mandatary (declare), {heavy + files // 200:,} files",
     token(mandatary=big_mandatary, scopes=["declare"]), {"sender_mandatary": big_mandatary}),
    (f"mandatary (read), {heavy + 5 * files // 200:,} files", token(mandatary=big_mandatary),
     None),
]
OLD = [
    "DROP INDEX batch_file_employer_recv_idx", "DROP INDEX batch_file_mandatary_recv_idx",
    "CREATE INDEX old_e ON batch_batchfile (sender_employer_id)",
    "CREATE INDEX old_m ON batch_batchfile (sender_mandatary_id)", "ANALYZE batch_batchfile",
]


class Rollback(Exception):
    pass


def measure(label, raw, mine):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listed = BatchFile.objects.filter(**mine) if mine else None
    if listed is None:
        m = big_mandatary
        from django.db.models import Q
        listed = BatchFile.objects.filter(
            Q(sender_mandatary=m) | Q(sender_employer__in=employers[12:16]))
    middle = listed.order_by("-received_at", "-id")[listed.count() // 2]
    out = {}
    for page, query in (("first page", ""), ("middle page", "?cursor=" + encode_cursor(
            [middle.received_at.isoformat(), middle.pk]))):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/batches" + query).status_code == 200
        [sql] = [q["sql"] for q in queries.captured_queries if 'FROM "batch_batchfile"' in q["sql"]]
        explained, requests = [], []
        with connection.cursor() as cursor:
            for _ in range(3):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [r[0] for r in cursor.fetchall()]
                explained.append(float(re.search(r"Execution Time: ([0-9.]+)", plan[-1])[1]))
        for _ in range(3):
            started = time.perf_counter()
            client.get("/api/v1/batches" + query)
            requests.append((time.perf_counter() - started) * 1000)
        buffers = re.search(r"shared hit=(\d+)", "\n".join(plan))[1]
        out[page] = (explained, requests, buffers)
    return out


results = {}
for _ in range(rounds):
    for indexes in ("new", "old"):
        try:
            with transaction.atomic():
                if indexes == "old":
                    with connection.cursor() as cursor:
                        for statement in OLD:
                            cursor.execute(statement)
                for label, raw, mine in cases:
                    for page, (db, req, buf) in measure(label, raw, mine).items():
                        entry = results.setdefault((label, page, indexes), [[], [], buf])
                        entry[0] += db
                        entry[1] += req
                raise Rollback
        except Rollback:
            pass
print(f"{'client':<38} {'page':<12} {'old indexes: SQL, buffers, request':>38} "
      f"{'new: SQL, buffers, request':>32}")
for label, _raw, _mine in cases:
    for page in ("first page", "middle page"):
        cells = []
        for indexes in ("old", "new"):
            db, req, buf = results[(label, page, indexes)]
            cells.append(f"{statistics.median(db):8.3f} ms {buf:>5} {statistics.median(req):7.1f} ms")
        print(f"{label:<38} {page:<12} {cells[0]:>38} {cells[1]:>32}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--heavy", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with scratch_database("fla_batchlist", FLA_API_RATE_LIMIT="0") as env:
        print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
        run(
            [str(VENV_BIN / "python"), "-c", MEASURE, str(args.files), str(args.heavy),
             str(args.rounds)],
            env,
        )  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
