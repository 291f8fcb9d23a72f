"""A GIN full-text index on message text for the search (search/finders.py), on PostgreSQL only.

The expression is to_tsvector('simple', body): 'simple' does not stem, so
Indonesian and English words both match as written. A query uses the index
only when it repeats this expression exactly (search.finders.body_vector).
CONCURRENTLY, so a deployment with millions of messages keeps taking them
while the index builds; SQLite searches without an index.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS message_body_search ON tickets_message "
        "USING gin (to_tsvector('simple'::regconfig, body))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS message_body_search")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0002_deleted_message_ids")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
