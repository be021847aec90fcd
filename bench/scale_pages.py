"""Do the heaviest screens stay cheap as the country's tables grow?

    .venv/bin/python bench/scale_pages.py --workers 20000 --grow 80000 [--trainings-per-worker 10]
    .venv/bin/python bench/scale_pages.py --direct --workers 20000 --grow 980000 \
        --grow-employers 19601 --trainings-per-worker 10.75

In a new PostgreSQL database (PGHOST/PGUSER, default 127.0.0.1/postgres; named by
``--database``, dropped at the end unless --keep): generates one employer of ``--workers``
workers with ``fla generate`` and times its dashboard, a worker detail and a
large-enterprise search (median of ``--runs`` renders through Django's test client,
charts cache cleared before each render, after a VACUUM ANALYZE). Then generates ``--grow`` more workers in
other employers (the rest of the country) and times the same pages of the same employer
again. Prints the generation throughput, the generator's peak memory and, per page, the
ratio large/small (target: at most 2).

``--direct`` generates with ``fla generate --direct`` (the same data, written in bulk
instead of through the write path): the only way to reach a million workers in minutes.
``--trainings-per-worker`` is what the generator is asked for; as some workers are
employed for part of the years only, about 93 % of it is generated.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"

TIMER = """
import json, os, statistics, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fla.settings")
import django
django.setup()
from django.core.cache import cache
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from fla.accounts.models import EmployerAccess, User
from fla.audit.models import HistoryEntry
from fla.employers.models import Employer
from fla.rights.models import Account
from fla.trainings.models import Training
from fla.web.current import SESSION_KEY

runs = int(sys.argv[1])
employer = Employer.objects.get(name=sys.argv[2])
user, _ = User.objects.get_or_create(username="bench-scale")
EmployerAccess.objects.get_or_create(user=user, employer=employer, defaults={"role": "read"})
client = Client()
client.force_login(user)
session = client.session
session[SESSION_KEY] = employer.pk
session.save()
worker_id = (Account.objects.filter(employer=employer).order_by("-trainings_count")
             .values_list("worker_id", flat=True).first())
pages = {
    "dashboard": reverse("web:dashboard"),
    "worker detail": reverse("web:worker", args=[worker_id]),
    "search (last name)": reverse("web:search") + "?last_name=Pe",
}
result = {"rows": {"accounts": Account.objects.count(), "trainings": Training.objects.count(),
                   "history": HistoryEntry.objects.count(),
                   "employer_workers": Account.objects.filter(employer=employer).count()}}
for name, url in pages.items():
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        cache.clear()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    result[name] = statistics.median(times)
print(json.dumps(result))
"""


def sh(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, check=True, cwd=ROOT, **kw)


def generate(
    env: dict, employers: int, workers: int, trainings: int, seed: int, direct: bool
) -> float:
    start = time.perf_counter()
    cmd = [str(BIN / "fla"), "generate", "--employers", str(employers), "--workers", str(workers),
           "--trainings", str(trainings), "--seed", str(seed)]  # fmt: skip
    if direct:
        # The progress lines go to this script's output: a long run shows where it is.
        sh([*cmd, "--direct", "--progress"], env)
    else:
        sh(cmd, env, capture_output=True)
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    """The largest resident size of a child process so far (Linux: kilobytes)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def vacuum(env: dict, host: str, user: str, db: str) -> float:
    """VACUUM ANALYZE the database, as autovacuum would before the pages are used.

    Right after a bulk load the visibility map is unset and every index-only scan still
    visits the table; timing then measures the load, not the steady state.
    """
    start = time.perf_counter()
    sh(["vacuumdb", "-h", host, "-U", user, "--analyze", "--quiet", db], env)
    return time.perf_counter() - start


def measure(env: dict, runs: int, employer: str) -> dict:
    out = sh([str(BIN / "python"), "-c", TIMER, str(runs), employer], env,
             capture_output=True, text=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=20000)
    parser.add_argument("--grow", type=int, default=80000, help="workers added elsewhere")
    parser.add_argument("--grow-employers", type=int, default=400)
    parser.add_argument("--trainings-per-worker", type=float, default=10)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--direct", action="store_true", help="fla generate --direct")
    parser.add_argument("--database", default=None, help="default: fla_scale_<random>")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    host, user = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGUSER", "postgres")
    db = args.database or f"fla_scale_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": f"postgres://{user}@{host}:5432/{db}",
           "FLA_DATA_DIR": str(ROOT / "data")}  # fmt: skip
    env.pop("FLA_PROFILE", None)
    sh(["createdb", "-h", host, "-U", user, db], env)
    try:
        sh([str(BIN / "fla"), "migrate", "-v", "0"], env)
        per = args.trainings_per_worker
        seconds = generate(env, 1, args.workers, round(args.workers * per), 1, args.direct)
        print(f"generated {args.workers} workers, ~{args.workers * per:.0f} trainings in "
              f"{seconds:.0f} s ({args.workers / seconds:.0f} workers/s), peak "
              f"{peak_rss_mb():.0f} MB; {load()}", flush=True)  # fmt: skip
        employer = "Generated employer 1-1"
        print(f"vacuumed in {vacuum(env, host, user, db):.0f} s", flush=True)
        small = measure(env, args.runs, employer)
        print(f"small ({load()}):", json.dumps(small), flush=True)
        seconds = generate(env, args.grow_employers, args.grow, round(args.grow * per), 2,
                           args.direct)  # fmt: skip
        print(f"generated {args.grow} more workers, ~{args.grow * per:.0f} trainings in "
              f"{seconds:.0f} s ({args.grow / seconds:.0f} workers/s), peak "
              f"{peak_rss_mb():.0f} MB; {load()}", flush=True)  # fmt: skip
        print(f"vacuumed in {vacuum(env, host, user, db):.0f} s", flush=True)
        large = measure(env, args.runs, employer)
        print(f"large ({load()}):", json.dumps(large), flush=True)
        print(f"{'page':22s} {'small ms':>9s} {'large ms':>9s} {'ratio':>6s}")
        for page in ("dashboard", "worker detail", "search (last name)"):
            ratio = large[page] / small[page]
            print(f"{page:22s} {small[page]:9.1f} {large[page]:9.1f} {ratio:6.2f}"
                  f"{'' if ratio <= 2 else '  > 2x'}")  # fmt: skip
        print(f"rows small: {small['rows']}  large: {large['rows']}")
    finally:
        if not args.keep:
            subprocess.run(["dropdb", "-h", host, "-U", user, "--if-exists", db], env=env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
