from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_groups

    sync_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_groups"),
        ("tickets", "0002_deleted_message_ids"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
