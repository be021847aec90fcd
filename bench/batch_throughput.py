"""BATCH throughput on PostgreSQL: receive, validate, apply and notify a large file.

    .venv/bin/python bench/batch_throughput.py [--declarations 100000] [--workers 20000]
        [--database-url postgres://postgres@127.0.0.1:5432/fla_batch_bench] [--profile]
        [--test] [--keep]

Recreates the database, seeds one mandatary, one employer and its workers, streams a
file of training declarations to a temporary file, then times the receipt (streaming
XSD validation, storage) and the processing by the worker code, in-process (chunks
through ``submit``, results, checkpoint, notification). Peak memory is the process's
peak resident set size during those two steps (VmHWM, reset before them).

In the same run it measures the floor: lxml's streaming, XSD-validating parse of the
same file reading every zone of every declaration, plus a bare COPY of the same rows
into an unindexed temporary table; it prints our time divided by the floor's.

The process's CPU time is split between the shared write path (``submit``, the same for
every channel) and the BATCH channel's own code (receipt, reading the file, results,
checkpoints, notification). The temporary directory (file, media) is removed at the
end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import multiprocessing
import pstats
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from world import insz_of, postgres_cpu, prepare, seed_employer  # noqa: E402


def rss(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def apply_partition(services, file_id: int, index: int, answer) -> None:
    """In a forked process: apply one partition; send back the CPU time of its ``submit``
    calls and its peak memory."""
    spent = {"submit": 0.0}
    shared = services.submit

    def timed_submit(*args, **kwargs):
        begun = time.process_time()
        try:
            return shared(*args, **kwargs)
        finally:
            spent["submit"] += time.process_time() - begun

    reset_peak()
    services.submit = timed_submit
    services.process_partition(file_id, index)
    answer.send((spent["submit"], rss("VmHWM")))


def seed_world(workers: int, answer) -> None:
    """In a forked process: the employer, its workers and their rights, and a mandatary
    with a mandate for it; sends back (employer id, mandatary id)."""
    from django.db import connections

    from fla.accounts.models import Mandatary, Mandate

    employer, _ids = seed_employer(workers)
    mandatary = Mandatary.objects.create(name="Secretariat", enterprise_number="0400000383")
    Mandate.objects.create(mandatary=mandatary, employer=employer, start_date=dt.date(2020, 1, 1))
    connections.close_all()
    answer.send((employer.pk, mandatary.pk))


def training_zones(i: int, workers: int) -> dict:
    day = dt.date(2025, 1, 6) + dt.timedelta(days=(i // workers) * 7 % 300)
    return {
        "reference": f"R{i:08d}",
        "insz": insz_of(i % workers),
        "title": f"Course {i % 50}",
        "provider": "Academy",
        "kind": "formal",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "duration_minutes": 120,
        "status": "completed",
        "counts_toward_account": "true",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument(
        "--partitions",
        type=int,
        default=2,
        help="Partitions of the file, each applied by a process of its own (as that many "
        "worker processes would); 1 applies the file in one process.",
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/fla_batch_bench"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Profile the processing step and print what costs what.",
    )
    parser.add_argument(
        "--profile-out", metavar="FILE", help="With --profile: also save the statistics."
    )
    parser.add_argument(
        "--test",
        action="store_true",
        help="Send the file to the test environment: checked in rolled-back chunks of "
        "FLA_BATCH_TEST_CHUNK, nothing stored but the results.",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the temporary directory (file, media)."
    )
    args = parser.parse_args()

    work = prepare(
        args.database_url,
        "fla-batch-bench-",
        FLA_BATCH_CHUNK=str(args.chunk),
        FLA_BATCH_PARTITIONS=str(args.partitions),
    )

    from django.db import connection, connections
    from lxml import etree

    from fla.accounts.access import Caller
    from fla.accounts.models import Mandatary
    from fla.batch import services
    from fla.batch.builder import iter_file
    from fla.batch.models import BatchFile
    from fla.batch.parsing import DECLARATION_TAGS, EMPLOYER_TAG, ENTERPRISE_NUMBER_TAG
    from fla.batch.schemas import batch_schema
    from fla.employers.models import Employer
    from fla.workers.models import Worker

    # --- the world ------------------------------------------------------------------
    # Seeded by a process of its own, so that what it held does not count in the peak
    # memory measured below (a worker process starts without it).
    t0 = time.perf_counter()
    connections.close_all()
    reader, writer = multiprocessing.Pipe(duplex=False)
    seeder = multiprocessing.get_context("fork").Process(
        target=seed_world, args=(args.workers, writer)
    )
    seeder.start()
    employer_id, mandatary_id = reader.recv()
    seeder.join()
    assert seeder.exitcode == 0, seeder.exitcode
    employer = Employer.objects.get(pk=employer_id)
    mandatary = Mandatary.objects.get(pk=mandatary_id)
    print(
        f"seeded {args.workers} workers with their 2025 rights in {time.perf_counter() - t0:.1f} s"
    )

    path = work / "file.xml"
    with open(path, "wb") as out:
        declarations = (
            ("training", training_zones(i, args.workers)) for i in range(args.declarations)
        )
        for chunk in iter_file(
            reference="BENCH",
            sender=mandatary.enterprise_number,
            employers=[(employer.enterprise_number, declarations)],
            environment="test" if args.test else "production",
        ):
            out.write(chunk)
    size = path.stat().st_size
    print(f"file: {args.declarations} declarations, {size / 1e6:.1f} MB")

    # --- ours -----------------------------------------------------------------------
    caller = Caller(channel="batch", label="bench", mandatary_id=mandatary.pk)
    # CPU time spent in the shared write path, as against the BATCH channel's own code.
    submit_cpu = 0.0
    shared_submit = services.submit

    def timed_submit(*args, **kwargs):
        nonlocal submit_cpu
        started = time.process_time()
        try:
            return shared_submit(*args, **kwargs)
        finally:
            submit_cpu += time.process_time() - started

    services.submit = timed_submit
    reset_peak()
    base_rss = rss("VmRSS")
    t0, cpu0 = time.perf_counter(), time.process_time() + children_cpu()
    server0 = postgres_cpu()
    with open(path, "rb") as stream:
        receipt = services.receive(caller, stream, production=not args.test)
    t_receive = time.perf_counter() - t0
    assert receipt.accepted, receipt.errors
    profiler = cProfile.Profile() if args.profile else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    # As worker processes would: one plans the file, then each partition is applied by a
    # process of its own (forked here, each with its own database connection).
    plan = services._planned(receipt.file_id, "bench").plan
    t_plan = time.perf_counter() - t0
    connections.close_all()
    helpers = []
    for index in range(1, plan["count"]):
        reader, writer = multiprocessing.Pipe(duplex=False)
        helper = multiprocessing.get_context("fork").Process(
            target=apply_partition, args=(services, receipt.file_id, index, writer)
        )
        helper.start()
        helpers.append((helper, reader))
    services.process_partition(receipt.file_id, 0)
    helper_peaks = []
    for helper, reader in helpers:
        helper_submit_cpu, helper_peak = reader.recv()
        helper.join()
        assert helper.exitcode == 0, helper.exitcode
        submit_cpu += helper_submit_cpu
        helper_peaks.append(helper_peak)
    t_partitions = time.perf_counter() - t0 - t_plan
    services._finish_if_complete(receipt.file_id)
    if profiler:
        profiler.disable()
    t_process = time.perf_counter() - t0
    cpu = time.process_time() + children_cpu() - cpu0
    server = postgres_cpu()
    server = None if server is None or server0 is None else server - server0
    services.submit = shared_submit
    peak = rss("VmHWM")
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert batch.status == "done", batch.error
    ours = t_receive + t_process

    # --- the floor ------------------------------------------------------------------
    t0 = time.perf_counter()
    zones = 0
    with open(path, "rb") as source:
        for _event, element in etree.iterparse(
            source,
            events=("end",),
            tag=(*DECLARATION_TAGS, EMPLOYER_TAG, ENTERPRISE_NUMBER_TAG),
            schema=batch_schema(),
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        ):
            if element.tag in DECLARATION_TAGS:
                for child in element:
                    zones += child.text is not None
                element.clear()
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
    t_parse = time.perf_counter() - t0
    ids = dict(Worker.objects.values_list("insz", "id"))
    rows = [
        (
            employer.pk,
            ids[z["insz"]],
            z["reference"],
            z["title"],
            z["provider"],
            z["kind"],
            z["start_date"],
            z["end_date"],
            z["duration_minutes"],
            z["status"],
            True,
        )
        for z in (training_zones(i, args.workers) for i in range(args.declarations))
    ]
    raw = connection.cursor().connection  # psycopg 3 connection
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE floor_copy (employer_id bigint, worker_id bigint, reference text,"
            " title text, provider text, kind text, start_date date, end_date date,"
            " duration_minutes int, status text, counts boolean)"
        )
        t0 = time.perf_counter()
        with cursor.copy("COPY floor_copy FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        t_copy = time.perf_counter() - t0
        cursor.execute("SELECT count(*) FROM floor_copy")
        assert cursor.fetchone()[0] == args.declarations
    floor = t_parse + t_copy

    n = args.declarations
    print(f"receipt (stream, validate, store): {t_receive:7.2f} s")
    print(f"processing (submit, results, notification): {t_process:7.2f} s")
    print(
        f"  plan {t_plan:.2f} s, partitions {t_partitions:.2f} s, "
        f"notification {t_process - t_plan - t_partitions:.2f} s"
    )
    print(
        f"ours: {ours:.2f} s = {n / ours:,.0f} declarations/s "
        f"(accepted {batch.accepted}, with warnings {batch.accepted_with_warnings}, "
        f"rejected {batch.rejected})"
    )
    print(
        f"CPU time of the {plan['count']} process(es) (receipt and processing): {cpu:.2f} s; "
        f"the rest of the wall time is the database's work and waiting"
    )
    print(
        f"  of which the shared write path (submit): {submit_cpu:.2f} s "
        f"({100 * submit_cpu / cpu:.0f} %), the BATCH channel's own code: "
        f"{cpu - submit_cpu:.2f} s = {1e6 * (cpu - submit_cpu) / n:.1f} µs per declaration"
    )
    if server is not None:
        print(
            f"CPU time of the PostgreSQL server meanwhile (all its processes, so other "
            f"clients' work too): {server:.2f} s = {server / floor:.1f} times the floor"
        )
    print(
        f"peak memory: {peak / 1e6:.0f} MB RSS (of which {base_rss / 1e6:.0f} MB before "
        f"the receipt; Python heap and lxml included)"
        + "".join(f"; partition {i}: {p / 1e6:.0f} MB" for i, p in enumerate(helper_peaks, 1))
    )
    print(
        f"floor: validating parse reading {zones:,} zones {t_parse:.2f} s + "
        f"COPY {t_copy:.2f} s = {floor:.2f} s"
    )
    print(f"ours / floor = {ours / floor:.2f} (target <= 3)")
    if profiler:
        stats = pstats.Stats(profiler)
        if args.profile_out:
            stats.dump_stats(args.profile_out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
