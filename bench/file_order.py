"""What the order of an employer's declarations costs the write path, on PostgreSQL.

The same declarations (``--hires`` new workers, each with ``--trainings`` trainings)
go through ``submit`` twice, for two employers in a fresh database: written worker by
worker (a hire, his trainings, the next hire, ...), and with the employer's hires
first. Worker by worker, a chunk holds hires after trainings of other workers on the
assumption that they leave the employer's size class as it was; a chunk where a hire
moves it under an earlier declaration (the 10th and the 20th full-time worker here) is
rolled back before it writes and cut there (``fla.declarations.services.in_order``).
Prints the time, the chunks, those rolled back and the outcomes of each: they differ where the order does (a training
declared before later hires is judged on the employer's size class before them).

    python bench/file_order.py [--hires 1000] [--trainings 4]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth; PGHOST/PGUSER to change).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.server import VENV_BIN, run, scratch_database  # noqa: E402

MEASURE = r"""
import datetime as dt, json, sys, time
import django
django.setup()
from fla.accounts.access import Caller
from fla.declarations import services
from fla.declarations.services import in_order, submit
from fla.declarations.types import Declaration
from tests import factories

hires, per_worker = int(sys.argv[1]), int(sys.argv[2])
rolled_back = []  # (declarations of a chunk rolled back, the cuts made in it)
in_pieces = services._Session.in_pieces


def counted(session, parsed, cuts):
    rolled_back.append((len(parsed), len(cuts)))
    return in_pieces(session, parsed, cuts)


services._Session.in_pieces = counted


def declarations(tag, first_day):
    number = factories.make_employer(f"Order {tag}").enterprise_number
    workers = []
    for i in range(hires):
        born = first_day + dt.timedelta(days=i // 900)
        insz = factories.make_insz(born, i % 900 + 1)
        hire = Declaration("worker", number, {
            "insz": insz, "first_name": "An", "last_name": f"Peeters {i}",
            "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"},
        })
        trainings = [
            Declaration("training", number, {
                "reference": f"{tag}-{i}-{k}", "insz": insz, "title": f"Opleiding {k}",
                "kind": "formal", "start_date": f"2025-{k % 12 + 1:02d}-10",
                "end_date": f"2025-{k % 12 + 1:02d}-10", "duration_minutes": 60,
                "status": "completed",
            })
            for k in range(per_worker)
        ]
        workers.append((hire, trainings))
    return workers


results = {}
for tag, first_day, by_worker in (("W", dt.date(1970, 1, 1), True),
                                  ("H", dt.date(1980, 1, 1), False)):
    workers = declarations(tag, first_day)
    if by_worker:
        batch = [d for hire, trainings in workers for d in (hire, *trainings)]
    else:
        batch = [hire for hire, _ in workers] + [t for _, ts in workers for t in ts]
    chunks = sum(1 for _ in in_order(batch, 2000))
    rolled_back.clear()
    started = time.perf_counter()
    outcomes = submit(Caller.for_system("bench"), batch)
    seconds = time.perf_counter() - started
    results[tag] = {
        "declarations": len(batch), "chunks": chunks, "seconds": round(seconds, 2),
        "rolled_back": len(rolled_back), "cuts": sum(c for _, c in rolled_back),
        "rolled_back_declarations": sum(n for n, _ in rolled_back),
        "codes": sorted({f.code for o in outcomes for f in o.findings}),
        "counts": {s: sum(o.status == s for o in outcomes) for s in {o.status for o in outcomes}},
    }
print(json.dumps(results))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hires", type=int, default=1000)
    parser.add_argument("--trainings", type=int, default=4, help="trainings per hire")
    args = parser.parse_args(argv)
    with scratch_database("fla_fileorder") as env:
        out = run(
            [str(VENV_BIN / "python"), "-c", MEASURE, str(args.hires), str(args.trainings)],
            env,
            stdout=subprocess.PIPE,
            text=True,
        )
    results = json.loads(out.stdout.strip().splitlines()[-1])
    by_worker, hires_first = results["W"], results["H"]
    for label, r in (("worker by worker", by_worker), ("hires first", hires_first)):
        print(
            f"{label:<17} {r['declarations']:>7} declarations in {r['chunks']:>5} chunks: "
            f"{r['seconds']:>7.2f} s; {r['counts']}, codes {r['codes']}; "
            f"{r['rolled_back']} chunks ({r['rolled_back_declarations']} declarations) "
            f"rolled back before writing and cut {r['cuts']} times where a hire moves the "
            "size class"
        )
    print(
        f"worker by worker costs {by_worker['seconds'] / hires_first['seconds']:.1f} times "
        "as much; its first trainings are judged on the smaller employer before the later "
        "hires (its size class, so its workers' legal right), hence the warnings"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
