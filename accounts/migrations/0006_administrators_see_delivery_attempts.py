"""Administrators may look at the delivery attempts of replies (DeliveryAttempt).

The permission is frozen here, not read from accounts.roles; it is made here
if missing, since data migrations run before post_migrate makes permissions.
"""

from django.db import migrations

GROUP = "Administrators"
# (app label, model, codename, name)
PERMISSION = ("tickets", "deliveryattempt", "view_deliveryattempt", "Can view delivery attempt")


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
    group, _ = Group.objects.using(db).get_or_create(name=GROUP)
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_label, _, codename, _ = PERMISSION
    permission = Permission.objects.using(db).filter(content_type__app_label=app_label, codename=codename).first()
    group = Group.objects.using(db).filter(name=GROUP).first()
    if permission and group:
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    # DeliveryAttempt (whose permission this grants) and the groups this changes.
    dependencies = [
        ("accounts", "0005_supervisors_merge_contacts"),
        ("tickets", "0004_delivery_state"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
