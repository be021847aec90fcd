"""Drop the index of ``HistoryEntry.at`` alone: every reader of the history filters by
employer (history_employer_idx, which orders by time) or by entity
(history_entity_idx) first, and each of the tens of thousands of rows a BATCH file
writes paid for it. Concurrently on PostgreSQL (see fla.core.migration_ops).
"""

from django.db import migrations, models

from fla.core.migration_ops import drop_own_index


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0002_drop_covered_fk_indexes"),
    ]

    operations = [
        drop_own_index("audit", "historyentry", "at", models.DateTimeField()),
    ]
