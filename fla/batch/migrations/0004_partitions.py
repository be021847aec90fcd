"""Files are applied by partitions (fla.batch.planning), each with its own checkpoint.

A file left unfinished by the previous version keeps its checkpoint: the worker that
resumes it plans it as a single partition starting from it (fla.batch.services). The
index of the results by reference served only the check of references repeated in a
file, which the plan now makes before any partition runs.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("batch", "0003_findings_db_default"),
    ]

    operations = [
        migrations.CreateModel(
            name="BatchPartition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("index", models.PositiveSmallIntegerField()),
                ("checkpoint", models.PositiveIntegerField(default=0)),
                ("done", models.BooleanField(default=False)),
                ("lease_owner", models.CharField(blank=True, max_length=64)),
                ("lease_until", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["file", "index"],
            },
        ),
        migrations.RemoveIndex(
            model_name="batchresult",
            name="batch_result_reference_idx",
        ),
        migrations.AddField(
            model_name="batchfile",
            name="plan",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="batchpartition",
            name="file",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="partitions",
                to="batch.batchfile",
            ),
        ),
        migrations.AddConstraint(
            model_name="batchpartition",
            constraint=models.UniqueConstraint(
                fields=("file", "index"), name="batch_partition_index"
            ),
        ),
    ]
