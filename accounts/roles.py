"""The three staff roles and the permissions each group gets.

Code checks permissions, never group names; these groups are the starting
point an administrator can change in Django admin. The accounts migrations
made the groups with their own frozen copies of these lists; a change here
needs a migration too (tests/test_migrations.py checks that they agree).
"""

ADMINISTRATORS = "Administrators"
SUPERVISORS = "Supervisors"
AGENTS = "Agents"

AGENT_PERMISSIONS = [
    "contacts.view_contact",
    "contacts.block_contact",
    "tickets.view_ticket",
    "tickets.work_ticket",
]

SUPERVISOR_PERMISSIONS = AGENT_PERMISSIONS + [
    "contacts.unblock_contact",
    "contacts.merge_contact",
    "tickets.view_all_tickets",
    "tickets.assign_ticket",
    "tickets.view_blocked_ticket",
    "tickets.unblock_ticket",
    "tickets.delete_blocked_ticket",
    "tickets.manage_team_replies",
    "contacts.view_blockrule",
    "contacts.add_blockrule",
    "contacts.change_blockrule",
    "contacts.delete_blockrule",
    "contacts.view_floodflag",
    "contacts.change_floodflag",
]

ADMINISTRATOR_PERMISSIONS = SUPERVISOR_PERMISSIONS + [
    "contacts.view_rulehitday",
    "settings_app.view_systemsettings",
    "settings_app.change_systemsettings",
    "contacts.view_audit_trail",
    "contacts.view_block",
    "contacts.view_auditentry",
    "contacts.add_contact",
    "contacts.change_contact",
    "contacts.view_channel",
    "contacts.add_channel",
    "contacts.change_channel",
    "contacts.view_contactidentity",
    "tickets.change_ticket",
    "tickets.view_message",
    "tickets.view_deletedmessage",
    "tickets.view_deliveryattempt",
    "tickets.view_savedreply",
    "tickets.view_notice",
    "accounts.view_apitoken",
    "accounts.add_apitoken",
    "accounts.change_apitoken",
    "accounts.view_profile",
    "accounts.change_profile",
    "channels.view_webchatchannel",
    "channels.add_webchatchannel",
    "channels.change_webchatchannel",
    "channels.view_telegramchannel",
    "channels.add_telegramchannel",
    "channels.change_telegramchannel",
    "channels.view_whatsappchannel",
    "channels.add_whatsappchannel",
    "channels.change_whatsappchannel",
    "channels.view_emailchannel",
    "channels.add_emailchannel",
    "channels.change_emailchannel",
]

GROUP_PERMISSIONS = {
    ADMINISTRATORS: ADMINISTRATOR_PERMISSIONS,
    SUPERVISORS: SUPERVISOR_PERMISSIONS,
    AGENTS: AGENT_PERMISSIONS,
}


def give_groups_their_permissions(apps) -> None:
    """Create each staff group if missing and add the permissions it should have."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
