"""Supervisors and administrators manage block rules and the flood guard's suspected spam; administrators see
the rules' daily hits in Django admin (issue 14).

The permissions are frozen here, not read from accounts.roles; they are made
here if missing, since data migrations run before post_migrate makes permissions.
"""

from django.db import migrations

# (app label, model, codename, name), granted to both groups.
PERMISSIONS = [
    ("contacts", "blockrule", "view_blockrule", "Can view block rule"),
    ("contacts", "blockrule", "add_blockrule", "Can add block rule"),
    ("contacts", "blockrule", "change_blockrule", "Can change block rule"),
    ("contacts", "blockrule", "delete_blockrule", "Can delete block rule"),
    ("contacts", "floodflag", "view_floodflag", "Can view flood flag"),
    ("contacts", "floodflag", "change_floodflag", "Can change flood flag"),
]
GRANTS = [(group, *permission) for group in ("Supervisors", "Administrators") for permission in PERMISSIONS] + [
    ("Administrators", "contacts", "rulehitday", "view_rulehitday", "Can view rule hit day"),
]


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, app_label, model, codename, name in GRANTS:
        content_type, _ = ContentType.objects.using(db).get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.using(db).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group, _ = Group.objects.using(db).get_or_create(name=group_name)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, app_label, _, codename, _ in GRANTS:
        permission = Permission.objects.using(db).filter(content_type__app_label=app_label, codename=codename).first()
        group = Group.objects.using(db).filter(name=group_name).first()
        if permission and group:
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    # BlockRule and FloodFlag (whose permissions this grants) and the groups this changes.
    dependencies = [
        ("accounts", "0007_queues_team_replies"),
        ("contacts", "0017_spam_rules_flood_guard"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
