"""E-mail mailboxes (IMAP in, SMTP out); administrators manage them in Django admin (permissions frozen here)."""

import django.db.models.deletion
from django.db import migrations, models

GROUP = "Administrators"
# (app label, model, codename, name)
PERMISSIONS = [
    ("channels", "emailchannel", "view_emailchannel", "Can view e-mail mailbox"),
    ("channels", "emailchannel", "add_emailchannel", "Can add e-mail mailbox"),
    ("channels", "emailchannel", "change_emailchannel", "Can change e-mail mailbox"),
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
        ('channels', '0005_administrators_manage_whatsapp'),
        ('contacts', '0010_audit_actions_merged_edited_reopened'),
        ('accounts', '0002_staff_groups'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='EmailChannel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address', models.EmailField(help_text="The mailbox's own address: replies come from it and ask for answers to it.", max_length=254)),
                ('imap_host', models.CharField(max_length=255, verbose_name='IMAP host')),
                ('imap_port', models.PositiveIntegerField(default=993, verbose_name='IMAP port')),
                ('imap_security', models.CharField(choices=[('ssl', 'SSL/TLS from the start (IMAP 993, SMTP 465)'), ('starttls', 'STARTTLS (IMAP 143, SMTP 587)'), ('none', 'None: password in clear (a server on this machine only)')], default='ssl', max_length=8, verbose_name='IMAP security')),
                ('imap_user', models.CharField(max_length=255, verbose_name='IMAP user')),
                ('imap_password', models.TextField(blank=True, verbose_name='IMAP password')),
                ('imap_folder', models.CharField(default='INBOX', help_text='The folder polled.', max_length=255, verbose_name='IMAP folder')),
                ('processed_action', models.CharField(choices=[('seen', 'Flag it Seen and leave it in the folder'), ('move', 'Move it to another folder')], default='seen', help_text='What happens to a mail once it is stored (or skipped as an auto-reply, bounce or bulk mail).', max_length=4)),
                ('processed_folder', models.CharField(default='BlockDesk', help_text='Where processed mail is moved to (made if missing).', max_length=255)),
                ('smtp_host', models.CharField(max_length=255, verbose_name='SMTP host')),
                ('smtp_port', models.PositiveIntegerField(default=587, verbose_name='SMTP port')),
                ('smtp_security', models.CharField(choices=[('ssl', 'SSL/TLS from the start (IMAP 993, SMTP 465)'), ('starttls', 'STARTTLS (IMAP 143, SMTP 587)'), ('none', 'None: password in clear (a server on this machine only)')], default='starttls', max_length=8, verbose_name='SMTP security')),
                ('smtp_user', models.CharField(blank=True, help_text='Blank: send without logging in.', max_length=255, verbose_name='SMTP user')),
                ('smtp_password', models.TextField(blank=True, verbose_name='SMTP password')),
                ('uid_validity', models.BigIntegerField(blank=True, editable=False, null=True)),
                ('last_uid', models.BigIntegerField(default=0, editable=False)),
                ('polling_until', models.DateTimeField(blank=True, editable=False, null=True)),
                ('last_polled_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('last_poll_error', models.TextField(blank=True, editable=False)),
                ('automatic_skipped', models.PositiveIntegerField(default=0, editable=False)),
                ('unreadable_skipped', models.PositiveIntegerField(default=0, editable=False)),
                ('channel', models.OneToOneField(limit_choices_to={'kind': 'email'}, on_delete=django.db.models.deletion.PROTECT, related_name='email', to='contacts.channel')),
            ],
            options={
                'verbose_name': 'e-mail mailbox',
                'verbose_name_plural': 'e-mail mailboxes',
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
