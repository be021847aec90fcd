"""The dashboard's charts and tiles answered from the (employer, status, end date) index.

The charts sum ``duration_minutes`` of an employer's completed trainings that count,
by end date. With the index on (employer, status, end_date) alone, each of those rows
is fetched from the table: one page per training once the employer's rows are spread
among a country's (160,000 trainings read 164,000 pages at 10 million trainings).
INCLUDE (duration_minutes, counts_toward_account) lets PostgreSQL answer from the index
(an index-only scan: 1,000 pages, whatever the size of the table). See
docs/performance.md, "Scale".

The index keeps its name and key, so the model's ``Meta`` and the migration state do
not change. On PostgreSQL it is built again ``CONCURRENTLY`` under another name, the old
one dropped concurrently and the new one renamed: no lock that blocks reads or writes
(hence ``atomic = False``). Other databases (SQLite) have no INCLUDE: nothing to do.
"""

from django.db import migrations

NAME = "training_emp_status_idx"
KEY = "employer_id, status, end_date"


def _replace(schema_editor, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    new = f"{NAME}_new"
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {new}")  # a failed earlier run
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY {new} ON trainings_training ({KEY}){include}")
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
    schema_editor.execute(f"ALTER INDEX {new} RENAME TO {NAME}")


def forwards(apps, schema_editor):
    _replace(schema_editor, " INCLUDE (duration_minutes, counts_toward_account)")


def backwards(apps, schema_editor):
    _replace(schema_editor, "")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("trainings", "0002_drop_covered_fk_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
