"""Who blocked a contact, everywhere it is shown: "rule N", "flood guard", else the person."""

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from blockdesk.display import who_blocked
from contacts.blocking import block_contact, block_locked_contact
from contacts.flood_guard import FLOOD_GUARD, auto_block_flood
from contacts.models import Block, BlockReason, BlockRule, Contact, RuleAction, RuleKind
from tests import factories

pytestmark = pytest.mark.django_db


def _by_guard(channel, name="Flooder") -> Contact:
    contact = factories.ContactFactory(name=name)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        auto_block_flood(locked, channel=channel, messages=31, window_minutes=5, now=timezone.now())
    return Contact.objects.get(pk=contact.pk)


def _by_rule(name="Ruled") -> tuple[Contact, BlockRule]:
    rule = BlockRule.objects.create(kind=RuleKind.DOMAIN, value="spam.example", action=RuleAction.QUARANTINE)
    contact = factories.ContactFactory(name=name)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        block_locked_contact(locked, reason=BlockReason.SPAM, note="", now=timezone.now(), rule=rule)
    return Contact.objects.get(pk=contact.pk), rule


def test_the_helper_names_rule_guard_or_person(channel, supervisor, blocking_on):
    guarded = _by_guard(channel)
    ruled, rule = _by_rule()
    person = factories.ContactFactory()
    block_contact(actor=supervisor, contact=person, reason=BlockReason.SPAM)
    person.refresh_from_db()
    assert who_blocked(guarded) == FLOOD_GUARD
    assert who_blocked(Block.objects.get(contact=guarded)) == FLOOD_GUARD
    assert who_blocked(ruled) == f"rule {rule.pk}"
    assert who_blocked(Block.objects.get(contact=ruled)) == f"rule {rule.pk}"
    assert who_blocked(person) == "Sari"
    assert who_blocked(factories.ContactFactory()) == ""


def test_the_360_view_and_the_blocked_tab(client, channel, supervisor):
    guarded = _by_guard(channel)
    ruled, rule = _by_rule()
    client.force_login(supervisor)
    detail = client.get(reverse("contacts:detail", args=[guarded.pk])).content.decode()
    assert "<dt>Blocked by</dt><dd>flood guard</dd>" in detail
    detail = client.get(reverse("contacts:detail", args=[ruled.pk])).content.decode()
    assert f"rule {rule.pk}" in detail
    blocked_tab = client.get(reverse("contacts:list") + "?tab=blocked").content.decode()
    assert "by flood guard" in blocked_tab and f"rule {rule.pk}" in blocked_tab


def test_the_csv_export(client, channel, administrator):
    _by_guard(channel)
    client.force_login(administrator)
    response = client.get(reverse("audit:blocked_contacts_csv"))
    body = b"".join(response.streaming_content).decode()
    assert ",flood guard,spam," in body


def test_the_api(client, channel, supervisor):
    guarded = _by_guard(channel)
    ruled, rule = _by_rule()
    _, raw = ApiToken.issue(user=supervisor)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    body = client.get(f"/api/v1/contacts/{guarded.pk}").json()
    assert (body["blocked_by_name"], body["blocked_by_rule"], body["block"]["blocked_by"]) == (FLOOD_GUARD, None, None)
    body = client.get(f"/api/v1/contacts/{ruled.pk}").json()
    assert (body["blocked_by_name"], body["blocked_by_rule"]) == ("", rule.pk)


def test_the_admin(client, channel, admin_user):
    guarded = _by_guard(channel)
    client.force_login(admin_user)
    assert "flood guard" in client.get(reverse("admin:contacts_contact_change", args=[guarded.pk])).content.decode()
    assert "flood guard" in client.get(reverse("admin:contacts_block_changelist")).content.decode()
    flags = client.get(reverse("admin:contacts_floodflag_changelist")).content.decode()
    assert "Blocked by the flood guard" in flags
