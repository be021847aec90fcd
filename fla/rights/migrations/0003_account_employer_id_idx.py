"""Count an employer's accounts from an index alone: (employer_id, id).

Every screen of an employer counts its accounts (the size of the employer, in the
page's context) with ``COUNT(id) ... WHERE employer_id = %s`` in a subquery. The indexes
led by the employer, (employer, worker) and (employer, remaining minutes), hold no id,
so PostgreSQL fetched every account from the table, in the order of the remaining
minutes: 19,000 pages for an employer of 20,000 workers once a million accounts are
stored (9 ms on every page, against 2 at 20,000 accounts). With the id in the index the
count is an index-only scan of some 80 pages. See docs/performance.md, "Scale".

Built concurrently on PostgreSQL (see fla.core.migration_ops).
"""

from django.db import migrations, models

from fla.core.migration_ops import replace_index


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("rights", "0002_drop_covered_fk_indexes")]

    operations = [
        replace_index(
            "rights",
            "account",
            None,
            models.Index(fields=["employer", "id"], name="account_employer_id_idx"),
        )
    ]
