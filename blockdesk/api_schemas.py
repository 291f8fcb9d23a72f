"""Shapes shared by every part of the JSON API: error bodies, text fields, ids, pages."""

from datetime import UTC, datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints

# The largest id a bigint primary key can hold: bigger ones are 422, not a database error.
MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _storable(value: str) -> str:
    """Refuse text no database can store: NUL characters and lone UTF-16 surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def bounded_text(*, min_length: int = 0, max_length: int):
    """A string type with length bounds that the database can store."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(_storable)]


def _aware(value: datetime) -> datetime:
    """Read a naive time as UTC; refuse one that cannot be expressed in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


Timestamp = Annotated[datetime, AfterValidator(_aware)]


def _email(value: str) -> str:
    """Refuse what Django's EmailField would not accept; an empty string means none."""
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError("must be an e-mail address") from None
    return value


Email = Annotated[bounded_text(max_length=254), AfterValidator(_email)]


class ErrorOut(Schema):
    detail: str = Field(description="Why the request was refused, fit to show a person.")


class FieldError(Schema):
    field: str = Field(description="Where the invalid value is, e.g. `contact.id` or `messages[3].text`.")
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldError]


def responses(ok: dict, *codes: int) -> dict:
    """Declare an operation's answers: its success shapes, then each error code with its body.

    503 is always there: every operation needs the database (blockdesk.outage answers it).
    """
    declared = dict(ok)
    for code in (*codes, 503):
        declared[code] = ValidationErrorOut if code == 422 else ErrorOut
    return declared


class PersonOut(Schema):
    id: int
    username: str
    name: str


def person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name()}
