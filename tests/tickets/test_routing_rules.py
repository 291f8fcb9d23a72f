"""Block rules in routing: quarantine, reject, allow, precedence, the switch, the waiver, the cost at 10,000 rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.blocking import unblock_contact
from contacts.models import AuditEntry, BlockRule, Contact, ContactIdentity, RuleHitDay
from contacts.rule_match import rules_changed
from settings_app.switches import forget_switches
from tests import factories
from tests.inbound import deliver
from tests.tickets.rule_rows import add_rule
from tickets.models import Message, Ticket, TicketStatus
from tickets.routing import REJECTED, InboundMessage, route_inbound_batch, route_inbound_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mailbox(db):
    return factories.ChannelFactory(name="Mail", kind="email")


def mail(mailbox, sender, text="Buy now", message_id=None):
    inbound = InboundMessage(message_id=message_id or f"<{text}-{sender}>", contact_id=sender, text=text)
    return route_inbound_message(channel=mailbox, inbound=inbound)


def test_domain_rule_quarantines_a_sender_of_a_subdomain_by_rule_n(mailbox, blocking_on):
    rule = add_rule("domain", "spam.example", "quarantine")

    routed = mail(mailbox, "Promo@News.Spam.Example")

    contact = Contact.objects.get(pk=routed.contact.pk)
    assert (routed.status, contact.is_blocked, contact.blocked_by_rule_id) == (TicketStatus.BLOCKED, True, rule.pk)
    assert contact.blocked_by_name == f"rule {rule.pk}" and contact.blocked_by is None
    assert contact.blocks.get().rule_id == rule.pk
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BLOCKED)
    assert (entry.contact_id, entry.actor_id, entry.who) == (contact.pk, None, f"rule {rule.pk}")
    assert Message.objects.get(ticket=routed.ticket).arrived_blocked
    rule.refresh_from_db()
    assert rule.hits == 1 and rule.last_hit_at is not None
    assert list(RuleHitDay.objects.values_list("rule_id", "action", "channel_id", "hits")) == [
        (rule.pk, "quarantine", mailbox.pk, 1)
    ]


def test_a_domain_rule_does_not_match_a_longer_name_that_only_ends_alike(mailbox, blocking_on):
    add_rule("domain", "spam.example", "quarantine")

    assert mail(mailbox, "ani@notspam.example").status == TicketStatus.UNASSIGNED


def test_reject_rule_stores_nothing_and_answers_rejected_with_its_hits_counted(channel, blocking_on):
    rule = add_rule("phone_prefix", "+62812", "reject")

    routed = deliver(channel, "0812-3456-7890", "spam")  # a national number: E.164 +6281234567890

    assert (routed.status, routed.message, routed.ticket, routed.contact, routed.rejected_by) == (
        REJECTED,
        None,
        None,
        None,
        rule.pk,
    )
    assert not Contact.objects.exists() and not ContactIdentity.objects.exists() and not Message.objects.exists()
    assert BlockRule.objects.get().hits == 1
    again = deliver(channel, "+6281234567890", "spam 2")
    assert again.status == REJECTED and BlockRule.objects.get().hits == 2
    assert RuleHitDay.objects.get().hits == 2


def test_allow_rule_beats_every_block_rule_and_counts_its_own_hit(mailbox, blocking_on):
    add_rule("domain", "example.com", "quarantine")
    add_rule("address", "boss@example.com", "reject")  # more specific than the allow rule, and still beaten
    allow = add_rule("email", "boss@example.com", "allow")

    assert mail(mailbox, "boss@example.com").status == TicketStatus.UNASSIGNED
    assert mail(mailbox, "intern@example.com").status == TicketStatus.BLOCKED
    allow.refresh_from_db()
    assert allow.hits == 1


def test_the_most_specific_block_rule_decides(mailbox, blocking_on):
    add_rule("domain", "example.com", "reject")
    sub = add_rule("domain", "mail.example.com", "quarantine")
    exact = add_rule("address", "x@example.com", "quarantine", channel=mailbox)

    assert mail(mailbox, "a@mail.example.com").rejected_by is None  # the longer domain quarantines
    assert Contact.objects.get(blocked_by_rule=sub).is_blocked
    assert mail(mailbox, "x@example.com").status == TicketStatus.BLOCKED
    assert Contact.objects.get(blocked_by_rule=exact)
    assert mail(mailbox, "y@example.com").status == REJECTED


def test_rule_on_a_contacts_own_email_catches_it_on_a_phone_channel(channel, blocking_on):
    known = deliver(channel, "+628111").contact
    Contact.objects.filter(pk=known.pk).update(email="Spammer@Bad.Example")
    add_rule("domain", "bad.example", "quarantine")

    assert deliver(channel, "+628111").status == TicketStatus.BLOCKED


@pytest.mark.parametrize(("phone", "email"), [("0811 2345 678", ""), ("", " Spammer@Bad.Example ")])
def test_rules_read_the_phone_and_email_a_message_brings_normalised(blocking_on, phone, email):
    """A chat channel's address is no phone: a rule finds the sender by the phone (in national form, read in the
    default region) or the e-mail (any case, spaces around) the message brings, and stores them normalised."""
    chat = factories.ChannelFactory(name="Chat", kind="telegram")
    rule = (
        add_rule("phone_prefix", "+62811", "quarantine") if phone else add_rule("domain", "bad.example", "quarantine")
    )
    inbound = InboundMessage(message_id="t.1", contact_id="chat-77", text="Buy now", phone=phone, email=email)

    routed = route_inbound_message(channel=chat, inbound=inbound)

    contact = Contact.objects.get(pk=routed.contact.pk)
    assert (routed.status, contact.blocked_by_rule_id) == (TicketStatus.BLOCKED, rule.pk)
    assert (contact.phone, contact.email) == (("+628112345678", "") if phone else ("", "spammer@bad.example"))


def test_quarantine_of_a_known_contact_moves_its_open_ticket_as_a_block_does(channel, blocking_on):
    first = deliver(channel, "+628111", "hello")
    add_rule("phone_prefix", "+62811", "quarantine")

    later = deliver(channel, "+628111", "buy now")

    assert Ticket.objects.get(pk=first.ticket.pk).status == TicketStatus.RESOLVED
    assert later.ticket.pk != first.ticket.pk and later.status == TicketStatus.BLOCKED
    assert later.ticket.message_count == 1


def test_a_contact_a_person_unblocked_after_a_rule_block_is_let_through_by_rules(channel, supervisor, blocking_on):
    rule = add_rule("phone_prefix", "+62811", "quarantine")
    contact = deliver(channel, "+628111").contact
    unblock_contact(actor=supervisor, contact=Contact.objects.get(pk=contact.pk), choice="unblock_all")

    assert Contact.objects.get(pk=contact.pk).rules_waived
    assert deliver(channel, "+628111").status == TicketStatus.UNASSIGNED
    rule.refresh_from_db()
    assert rule.hits == 1  # only the first message


def test_blocking_switched_off_pauses_quarantine_and_reject_rules(channel, set_switches):
    set_switches(block_contacts_enabled=False)
    add_rule("phone_prefix", "+62811", "reject")
    add_rule("phone_prefix", "+62822", "quarantine")

    assert deliver(channel, "+628111").status == TicketStatus.UNASSIGNED
    assert deliver(channel, "+628222").status == TicketStatus.UNASSIGNED
    assert set(BlockRule.objects.values_list("hits", flat=True)) == {0}


def test_a_rule_change_holds_for_the_very_next_message(channel, blocking_on):
    assert deliver(channel, "+628111").status == TicketStatus.UNASSIGNED  # compiled with no rules
    rule = add_rule("phone_prefix", "+62812", "reject")
    forget_switches()
    assert deliver(channel, "+6281234567890").status == REJECTED
    rule.delete()
    rules_changed()
    assert deliver(channel, "+6281234567890").status == TicketStatus.UNASSIGNED


def test_a_batch_rejects_some_messages_and_stores_the_others(channel, blocking_on):
    add_rule("phone_prefix", "+62812", "reject")
    inbounds = [
        InboundMessage("m1", "+628111", "hi"),
        InboundMessage("m2", "+6281234567890", "spam"),
        InboundMessage("m2", "+6281234567890", "spam"),
        InboundMessage("m3", "+628111", "again"),
    ]

    results = route_inbound_batch(channel=channel, inbounds=inbounds)

    assert [r.status for r in results] == ["unassigned", REJECTED, REJECTED, "unassigned"]
    assert [r.duplicate for r in results] == [False, False, True, False]
    assert Message.objects.count() == 2 and Contact.objects.count() == 1
    assert BlockRule.objects.get().hits == 1


def _statements(channel, address, n):
    with CaptureQueriesContext(connection) as queries:
        deliver(channel, address, f"message {n}")
    return len(queries)


def test_ten_thousand_rules_cost_a_message_no_extra_statement(channel, blocking_on):
    deliver(channel, "+628111", "warm up")
    without = [_statements(channel, "+628111", n) for n in range(2)]
    BlockRule.objects.bulk_create(
        BlockRule(kind="phone_prefix", value=f"+1{n:07d}", action="quarantine") for n in range(10_000)
    )
    add_rule("domain", "spam.example", "reject")
    deliver(channel, "+628111", "compiles the rules once")

    with_rules = [_statements(channel, "+628111", n) for n in range(2)]

    assert with_rules == without
    assert deliver(channel, "+1000099912", "caught").status == TicketStatus.BLOCKED
