"""Insert new model rows as `bulk_create` does, from a statement written once: routing's hot path (issue 11).

`Model.objects.bulk_create` compiles its INSERT on every call: for one inbound
message that cost 0.2 ms of Python, more than PostgreSQL takes to run it
(docs/benchmarks.md, "Issue 11 point 7"). `insert_rows` keeps the statement per
model, database and row count (on PostgreSQL, several rows go as one array per
column through UNNEST, one statement whatever the count), so the same text
comes back, and PostgreSQL prepares it after its fifth run
(DATABASE_PREPARED_STATEMENTS). The values are
the ORM's own: each field's `pre_save` and `get_db_prep_save`. Like
`bulk_create` it sends no signals; unlike it, it takes only models whose
primary key the database generates, and no field with a database default or a
placeholder of its own (checked once per model). tests/test_insert_rows.py
checks the rows against what `bulk_create` writes.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import AutoField, Model

_FIELDS: dict[type[Model], tuple] = {}
_STATEMENTS: dict[tuple[type[Model], str, int], str] = {}


def insert_rows(objs: Sequence[Model]) -> None:
    """INSERT the unsaved objects (all of one model) in one statement; set their primary keys from RETURNING."""
    if not objs:
        return
    model = type(objs[0])
    fields = _fields(model)
    size = max(connection.ops.bulk_batch_size(fields, objs), 1)
    for start in range(0, len(objs), size):
        _insert(model, fields, objs[start : start + size])


def _insert(model: type[Model], fields: tuple, objs: Sequence[Model]) -> None:
    # On PostgreSQL several rows go as one array per column (UNNEST, as bulk_create does since Django 5.2): one
    # statement text whatever the count, so it is prepared too, and no planning of a placeholder per value.
    unnest = connection.vendor == "postgresql" and len(objs) > 1
    key = (model, connection.vendor, 0 if unnest else len(objs))
    sql = _STATEMENTS.get(key)
    if sql is None:
        sql = _STATEMENTS[key] = _statement(model, fields, len(objs), unnest=unnest)
    rows = [[field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields] for obj in objs]
    params = [list(column) for column in zip(*rows, strict=True)] if unnest else [v for row in rows for v in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _fields(model: type[Model]) -> tuple:
    fields = _FIELDS.get(model)
    if fields is None:
        if not isinstance(model._meta.pk, AutoField):
            raise TypeError(f"{model.__name__}: insert_rows needs a primary key the database generates.")
        fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
        odd = [
            f.name
            for f in fields
            if f.has_db_default()
            or hasattr(f, "get_placeholder")
            or (f.target_field if f.is_relation else f).get_internal_type() not in connection.data_types
        ]
        if odd:
            raise TypeError(f"{model.__name__}: insert_rows cannot write {', '.join(odd)} as the ORM would.")
        _FIELDS[model] = fields
    return fields


def _statement(model: type[Model], fields: tuple, rows: int, *, unnest: bool) -> str:
    qn = connection.ops.quote_name
    if unnest:
        # Without the type's length (varchar[], not varchar(50)[]), as Django does: no value is cut short.
        arrays = ", ".join(f"(%s)::{field.db_type(connection).split('(')[0]}[]" for field in fields)
        values = f"SELECT * FROM UNNEST({arrays})"
    else:
        row = f"({', '.join(['%s'] * len(fields))})"
        values = f"VALUES {', '.join([row] * rows)}"
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"{values} RETURNING {qn(model._meta.pk.column)}"
    )
