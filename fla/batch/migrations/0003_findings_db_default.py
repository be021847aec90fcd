"""BatchResult.findings gets the database default [] as well.

The processing writes the results of declarations without findings without that column.
On PostgreSQL this only sets the column's default (no rewrite of the table, no long lock).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("batch", "0002_drop_covered_fk_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="batchresult",
            name="findings",
            field=models.JSONField(blank=True, db_default=[], default=list),
        ),
    ]
