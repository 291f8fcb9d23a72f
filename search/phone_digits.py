"""A phone number as its digits, so "0812 3456" finds "+62 812 3456" however either was written."""

import re

from django.db.models import CharField, Func

# Indonesia: a number written the national way ("0812…") is "+62 812…". contacts/addresses.py (phonenumbers,
# with the default region a setting) replaces this once it lands.
DEFAULT_COUNTRY_CODE = "62"
# Fewer digits than this are not looked up as a phone: "12" would match most numbers.
MIN_PHONE_DIGITS = 4
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")
# What people put between the digits of a phone number; SQLite has no regexp_replace.
SEPARATORS = " +-()./"


def phone_digits(text: str) -> str:
    """The digits to look for in contacts' phones, or "" if the text does not look like a phone number."""
    text = text.strip()
    if not _PHONE_LIKE.fullmatch(text):
        return ""
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return ""
    if digits.startswith("0") and not text.startswith("+"):
        digits = DEFAULT_COUNTRY_CODE + digits[1:]
    return digits


class Digits(Func):
    """The column with everything but its digits removed (a GIN trigram index holds it on PostgreSQL)."""

    function = "regexp_replace"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="regexp_replace(%(expressions)s, '[^0-9]', '', 'g')")

    def as_sqlite(self, compiler, connection, **extra):
        template = "%(expressions)s"
        for separator in dict.fromkeys(SEPARATORS):
            template = f"REPLACE({template}, '{separator}', '')"
        return self.as_sql(compiler, connection, template=template)
