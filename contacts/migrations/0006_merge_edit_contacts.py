"""Merge and edit contacts: the tombstone (merged_into), a note, the merge permission, MERGED and EDITED audit rows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0005_normalise_identity_addresses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="contact",
            options={
                "ordering": ["name", "id"],
                "permissions": [
                    ("block_contact", "Can block contacts"),
                    ("unblock_contact", "Can unblock contacts"),
                    ("merge_contact", "Can merge two contacts into one"),
                ],
            },
        ),
        migrations.RemoveConstraint(
            model_name="auditentry",
            name="audit_contact_action_has_contact",
        ),
        migrations.AddField(
            model_name="auditentry",
            name="other_contact",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contacts.contact",
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_contacts",
                to="contacts.contact",
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="note",
            field=models.TextField(blank=True, help_text="What staff should know about this person."),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("blocked", "Blocked contact"),
                    ("unblock_all", "Unblocked contact (Unblock All)"),
                    ("delete_all", "Unblocked contact (Delete All)"),
                    ("ticket_released", "Unblocked ticket"),
                    ("ticket_deleted", "Deleted blocked ticket"),
                    ("switch_changed", "Changed a system switch"),
                    ("channel_created", "Created channel"),
                    ("channel_deactivated", "Switched channel off"),
                    ("channel_reactivated", "Switched channel on"),
                    ("channel_token_rotated", "Rotated channel token"),
                    ("api_token_issued", "Made personal API token"),
                    ("api_token_revoked", "Revoked personal API token"),
                    ("merged", "Merged contacts"),
                    ("edited", "Edited contact"),
                ],
                max_length=30,
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="change",
            field=models.CharField(blank=True, help_text="From → to, e.g. “off → on”.", max_length=1000),
        ),
        migrations.AlterField(
            model_name="block",
            name="lifted_with",
            field=models.CharField(
                blank=True,
                choices=[
                    ("unblock_all", "Unblock All"),
                    ("delete_all", "Delete All"),
                    ("merged", "Merged into the other contact's block"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        (
                            "action__in",
                            [
                                "blocked",
                                "unblock_all",
                                "delete_all",
                                "ticket_released",
                                "ticket_deleted",
                                "merged",
                                "edited",
                            ],
                        ),
                        _negated=True,
                    ),
                    ("contact__isnull", False),
                    _connector="OR",
                ),
                name="audit_contact_action_has_contact",
            ),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.CheckConstraint(
                condition=models.Q(("merged_into__isnull", True), ("is_blocked", False), _connector="OR"),
                name="merged_contact_is_not_blocked",
            ),
        ),
    ]
