"""The three staff groups, with the permissions they were given when they were made.

The lists are frozen here, not read from accounts.roles: a migration is
history, and today's lists may differ (later changes come in later
migrations). Data migrations run before post_migrate makes the permissions,
so each permission granted here is made here if it is missing, with the
name its model declared at this point in history.
"""

from django.db import migrations

# (app label, model, codename, name)
AGENTS = [
    ("contacts", "contact", "view_contact", "Can view contact"),
    ("contacts", "contact", "block_contact", "Can block contacts"),
    ("tickets", "ticket", "view_ticket", "Can view ticket"),
    ("tickets", "ticket", "work_ticket", "Can take, reply to and resolve tickets"),
]
SUPERVISORS = AGENTS + [
    ("contacts", "contact", "unblock_contact", "Can unblock contacts"),
    ("tickets", "ticket", "view_all_tickets", "Can see every queue (supervisor dashboard)"),
    ("tickets", "ticket", "assign_ticket", "Can assign tickets and take them over from the BOT"),
    ("tickets", "ticket", "view_blocked_ticket", "Can see blocked tickets"),
    ("tickets", "ticket", "unblock_ticket", "Can unblock blocked tickets"),
    ("tickets", "ticket", "delete_blocked_ticket", "Can delete blocked tickets"),
]
ADMINISTRATORS = SUPERVISORS + [
    ("settings_app", "systemsettings", "view_systemsettings", "Can view system settings"),
    ("settings_app", "systemsettings", "change_systemsettings", "Can change system settings"),
    ("contacts", "auditentry", "view_audit_trail", "Can view the blocking audit trail"),
    ("contacts", "block", "view_block", "Can view block"),
    ("contacts", "auditentry", "view_auditentry", "Can view audit entry"),
    ("contacts", "contact", "add_contact", "Can add contact"),
    ("contacts", "contact", "change_contact", "Can change contact"),
    ("contacts", "channel", "view_channel", "Can view channel"),
    ("contacts", "channel", "add_channel", "Can add channel"),
    ("contacts", "channel", "change_channel", "Can change channel"),
    ("contacts", "contactidentity", "view_contactidentity", "Can view contact identity"),
    ("tickets", "ticket", "change_ticket", "Can change ticket"),
    ("tickets", "message", "view_message", "Can view message"),
    ("accounts", "apitoken", "view_apitoken", "Can view API token"),
    ("accounts", "apitoken", "add_apitoken", "Can add API token"),
    ("accounts", "apitoken", "change_apitoken", "Can change API token"),
]
GROUPS = {"Administrators": ADMINISTRATORS, "Supervisors": SUPERVISORS, "Agents": AGENTS}


def create_groups(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, permissions in GROUPS.items():
        group, _ = Group.objects.using(db).get_or_create(name=group_name)
        for app_label, model, codename, name in permissions:
            content_type, _ = ContentType.objects.using(db).get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.using(db).get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    # The models whose permissions the groups get, and the tables this writes.
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("contacts", "0001_initial"),
        ("tickets", "0001_initial"),
        ("settings_app", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
