"""Each person's language and time zone (a profile per person); administrators see and change them in Django admin.

The administrators' permissions are frozen here, not read from accounts.roles,
and made here if missing (data migrations run before post_migrate makes them).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (codename, name), granted to Administrators.
PERMISSIONS = [("view_profile", "Can view profile"), ("change_profile", "Can change profile")]


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.using(db).get_or_create(app_label="accounts", model="profile")
    group, _ = Group.objects.using(db).get_or_create(name="Administrators")
    for codename, name in PERMISSIONS:
        permission, _ = Permission.objects.using(db).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(db).filter(name="Administrators").first()
    for codename, _ in PERMISSIONS:
        permission = Permission.objects.using(db).filter(content_type__app_label="accounts", codename=codename).first()
        if permission and group:
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_supervisors_manage_spam_rules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Profile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "language",
                    models.CharField(
                        blank=True,
                        choices=[("", "From my browser"), ("en", "English"), ("id", "Bahasa Indonesia")],
                        max_length=8,
                    ),
                ),
                ("time_zone", models.CharField(blank=True, max_length=64)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="profile", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("language__in", ["", "en", "id"])), name="profile_language_known"
                    )
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
