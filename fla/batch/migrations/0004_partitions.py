"""Files are applied by partitions (fla.batch.planning), each with its own checkpoint.

A file left unfinished by the previous version keeps its checkpoint: it becomes the
checkpoint of its one partition, and the file is planned as a single partition when a
worker resumes it. The index of the results by reference served only the check of
references repeated in a file, which the plan now makes before any partition runs.
"""

import django.db.models.deletion
from django.db import migrations, models


def keep_checkpoints(apps, schema_editor):
    BatchFile = apps.get_model("batch", "BatchFile")
    BatchPartition = apps.get_model("batch", "BatchPartition")
    unfinished = BatchFile.objects.filter(status__in=["received", "processing"], processed__gt=0)
    BatchPartition.objects.bulk_create(
        BatchPartition(file_id=pk, index=0, checkpoint=processed)
        for pk, processed in unfinished.values_list("pk", "processed")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('batch', '0003_findings_db_default'),
    ]

    operations = [
        migrations.CreateModel(
            name='BatchPartition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('index', models.PositiveSmallIntegerField()),
                ('checkpoint', models.PositiveIntegerField(default=0)),
                ('done', models.BooleanField(default=False)),
                ('lease_owner', models.CharField(blank=True, max_length=64)),
                ('lease_until', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['file', 'index'],
            },
        ),
        migrations.RemoveIndex(
            model_name='batchresult',
            name='batch_result_reference_idx',
        ),
        migrations.AddField(
            model_name='batchfile',
            name='plan',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='batchpartition',
            name='file',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='partitions', to='batch.batchfile'),
        ),
        migrations.AddConstraint(
            model_name='batchpartition',
            constraint=models.UniqueConstraint(fields=('file', 'index'), name='batch_partition_index'),
        ),
        migrations.RunPython(keep_checkpoints, migrations.RunPython.noop),
    ]
