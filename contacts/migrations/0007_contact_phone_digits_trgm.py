"""A trigram index on the digits of contacts' phones, so "0812 3456" finds "+62 812 3456" fast; PostgreSQL only.

The search (search/finders.py) compares digits only: regexp_replace(phone,
'[^0-9]', '', 'g') LIKE '%628123456%'. The index holds exactly that
expression (search.phone_digits.Digits) with gin_trgm_ops, the same way
0002 indexes name, phone and e-mail.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS contact_phone_digits_trgm ON contacts_contact "
        "USING gin (regexp_replace(phone::text, '[^0-9]', '', 'g') gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS contact_phone_digits_trgm")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_merge_edit_contacts")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
