"""Model instances made without Model.__init__'s field-by-field work: routing's hot path (issue 11).

`Model(**values)` sets each field through its descriptor and sends pre_init
and post_init: 14 µs for a Message, more than a third of the Python a message
costs in a 100-message batch. `Model.from_db` does the same for each row read,
4 µs. For a model no pre_init or post_init receiver listens to, these fill the
instance's attributes in one step instead: the same values, the same related
objects cached, the same state. With a receiver they call the ORM as before.
tests/test_model_rows.py compares both ways attribute by attribute.
"""

from django.db import router
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

_DEFAULTS: dict[type[Model], tuple] = {}


def unsaved(model: type[Model], *, related: dict[str, Model] | None = None, **values) -> Model:
    """`model(**related, **values)`: `values` by attname, `related` the objects of foreign keys, by field name."""
    related = related or {}
    if _listened(model):
        return model(**related, **values)
    obj = object.__new__(model)
    state = obj._state = ModelState()
    data = obj.__dict__
    for attname, default in _defaults(model):
        data[attname] = values[attname] if attname in values else default()
    for name, target in related.items():
        field = model._meta.get_field(name)
        data[field.attname] = getattr(target, field.target_field.attname)
        state.fields_cache[name] = target
        # As the foreign key's descriptor does when Model.__init__ sets the object.
        if state.db is None:
            state.db = router.db_for_write(model, instance=target)
        if target._state.db is None:
            target._state.db = router.db_for_write(type(target), instance=obj)
    return obj


def from_row(model: type[Model], db: str, attnames: tuple[str, ...], row) -> Model:
    """`model.from_db(db, attnames, row)` for a row of every concrete field, in `_meta.concrete_fields` order."""
    if _listened(model):
        return model.from_db(db, attnames, row)
    obj = object.__new__(model)
    obj.__dict__.update(zip(attnames, row, strict=True))
    state = obj._state = ModelState()
    state.adding, state.db = False, db
    return obj


def _listened(model: type[Model]) -> bool:
    return pre_init.has_listeners(model) or post_init.has_listeners(model)


def _defaults(model: type[Model]) -> tuple:
    """(attname, the function giving its default) of each concrete field, as Model.__init__ fills those not given."""
    found = _DEFAULTS.get(model)
    if found is None:
        found = _DEFAULTS[model] = tuple((f.attname, f.get_default) for f in model._meta.concrete_fields)
    return found
