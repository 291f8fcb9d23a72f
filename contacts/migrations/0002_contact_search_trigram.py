"""Trigram indexes for the contacts search (name, phone or e-mail contains the text), on PostgreSQL only.

Django's icontains is UPPER(column) LIKE UPPER('%text%'), so the indexes are
on UPPER(column); a GIN trigram index answers such a LIKE without reading the
whole table. SQLite has no pg_trgm and gets nothing.
"""

from django.db import migrations

COLUMNS = ("name", "phone", "email")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS contact_{column}_trgm ON contacts_contact "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS contact_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
