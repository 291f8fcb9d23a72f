"""One person on every channel: routing normalises addresses, and a new address joins the person it belongs to."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blockdesk.errors import Invalid
from contacts.addresses import EMPTY_ADDRESS
from contacts.blocking import block_contact
from contacts.models import Channel, Contact, ContactIdentity
from tests import factories
from tests.inbound import deliver
from tickets.models import Message, Ticket, TicketStatus
from tickets.routing import InboundMessage, route_inbound_batch, route_inbound_message

pytestmark = pytest.mark.django_db

PHONE = "+6281234567890"


@pytest.fixture
def second_whatsapp(db):
    return factories.ChannelFactory(name="WhatsApp 2", kind=Channel.Kind.WHATSAPP)


@pytest.fixture
def mailbox(db):
    return factories.ChannelFactory(name="Support mailbox", kind=Channel.Kind.EMAIL)


@pytest.fixture
def spammer(channel, supervisor, blocking_on):
    contact = deliver(channel, PHONE, "buy now").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    return Contact.objects.get(pk=contact.pk)


def _in_blocked_list(routed, spammer) -> None:
    assert routed.contact.pk == spammer.pk
    assert routed.ticket.status == TicketStatus.BLOCKED
    assert Ticket.objects.get(pk=routed.ticket.pk).status == TicketStatus.BLOCKED
    assert Contact.objects.count() == 1


def test_blocked_spammer_through_a_second_whatsapp_channel_lands_in_the_blocked_list(spammer, second_whatsapp):
    routed = deliver(second_whatsapp, PHONE, "buy again")

    _in_blocked_list(routed, spammer)
    assert ContactIdentity.objects.get(channel=second_whatsapp).contact_id == spammer.pk


@pytest.mark.parametrize(
    "written",
    ["\u200b+6281234567890", " +6281234567890 ", "081234567890", "0812-3456-7890", "+62 812 3456 7890\u2060"],
    ids=["zero-width", "spaces", "national", "national-dashes", "word-joiner"],
)
def test_the_same_number_written_otherwise_is_the_same_person(spammer, channel, second_whatsapp, written):
    again = deliver(channel, written)
    elsewhere = deliver(second_whatsapp, written)

    _in_blocked_list(again, spammer)
    _in_blocked_list(elsewhere, spammer)
    assert set(ContactIdentity.objects.values_list("external_id", flat=True)) == {PHONE}


def test_blocked_spammer_through_an_e_mail_channel_with_the_same_e_mail(channel, mailbox, supervisor, blocking_on):
    inbound = InboundMessage(message_id="wa-1", contact_id=PHONE, text="spam", email=" Spam.King@Example.com")
    spammer = route_inbound_message(channel=channel, inbound=inbound).contact
    assert Contact.objects.get(pk=spammer.pk).email == "spam.king@example.com"
    block_contact(actor=supervisor, contact=spammer, reason="spam")

    routed = deliver(mailbox, "SPAM.KING@example.COM")

    _in_blocked_list(routed, Contact.objects.get(pk=spammer.pk))
    assert ContactIdentity.objects.get(channel=mailbox).external_id == "spam.king@example.com"


def test_an_e_mail_address_known_on_another_mailbox_joins_its_person(mailbox, supervisor, blocking_on):
    other_mailbox = factories.ChannelFactory(name="Sales mailbox", kind=Channel.Kind.EMAIL)
    spammer = deliver(mailbox, "spam@example.com").contact
    block_contact(actor=supervisor, contact=spammer, reason="spam")

    _in_blocked_list(deliver(other_mailbox, "Spam@Example.com"), spammer)


def test_an_sms_number_joins_the_whatsapp_person(spammer):
    sms = factories.ChannelFactory(name="SMS", kind=Channel.Kind.SMS)

    _in_blocked_list(deliver(sms, "0812 3456 7890"), spammer)


def test_a_contacts_own_phone_field_matches(channel, second_whatsapp, supervisor, blocking_on):
    spammer = factories.ContactFactory(phone=PHONE)
    block_contact(actor=supervisor, contact=spammer, reason="spam")

    _in_blocked_list(deliver(second_whatsapp, "081234567890"), spammer)


def _aged(contact: Contact, days: int) -> Contact:
    Contact.objects.filter(pk=contact.pk).update(created_at=timezone.now() - timedelta(days=days))
    return Contact.objects.get(pk=contact.pk)


def test_several_matches_prefer_the_blocked_one(channel, second_whatsapp, supervisor, blocking_on):
    _aged(factories.ContactFactory(phone=PHONE), days=90)  # oldest, not blocked
    blocked = _aged(factories.ContactFactory(phone="+6289999999999"), days=10)
    ContactIdentity.objects.create(contact=blocked, channel=channel, external_id=PHONE)
    block_contact(actor=supervisor, contact=blocked, reason="abuse")

    routed = deliver(second_whatsapp, PHONE)

    assert routed.contact.pk == blocked.pk
    assert routed.ticket.status == TicketStatus.BLOCKED


def test_several_unblocked_matches_prefer_the_oldest(channel, second_whatsapp):
    newer = _aged(factories.ContactFactory(phone=PHONE), days=1)
    older = _aged(factories.ContactFactory(phone="", email="x@example.com"), days=5)
    ContactIdentity.objects.create(contact=older, channel=channel, external_id=PHONE)

    routed = deliver(second_whatsapp, PHONE)

    assert routed.contact.pk == older.pk != newer.pk
    assert routed.ticket.status == TicketStatus.UNASSIGNED


def test_a_matched_persons_open_ticket_on_the_channel_takes_the_message(channel):
    person = factories.ContactFactory(phone=PHONE)
    first = deliver(channel, "chat-handle-of-person")  # another address of theirs on this channel
    ContactIdentity.objects.filter(external_id="chat-handle-of-person").update(contact=person)
    Ticket.objects.filter(pk=first.ticket.pk).update(contact=person)

    routed = deliver(channel, "081234567890", "me again")

    assert routed.contact.pk == person.pk
    assert routed.ticket.pk == first.ticket.pk
    assert Ticket.objects.get(pk=first.ticket.pk).message_count == 2


@pytest.mark.parametrize(
    ("kind", "address"),
    [(Channel.Kind.TELEGRAM, PHONE), (Channel.Kind.WEBCHAT, PHONE), (Channel.Kind.WHATSAPP, "+628111")],
    ids=["telegram-not-phone-like", "webchat-not-phone-like", "not-a-valid-number"],
)
def test_addresses_that_are_no_phone_number_join_nobody(spammer, kind, address):
    other = factories.ChannelFactory(kind=kind)
    Contact.objects.filter(pk=spammer.pk).update(phone="+628111")

    routed = deliver(other, address)

    assert routed.contact.pk != spammer.pk
    assert routed.ticket.status == TicketStatus.UNASSIGNED


def test_known_address_is_found_however_written_without_a_new_identity(channel):
    first = deliver(channel, "081234567890")
    again = deliver(channel, "\ufeff+62 812 3456 7890 ")

    assert again.contact.pk == first.contact.pk
    assert again.ticket.pk == first.ticket.pk
    assert ContactIdentity.objects.get().external_id == PHONE


def test_chat_ids_are_cleaned_not_parsed(spammer):
    telegram = factories.ChannelFactory(kind=Channel.Kind.TELEGRAM)

    first = deliver(telegram, "\u3000Budi\u200b")  # ideographic space, zero-width space
    again = deliver(telegram, "Ｂｕｄｉ")  # full-width letters: NFKC makes them ASCII

    assert again.contact.pk == first.contact.pk
    assert ContactIdentity.objects.get(channel=telegram).external_id == "Budi"


def test_new_contacts_profile_is_stored_normalised(channel):
    inbound = InboundMessage(
        message_id="p-1", contact_id="chat-9", text="hi", phone="0812 3456 7890", email=" Siti@Example.ID\u200b"
    )
    telegram = factories.ChannelFactory(kind=Channel.Kind.TELEGRAM)

    contact = Contact.objects.get(pk=route_inbound_message(channel=telegram, inbound=inbound).contact.pk)

    assert (contact.phone, contact.email) == (PHONE, "siti@example.id")


@pytest.mark.parametrize("address", ["", "   ", "\u200b\u200d", "\ufeff \u2060"])
def test_an_address_that_normalises_to_nothing_is_refused_and_nothing_stored(channel, address):
    inbound = InboundMessage(message_id="e-1", contact_id=address, text="hi")

    with pytest.raises(Invalid, match=EMPTY_ADDRESS):
        route_inbound_message(channel=channel, inbound=inbound)
    with pytest.raises(Invalid, match=EMPTY_ADDRESS):
        route_inbound_batch(
            channel=channel, inbounds=[InboundMessage(message_id="e-2", contact_id=PHONE, text="ok"), inbound]
        )
    assert not Message.objects.exists()
    assert not Contact.objects.exists()


def test_batch_matches_as_single_messages_do(spammer, second_whatsapp):
    inbounds = [
        InboundMessage(message_id="b-1", contact_id="081234567890", text="one"),
        InboundMessage(message_id="b-2", contact_id="tg-like-handle", text="two"),
        InboundMessage(message_id="b-3", contact_id="+62 812 3456 7890", text="three"),
    ]

    first, other, third = route_inbound_batch(channel=second_whatsapp, inbounds=inbounds)

    assert first.contact.pk == third.contact.pk == spammer.pk
    assert first.ticket.pk == third.ticket.pk
    assert first.ticket.status == TicketStatus.BLOCKED
    assert other.contact.pk != spammer.pk
    assert Ticket.objects.get(pk=first.ticket.pk).message_count == 2
    assert ContactIdentity.objects.filter(channel=second_whatsapp, contact=spammer).count() == 1


def test_a_merged_away_contact_is_nobody_to_join(channel, second_whatsapp, supervisor):
    """A tombstone keeps its phone for history; a new address with that phone joins the survivor, not the tombstone."""
    from contacts.merging import merge_contacts

    merged = deliver(channel, PHONE, "hello").contact
    Contact.objects.filter(pk=merged.pk).update(phone=PHONE)
    survivor = factories.ContactFactory(name="Budi")  # younger: "the oldest" would pick the tombstone
    merge_contacts(actor=supervisor, survivor=survivor, merged=Contact.objects.get(pk=merged.pk))
    Contact.objects.filter(pk=survivor.pk).update(phone="")

    routed = deliver(second_whatsapp, PHONE, "hello again")

    assert routed.contact.pk == survivor.pk
    assert Contact.objects.get(pk=merged.pk).merged_into_id == survivor.pk
