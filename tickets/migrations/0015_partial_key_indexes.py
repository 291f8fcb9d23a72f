"""Foreign keys that are NULL on nearly every row are indexed only where set: a new customer's contact, an
unassigned ticket's update and a customer's message write fewer index entries (docs/benchmarks.md, issue 11).
The look-ups by these keys (= or IN) still use the partial indexes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0019_partial_key_indexes'),
        ('tickets', '0014_refuse_deleted_message_ids'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_assignee_queue',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_assignee_waiting',
        ),
        migrations.AlterField(
            model_name='message',
            name='author',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('author__isnull', False)), fields=['author'], name='message_author'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('assignee__isnull', False)), fields=['assignee', 'status', '-last_message_at'], name='ticket_assignee_queue'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('assignee__isnull', False)), fields=['assignee', 'status', 'waiting_since', 'id'], name='ticket_assignee_waiting'),
        ),
    ]
