"""Foreign keys that are NULL on nearly every row are indexed only where set: a new customer's contact, an
unassigned ticket's update and a customer's message write fewer index entries (docs/benchmarks.md, issue 11).
The look-ups by these keys (= or IN) still use the partial indexes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0018_contact_suspected_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='contact',
            name='blocked_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='contact',
            name='blocked_by_rule',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='contacts.blockrule'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='merged_into',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_contacts', to='contacts.contact'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(condition=models.Q(('blocked_by__isnull', False)), fields=['blocked_by'], name='contact_blocked_by'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(condition=models.Q(('blocked_by_rule__isnull', False)), fields=['blocked_by_rule'], name='contact_blocked_by_rule'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='contact_merged_into'),
        ),
    ]
