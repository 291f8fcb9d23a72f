"""Supervisors and administrators may merge two contacts into one (contacts.merge_contact).

The permission is frozen here, not read from accounts.roles; it is made here
if missing, since data migrations run before post_migrate makes permissions.
"""

from django.db import migrations

GROUPS = ("Supervisors", "Administrators")
# (app label, model, codename, name)
PERMISSION = ("contacts", "contact", "merge_contact", "Can merge two contacts into one")


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_label, model, codename, name = PERMISSION
    content_type, _ = ContentType.objects.using(db).get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.using(db).get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    for group_name in GROUPS:
        group, _ = Group.objects.using(db).get_or_create(name=group_name)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_label, _, codename, _ = PERMISSION
    permission = Permission.objects.using(db).filter(content_type__app_label=app_label, codename=codename).first()
    if permission is None:
        return
    for group in Group.objects.using(db).filter(name__in=GROUPS):
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    # The merge permission's model options and the groups this changes.
    dependencies = [
        ("accounts", "0004_apitoken_last_used_at"),
        ("contacts", "0006_merge_edit_contacts"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
