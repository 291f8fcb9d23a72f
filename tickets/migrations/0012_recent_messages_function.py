"""The flood guard's count as a PostgreSQL function (issue 14): the contact lock calls it for each open ticket.

As a subquery in the lock statement the count cost every message 0.2 ms of planning (the
statement is planned on each run: Django binds parameters on the client, so nothing is
prepared); PL/pgSQL plans the function's query once per connection and keeps the plan.
The customer messages of the ticket sent since `since` (and since `counted_from`, a
dismissal), counted up to `cap`. SQLite keeps the subquery (tickets.routing_sql).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION blockdesk_recent_messages(
    p_ticket bigint, p_since timestamptz, p_counted_from timestamptz, p_cap integer
) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_ticket IS NULL THEN
        RETURN 0;
    END IF;
    RETURN (
        SELECT COUNT(*) FROM (
            SELECT 1 FROM tickets_message m
            WHERE m.ticket_id = p_ticket AND m.direction = 'in' AND m.sent_at >= p_since
              AND (p_counted_from IS NULL OR m.sent_at >= p_counted_from)
            LIMIT p_cap
        ) recent
    );
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS blockdesk_recent_messages(bigint, timestamptz, timestamptz, integer);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_notice_suspected_spam")]

    operations = [migrations.RunPython(create, drop)]
