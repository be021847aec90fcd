"""Reads go to the replica alias when DATABASE_REPLICA_URL is set; writes and reads
inside a transaction go to the primary. The replica alias points at the same database
here (as the settings' TEST MIRROR does under the test runner)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fla.core.dbrouter import ReplicaRouter

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from fla.employers.models import Employer

assert settings.DATABASES["replica"]["TEST"]["MIRROR"] == "default"
call_command("migrate", verbosity=0)
with CaptureQueriesContext(connections["default"]) as primary, \\
        CaptureQueriesContext(connections["replica"]) as replica:
    employer = Employer.objects.create(name="Acme", enterprise_number="0403170701")
    assert Employer.objects.all().db == "replica"
    assert Employer.objects.get(pk=employer.pk).name == "Acme"  # read from the replica
    with transaction.atomic():
        assert Employer.objects.all().db == "default"
        locked = Employer.objects.select_for_update().get(pk=employer.pk)
        locked.name = "Acme NV"
        locked.save()
assert any("INSERT" in q["sql"] for q in primary.captured_queries)
assert any("UPDATE" in q["sql"] for q in primary.captured_queries)
assert not any(q["sql"].startswith(("INSERT", "UPDATE")) for q in replica.captured_queries)
assert any("SELECT" in q["sql"] for q in replica.captured_queries)
print("routed", len(primary.captured_queries), len(replica.captured_queries))
"""


def test_reads_to_the_replica_writes_to_the_primary(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_REPLICA_URL": url,
           "FLA_DATA_DIR": str(tmp_path)}  # fmt: skip
    env.pop("FLA_PROFILE", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("routed")


def test_without_a_replica_the_router_leaves_reads_alone(db):
    router = ReplicaRouter()
    assert router.db_for_read(None) is None
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("default", "trainings") is True
    assert router.allow_migrate("replica", "trainings") is False
