import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.profiles import save_profile
from blockdesk import errors
from contacts.block_rules import create_rule
from contacts.blocking import block_contact
from contacts.models import AuditEntry, Block, Channel, Contact, FloodFlag, RuleHitDay
from settings_app.models import SystemSettings
from settings_app.switches import current_switches
from tests import factories
from tests.inbound import deliver
from tickets.models import DeletedMessage, DeliveryAttempt, Message, Notice, SavedReply, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

OUR_APPS = {"contacts", "tickets", "settings_app", "accounts"}
CONTACTS_URL = reverse("admin:contacts_contact_changelist")


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def blocked(channel, supervisor, blocking_on):
    """A blocked contact with a blocked ticket of two spam messages."""
    contact = deliver(channel, "+628111", "hello").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    deliver(channel, "+628111", "spam 1")
    deliver(channel, "+628111", "spam 2")
    return Contact.objects.get(pk=contact.pk)


def blocked_channel(contact):
    return contact.identities.get().channel


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def act(client, action: str, objects, url: str = CONTACTS_URL, **data):
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **data}
    return client.post(url, data, follow=True)


@pytest.mark.parametrize("persona", ["administrator", "superuser"])
def test_every_changelist_and_change_page_loads(persona, client, request, blocked, agent):
    user = request.getfixturevalue(persona) if persona == "administrator" else factories.UserFactory(is_superuser=True)
    user.is_staff = True
    user.save()
    client.force_login(user)
    ApiToken.issue(user=agent, name="crm")
    save_profile(person=agent, language="id", time_zone="Asia/Jayapura")
    DeletedMessage.objects.create(
        channel=factories.ChannelFactory(), external_id="gone-1", contact=blocked, deleted_at=timezone.now()
    )
    reply = factories.MessageFactory(direction="out", delivery_state="sent", external_id=None)
    DeliveryAttempt.objects.create(
        message=reply, number=1, started_at=timezone.now(), finished_at=timezone.now(), outcome="sent"
    )
    SavedReply.objects.create(title="Greeting", body="Hello {contact_name}")
    rule = create_rule(actor=user, kind="domain", value="spam.example", action="quarantine")
    RuleHitDay.objects.create(rule=rule, action=rule.action, channel=blocked_channel(blocked), day=timezone.localdate())
    FloodFlag.objects.create(
        contact=blocked, channel=blocked_channel(blocked), flagged_at=timezone.now(), messages=31, window_minutes=5
    )
    Notice.objects.create(recipient=agent, kind=Notice.Kind.ASSIGNED, ticket=None, created=timezone.now())
    models = [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]
    assert [model for model in models if not admin.site.is_registered(model)] == []

    for model in models:
        opts = model._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), follow=True)
        assert changelist.status_code == 200, opts.label
        obj = model.objects.first()
        change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200, opts.label


def test_contact_list_filters_blocked_and_searches(admin_client, blocked):
    other = factories.ContactFactory(name="Rina Wijaya", phone="+628999", email="rina@example.com")

    only_blocked = admin_client.get(CONTACTS_URL, {"is_blocked__exact": "1"})
    by_email = admin_client.get(CONTACTS_URL, {"q": "rina@example"})

    assert list(only_blocked.context["cl"].result_list) == [blocked]
    assert list(by_email.context["cl"].result_list) == [other]


# System settings


def test_settings_changelist_redirects_to_the_one_page(admin_client):
    response = admin_client.get(reverse("admin:settings_app_systemsettings_changelist"))

    assert response.status_code == 302
    assert response.url == reverse("admin:settings_app_systemsettings_change", args=[SystemSettings.SINGLETON_PK])


def test_settings_cannot_be_added_or_deleted(admin_client):
    assert admin_client.get(reverse("admin:settings_app_systemsettings_add")).status_code == 403
    delete_url = reverse("admin:settings_app_systemsettings_delete", args=[SystemSettings.SINGLETON_PK])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert SystemSettings.objects.count() == 1


def test_settings_page_saves_through_update_switches(admin_client, administrator, django_capture_on_commit_callbacks):
    url = reverse("admin:settings_app_systemsettings_change", args=[SystemSettings.SINGLETON_PK])
    assert current_switches().block_contacts_enabled is False  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"block_contacts_enabled": "on", "_continue": "1"})

    assert response.status_code == 302
    row = SystemSettings.objects.get()
    assert (row.block_contacts_enabled, row.bot_enabled, row.updated_by) == (True, False, administrator)
    assert current_switches().block_contacts_enabled is True  # the cached value was cleared


def test_supervisor_cannot_reach_the_settings_page(client, supervisor):
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    url = reverse("admin:settings_app_systemsettings_change", args=[SystemSettings.SINGLETON_PK])

    assert client.post(url, {"block_contacts_enabled": "on"}).status_code == 403
    assert SystemSettings.objects.get().block_contacts_enabled is False


# Block action


def test_block_action_asks_for_reason_note_and_resolving(admin_client, blocking_on):
    contact = factories.ContactFactory()

    response = act(admin_client, "block_selected", [contact])

    assert response.templates[0].name == "admin/contacts/contact/block.html"
    assert set(response.context["form"].fields) == {"reason", "note", "resolve_open_tickets", "duration", "until"}
    assert response.context["form"]["resolve_open_tickets"].initial is True
    assert not Contact.objects.get(pk=contact.pk).is_blocked


def test_block_action_blocks_each_contact_through_the_domain(admin_client, administrator, channel, blocking_on):
    first = deliver(channel, "+628111").contact
    second = factories.ContactFactory()

    form = {"apply": "1", "reason": "abuse", "note": "rude", "resolve_open_tickets": "on"}

    response = act(admin_client, "block_selected", [first, second], **form)

    assert texts(response) == ["Blocked 2 contacts."]
    assert set(Contact.objects.filter(is_blocked=True)) == {first, second}
    assert set(Block.objects.values_list("contact", "reason", "note", "blocked_by")) == {
        (first.pk, "abuse", "rude", administrator.pk),
        (second.pk, "abuse", "rude", administrator.pk),
    }
    assert AuditEntry.objects.filter(action=AuditEntry.Action.BLOCKED).count() == 2
    assert Ticket.objects.get(contact=first).status == TicketStatus.RESOLVED


def test_block_action_makes_timed_blocks_and_refuses_a_past_date(admin_client, blocking_on):
    timed, late = factories.ContactFactory(), factories.ContactFactory()

    act(admin_client, "block_selected", [timed], apply="1", reason="spam", duration="7d")
    response = act(
        admin_client, "block_selected", [late], apply="1", reason="spam", duration="date", until="2020-01-01"
    )

    ends = Contact.objects.get(pk=timed.pk).blocked_until
    assert ends is not None and Block.objects.get(contact=timed).ends_at == ends
    assert errors.BLOCK_END_PAST in response.content.decode()
    assert not Contact.objects.get(pk=late.pk).is_blocked


def test_block_action_can_keep_open_tickets_open(admin_client, channel, blocking_on):
    routed = deliver(channel, "+628111")

    act(admin_client, "block_selected", [routed.contact], apply="1", reason="spam")

    assert Contact.objects.get(pk=routed.contact.pk).is_blocked
    assert Ticket.objects.get(pk=routed.ticket.pk).status == TicketStatus.UNASSIGNED


def test_block_action_reports_an_already_blocked_contact_and_blocks_the_rest(admin_client, blocked):
    fresh = factories.ContactFactory()

    response = act(admin_client, "block_selected", [blocked, fresh], apply="1", reason="spam")

    assert texts(response) == [f"{blocked}: {errors.ALREADY_BLOCKED}", "Blocked 1 contact."]
    assert Block.objects.filter(contact=blocked).count() == 1
    assert Contact.objects.get(pk=fresh.pk).is_blocked


def test_block_action_refused_when_feature_is_off(admin_client):
    contact = factories.ContactFactory()

    response = act(admin_client, "block_selected", [contact], apply="1", reason="spam")

    assert texts(response) == [errors.BLOCKING_DISABLED]
    assert not Block.objects.exists()


def test_block_action_with_unknown_reason_shows_the_form_again(admin_client, blocking_on):
    contact = factories.ContactFactory()

    response = act(admin_client, "block_selected", [contact], apply="1", reason="rude")

    assert response.context["form"].errors["reason"]
    assert not Contact.objects.get(pk=contact.pk).is_blocked


# Unblock action


def test_unblock_action_offers_exactly_unblock_all_delete_all_and_cancel(admin_client, blocked):
    response = act(admin_client, "unblock_selected", [blocked])

    page = response.content.decode()
    assert re.findall(r'name="choice" value="(\w+)"', page) == ["unblock_all", "delete_all"]
    assert "Cancel" in page
    assert [(contact, counts.tickets, counts.messages) for contact, counts in response.context["rows"]] == [
        (blocked, 1, 2)
    ]
    assert Contact.objects.get(pk=blocked.pk).is_blocked


def test_unblock_all_action_releases_tickets(admin_client, administrator, blocked):
    response = act(admin_client, "unblock_selected", [blocked], choice="unblock_all")

    assert texts(response) == [
        f"Unblocked {blocked}: 1 ticket released, 0 tickets and 0 messages deleted.",
    ]
    assert not Contact.objects.get(pk=blocked.pk).is_blocked
    assert Ticket.objects.get(contact=blocked, status=TicketStatus.UNASSIGNED).message_count == 3
    block = Block.objects.get()
    assert (block.lifted_by, block.lifted_with, block.tickets_released) == (administrator, "unblock_all", 1)


def test_delete_all_action_deletes_tickets_and_keeps_the_block(admin_client, blocked):
    blocked_ticket = Ticket.objects.get(status=TicketStatus.BLOCKED)

    response = act(admin_client, "unblock_selected", [blocked], choice="delete_all")

    assert texts(response) == [f"Unblocked {blocked}: 0 tickets released, 1 ticket and 2 messages deleted."]
    assert not Ticket.objects.filter(pk=blocked_ticket.pk).exists()
    assert not Message.objects.filter(ticket_id=blocked_ticket.pk).exists()
    assert Block.objects.values_list("tickets_deleted", "messages_deleted").get() == (1, 2)


def test_unblock_action_reports_a_contact_that_is_not_blocked(admin_client, blocked):
    free = factories.ContactFactory()

    response = act(admin_client, "unblock_selected", [free, blocked], choice="unblock_all")

    assert f"{free}: {errors.NOT_BLOCKED}" in texts(response)
    assert not Contact.objects.get(pk=blocked.pk).is_blocked


def test_unblock_action_is_not_offered_without_the_permission(client, blocked):
    staff_agent = factories.AgentFactory(is_staff=True)
    client.force_login(staff_agent)

    changelist = client.get(CONTACTS_URL)
    response = act(client, "unblock_selected", [blocked], choice="delete_all")

    assert changelist.status_code == 200
    assert "unblock_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
    assert Contact.objects.get(pk=blocked.pk).is_blocked
    assert Ticket.objects.filter(status=TicketStatus.BLOCKED).count() == 1
    assert response.status_code == 200


# Read-only history and tickets


@pytest.mark.parametrize("model", [Block, AuditEntry, Ticket, Message])
def test_history_and_tickets_cannot_be_added_changed_or_deleted(model, admin_client, blocked):
    opts = model._meta
    obj = model.objects.first()

    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    change_page = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert change_page.context["has_change_permission"] is False
    delete_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_ticket_status_cannot_be_edited_by_hand(admin_client, blocked):
    ticket = Ticket.objects.get(status=TicketStatus.BLOCKED)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    response = admin_client.post(url, {"status": TicketStatus.UNASSIGNED})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


def test_ticket_unblock_action_releases_blocked_tickets_and_refuses_others(admin_client, blocked, channel):
    blocked_ticket = Ticket.objects.get(status=TicketStatus.BLOCKED)
    normal = deliver(channel, "+628999").ticket
    url = reverse("admin:tickets_ticket_changelist")

    refused = act(admin_client, "unblock_selected", [blocked_ticket, normal], url=url)
    assert texts(refused) == [errors.TICKETS_NOT_BLOCKED]
    assert Ticket.objects.get(pk=blocked_ticket.pk).status == TicketStatus.BLOCKED

    released = act(admin_client, "unblock_selected", [blocked_ticket], url=url)
    assert texts(released) == ["Unblocked 1 ticket."]
    assert Ticket.objects.get(pk=blocked_ticket.pk).status == TicketStatus.UNASSIGNED


# Channels and API tokens


def _token_in(response) -> str:
    (token,) = re.findall(r"\b(bd[cu]_[\w-]{40,})", " ".join(texts(response)))
    return token


def _audit(action) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action=action).values_list("actor__username", "actor_name", "channel__name", "change")
    )


def test_channel_add_shows_the_token_once_and_is_audited(admin_client):
    response = admin_client.post(
        reverse("admin:contacts_channel_add"), {"name": "Telegram", "kind": "telegram", "is_active": "on"}, follow=True
    )

    token = _token_in(response)
    channel = Channel.objects.get(name="Telegram")
    assert Channel.objects.for_token(token) == channel
    assert token.startswith(channel.token_prefix)
    page = admin_client.get(reverse("admin:contacts_channel_change", args=[channel.pk])).content.decode()
    assert token not in page
    assert channel.token_prefix in page
    assert _audit(AuditEntry.Action.CHANNEL_CREATED) == [("admin", "", "Telegram", "")]


def test_channel_token_hash_is_not_editable(admin_client, channel):
    url = reverse("admin:contacts_channel_change", args=[channel.pk])

    admin_client.post(url, {"name": "WhatsApp", "kind": "whatsapp", "token_hash": "0" * 64, "token_prefix": "x"})

    assert Channel.objects.get(pk=channel.pk).token_hash == channel.token_hash


def test_rotate_token_action_voids_the_old_token_and_is_audited(admin_client):
    channel = Channel(name="Web chat", kind=Channel.Kind.WEBCHAT)
    old = channel.set_new_token()
    channel.save()

    response = act(admin_client, "rotate_token", [channel], url=reverse("admin:contacts_channel_changelist"))

    new = _token_in(response)
    assert new != old
    assert Channel.objects.for_token(new) == channel
    assert Channel.objects.for_token(old) is None
    assert _audit(AuditEntry.Action.CHANNEL_TOKEN_ROTATED) == [("admin", "", "Web chat", f"{old[:12]}… → {new[:12]}…")]


def test_unticking_active_in_the_change_form_switches_the_channel_off_audited(admin_client, channel):
    url = reverse("admin:contacts_channel_change", args=[channel.pk])
    form = {"name": "WhatsApp main", "kind": "whatsapp", "signing_secret": ""}

    admin_client.post(url, form)  # is_active left out: unticked
    channel.refresh_from_db()
    assert (channel.name, channel.is_active) == ("WhatsApp main", False)
    admin_client.post(url, {**form, "name": "WhatsApp main"})  # no change of the switch: no new row
    admin_client.post(url, {**form, "is_active": "on"})

    assert Channel.objects.get(pk=channel.pk).is_active is True
    assert _audit(AuditEntry.Action.CHANNEL_DEACTIVATED) == [("admin", "", "WhatsApp main", "on → off")]
    assert _audit(AuditEntry.Action.CHANNEL_REACTIVATED) == [("admin", "", "WhatsApp main", "off → on")]


def test_channel_switch_actions_are_audited_and_say_what_they_skipped(admin_client, channel):
    off = factories.ChannelFactory(name="Old mail", is_active=False)
    url = reverse("admin:contacts_channel_changelist")

    switched_off = act(admin_client, "deactivate_selected", [channel, off], url=url)
    switched_on = act(admin_client, "reactivate_selected", [off], url=url)

    assert texts(switched_off) == [f"Old mail: {errors.CHANNEL_ALREADY_INACTIVE}", "Switched off channel “WhatsApp”."]
    assert texts(switched_on) == ["Switched on channel “Old mail”."]
    assert list(Channel.objects.order_by("name").values_list("name", "is_active")) == [
        ("Old mail", True),
        ("WhatsApp", False),
    ]
    assert _audit(AuditEntry.Action.CHANNEL_DEACTIVATED) == [("admin", "", "WhatsApp", "on → off")]
    assert _audit(AuditEntry.Action.CHANNEL_REACTIVATED) == [("admin", "", "Old mail", "off → on")]


def test_api_token_add_makes_a_token_for_the_administrator_only(admin_client, administrator, agent):
    # The add form has no owner field: a posted user is ignored, nobody mints a token for somebody else.
    response = admin_client.post(reverse("admin:accounts_apitoken_add"), {"user": agent.pk, "name": "crm"}, follow=True)

    raw = _token_in(response)
    assert ApiToken.objects.user_for_token(raw) == administrator
    assert not ApiToken.objects.filter(user=agent).exists()
    token = ApiToken.objects.get()
    assert token.name == "crm"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.API_TOKEN_ISSUED)
    assert (entry.actor, entry.target_user, entry.subject) == (
        administrator,
        administrator,
        f"API token {raw[:12]}… “crm”",
    )


def test_administrator_revokes_anyones_token_audited(admin_client, administrator, agent):
    token, raw = ApiToken.issue(user=agent, name="crm")
    url = reverse("admin:accounts_apitoken_changelist")

    revoked = act(admin_client, "revoke_selected", [token], url=url)
    again = act(admin_client, "revoke_selected", [token], url=url)

    assert texts(revoked) == ["Revoked 1 token."]
    assert texts(again) == ["Revoked 0 tokens."]
    assert ApiToken.objects.user_for_token(raw) is None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.API_TOKEN_REVOKED)
    assert (entry.actor, entry.target_user, entry.subject) == (administrator, agent, f"API token {raw[:12]}… “crm”")
