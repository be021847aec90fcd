"""Latency of the one write path for a single declaration, on PostgreSQL.

    .venv/bin/python bench/write_path.py [--count 200] [--workers 2000]
        [--database-url postgres://postgres@127.0.0.1:5432/fla_write_path_bench]

Recreates the database, seeds one employer with its workers (each with a computed
right and a few trainings already), then calls ``submit`` sequentially, in-process, the
way one API PUT does (one declaration, an API caller of the employer):

- ``create``: a new training for a different worker each time;
- ``replace``: the same references again with another duration (a new version);
- ``replay``: the same content again (idempotent, nothing written).

For each it prints the median and p99 latency, the Python CPU time per declaration
(the rest is the database and waiting) and the statements per declaration (counted in
a separate pass, as counting turns on Django's debug cursor).

Then, for each size in ``--groups`` (1,4,8,16,32), new trainings for different
workers submitted that many at a time, as the API's group commit writes concurrent
``PUT``s (``fla.declarations.grouping``): the time, the Python CPU time and the CPU
time of the database backend, per declaration.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from world import insz_of, prepare, seed_employer  # noqa: E402

from bench.server import cpu_seconds_of  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/fla_write_path_bench"
    )
    parser.add_argument("--profile", action="store_true", help="Profile the create run.")
    parser.add_argument("--groups", default="1,4,8,16,32", help="declarations per submit")
    args = parser.parse_args()

    prepare(args.database_url, "fla-write-path-")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fla.accounts.access import Caller
    from fla.declarations.services import submit
    from fla.declarations.types import Declaration

    today = dt.date(2025, 11, 15)
    employer, _ids = seed_employer(args.workers, today=today)
    caller = Caller(
        channel="api", label="bench", employer_id=employer.pk, scopes=frozenset({"read", "declare"})
    )

    def declaration(i: int, minutes: int, action: str) -> Declaration:
        return Declaration(
            "training",
            employer.enterprise_number,
            {
                "reference": f"P{i:06d}",
                "insz": insz_of(i % args.workers),
                "title": f"Course {i % 7}",
                "kind": "formal",
                "start_date": "2025-03-10",
                "end_date": "2025-03-10",
                "duration_minutes": minutes,
                "status": "completed",
            },
            action=action,
        )

    # History: three earlier trainings per worker, in one submission.
    history = [
        Declaration("training", employer.enterprise_number, {
            "reference": f"H{i:06d}", "insz": insz_of(i % args.workers), "title": f"Old {i}",
            "kind": "formal", "start_date": "2025-02-03", "end_date": "2025-02-03",
            "duration_minutes": 60, "status": "completed"}, action="create")
        for i in range(3 * args.workers)
    ]  # fmt: skip
    started = time.perf_counter()
    submit(caller, history, today=today)
    print(
        f"seeded {args.workers} workers with {len(history)} trainings in "
        f"{time.perf_counter() - started:.1f} s"
    )

    def run(label: str, action: str, minutes: int, profile: bool = False) -> None:
        times = []
        profiler = cProfile.Profile() if profile else None
        cpu = time.process_time()
        for i in range(args.count):
            d = declaration(i, minutes, action)
            t0 = time.perf_counter()
            if profiler:
                profiler.enable()
            outcome = submit(caller, [d], today=today)[0]
            if profiler:
                profiler.disable()
            times.append((time.perf_counter() - t0) * 1000)
            assert outcome.status != "rejected", outcome.findings
        cpu = (time.process_time() - cpu) * 1000 / args.count
        counts = []
        for i in range(10):
            d = declaration(args.count + i, minutes, action)
            with CaptureQueriesContext(connection) as ctx:
                submit(caller, [d], today=today)
            counts.append(len(ctx.captured_queries))
        print(
            f"{label:8} median {statistics.median(times):6.2f} ms  p99 "
            f"{percentile(times, 0.99):6.2f} ms  (of which Python CPU {cpu:5.2f} ms)  "
            f"statements {max(counts)}"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)

    # New references, then the same references changed, then the same content again.
    run("create", "create", 120, args.profile)
    run("replace", "replace", 90)
    run("replay", "replace", 90)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    # Each group: different workers (a group holds at most one declaration a worker).
    sizes = [int(size) for size in args.groups.split(",") if size]
    count = max(sizes) * max(1, args.count // max(sizes))
    first = 10 * args.count
    for size in sizes:
        cpu, db, started = time.process_time(), cpu_seconds_of(backend), time.perf_counter()
        for start in range(first, first + count, size):
            outcomes = submit(
                caller,
                [declaration(i, 60, "create") for i in range(start, start + size)],
                today=today,
            )
            assert all(o.status != "rejected" for o in outcomes)
        elapsed = time.perf_counter() - started
        first += count
        print(
            f"groups of {size:3}: {elapsed * 1000 / count:6.2f} ms a declaration  "
            f"(Python CPU {(time.process_time() - cpu) * 1000 / count:5.2f} ms, database "
            f"CPU {(cpu_seconds_of(backend) - db) * 1000 / count:5.2f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
