"""Fast multi-row INSERT for the hot tables of the write path.

Django's ``bulk_create`` prepares every value of every row through the field machinery
and builds one statement per batch; on the tables the write path fills by the tens of
thousands (trainings, history, derived credit) that preparation dominates. Here the
statement is built once, the few fields that need a conversion (dates, datetimes, JSON)
get a converter chosen once, and the rows go to the driver's ``executemany``, which
psycopg 3 pipelines and sqlite3 runs in C. Rows inserted this way get no ids back;
callers that need them read them by a natural key afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else ops.adapt_datefield_value(v)
    if isinstance(field, models.DecimalField):
        return lambda v: None if v is None else ops.adapt_decimalfield_value(
            v, field.max_digits, field.decimal_places)
    if isinstance(field, models.JSONField):
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return lambda v: None if v is None else Jsonb(v)
        return lambda v: None if v is None else json.dumps(v)
    return None


def insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT ``rows`` (tuples in the order of ``fields``) into ``model``'s table."""
    meta = model._meta
    field_objs = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in field_objs)
    placeholders = ", ".join(["%s"] * len(field_objs))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"
    converters = [(i, c) for i, f in enumerate(field_objs) if (c := _converter(f)) is not None]
    if converters:
        prepared = []
        for row in rows:
            row = list(row)
            for index, convert in converters:
                row[index] = convert(row[index])
            prepared.append(row)
    else:
        prepared = [list(row) for row in rows]
    if not prepared:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
    return len(prepared)
