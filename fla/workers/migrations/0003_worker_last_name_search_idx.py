"""An index for the search of a worker by the start of the last name (PostgreSQL).

The large-enterprise search filters the employer's workers on ``UPPER(last_name) LIKE
'PE%'``. Without an index for that expression PostgreSQL reads every worker of the
country (a sequential scan of the whole table: 8× the cost of the same search at
20,000 workers when the table holds a million). With it, only the workers whose name
starts so are read; INCLUDE carries the columns the screen shows, so that a query on
the prefix alone is answered from the index (no table pages). See docs/performance.md.

Built ``CONCURRENTLY`` (no lock that blocks writes; hence ``atomic = False``). On
PostgreSQL only: SQLite has no pattern operator classes, and the embedded default's
tables are small. The index is not in the model's ``Meta`` for the same reason; the
migration state does not change.
"""

from django.db import migrations

NAME = "worker_last_name_upper_idx"
CREATE = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON workers_worker "
    "(UPPER(last_name::text) text_pattern_ops) "
    "INCLUDE (id, first_name, last_name, insz, birth_date)"
)
DROP = f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("workers", "0002_drop_covered_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
