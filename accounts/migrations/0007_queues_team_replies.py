"""Supervisors and administrators manage the team's saved replies; administrators see saved replies and
notices in Django admin (issue 16).

The permission is frozen here, not read from accounts.roles; it is made here
if missing, since data migrations run before post_migrate makes permissions.
"""

from django.db import migrations

# (group, app label, model, codename, name)
GRANTS = [
    (group, "tickets", "savedreply", "manage_team_replies", "Can add and delete the team's saved replies")
    for group in ("Supervisors", "Administrators")
] + [
    ("Administrators", "tickets", "savedreply", "view_savedreply", "Can view saved reply"),
    ("Administrators", "tickets", "notice", "view_notice", "Can view notice"),
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
    # SavedReply and Notice (whose permissions this grants) and the groups this changes.
    dependencies = [
        ("accounts", "0006_administrators_see_delivery_attempts"),
        ("tickets", "0005_queues_waiting_replies_notices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
