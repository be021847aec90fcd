"""Hot reads compiled to SQL once per process, then run with new values.

Building a queryset and compiling it costs Django 0.2 to 1 ms of CPU each time (more
for joins, subqueries and unions), often more than the database spends answering a
point lookup. The reads every API call and every write makes (the token, the employer,
a worker's rights, credit lines and account) are the same statement each time with other
values. A ``Statement`` builds its queryset once, with a ``Param`` where each value goes,
compiles it once per database, and then only swaps the values in:

    CREDIT_LINES = Statement(lambda p: CreditLine.objects.filter(
        employer_id=p.employer, worker_id=p.worker).values_list("year", "minutes"))
    CREDIT_LINES.rows(employer=1, worker=2)  # list of tuples, as values_list gives

A value list (``Within(F("worker_id"), p.workers)``) is one parameter however long: an
array on PostgreSQL, a JSON array on SQLite, so the SQL does not change with its length.
An empty list matches nothing, as an empty ``Within`` does.

``build`` runs once: every value that may differ from one run to the next (a day, a
setting) must come from ``p``, or the first one would be kept for good. A value given
to a ``Param`` goes to the driver as it is, without the field's preparation: it must
already be of the column's type (an int for an id, a ``date`` for a date; not None,
which would compare ``= NULL``). Lists hold ints, strings or dates (on SQLite a
datetime in a list would not match what Django stores).

The rows are those of ``values_list`` (the field converters are applied); a
``bulk.tagged_union`` statement gives its rows as ``tagged_union`` does. The database is
chosen on each run by the routers, like a queryset's (a replica where one is configured
and the caller is not pinned to the primary).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections, models, router
from django.db.models import Expression, QuerySet
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.db.transaction import TransactionManagementError


class _Slot:
    """Where a parameter's value goes in the compiled statement's parameters."""

    __slots__ = ("name", "many")

    def __init__(self, name: str, many: bool) -> None:
        self.name, self.many = name, many


class Param(Expression):
    """The value named ``name``, given when the statement runs."""

    def __init__(self, name: str) -> None:
        super().__init__(output_field=models.Field())
        self.name = name

    def __repr__(self) -> str:
        return f"Param({self.name!r})"

    def as_sql(self, compiler, connection) -> tuple[str, list[Any]]:
        return "%s", [_Slot(self.name, many=False)]

    def within_sql(self, lhs: str, connection) -> tuple[str, _Slot]:
        """``lhs IN (the list given for this name)``, with the list as one parameter."""
        slot = _Slot(self.name, many=True)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", slot
        return f"{lhs} IN (SELECT value FROM json_each(%s))", slot


class _Params:
    """What ``build`` receives: ``p.name`` is the ``Param`` of that name."""

    def __getattr__(self, name: str) -> Param:
        return Param(name)


class _Compiled:
    __slots__ = ("sql", "params", "converters", "slots", "locks")

    def __init__(
        self, sql: str, params: list[Any], converters: list | None, locks: bool = False
    ) -> None:
        self.sql, self.params, self.converters, self.locks = sql, params, converters, locks
        self.slots = [i for i, value in enumerate(params) if isinstance(value, _Slot)]


def _scalar(value: Any, connection) -> Any:
    """A single value as the ORM would pass it (dates and times as text on SQLite)."""
    if connection.vendor == "postgresql":
        return value
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _array(values: Any, vendor: str) -> Any:
    if vendor == "postgresql":
        from fla.core.bulk import array_text

        return array_text(values)
    return json.dumps(list(values), default=str)  # dates as ISO text, as SQLite stores them


class Statement:
    """A read built by ``build(p)`` (a ``values_list`` queryset, or a dict of parts for
    ``bulk.tagged_union``), compiled once per database alias.

    ``needs``: the list parameters the statement matches nothing without; when one of
    them is empty, no query is sent and no row comes back (as the ORM skips a query
    whose ``IN`` list is empty).
    """

    def __init__(
        self, build: Callable[[_Params], QuerySet | dict], *, needs: tuple[str, ...] = ()
    ) -> None:
        self.build = build
        self.needs = needs
        self._compiled: dict[str, _Compiled] = {}
        self._model: type[models.Model] | None = None
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled:
        from fla.core import bulk

        built = self.build(_Params())
        if isinstance(built, dict):
            sql, params = bulk.union_sql(built, alias)
            return _Compiled(sql, params, None)
        compiler = built.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        return _Compiled(
            sql, list(params), list(converters.items()) or None, built.query.select_for_update
        )

    def model(self) -> type[models.Model]:
        if self._model is None:
            built = self.build(_Params())
            first = next(iter(built.values()))[0] if isinstance(built, dict) else built
            self._model = first.model
        return self._model

    def rows(self, **values: Any) -> list[tuple]:
        return self._run(values)[1]

    def objects(self, *extra: str, **values: Any) -> list[models.Model]:
        """Model instances, for a statement whose values_list names every concrete field
        of its model (``fields_of(Model)``), in that order, then the ``extra``
        annotations, which become attributes of each instance."""
        model = self.model()
        alias, rows = self._run(values)
        names = fields_of(model)
        count = len(names)
        found = []
        if _plain(model):
            # What ``from_db`` makes of a row of every field, without its per-field
            # ``setattr`` loop and signals (the model has no receivers, no own
            # ``__init__`` or ``from_db``): one ``__dict__`` update.
            new = model.__new__
            for row in rows:
                instance = new(model)
                state = ModelState()
                state.adding, state.db = False, alias
                attributes = instance.__dict__
                attributes["_state"] = state
                attributes.update(zip(names, row[:count], strict=True))
                attributes.update(zip(extra, row[count:], strict=True))
                found.append(instance)
            return found
        for row in rows:
            instance = model.from_db(alias, names, row[:count])
            for name, value in zip(extra, row[count:], strict=True):
                setattr(instance, name, value)
            found.append(instance)
        return found

    def _run(self, values: dict[str, Any]) -> tuple[str, list[tuple]]:
        alias = router.db_for_read(self.model())
        if any(not values[name] for name in self.needs):
            return alias, []
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias)
                self._compiled[alias] = compiled
        connection = connections[alias]
        if compiled.locks and connection.get_autocommit():
            # As the ORM refuses it: a lock outside a transaction would end at once.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for index in compiled.slots:
            slot = params[index]
            value = values[slot.name]
            params[index] = (
                _array(value, connection.vendor) if slot.many else _scalar(value, connection)
            )
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters and rows:
            converted = []
            for row in rows:
                row = list(row)
                for index, (functions, expression) in compiled.converters:
                    value = row[index]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[index] = value
                converted.append(tuple(row))
            return alias, converted
        return alias, rows


def _plain(model: type[models.Model]) -> bool:
    """Whether ``from_db`` of a row of every concrete field of ``model`` amounts to
    setting those attributes on a new instance: Django's own ``__init__`` and
    ``from_db``, no ``pre_init`` or ``post_init`` receiver (looked up each time: one may
    be connected later), and no field attribute with a setter of its own but the
    foreign keys' ids (which only drop a cached related object, and a new instance has
    none)."""
    return (
        model.__init__ is models.Model.__init__
        and model.from_db.__func__ is models.Model.from_db.__func__
        and not pre_init.has_listeners(model)
        and not post_init.has_listeners(model)
        and _plain_fields(model)
    )


@functools.cache
def _plain_fields(model: type[models.Model]) -> bool:
    from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
    from django.db.models.query_utils import DeferredAttribute

    for field in model._meta.concrete_fields:
        descriptor = model.__dict__.get(field.attname)
        if field.attname == "_state" or type(descriptor) not in (
            DeferredAttribute,
            ForeignKeyDeferredAttribute,
        ):
            return False
    return True


@functools.cache
def fields_of(model: type[models.Model]) -> tuple[str, ...]:
    """The attribute names of every concrete field of ``model``, for ``Statement.objects``."""
    return tuple(f.attname for f in model._meta.concrete_fields)
