"""No index of a large table is covered by another one that starts with its columns.

Each index costs every insert and update of the table; one whose columns are the first
columns of another index serves no query the other cannot.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from tests.ops.test_migrations import LARGE_TABLES

LARGE = sorted(LARGE_TABLES | {("batch", "batchresult"), ("batch", "batchfile")})
# Kept on purpose: with a million accounts the planner needs the one-column index to
# see how few rows an employer has (docs/performance.md, "Scale").
WANTED = {("rights_account", ("employer_id",))}


@pytest.mark.django_db
@pytest.mark.parametrize("app_label, model_name", LARGE)
def test_no_index_is_covered_by_another(app_label, model_name):
    table = apps.get_model(app_label, model_name)._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexes = {
        name: tuple(c["columns"])
        for name, c in constraints.items()
        if (c["index"] or c["unique"]) and not c["primary_key"] and c["columns"]
    }
    covered = [
        (name, columns, other)
        for name, columns in indexes.items()
        if not constraints[name]["unique"] and (table, columns) not in WANTED
        for other, wider in indexes.items()
        if other != name and len(wider) > len(columns) and wider[: len(columns)] == columns
    ]
    assert covered == []
