"""Migration operations that keep large tables available while they run.

Both remove an index that another index of the table already covers (its columns are
the first columns of the other): on PostgreSQL with ``DROP INDEX CONCURRENTLY``, which
takes no lock that blocks reads or writes of the table (the migration must then be
``atomic = False``), elsewhere with a plain ``DROP INDEX``. Reversing builds the index
again, concurrently on PostgreSQL. The migration state changes through the matching
Django operation; the database only through the statements here.

* ``drop_own_index(app_label, model_name, field_name, field)``: the index Django gives a
  foreign key (or a field with ``db_index=True``) of its own; ``field`` is the field as
  the model now declares it (without an index).
* ``drop_index(app_label, model_name, index)``: an index of ``Meta.indexes``.
* ``replace_index(app_label, model_name, old, new)``: one index of ``Meta.indexes`` by
  another, the new one built first (either may be None: a plain drop or add).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import migrations, models


def _operation(
    app_label: str,
    model_name: str,
    name_and_columns: Callable,
    state: migrations.operations.base.Operation,
) -> migrations.SeparateDatabaseAndState:
    def statements(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        index, columns = name_and_columns(model, schema_editor)
        quote = schema_editor.quote_name
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        return (
            f"DROP INDEX {concurrently}IF EXISTS {quote(index)}",
            f"CREATE INDEX {concurrently}IF NOT EXISTS {quote(index)} ON "
            f"{quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)})",
        )

    def forwards(apps, schema_editor):
        schema_editor.execute(statements(apps, schema_editor)[0])

    def backwards(apps, schema_editor):
        schema_editor.execute(statements(apps, schema_editor)[1])

    return migrations.SeparateDatabaseAndState(
        state_operations=[state],
        database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
    )


def drop_own_index(
    app_label: str, model_name: str, field_name: str, field: models.Field
) -> migrations.SeparateDatabaseAndState:
    def name_and_columns(model, schema_editor):
        column = model._meta.get_field(field_name).column
        return schema_editor._create_index_name(model._meta.db_table, [column]), [column]

    state = migrations.AlterField(model_name, field_name, field)
    return _operation(app_label, model_name, name_and_columns, state)


def _add(schema_editor, model, index: models.Index) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, index, concurrently=True)
    else:
        schema_editor.add_index(model, index)


def _remove(schema_editor, model, index: models.Index) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, index, concurrently=True)
    else:
        schema_editor.remove_index(model, index)


def replace_index(
    app_label: str, model_name: str, old: models.Index | None, new: models.Index | None
) -> migrations.SeparateDatabaseAndState:
    """Build ``new`` and drop ``old`` (either may be None), concurrently on PostgreSQL.

    The new index is built before the old one goes, so queries always have one.
    """

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        if new is not None:
            _add(schema_editor, model, new)
        if old is not None:
            _remove(schema_editor, model, old)

    def backwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        if old is not None:
            _add(schema_editor, model, old)
        if new is not None:
            _remove(schema_editor, model, new)

    state = []
    if old is not None:
        state.append(migrations.RemoveIndex(model_name, old.name))
    if new is not None:
        state.append(migrations.AddIndex(model_name, new))
    return migrations.SeparateDatabaseAndState(
        state_operations=state,
        database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
    )


def drop_index(
    app_label: str, model_name: str, index: models.Index
) -> migrations.SeparateDatabaseAndState:
    return replace_index(app_label, model_name, index, None)
