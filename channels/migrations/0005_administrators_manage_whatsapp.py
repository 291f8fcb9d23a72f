"""Administrators set up WhatsApp numbers in Django admin (phone number id, secrets, block mirror).

The permissions are frozen here, not read from accounts.roles; they are made
here if missing, since data migrations run before post_migrate makes permissions.
"""

from django.db import migrations

GROUP = "Administrators"
# (app label, model, codename, name)
PERMISSIONS = [
    ("channels", "whatsappchannel", "view_whatsappchannel", "Can view WhatsApp number"),
    ("channels", "whatsappchannel", "add_whatsappchannel", "Can add WhatsApp number"),
    ("channels", "whatsappchannel", "change_whatsappchannel", "Can change WhatsApp number"),
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
        ("channels", "0004_whatsapp_channel"),
        ("accounts", "0002_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
