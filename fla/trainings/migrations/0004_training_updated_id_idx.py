"""The (employer, updated_at) index gets the id as a third column.

A BATCH chunk writes thousands of trainings with the same ``updated_at``; the API's
training list pages by (updated_at, id), so without the id PostgreSQL sorted all the
trainings of that moment for every page. Built concurrently on PostgreSQL before the
old index is dropped (see fla.core.migration_ops).
"""

from django.db import migrations, models

from fla.core.migration_ops import replace_index


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("trainings", "0003_training_status_idx_include")]

    operations = [
        replace_index(
            "trainings",
            "training",
            models.Index(fields=["employer", "-updated_at"], name="training_emp_updated_idx"),
            models.Index(
                fields=["employer", "-updated_at", "-id"], name="training_emp_updated_id_idx"
            ),
        )
    ]
