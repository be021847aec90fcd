"""Drop the foreign key indexes that another index of the table already covers.

The write path inserts and updates these rows by the tens of thousands; each index less
is one less to maintain per row. Concurrently on PostgreSQL (see fla.core.migration_ops).
"""

import django.db.models.deletion
from django.db import migrations, models

from fla.core.migration_ops import drop_own_index


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("employers", "0001_initial"),
        ("rights", "0001_initial"),
    ]

    operations = [
        drop_own_index(
            "rights",
            "creditline",
            "employer",
            models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, to="employers.employer"
            ),
        ),
        drop_own_index(
            "rights",
            "trainingright",
            "employer",
            models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, to="employers.employer"
            ),
        ),
    ]
