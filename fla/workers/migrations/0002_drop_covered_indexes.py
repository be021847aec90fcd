"""Drop the employment indexes the unique (employer, worker, start date) already covers.

Concurrently on PostgreSQL (see fla.core.migration_ops).
"""

import django.db.models.deletion
from django.db import migrations, models

from fla.core.migration_ops import drop_index, drop_own_index


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("employers", "0001_initial"),
        ("workers", "0001_initial"),
    ]

    operations = [
        drop_index(
            "workers",
            "employment",
            models.Index(fields=["employer", "worker"], name="employment_emp_worker_idx"),
        ),
        drop_own_index(
            "workers",
            "employment",
            "employer",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="employments",
                to="employers.employer",
            ),
        ),
    ]
