"""What the write-path benchmarks share: a fresh PostgreSQL database and one employer.

``prepare(database_url, prefix)`` recreates the database, points the settings at it,
migrates it and sets Django up; ``seed_employer(workers)`` creates one employer in
joint committee 200 with ``workers`` workers employed full time since 2020, and their
computed rights of 2025. Workers get the INSZ ``insz_of(i)``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def insz_of(i: int) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=i // 900)
    serial = i % 900 + 1
    body = f"{birth:%y%m%d}{serial:03d}"
    return body + f"{97 - int(body) % 97:02d}"


def api_token(**owner) -> str:
    """A bearer token, valid until 2100, of a new API client of ``owner`` (``employer=``
    or ``mandatary=``, and ``scopes=`` if not all): what the list benchmarks call with,
    without the token endpoint."""
    import secrets

    from oauth2_provider.models import AccessToken

    from fla.api.services import create_client

    client = create_client(name=secrets.token_hex(4), **owner).client
    raw = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        application=client.application,
        token=raw,
        scope=client.scopes,
        expires=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
    )
    return raw


def recreate_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(database_url: str, prefix: str, **environment: str) -> Path:
    """A new database at ``database_url``, migrated, and Django set up on it.

    Returns a new temporary directory that holds the data directory and media.
    """
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DATABASE_URL"] = database_url
    os.environ["FLA_DATA_DIR"] = str(work)
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "fla.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(environment)
    recreate_database(database_url)
    subprocess.run(
        [sys.executable, "-m", "fla.cli", "migrate", "--noinput", "-v0"], check=True, cwd=ROOT
    )
    import django

    django.setup()
    return work


def seed_employer(workers: int, today: dt.date | None = None):
    """One employer with ``workers`` workers and their 2025 rights; returns (employer, ids).

    ``ids`` maps each INSZ to the worker's id.
    """
    from fla.employers.models import Employer
    from fla.rights.services import compute_rights
    from fla.workers.models import Employment, Worker

    employer = Employer.objects.create(name="Employer", enterprise_number="0403170701")
    Worker.objects.bulk_create(
        [Worker(insz=insz_of(i), first_name="W", last_name=f"N{i}") for i in range(workers)],
        batch_size=5000,
    )
    ids = dict(Worker.objects.values_list("insz", "id"))
    Employment.objects.bulk_create(
        [
            Employment(
                worker_id=ids[insz_of(i)],
                employer=employer,
                start_date=dt.date(2020, 1, 1),
                regime=1,
                joint_committee="200",
            )
            for i in range(workers)
        ],
        batch_size=5000,
    )
    compute_rights(2025, [employer.pk], today=today)
    return employer, ids


def postgres_cpu() -> float | None:
    """CPU seconds the local PostgreSQL server has spent, all its processes included
    (live backends and helpers, and the backends that have ended, which the postmaster
    has reaped); None where the server is not a process of this machine we may read."""
    tick = os.sysconf("SC_CLK_TCK")
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name_end = stat.rindex(")")
        name = stat[stat.index("(") + 1 : name_end]
        fields = stat[name_end + 2 :].split()
        # After the name: state, ppid, ..., utime (14th field of the line), stime,
        # cutime, cstime.
        processes[int(entry.name)] = (name, int(fields[1]), [int(f) for f in fields[11:15]])
    postmasters = [
        pid
        for pid, (name, ppid, _) in processes.items()
        if name == "postgres" and processes.get(ppid, ("",))[0] != "postgres"
    ]
    if not postmasters:
        return None
    total = 0
    for pid, (_name, ppid, (utime, stime, cutime, cstime)) in processes.items():
        if pid in postmasters:
            total += utime + stime + cutime + cstime
        elif ppid in postmasters:
            total += utime + stime
    return total / tick
