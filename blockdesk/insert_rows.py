"""Insert new model rows as `bulk_create` does, from a statement written once: routing's hot path (issue 11).

`Model.objects.bulk_create` compiles its INSERT on every call: for one inbound
message that cost 0.2 ms of Python, more than PostgreSQL takes to run it
(docs/benchmarks.md, "Issue 11 point 7"). `insert_rows` keeps the statement per
model, database and row count, so the same text comes back, and PostgreSQL
prepares it after its fifth run (DATABASE_PREPARED_STATEMENTS). The values are
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
    key = (model, connection.vendor, len(objs))
    sql = _STATEMENTS.get(key)
    if sql is None:
        sql = _STATEMENTS[key] = _statement(model, fields, len(objs))
    params = []
    for obj in objs:
        params += [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
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
        odd = [f.name for f in fields if f.has_db_default() or hasattr(f, "get_placeholder")]
        if odd:
            raise TypeError(f"{model.__name__}: insert_rows cannot write {', '.join(odd)} as the ORM would.")
        _FIELDS[model] = fields
    return fields


def _statement(model: type[Model], fields: tuple, rows: int) -> str:
    qn = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * rows)} RETURNING {qn(model._meta.pk.column)}"
    )
