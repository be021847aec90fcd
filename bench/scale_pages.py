"""Do the heaviest screens stay cheap as the country's tables grow?

    .venv/bin/python bench/scale_pages.py --workers 20000 --grow 80000 [--trainings-per-worker 10]

In a new PostgreSQL database (PGHOST/PGUSER, default 127.0.0.1/postgres; dropped at the
end unless --keep): generates one employer of ``--workers`` workers with ``fla generate``
and times its dashboard, a worker detail and a large-enterprise search (median of
``--runs`` renders through Django's test client, charts cache cleared before each
render). Then generates ``--grow`` more workers in other employers (the rest of the
country) and times the same pages of the same employer again. Prints the generation
throughput and, per page, the ratio large/small (target: at most 2).
"""

from __future__ import annotations

import argparse
import json
import os
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


def generate(env: dict, employers: int, workers: int, trainings: int, seed: int) -> float:
    start = time.perf_counter()
    sh([str(BIN / "fla"), "generate", "--employers", str(employers), "--workers", str(workers),
        "--trainings", str(trainings), "--seed", str(seed)], env, capture_output=True)  # fmt: skip
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
    parser.add_argument("--trainings-per-worker", type=int, default=10)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    host, user = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGUSER", "postgres")
    db = f"fla_scale_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": f"postgres://{user}@{host}:5432/{db}",
           "FLA_DATA_DIR": str(ROOT / "data")}  # fmt: skip
    env.pop("FLA_PROFILE", None)
    sh(["createdb", "-h", host, "-U", user, db], env)
    try:
        sh([str(BIN / "fla"), "migrate", "-v", "0"], env)
        per = args.trainings_per_worker
        seconds = generate(env, 1, args.workers, args.workers * per, 1)
        print(f"generated {args.workers} workers, ~{args.workers * per} trainings in "
              f"{seconds:.0f} s ({args.workers / seconds:.0f} workers/s)", flush=True)  # fmt: skip
        employer = "Generated employer 1-1"
        small = measure(env, args.runs, employer)
        print("small:", json.dumps(small), flush=True)
        seconds = generate(env, args.grow_employers, args.grow, args.grow * per, 2)
        print(f"generated {args.grow} more workers, ~{args.grow * per} trainings in "
              f"{seconds:.0f} s ({args.grow / seconds:.0f} workers/s)", flush=True)  # fmt: skip
        large = measure(env, args.runs, employer)
        print("large:", json.dumps(large), flush=True)
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
