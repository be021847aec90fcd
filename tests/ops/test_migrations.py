"""Migrations: each one applies and reverses, and none locks a large table for long.

The rule for the large tables (see docs/operations.md, "Migrations on a live database"):
after the migration that creates the table,
* a new column is nullable or has a ``db_default`` (Django's ``default`` alone fills
  every existing row inside the migration's transaction);
* no ``AlterField`` (a type change rewrites the table under an exclusive lock);
* indexes are built with ``AddIndexConcurrently`` (PostgreSQL, in a non-atomic
  migration); unique constraints are added on top of such an index, never directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[2]
OWN_APPS = {
    "accounts", "employers", "workers", "rights", "trainings", "audit", "declarations",
    "web", "api", "batch", "ops", "core",
}  # fmt: skip
LARGE_TABLES = {
    ("trainings", "training"),
    ("audit", "historyentry"),
    ("rights", "creditline"),
    ("rights", "account"),
    ("rights", "trainingright"),
    ("workers", "worker"),
    ("workers", "employment"),
}


def violations(app_label: str, migration) -> list[str]:
    created = {
        op.name.lower() for op in migration.operations if isinstance(op, migrations.CreateModel)
    }
    found = []
    for op in migration.operations:
        model = getattr(op, "model_name", None) or getattr(op, "name", "")
        model = (model or "").lower()
        if (app_label, model) not in LARGE_TABLES or model in created:
            continue
        where = f"{app_label}.{migration.name}: {op.describe()}"
        if isinstance(op, migrations.AddField):
            field = op.field
            has_db_default = field.db_default is not models.NOT_PROVIDED
            if not (field.null or has_db_default):
                found.append(f"{where}: a new column on a large table must be null or db_default")
        elif isinstance(op, migrations.AlterField):
            found.append(f"{where}: AlterField may rewrite a large table")
        elif isinstance(op, migrations.AddIndex) and not isinstance(op, AddIndexConcurrently):
            found.append(f"{where}: use AddIndexConcurrently on a large table")
        elif isinstance(op, migrations.AddConstraint):
            found.append(f"{where}: build a unique index concurrently, then the constraint")
    return found


def test_no_migration_locks_a_large_table():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for (app_label, _name), migration in loader.disk_migrations.items():
        if app_label in OWN_APPS:
            found += violations(app_label, migration)
    assert found == []


def test_the_rule_refuses_what_it_should():
    bad = migrations.Migration("0099_bad", "trainings")
    bad.operations = [
        migrations.AddField("training", "x", models.IntegerField(default=0)),
        migrations.AddField("training", "y", models.IntegerField(null=True)),
        migrations.AddField("training", "z", models.IntegerField(db_default=0)),
        migrations.AlterField("training", "reference", models.TextField()),
        migrations.AddIndex("training", models.Index(fields=["x"], name="t_x")),
        AddIndexConcurrently("training", models.Index(fields=["y"], name="t_y")),
        migrations.AddField("trainingprovider", "x", models.IntegerField(default=0)),
    ]
    found = violations("trainings", bad)
    assert len(found) == 3
    assert "add field x" in found[0].lower() and "AlterField" in found[1]
    assert "AddIndexConcurrently" in found[2]


SCRIPT = """
import django
django.setup()
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

call_command("migrate", verbosity=0)
executor = MigrationExecutor(connection)
leaves = executor.loader.graph.leaf_nodes()
own = {m._meta.db_table for m in apps.get_models() if m.__module__.startswith("fla.")}
assert own <= set(connection.introspection.table_names()), "tables missing after migrate"
# Our apps to zero (with whatever depends on them); third-party apps such as
# django_tasks_database have irreversible data migrations of their own.
own_apps = sorted({app for app, _ in leaves if apps.get_app_config(app).name.startswith("fla.")})
executor.migrate([(app, None) for app in own_apps])
left = own & set(connection.introspection.table_names())
assert not left, f"tables left after migrating to zero: {sorted(left)}"
executor = MigrationExecutor(connection)
executor.migrate(leaves)
assert own <= set(connection.introspection.table_names()), "tables missing after re-applying"
call_command("makemigrations", "--check", "--dry-run", verbosity=0)
print("reversible", len(executor.loader.disk_migrations))
"""


@pytest.mark.django_db(transaction=False)
def test_every_migration_applies_and_reverses(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "fla.settings"
    env["FLA_DATA_DIR"] = str(tmp_path)
    dropdb = None
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"fla_migrations_{uuid.uuid4().hex[:10]}"
        base = url.rsplit("/", 1)[0]
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{base}/{name}"

        def dropdb():
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=540,
        )  # fmt: skip
    finally:
        if dropdb:
            dropdb()
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.startswith("reversible ")
