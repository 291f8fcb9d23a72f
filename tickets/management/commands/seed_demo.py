"""Fill the database with a demo: staff for each role, two channels, contacts and tickets in every queue.

The data is made through the domain functions (routing, queue actions,
blocking), so it looks like a real day: notes in the timelines, counters
right, Block rows and audit entries for the blocked contacts.
"""

import itertools
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from accounts import roles
from contacts.blocking import block_contact
from contacts.models import BlockReason, Channel, Contact
from settings_app.switches import current_switches, forget_switches, update_switches
from tickets.models import Ticket, TicketStatus
from tickets.queue import assign_ticket, reply_to_ticket, resolve_ticket, take_ticket
from tickets.routing import InboundMessage, route_inbound_message

SEED = 2026
CONTACTS = 50
PAST_CONVERSATIONS = 145  # resolved ones before each contact's latest; with the latest ones: 200 tickets
# What each contact's latest conversation is; 5 blocked contacts (each also gets a ticket resolved by the block).
LATEST = {"blocked": 5, "bot": 10, "unassigned": 13, "assigned": 17, "resolved": 5}


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    group: str
    password: str
    is_superuser: bool = False


STAFF = [
    DemoUser("admin", "Adi", roles.ADMINISTRATORS, "admin-demo-pass", is_superuser=True),
    DemoUser("supervisor", "Sari", roles.SUPERVISORS, "supervisor-demo-pass"),
    DemoUser("agent1", "Ana", roles.AGENTS, "agent1-demo-pass"),
    DemoUser("agent2", "Ben", roles.AGENTS, "agent2-demo-pass"),
]
CHANNELS = [("WhatsApp", Channel.Kind.WHATSAPP), ("Web chat", Channel.Kind.WEBCHAT)]

FIRST_NAMES = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Putri", "Eko", "Wati", "Andi", "Maya", "Hendra"]
LAST_NAMES = ["Santoso", "Wijaya", "Pratama", "Lestari", "Hidayat", "Kusuma", "Saputra", "Nugroho"]
QUESTIONS = [
    "Hello, my order has not arrived yet.",
    "Can I change the delivery address?",
    "I was charged twice for the same order.",
    "How do I reset my password?",
    "Is this item available in blue?",
    "The app crashes when I open my cart.",
    "I want to return a product, how?",
    "Do you ship to Surabaya?",
]
FOLLOW_UPS = ["Any update?", "Thank you!", "Order number is 58213.", "Still waiting…"]
REPLIES = [
    "Thanks for reaching out, let me check that for you.",
    "I have sent you a link to reset it.",
    "The refund is on its way; it takes 3–5 working days.",
    "Your parcel is with the courier and arrives tomorrow.",
]
SPAM = ["WIN A FREE PHONE!!! click bit.ly/xx", "Cheap followers, 1000 for $1", "Crypto doubling, DM now", "FREE GIFT"]


class Command(BaseCommand):
    help = "Create demo users, channels, contacts and tickets (re-runnable: data is made once, logins reset always)."

    def handle(self, *args, **options):
        users = {person.username: self._user(person) for person in STAFF}
        admin = users["admin"]
        update_switches(actor=admin, block_contacts_enabled=True)
        channels = [self._channel(name, kind) for name, kind in CHANNELS]
        if Ticket.objects.filter(channel__in=channels).exists():
            self.stdout.write("Demo data is already there; left as it is.")
        else:
            with transaction.atomic():
                DemoDay(admin=admin, supervisor=users["supervisor"], agents=[users["agent1"], users["agent2"]]).build(
                    channels
                )
        self._report(channels)

    def _user(self, person: DemoUser):
        user, _ = get_user_model().objects.get_or_create(username=person.username)
        user.first_name = person.first_name
        user.email = f"{person.username}@demo.blockdesk.invalid"
        user.is_active = True
        user.is_staff = user.is_superuser = person.is_superuser
        user.set_password(person.password)
        user.save()
        user.groups.add(Group.objects.get(name=person.group))
        return user

    def _channel(self, name: str, kind: str) -> Channel:
        channel = Channel.objects.filter(name=name).first()
        if channel is None:
            # Its token is thrown away: the demo delivers through the domain functions, not the API.
            channel = Channel(name=name, kind=kind)
            channel.set_new_token()
            channel.save()
        return channel

    def _report(self, channels: list[Channel]) -> None:
        tickets = Ticket.objects.filter(channel__in=channels)
        per_status = dict(tickets.values_list("status").annotate(n=Count("id")).order_by())
        queues = ", ".join(f"{status.label} {per_status.get(status.value, 0)}" for status in TicketStatus)
        contacts = Contact.objects.filter(identities__channel__in=channels).distinct()
        switches = current_switches()
        self.stdout.write(
            f"Demo data: {contacts.count()} contacts ({contacts.filter(is_blocked=True).count()} blocked), "
            f"{tickets.count()} tickets ({queues})."
        )
        self.stdout.write(
            f"Block contacts: {'on' if switches.block_contacts_enabled else 'off'}. "
            f"BOT: {'on' if switches.bot_enabled else 'off'}."
        )
        self.stdout.write(
            "Channel tokens are not printed: create a channel with `manage.py create_channel NAME --kind KIND`, "
            "or rotate a demo channel's token in Django admin."
        )
        self.stdout.write("Demo logins (the administrator also reaches Django admin at /admin/):")
        for person in STAFF:
            self.stdout.write(f"  {person.group:<15} {person.username} / {person.password}")


class DemoDay:
    """Builds the demo conversations with a fixed random seed, so every fresh demo is the same."""

    def __init__(self, *, admin, supervisor, agents):
        self.admin = admin
        self.supervisor = supervisor
        self.agents = agents
        self.rng = random.Random(SEED)
        self.message_ids = itertools.count(1)

    def build(self, channels: list[Channel]) -> None:
        self._switch(bot_enabled=False)
        latest = [kind for kind, count in LATEST.items() for _ in range(count)]
        self.rng.shuffle(latest)
        past = [PAST_CONVERSATIONS // CONTACTS] * CONTACTS
        for _ in range(PAST_CONVERSATIONS - sum(past)):
            past[self.rng.randrange(CONTACTS)] += 1
        customers = [self._customer(n, channels[n % len(channels)]) for n in range(CONTACTS)]
        for customer, conversations, kind in zip(customers, past, latest, strict=True):
            for _ in range(conversations):
                self._resolved_conversation(customer)
            if kind == "blocked":
                self._blocked(customer)
            elif kind == "unassigned":
                self._deliver(customer, self.rng.choice(QUESTIONS))
            elif kind == "assigned":
                self._worked_on(customer)
            elif kind == "resolved":
                self._resolved_conversation(customer)
        # The BOT's queue fills only while the BOT is on; it is switched off again after.
        self._switch(bot_enabled=True)
        for customer, kind in zip(customers, latest, strict=True):
            if kind == "bot":
                self._deliver(customer, self.rng.choice(QUESTIONS))
        self._switch(bot_enabled=False)

    def _switch(self, **switches) -> None:
        update_switches(actor=self.admin, **switches)
        # update_switches clears the cache after commit; this whole build is one
        # transaction that must see its own switch at once.
        forget_switches()

    def _customer(self, n: int, channel: Channel) -> dict:
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        email = f"{name.lower().replace(' ', '.')}{n}@example.com"
        if channel.kind == Channel.Kind.WHATSAPP:
            phone = f"+62812{n:07d}"
            return {"channel": channel, "contact_id": phone, "contact_name": name, "phone": phone}
        return {"channel": channel, "contact_id": f"web-{n:04d}", "contact_name": name, "email": email}

    def _deliver(self, customer: dict, text: str) -> Ticket:
        fields = {key: value for key, value in customer.items() if key != "channel"}
        inbound = InboundMessage(message_id=f"demo-{next(self.message_ids)}", text=text, **fields)
        return route_inbound_message(channel=customer["channel"], inbound=inbound).ticket

    def _worked_on(self, customer: dict) -> tuple[Ticket, object]:
        ticket = self._deliver(customer, self.rng.choice(QUESTIONS))
        agent = self.rng.choice(self.agents)
        if self.rng.random() < 0.5:
            take_ticket(actor=agent, ticket=ticket)
        else:
            assign_ticket(actor=self.supervisor, ticket=ticket, assignee=agent)
        reply_to_ticket(actor=agent, ticket=ticket, text=self.rng.choice(REPLIES))
        if self.rng.random() < 0.5:
            self._deliver(customer, self.rng.choice(FOLLOW_UPS))
        return ticket, agent

    def _resolved_conversation(self, customer: dict) -> None:
        ticket, agent = self._worked_on(customer)
        resolve_ticket(actor=agent, ticket=ticket)

    def _blocked(self, customer: dict) -> None:
        ticket = self._deliver(customer, self.rng.choice(SPAM))
        block_contact(
            actor=self.rng.choice([self.supervisor, *self.agents]),
            contact=ticket.contact,
            reason=self.rng.choice(BlockReason.values),
            note="Sends the same advert again and again.",
        )
        for _ in range(self.rng.randint(1, 4)):
            self._deliver(customer, self.rng.choice(SPAM))
