"""Fast multi-row INSERT for the hot tables of the write path, and large id lists.

Django's ``bulk_create`` prepares every value of every row through the field machinery
and builds one statement per batch; on the tables the write path fills by the tens of
thousands (trainings, history, derived credit) that preparation dominates. Here the
statement is built once and the few fields that need a conversion (dates, datetimes,
JSON) get a converter chosen once. On PostgreSQL many rows are streamed with ``COPY ...
FROM STDIN`` (no statement per row) and a few go in one multi-row INSERT (one round
trip); on SQLite they go to the driver's ``executemany``, which sqlite3 runs in C. Rows
inserted this way get no ids back; callers that need them read them by a natural key
afterwards. ``upsert`` inserts or updates by a unique key in one statement.

``Within(F("field"), values)`` is ``field IN (values)`` for long lists: on PostgreSQL
one array parameter (``field = ANY(%s)``) instead of thousands of placeholders, which
Django would prepare one by one and psycopg's client-side binding would split.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models
from django.db.models import Lookup, QuerySet

from fla.core.statements import Param

COPY_FROM = 50  # rows: below, one multi-row INSERT


def _converter(field: models.Field, copy: bool) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if copy:
        # psycopg dumps dates, datetimes, decimals, booleans and text itself.
        if isinstance(field, models.JSONField):
            from psycopg.types.json import Jsonb

            return lambda v: None if v is None else Jsonb(v)
        return None
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else ops.adapt_datefield_value(v)
    if isinstance(field, models.DecimalField):
        return lambda v: (
            None
            if v is None
            else ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
        )
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v)
    return None


# Beyond this many distinct values, a COPY's memo of their text starts again.
_MEMO_SIZE = 4096


def _copy_text(field: models.Field) -> Callable[[], Callable[[Any], Any]] | None:
    """For COPY: a maker of a converter to the text psycopg would send for a value of
    ``field``, or None where psycopg's own dumping is as cheap.

    psycopg's text dumpers of dates and datetimes are Python code (``str(obj)``) and cost
    1 to 3 µs a value, more than all the other columns of a row; a JSON value goes
    through a ``Jsonb`` wrapper and ``json.dumps``. The rows of a chunk repeat the same
    few dates and the same stamp (``now``): each distinct value is turned into its text
    once per COPY (the memo of one COPY, bounded). COPY reads a column's text with the
    column's input function whatever the Python type was, so the same text is the same
    value.
    """
    if isinstance(field, models.JSONField):

        def make_json() -> Callable[[Any], Any]:
            def convert(v: Any) -> Any:
                if v is None:
                    return None
                if v.__class__ is list and not v:
                    return "[]"
                return json.dumps(v)

            return convert

        return make_json
    if isinstance(field, models.DateField):  # a DateTimeField too

        def make_memo() -> Callable[[Any], Any]:
            memo: dict[Any, str] = {}

            def convert(v: Any) -> Any:
                if v is None:
                    return None
                text = memo.get(v)
                if text is None:
                    if len(memo) >= _MEMO_SIZE:
                        memo.clear()
                    text = memo[v] = str(v)
                return text

            return convert

        return make_memo
    return None


def array_text(values: Iterable[Any]) -> str | list[Any]:
    """A list for PostgreSQL as one array literal (``'{1,2,3}'``), else the list itself.

    psycopg quotes a list parameter element by element in Python, which for the
    thousands of ids of a chunk costs several times more than joining them into one
    literal; PostgreSQL reads the literal as an array of the type the statement
    expects. Elements that are not None, bool, int, str, date or datetime (JSON, say)
    leave the list as it is, for psycopg to adapt.
    """
    values = values if isinstance(values, list) else list(values)
    kinds = set(map(type, values))
    if len(kinds) == 1:
        # One type throughout, as a chunk's ids, references or dates are: joined in C.
        kind = kinds.pop()
        if kind is int:
            return "{" + ",".join(map(str, values)) + "}"
        if kind is str:
            joined = "".join(values)
            if '"' not in joined and "\\" not in joined:
                return '{"' + '","'.join(values) + '"}'
        elif kind is dt.date:
            return "{" + ",".join(map(dt.date.isoformat, values)) + "}"
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif value is True or value is False:
            parts.append("t" if value else "f")
        elif isinstance(value, int):
            parts.append(str(int(value)))
        elif isinstance(value, str):
            parts.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif isinstance(value, dt.date):  # a datetime too
            parts.append('"' + value.isoformat() + '"')
        else:
            return values
    return "{" + ",".join(parts) + "}"


class _Shape:
    """What the statements of one model and list of fields need, worked out once."""

    def __init__(self, model: type[models.Model], fields: tuple[str, ...], vendor: str):
        meta = model._meta
        quote = connection.ops.quote_name
        self.copy = vendor == "postgresql"
        self.table = quote(meta.db_table)
        self.fields = [meta.get_field(name) for name in fields]
        self.columns = [quote(f.column) for f in self.fields]
        self.column_list = ", ".join(self.columns)
        self.converters = [
            (i, c) for i, f in enumerate(self.fields) if (c := _converter(f, self.copy))
        ]
        self.copy_makers = (
            [(i, m) for i, f in enumerate(self.fields) if (m := _copy_text(f))] if self.copy else []
        )
        self.row_sql = f"({', '.join(['%s'] * len(self.fields))})"
        self.arrays = (
            ", ".join(f"%s::{f.db_type(connection)}[]" for f in self.fields) if self.copy else ""
        )
        self._statements: dict[Any, str] = {}

    def _converted_row(self, row: Sequence[Any]) -> list[Any]:
        row = list(row)
        for index, convert in self.converters:
            row[index] = convert(row[index])
        return row

    def prepared(self, rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
        """The rows, as they come, with the values of the fields that need it converted
        for the driver."""
        return map(self._converted_row, rows) if self.converters else rows

    def converted(self, rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
        """``prepared`` for a list: a list."""
        return [self._converted_row(row) for row in rows] if self.converters else rows

    def copy_rows(self, rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
        """The rows for one COPY, with the values ``_copy_text`` converts as text."""
        if not self.copy_makers:
            return rows
        converters = [(i, make()) for i, make in self.copy_makers]

        def converted(row: Sequence[Any]) -> list[Any]:
            row = list(row)
            for index, convert in converters:
                row[index] = convert(row[index])
            return row

        return map(converted, rows)

    def statement(self, key: Any, build: Callable[[], str]) -> str:
        """The SQL ``build()`` makes for this shape and ``key``, made once."""
        sql = self._statements.get(key)
        if sql is None:
            sql = self._statements[key] = build()
        return sql


_shapes: dict[tuple[type[models.Model], tuple[str, ...], str], _Shape] = {}


def _shape(model: type[models.Model], fields: Sequence[str]) -> _Shape:
    key = (model, tuple(fields), connection.vendor)
    shape = _shapes.get(key)
    if shape is None:
        shape = _shapes[key] = _Shape(model, key[1], key[2])
    return shape


def insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT ``rows`` (tuples in the order of ``fields``) into ``model``'s table."""
    shape = _shape(model, fields)
    table, columns = shape.table, shape.column_list
    if shape.copy:
        stream_rows = iter(rows)
        few = list(itertools.islice(stream_rows, COPY_FROM))
        if not few:
            return 0
        if len(few) < COPY_FROM:
            # A few rows: one INSERT is one round trip, COPY takes three.
            values = ", ".join([shape.row_sql] * len(few))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {values}",
                    [value for row in shape.converted(few) for value in row],
                )
            return len(few)
        count = 0
        sql = f"COPY {table} ({columns}) FROM STDIN"
        started = time.monotonic()
        with connection.cursor() as cursor:
            with cursor.cursor.copy(sql) as stream:
                for row in shape.copy_rows(itertools.chain(few, stream_rows)):
                    stream.write_row(row)
                    count += 1
        if connection.queries_logged:
            # As Django's debug cursor does for execute(): query counts stay truthful.
            connection.queries_log.append(
                {"sql": f"{sql} -- {count} rows", "time": f"{time.monotonic() - started:.3f}"}
            )
        return count
    batch = list(shape.prepared(rows))
    if not batch:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {shape.row_sql}", batch)
    return len(batch)


_sequences: dict[tuple[type[models.Model], str], str] = {}


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """``count`` new primary keys of ``model`` taken from its sequence, in increasing
    order (PostgreSQL); None elsewhere.

    Rows ``insert``-ed with these ids need not be read back by a natural key for their
    ids: one small statement instead of a lookup of every row just written. The ids
    are those the column's default would have drawn from the same sequence.
    """
    if connection.vendor != "postgresql" or count <= 0:
        return None
    key = (model, connection.alias)
    sequence = _sequences.get(key)
    meta = model._meta
    with connection.cursor() as cursor:
        if sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
            sequence = _sequences[key] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s) ORDER BY 1",
            [sequence, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_returning(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str],
) -> list[tuple]:
    """INSERT a few ``rows`` in one statement and return ``returning`` of each (any order).

    For fewer than ``COPY_FROM`` rows (an API call's declaration): one round trip where
    ``insert`` and reading the new ids back would take two. PostgreSQL, and SQLite from
    3.35, support ``INSERT ... RETURNING``.
    """
    if not rows:
        return []
    if len(rows) >= COPY_FROM:
        raise ValueError(f"insert_returning is for fewer than {COPY_FROM} rows")
    shape = _shape(model, fields)
    values = [value for row in shape.converted(rows) for value in row]
    quote = connection.ops.quote_name
    returned = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {shape.table} ({shape.column_list})"
            f" VALUES {', '.join([shape.row_sql] * len(rows))} RETURNING {returned}",
            values,
        )
        return [tuple(row) for row in cursor.fetchall()]


def upsert(
    model: type[models.Model],
    fields: Sequence[str],
    key: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """INSERT ``rows``, or UPDATE the other ``fields`` of the row with the same ``key``.

    ``key`` names the fields of a unique constraint. On PostgreSQL one statement whatever
    the number of rows: each column goes as one array parameter, ``unnest``-ed; on SQLite
    (3.24 and later) ``executemany`` of ``INSERT ... ON CONFLICT DO UPDATE``.
    """
    rows = list(rows)
    if not rows:
        return 0
    shape = _shape(model, fields)

    def build() -> str:
        meta, quote = model._meta, connection.ops.quote_name
        conflict = ", ".join(quote(meta.get_field(name).column) for name in key)
        keyed = {meta.get_field(name).column for name in key}
        updates = ", ".join(
            f"{c} = EXCLUDED.{c}"
            for f, c in zip(shape.fields, shape.columns, strict=True)
            if f.column not in keyed
        )
        tail = f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        if shape.copy:
            source = f"SELECT * FROM unnest({shape.arrays})"
        else:
            source = f"VALUES {shape.row_sql}"
        return f"INSERT INTO {shape.table} ({shape.column_list}) {source} {tail}"

    sql = shape.statement(("upsert", tuple(key)), build)
    rows = shape.converted(rows)
    with connection.cursor() as cursor:
        if shape.copy:
            cursor.execute(sql, [array_text(column) for column in zip(*rows, strict=True)])
        else:
            cursor.executemany(sql, rows)
    return len(rows)


def update(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """UPDATE ``fields`` of the rows whose primary key leads each row (pk, *values).

    On PostgreSQL one statement whatever the number of rows (``UPDATE ... FROM
    unnest(arrays)``), on SQLite ``executemany``. Django's ``bulk_update`` builds a
    ``CASE WHEN`` per field and row instead, which costs more to build than to run.
    """
    rows = list(rows)
    if not rows:
        return 0
    shape = _shape(model, (model._meta.pk.name, *fields))  # the primary key leads
    table, (pk_column, *columns) = shape.table, shape.columns

    def build() -> str:
        if shape.copy:
            names = [f"v{i}" for i in range(len(columns))]
            sets = ", ".join(f"{c} = v.{name}" for c, name in zip(columns, names, strict=True))
            return (
                f"UPDATE {table} SET {sets} FROM unnest({shape.arrays}) AS v(pk, {', '.join(names)})"
                f" WHERE {table}.{pk_column} = v.pk"
            )
        sets = ", ".join(f"{c} = %s" for c in columns)
        return f"UPDATE {table} SET {sets} WHERE {pk_column} = %s"

    sql = shape.statement("update", build)
    rows = shape.converted(rows)
    with connection.cursor() as cursor:
        if shape.copy:
            cursor.execute(sql, [array_text(column) for column in zip(*rows, strict=True)])
        else:
            cursor.executemany(sql, [[*row[1:], row[0]] for row in rows])
    return len(rows)


class Within(Lookup):
    """``lhs IN (values)``, with the values as one array parameter on PostgreSQL.

    Use as a filter expression: ``Model.objects.filter(Within(F("worker_id"), ids))``.
    The values must already be of the column's type (ints, strings, dates).
    """

    lookup_name = "within"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, Param):
            return self.rhs  # a value list given when a ``Statement`` runs
        return list(self.rhs)

    def as_sql(self, compiler, connection) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, Param):
            sql, slot = self.rhs.within_sql(lhs, connection)
            return sql, (*lhs_params, slot)
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, array_text(values))
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", (*lhs_params, *values)


class Probe(Within):
    """``Within`` for a column with a unique index, read by one index probe per value.

    On PostgreSQL ``lhs IN (SELECT unnest(array))``: the planner joins the values to the
    index (a nested loop of lookups), where with ``lhs = ANY(array)`` it estimated a
    sequential scan of the whole table cheaper up to some hundred thousand rows, and
    read every row of it for each chunk's references. Elsewhere as ``Within``.
    """

    lookup_name = "probe"

    def as_sql(self, compiler, connection) -> tuple[str, tuple[Any, ...]]:
        if connection.vendor != "postgresql":
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # The column's type without its length (varchar(64) -> varchar): a cast to
        # varchar(64) would cut a longer value short, and it could then match.
        array_type = re.sub(r"\(.*\)", "", self.lhs.output_field.db_type(connection)) + "[]"
        if isinstance(self.rhs, Param):
            _sql, slot = self.rhs.within_sql(lhs, connection)
            return f"{lhs} IN (SELECT unnest(%s::{array_type}))", (*lhs_params, slot)
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        return f"{lhs} IN (SELECT unnest(%s::{array_type}))", (*lhs_params, array_text(values))


def tagged_union(parts: dict[str, tuple[QuerySet, Sequence[str | None]]]) -> list[tuple]:
    """Several reads in one statement: ``UNION ALL`` of querysets, each row led by its tag.

    ``parts`` maps a one-letter tag to a ``values_list`` queryset and the columns it
    gives (its values_list names), in the order of the result (None where it has none:
    NULL there). Every part
    must give the same number of columns, of compatible types, and read the same
    database. A part that can match nothing (an empty ``Within``) is left out.
    """
    alias = next(iter(parts.values()))[0].db if parts else None
    sql, params = union_sql(parts, alias)
    if not sql:
        return []
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def union_sql(
    parts: dict[str, tuple[QuerySet, Sequence[str | None]]], alias: str | None
) -> tuple[str, list[Any]]:
    """The statement of ``tagged_union(parts)`` on the database ``alias`` ("" when every
    part can match nothing)."""
    sqls: list[str] = []
    params: list[Any] = []
    for tag, (queryset, columns) in parts.items():
        quote = connections[alias].ops.quote_name
        try:
            sql, part_params = queryset.query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:
            continue
        unknown = {c for c in columns if c} - set(queryset._fields)
        if unknown:
            # The part's columns are named after its values_list fields; a name it lacks
            # would be an error on PostgreSQL and a string literal on SQLite.
            raise ValueError(f"part {tag!r} has no column {sorted(unknown)}")
        selected = ", ".join(quote(c) if c else "NULL" for c in columns)
        sqls.append(f"SELECT '{tag}', {selected} FROM ({sql}) AS part_{tag}")
        params.extend(part_params)
    return " UNION ALL ".join(sqls), params


# A table analyzed with fewer rows than this counts as empty for ``grown_only``.
GROWN_ROWS = 1000


def refresh_statistics(models_: Iterable[type[models.Model]], *, grown_only: bool = False) -> None:
    """ANALYZE the tables of ``models_`` on PostgreSQL (nothing elsewhere).

    A bulk load fills tables faster than autovacuum's analyze follows; with the
    statistics of a near-empty table the planner reads a large employer's trainings
    through the wrong index (by status instead of by worker) and each chunk's reads
    grow with the table. The BATCH worker calls this as a file grows.

    ``grown_only``: only the tables never analyzed, or that hold twice the rows they
    held at their last analysis, and ``GROWN_ROWS`` more (read from the statistics
    views: one statement); ANALYZE samples a table, but each costs tens of ms and
    more, and autovacuum looks after slower growth.
    """
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in models_]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if grown_only:
            cursor.execute(
                "SELECT name FROM unnest(%s::text[]) AS name"
                " JOIN pg_class c ON c.oid = to_regclass(quote_ident(name))"
                " JOIN pg_stat_all_tables s ON s.relid = c.oid"
                " WHERE c.reltuples < 0 OR s.n_live_tup >= 2 * c.reltuples + %s",
                [tables, GROWN_ROWS],
            )
            grown = {name for (name,) in cursor.fetchall()}
            tables = [name for name in tables if name in grown]
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")
