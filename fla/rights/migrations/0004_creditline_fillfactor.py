"""Leave room on the credit lines' pages for their next version: fillfactor 70.

Every declaration updates its worker's credit lines (granted and used minutes), and no
index holds those columns, so PostgreSQL can write the new version of a line on the
same page without touching the table's three indexes (a HOT update) — if the page has
room. The table's pages were filled to the last byte, so nearly every update (97 % in
the 100,000-declaration BATCH benchmark) went to another page and added an entry to
every index. With 30 % of each page left free, four in five updates are HOT and the
database's CPU for the file falls by about a tenth (docs/performance.md, "Write path").

The setting applies to pages written from now on; ``VACUUM FULL rights_creditline``
(which locks the table while it runs) rewrites the existing ones. Nothing on SQLite.
"""

from django.db import migrations

FILLFACTOR = 70


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE rights_creditline SET (fillfactor = {FILLFACTOR})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE rights_creditline RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("rights", "0003_account_employer_id_idx")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
