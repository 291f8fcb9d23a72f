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

On PostgreSQL, rows that point at each other (a new contact and its identity,
a new ticket and its first message) go in one statement of WITH queries, and
`insert_after` adds a row to the key another statement answers (an open
ticket's UPDATE and its message): one round trip where there were two.
"""

from collections.abc import Callable, Sequence
from datetime import datetime

from django.db import connection
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKey,
    IntegerField,
    Model,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallIntegerField,
    TextField,
)

# What get_db_prep_save gives back unchanged, by field class (exactly these): a value of this Python type. Such a
# value is sent without the ORM's chain of calls, which was a third of building a batch's rows (issue 11).
_AS_IS = {
    CharField: str,
    TextField: str,
    BooleanField: bool,
    IntegerField: int,
    BigIntegerField: int,
    SmallIntegerField: int,
    PositiveIntegerField: int,
    PositiveSmallIntegerField: int,
}
# The primary keys whose foreign keys take an int as it is.
_INT_KEYS = (AutoField, BigAutoField, IntegerField, BigIntegerField)

_FIELDS: dict[type[Model], tuple] = {}
_READERS: dict[tuple[type[Model], str], tuple] = {}
_FOREIGN_KEYS: dict[type[Model], tuple] = {}
_STATEMENTS: dict[tuple, str] = {}


def insert_rows(*groups: Sequence[Model]) -> None:
    """INSERT each group of unsaved objects (one model a group), in order; set their primary keys from RETURNING.

    A group's objects may point at objects of the groups before it (an
    identity at its new contact, a message at its new ticket): their keys
    are filled in as those rows get them. On PostgreSQL, when every group is
    one row, they all go in one statement, each INSERT a WITH query whose key
    the rows after it read: a new customer's contact and identity, or a new
    ticket and its first message, cost one round trip instead of two.
    """
    groups = [objs for objs in groups if objs]
    if connection.vendor == "postgresql" and len(groups) > 1 and all(len(objs) == 1 for objs in groups):
        _insert_linked([objs[0] for objs in groups])
        return
    for objs in groups:
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
    for obj in objs:
        _take_keys(obj)
    readers = _readers(model)
    rows = [[read(obj) for read in readers] for obj in objs]
    params = [list(column) for column in zip(*rows, strict=True)] if unnest else [v for row in rows for v in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        _saved(obj, pk)


def _insert_linked(objs: list[Model]) -> None:
    """One row of each object's model, in one statement: each a WITH query, a link to an earlier one read from it."""
    links = tuple(_links(obj, objs[:k]) for k, obj in enumerate(objs))
    key = (tuple(type(obj) for obj in objs), links)
    sql = _STATEMENTS.get(key)
    if sql is None:
        sql = _STATEMENTS[key] = _linked_statement(objs, links)
    params = []
    for obj, linked in zip(objs, links, strict=True):
        linked_names = {name for name, _ in linked}
        fields = _fields(type(obj))
        params += [
            read(obj)
            for field, read in zip(fields, _readers(type(obj)), strict=True)
            if field.attname not in linked_names
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchone()
    for obj, pk in zip(objs, keys, strict=True):
        _take_keys(obj)
        _saved(obj, pk)


def insert_after(statement: str, params: list, *objs: Model, key: str) -> bool:
    """PostgreSQL: run `statement` (it answers one key or none), then INSERT each object with its foreign key `key`
    set to that answer, in one statement; False, and nothing inserted, when it answers none.

    The customer's message to an open ticket goes with the ticket's update this
    way (and the assignee's notice with them): one round trip, and no message
    when the ticket changed since it was read.
    """
    models = tuple(type(obj) for obj in objs)
    sql_key = (models, key, statement)
    sql = _STATEMENTS.get(sql_key)
    if sql is None:
        sql = _STATEMENTS[sql_key] = _after_statement(statement, models, key)
    values = []
    for obj in objs:
        link = obj._meta.get_field(key)
        _take_keys(obj)
        values += [read(obj) for f, read in zip(_fields(type(obj)), _readers(type(obj)), strict=True) if f is not link]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *values])
        keys = cursor.fetchone()
    if keys[0] is None:
        return False
    for obj, pk in zip(objs, keys, strict=True):
        _saved(obj, pk)
    return True


def _after_statement(statement: str, models: tuple[type[Model], ...], key: str) -> str:
    qn = connection.ops.quote_name
    queries = []
    for k, model in enumerate(models):
        fields, link = _fields(model), model._meta.get_field(key)
        # Typed: a parameter in a SELECT list has no column to take its type from.
        values = ", ".join(
            "before.key" if f is link else f"CAST(%s AS {f.db_type(connection).split('(')[0]})" for f in fields
        )
        queries.append(
            f"r{k} AS (INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"SELECT {values} FROM before RETURNING {qn(model._meta.pk.column)})"
        )
    keys = ", ".join(f"(SELECT {qn(model._meta.pk.column)} FROM r{k})" for k, model in enumerate(models))
    return f"WITH before (key) AS ({statement}), {', '.join(queries)} SELECT {keys}"


def _links(obj: Model, earlier: list[Model]) -> tuple[tuple[str, int], ...]:
    """(attname, position in `earlier`) of each of the object's foreign keys that points at an earlier object."""
    found = []
    for field in _foreign_keys(type(obj)):
        target = field.get_cached_value(obj, None)
        for position, other in enumerate(earlier):
            if target is other:
                found.append((field.attname, position))
    return tuple(found)


def _linked_statement(objs: list[Model], links: tuple) -> str:
    qn = connection.ops.quote_name
    queries = []
    for k, (obj, linked) in enumerate(zip(objs, links, strict=True)):
        meta, linked = obj._meta, dict(linked)
        fields = _fields(type(obj))
        values = ", ".join(
            f"(SELECT {qn(objs[linked[f.attname]]._meta.pk.column)} FROM r{linked[f.attname]})"
            if f.attname in linked
            else "%s"
            for f in fields
        )
        queries.append(
            f"r{k} AS (INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({values}) RETURNING {qn(meta.pk.column)})"
        )
    keys = ", ".join(f"(SELECT {qn(obj._meta.pk.column)} FROM r{k})" for k, obj in enumerate(objs))
    return f"WITH {', '.join(queries)} SELECT {keys}"


def _take_keys(obj: Model) -> None:
    """Each foreign key set to an object saved since takes that object's primary key, as Model.save does."""
    for field in _foreign_keys(type(obj)):
        if getattr(obj, field.attname) is None:
            target = field.get_cached_value(obj, None)
            if target is not None and target.pk is not None:
                setattr(obj, field.name, target)


def _foreign_keys(model: type[Model]) -> tuple:
    found = _FOREIGN_KEYS.get(model)
    if found is None:
        found = _FOREIGN_KEYS[model] = tuple(f for f in _fields(model) if f.many_to_one)
    return found


def _saved(obj: Model, pk) -> None:
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


def _readers(model: type[Model]) -> tuple[Callable[[Model], object], ...]:
    """For each of _fields(model): the function giving an object's value as get_db_prep_save(pre_save(…)) does."""
    key = (model, connection.vendor)
    readers = _READERS.get(key)
    if readers is None:
        readers = _READERS[key] = tuple(_reader(field, connection.vendor) for field in _fields(model))
    return readers


def _reader(field, vendor: str) -> Callable[[Model], object]:
    def prepared(obj: Model) -> object:
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    unchanged = _unchanged(field, vendor)
    if unchanged is None:
        return prepared
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # pre_save stamps the object with the time now; get_db_prep_save would give that time back as it is.
        def stamped(obj: Model) -> object:
            value = field.pre_save(obj, True)
            return value if unchanged(value) else field.get_db_prep_save(value, connection)

        return stamped
    attname, null = field.attname, field.null

    def as_is(obj: Model) -> object:
        value = getattr(obj, attname)
        if (value is None and null) or unchanged(value):
            return value
        return prepared(obj)

    return as_is


def _unchanged(field, vendor: str) -> Callable[[object], bool] | None:
    """The test of a value that the field's get_db_prep_save gives back as it is; None if none is known.

    For most fields pre_save gives the object's value, so that value is tested; an auto_now(_add) field's
    pre_save gives the time now (_reader's `stamped`).

    A str subclass (a TextChoices member) is one: CharField hands it on as it is, and the driver writes it as a str.
    """
    kind = type(field)
    if kind is ForeignKey and type(field.target_field) in _INT_KEYS:
        kind = IntegerField
    if kind is DateTimeField and vendor == "postgresql":
        return lambda value: type(value) is datetime and value.tzinfo is not None
    python_type = _AS_IS.get(kind)
    if python_type is str:
        return lambda value: isinstance(value, str)
    if python_type is not None:
        return lambda value: type(value) is python_type
    return None


def _statement(model: type[Model], fields: tuple, rows: int, *, unnest: bool) -> str:
    qn = connection.ops.quote_name
    if unnest:
        # Without the type's length (varchar[], not varchar(50)[]), as Django does: no value is cut short.
        arrays = ", ".join(f"(%b)::{field.db_type(connection).split('(')[0]}[]" for field in fields)
        values = f"SELECT * FROM UNNEST({arrays})"
    else:
        row = f"({', '.join(['%s'] * len(fields))})"
        values = f"VALUES {', '.join([row] * rows)}"
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"{values} RETURNING {qn(model._meta.pk.column)}"
    )
