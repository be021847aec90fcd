"""Time the heaviest screens of the online application for the largest employer.

    FLA_DATA_DIR=... .venv/bin/python bench/web_pages.py [--runs 20]

Renders the dashboard, the worker list (default order and sorted by remaining credit),
a worker detail, the training list and a large-enterprise search through Django's test
client, and prints the median time in ms of ``--runs`` renders after two warm-ups, and
the median with the cache cleared before each render (the dashboard's charts are cached
until the employer's data changes; the other pages use no cache).
Target: under 300 ms per page for a 20,000-worker employer (`fla generate`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fla.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from fla.accounts.models import EmployerAccess, User  # noqa: E402
from fla.rights.models import Account  # noqa: E402
from fla.web.current import SESSION_KEY  # noqa: E402

TARGET_MS = 300


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    largest = Account.objects.values("employer_id").annotate(n=Count("id")).order_by("-n").first()
    if not largest:
        print("no accounts in this database: run `fla generate` first")
        return 1
    employer_id, size = largest["employer_id"], largest["n"]
    access = EmployerAccess.objects.filter(employer_id=employer_id).select_related("user").first()
    created = None
    if access is None:
        created = User.objects.create_user("bench-web-pages")
        EmployerAccess.objects.create(user=created, employer_id=employer_id, role="read")
        user = created
    else:
        user = access.user
    try:
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = employer_id
        session.save()
        worker_id = (
            Account.objects.filter(employer_id=employer_id)
            .order_by("-trainings_count")
            .values_list("worker_id", flat=True)
            .first()
        )
        pages = {
            "dashboard": reverse("web:dashboard"),
            "worker list": reverse("web:workers"),
            "worker list, by remaining": reverse("web:workers") + "?sort=-remaining&page=50",
            "worker detail": reverse("web:worker", args=[worker_id]),
            "training list": reverse("web:trainings"),
            "search (last name)": reverse("web:search") + "?last_name=Pe",
        }
        print(f"employer {employer_id}: {size} workers; median of {args.runs} renders")
        worst = 0.0
        for name, url in pages.items():
            for _ in range(2):
                assert client.get(url).status_code == 200, url
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, url
            median = statistics.median(times)
            worst = max(worst, median)
            cold = []
            for _ in range(max(3, args.runs // 4)):
                cache.clear()
                start = time.perf_counter()
                client.get(url)
                cold.append((time.perf_counter() - start) * 1000)
            print(
                f"  {name:28s} {median:7.1f} ms   (cache cleared: {statistics.median(cold):7.1f} ms)"
            )
        print(f"slowest median {worst:.1f} ms (target < {TARGET_MS} ms)")
        return 0
    finally:
        if created is not None:
            created.delete()


if __name__ == "__main__":
    raise SystemExit(main())
