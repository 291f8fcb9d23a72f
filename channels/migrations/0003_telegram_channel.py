"""Telegram channels: the bot's settings, the update ids taken, and the Administrators' permissions on the bots.

The permissions are frozen here, not read from accounts.roles; they are made
here if missing, since data migrations run before post_migrate makes permissions.
"""

import django.db.models.deletion
import secrets
from django.db import migrations, models


GROUP = "Administrators"
# (app label, model, codename, name)
PERMISSIONS = [
    ("channels", "telegramchannel", "view_telegramchannel", "Can view Telegram bot"),
    ("channels", "telegramchannel", "add_telegramchannel", "Can add Telegram bot"),
    ("channels", "telegramchannel", "change_telegramchannel", "Can change Telegram bot"),
]


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(db).get_or_create(name=GROUP)
    for app_label, model, codename, name in PERMISSIONS:
        content_type, _ = ContentType.objects.using(db).get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.using(db).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(db).filter(name=GROUP).first()
    if group is None:
        return
    codenames = [codename for _, _, codename, _ in PERMISSIONS]
    group.permissions.remove(
        *Permission.objects.using(db).filter(content_type__app_label="channels", codename__in=codenames)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('channels', '0002_administrators_manage_web_chats'),
        ('contacts', '0014_identity_undeliverable'),
        ("accounts", "0002_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name='TelegramChannel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('bot_token', models.TextField(help_text='The token @BotFather gave the bot (123456789:AA…); stored encrypted, never shown back.')),
                ('secret_token', models.TextField(default=secrets.token_urlsafe, editable=False)),
                ('api_base_url', models.URLField(default='https://api.telegram.org', help_text="The Bot API's address; change it only to point at a test server.")),
                ('bot_username', models.CharField(blank=True, help_text='Filled in by Send test (getMe).', max_length=100)),
                ('channel', models.OneToOneField(limit_choices_to={'kind': 'telegram'}, on_delete=django.db.models.deletion.PROTECT, related_name='telegram', to='contacts.channel')),
            ],
            options={
                'verbose_name': 'Telegram bot',
                'verbose_name_plural': 'Telegram bots',
            },
        ),
        migrations.CreateModel(
            name='TelegramUpdate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('update_id', models.BigIntegerField()),
                ('received_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('channel', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contacts.channel')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('channel', 'update_id'), name='one_telegram_update_per_channel')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
