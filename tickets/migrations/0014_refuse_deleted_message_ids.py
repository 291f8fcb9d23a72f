"""A message id that Delete All removed is never stored again (PostgreSQL): a trigger refuses its INSERT.

Routing looks for earlier deliveries and remembered deletions in the statement that
also takes the contact lock, so it reads them with the snapshot that statement began
with. A repeat that waited for the lock while the first copy was stored and then
Delete All removed it sees neither: no message to call it a duplicate, no deletion
record. The unique constraint on (channel, external id) does not catch it either, the
first copy being gone. This trigger does, at the INSERT, whose snapshot is taken after
the lock was granted: it raises a unique violation, routing rolls back and tries again,
and the next look-back finds the deletion record and answers "deleted". One index probe
per inbound message, no round trip. SQLite needs nothing: its writers take turns from
BEGIN, so the look-back is never older than the lock.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION blockdesk_refuse_deleted_message_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM tickets_deletedmessage d
        WHERE d.channel_id = NEW.channel_id AND d.external_id = NEW.external_id
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'unique_violation',
            MESSAGE = 'message ' || NEW.external_id || ' of channel ' || NEW.channel_id || ' was deleted by Delete All';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER message_id_not_deleted BEFORE INSERT ON tickets_message
    FOR EACH ROW WHEN (NEW.external_id IS NOT NULL) EXECUTE FUNCTION blockdesk_refuse_deleted_message_id();
"""
DROP = """
DROP TRIGGER IF EXISTS message_id_not_deleted ON tickets_message;
DROP FUNCTION IF EXISTS blockdesk_refuse_deleted_message_id();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_message_arrival_time")]

    operations = [migrations.RunPython(create, drop)]
