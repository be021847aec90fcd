"""Backup and restore (docs/operations.md): a dump of a seeded database, restored into a
new one, gives identical credit totals. PostgreSQL (pg_dump/pg_restore) when the suite
runs on PostgreSQL, SQLite's online backup API otherwise."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SEED = """
import django
django.setup()
from django.core.management import call_command
from fla.core.demo import generate
call_command("migrate", verbosity=0)
generate(employers=3, workers=40, trainings=120, seed=7)
"""

TOTALS = """
import json
import django
django.setup()
from django.db.models import Count, Sum
from fla.rights.models import Account, CreditLine
from fla.trainings.models import Training
from fla.audit.models import HistoryEntry
print(json.dumps({
    "accounts": Account.objects.aggregate(
        n=Count("id"), granted=Sum("granted_minutes"), remaining=Sum("remaining_minutes"),
        legal=Sum("used_legal_minutes"), sector=Sum("used_sector_minutes"),
        employer=Sum("used_employer_minutes")),
    "credit_lines": CreditLine.objects.aggregate(
        n=Count("id"), granted=Sum("granted_minutes"), used=Sum("used_minutes")),
    "trainings": Training.objects.count(),
    "history": HistoryEntry.objects.count(),
}, sort_keys=True))
"""


def run(script: str, url: str, tmp_path: Path) -> str:
    env = {**os.environ, "DATABASE_URL": url, "FLA_DATA_DIR": str(tmp_path)}
    env.pop("FLA_PROFILE", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=500,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_dump_and_restore_give_identical_credit_totals(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base = url.rsplit("/", 1)[0]
        source, target = (f"fla_backup_{uuid.uuid4().hex[:8]}_{s}" for s in ("src", "dst"))
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{source}"')
            conn.execute(f'CREATE DATABASE "{target}"')
        try:
            run(SEED, f"{base}/{source}", tmp_path)
            dump = tmp_path / "fla.dump"
            subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", f"{base}/{source}"],
                           check=True)  # fmt: skip
            subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                            f"--dbname={base}/{target}", str(dump)], check=True)  # fmt: skip
            before = json.loads(run(TOTALS, f"{base}/{source}", tmp_path))
            after = json.loads(run(TOTALS, f"{base}/{target}", tmp_path))
        finally:
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                for name in (source, target):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        source, target = tmp_path / "source.sqlite3", tmp_path / "restored.sqlite3"
        run(SEED, f"sqlite:///{source}", tmp_path)
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy)  # consistent even while the application writes
        before = json.loads(run(TOTALS, f"sqlite:///{source}", tmp_path))
        after = json.loads(run(TOTALS, f"sqlite:///{target}", tmp_path))
    assert before["trainings"] > 0 and before["accounts"]["n"] > 0
    assert before["credit_lines"]["granted"] > 0
    assert after == before
