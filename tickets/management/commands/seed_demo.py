"""Fill the database with a demo: staff for each role, two channels, contacts and tickets in every queue.

The data is made through the domain functions (routing, queue actions,
blocking), so it looks like two real weeks: notes in the timelines, counters
right, Block rows and audit entries for the blocked contacts, conversations
spread over the days, every contact's name different. The history is made
with the BOT off; then the BOT is switched on with the built-in bot answering,
and the latest customers talk to it: its answers are in their tickets, and
one who asked for a person waits in Unassigned.
"""

import itertools
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts import roles
from channels.webchat_models import WebchatChannel
from contacts.block_rules import create_rule
from contacts.blocking import block_contact
from contacts.models import AuditEntry, Block, BlockReason, Channel, Contact, ContactIdentity
from settings_app.bot import current_answerer, update_bot
from settings_app.models import BotAnswerer
from settings_app.switches import current_switches, forget_switches, update_switches
from tickets.bot import answer_with_builtin_bot
from tickets.models import OPEN_STATUSES, Message, Ticket, TicketStatus
from tickets.outbox import record_receipt, send_reply
from tickets.queue import assign_ticket, resolve_ticket, take_ticket
from tickets.routing import InboundMessage, route_inbound_message

SEED = 2026
CONTACTS = 50
PAST_CONVERSATIONS = 145  # resolved ones before a regular contact's latest; with the latest ones: 200 tickets
# What each contact's latest conversation is; 5 blocked contacts (each also gets a ticket resolved by the block).
LATEST = {"blocked": 5, "bot": 4, "unassigned": 14, "assigned": 22, "resolved": 5}
DAYS_OF_HISTORY = 14


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
# The demo's chat page may be framed by a page served beside the console (scripts/start's address).
DEMO_CHAT_ORIGINS = "http://127.0.0.1:{port}\nhttp://localhost:{port}"
# (kind, value, action, note): the demo's block rules.
DEMO_RULES = [
    ("domain", "promo-blast.example", "quarantine", "Bulk promotions that keep writing to support."),
    ("phone_prefix", "+1900", "reject", "Premium-rate numbers: never a customer."),
]

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
# What the latest customers ask the built-in bot; the last one asks for a person.
BOT_QUESTIONS = ["Hello!", "What are your opening hours?", "How long does shipping take?", "Can I talk to a human?"]
SPAM = ["WIN A FREE PHONE!!! click bit.ly/xx", "Cheap followers, 1000 for $1", "Crypto doubling, DM now", "FREE GIFT"]


class Command(BaseCommand):
    help = "Create demo users, channels, contacts and tickets (re-runnable: data is made once, logins reset always)."

    def handle(self, *args, **options):
        users = {person.username: self._user(person) for person in STAFF}
        admin = users["admin"]
        update_switches(actor=admin, block_contacts_enabled=True)
        channels = [self._channel(name, kind) for name, kind in CHANNELS]
        chat = self._webchat(next(channel for channel in channels if channel.kind == Channel.Kind.WEBCHAT))
        if Ticket.objects.filter(channel__in=channels).exists():
            self.stdout.write("Demo data is already there; left as it is.")
        else:
            with transaction.atomic():
                DemoDay(admin=admin, supervisor=users["supervisor"], agents=[users["agent1"], users["agent2"]]).build(
                    channels
                )
                self._block_rules(users["supervisor"])
        # The BOT on, answered by the built-in bot: new conversations (the chat page's too) meet it first.
        update_switches(actor=admin, bot_enabled=True)
        update_bot(actor=admin, answerer=BotAnswerer.BUILTIN)
        self._report(channels, chat)

    def _block_rules(self, supervisor) -> None:
        """Two block rules a team starts with, to show on the Block rules page (Spam → Block rules)."""
        for kind, value, action, note in DEMO_RULES:
            create_rule(actor=supervisor, kind=kind, value=value, action=action, note=note)

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

    def _webchat(self, channel: Channel) -> WebchatChannel:
        port = os.environ.get("PORT", "8000")
        chat, _ = WebchatChannel.objects.get_or_create(
            channel=channel, defaults={"allowed_origins": DEMO_CHAT_ORIGINS.format(port=port)}
        )
        return chat

    def _report(self, channels: list[Channel], chat: WebchatChannel) -> None:
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
            f"BOT: {'on' if switches.bot_enabled else 'off'}, answered by "
            f'{dict(BotAnswerer.choices)[current_answerer()].lower()} (customers write "agent" for a person).'
        )
        self.stdout.write(
            "Channel tokens are not printed: create a channel with `manage.py create_channel NAME --kind KIND`, "
            "or rotate a demo channel's token in Django admin."
        )
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"Demo web chat (write as a customer): http://127.0.0.1:{port}/chat/{chat.public_id}/")
        self.stdout.write("Demo logins (the administrator also reaches Django admin at /admin/):")
        for person in STAFF:
            self.stdout.write(f"  {person.group:<15} {person.username} / {person.password}")


class DemoDay:
    """Builds the demo conversations with a fixed random seed, so every fresh demo is the same.

    The domain functions stamp everything with the present; each step then
    dates the rows it made at its planned moment in the past two weeks
    (customer first, a reply minutes later, the resolution after), and the end
    sets each ticket's times from its messages, as live traffic would have.
    """

    def __init__(self, *, admin, supervisor, agents):
        self.admin = admin
        self.supervisor = supervisor
        self.agents = agents
        self.rng = random.Random(SEED)
        self.message_ids = itertools.count(1)
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.dated_up_to = Message.objects.aggregate(last=Max("pk"))["last"] or 0

    def build(self, channels: list[Channel]) -> None:
        # The history is made with the BOT off: its tickets went to Unassigned.
        self._switch(bot_enabled=False)
        names = self.rng.sample([f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES], CONTACTS)
        customers = [self._customer(n, name, channels[n % len(channels)]) for n, name in enumerate(names)]
        latest = [kind for kind, count in LATEST.items() for _ in range(count)]
        self.rng.shuffle(latest)
        with_bot = []
        for customer, conversations, kind in zip(customers, self._past_conversations(latest), latest, strict=True):
            start = self._latest_start(kind)
            for begin in self._past_starts(conversations, before=start):
                self._resolved_conversation(customer, begin)
            if kind == "blocked":
                self._blocked(customer, start)
            elif kind == "unassigned":
                self._deliver(customer, self.rng.choice(QUESTIONS), start)
            elif kind == "assigned":
                self._worked_on(customer, start)
            elif kind == "resolved":
                self._resolved_conversation(customer, start)
            elif kind == "bot":
                with_bot.append((customer, start))
        self._switch(bot_enabled=True)
        for (customer, start), question in zip(sorted(with_bot, key=lambda pair: pair[1]), BOT_QUESTIONS, strict=True):
            self._talk_to_bot(customer, question, start)
        self._date_from_messages(channels)

    def _past_conversations(self, latest: list[str]) -> list[int]:
        """How many resolved conversations each contact had before its latest; spammers had none."""
        regulars = [n for n, kind in enumerate(latest) if kind != "blocked"]
        past = [0] * CONTACTS
        for n in regulars:
            past[n] = PAST_CONVERSATIONS // len(regulars)
        for n in self.rng.sample(regulars, PAST_CONVERSATIONS % len(regulars)):
            past[n] += 1
        return past

    def _latest_start(self, kind: str) -> datetime:
        """When the contact's latest conversation began: waiting ones recently, finished ones days ago."""
        minutes_ago = {
            "bot": (2, 3 * 60),
            "unassigned": (5, 4 * 60),
            "assigned": (3 * 60, 30 * 60),
            "resolved": (24 * 60, 3 * 24 * 60),
            "blocked": (2 * 24 * 60, 5 * 24 * 60),
        }[kind]
        return self.now - timedelta(minutes=self.rng.randint(*minutes_ago))

    def _past_starts(self, count: int, *, before: datetime) -> list[datetime]:
        """`count` daytime starts spread over the days from DAYS_OF_HISTORY ago until two days before `before`."""
        first, last = self.now - timedelta(days=DAYS_OF_HISTORY), before - timedelta(days=2)
        slot = (last - first) / max(count, 1)
        starts = []
        for n in range(count):
            day = first + slot * n + timedelta(minutes=self.rng.randint(0, int(slot.total_seconds() // 60)))
            starts.append(day.replace(hour=self.rng.randint(8, 19), minute=self.rng.randint(0, 59)))
        starts.sort()
        for n in range(1, count):
            # The previous conversation (at most four hours) is over before the next begins.
            starts[n] = max(starts[n], starts[n - 1] + timedelta(hours=5))
        return starts

    def _later(self, at: datetime, minutes: tuple[int, int]) -> datetime:
        return at + timedelta(minutes=self.rng.randint(*minutes))

    def _switch(self, **switches) -> None:
        update_switches(actor=self.admin, **switches)
        # update_switches clears the cache after commit; this whole build is one
        # transaction that must see its own switch at once.
        forget_switches()

    def _customer(self, n: int, name: str, channel: Channel) -> dict:
        email = f"{name.lower().replace(' ', '.')}{n}@example.com"
        if channel.kind == Channel.Kind.WHATSAPP:
            phone = f"+62812{n:07d}"
            return {"channel": channel, "contact_id": phone, "contact_name": name, "phone": phone}
        return {"channel": channel, "contact_id": f"web-{n:04d}", "contact_name": name, "email": email}

    def _date(self, at: datetime) -> None:
        """Date the messages made since the last call at `at`."""
        fresh = Message.objects.filter(pk__gt=self.dated_up_to)
        last = fresh.aggregate(last=Max("pk"))["last"]
        if last is not None:
            fresh.update(sent_at=at, created_at=at)
            self.dated_up_to = last

    def _deliver(self, customer: dict, text: str, at: datetime) -> Ticket:
        fields = {key: value for key, value in customer.items() if key != "channel"}
        inbound = InboundMessage(message_id=f"demo-{next(self.message_ids)}", text=text, sent_at=at, **fields)
        ticket = route_inbound_message(channel=customer["channel"], inbound=inbound).ticket
        self._date(at)
        return ticket

    def _worked_on(self, customer: dict, start: datetime) -> tuple[Ticket, object, datetime]:
        """A question, taken or assigned, answered, maybe followed up; returns the time of its last message."""
        ticket = self._deliver(customer, self.rng.choice(QUESTIONS), start)
        agent = self.rng.choice(self.agents)
        if self.rng.random() < 0.5:
            ticket = take_ticket(actor=agent, ticket=ticket)
        else:
            ticket = assign_ticket(actor=self.supervisor, ticket=ticket, assignee=agent)
        at = self._later(start, (3, 45))
        reply = send_reply(actor=agent, ticket=ticket, text=self.rng.choice(REPLIES))
        # Past conversations: the customer read the answer long ago.
        record_receipt(message=reply, state="read")
        self._date(at)
        if self.rng.random() < 0.5:
            at = self._later(at, (5, 90))
            self._deliver(customer, self.rng.choice(FOLLOW_UPS), at)
        return ticket, agent, at

    def _talk_to_bot(self, customer: dict, question: str, start: datetime) -> None:
        """A question the built-in bot answers a minute later, as the worker would (it hands over if asked)."""
        ticket = self._deliver(customer, question, start)
        answer = answer_with_builtin_bot(ticket.messages.get(direction=Message.Direction.IN))
        record_receipt(message=answer, state="read")
        self._date(start + timedelta(minutes=1))

    def _resolved_conversation(self, customer: dict, start: datetime) -> None:
        ticket, agent, last_message = self._worked_on(customer, start)
        resolve_ticket(actor=agent, ticket=ticket)
        Ticket.objects.filter(pk=ticket.pk).update(closed_at=self._later(last_message, (10, 90)))

    def _blocked(self, customer: dict, start: datetime) -> None:
        ticket = self._deliver(customer, self.rng.choice(SPAM), start)
        at = self._later(start, (15, 120))
        block = block_contact(
            actor=self.rng.choice([self.supervisor, *self.agents]),
            contact=ticket.contact,
            reason=self.rng.choice(BlockReason.values),
            note="Sends the same advert again and again.",
        )
        self._date(at)  # the block's note in the resolved ticket
        Ticket.objects.filter(pk=ticket.pk).update(closed_at=at)
        Block.objects.filter(pk=block.pk).update(blocked_at=at)
        Contact.objects.filter(pk=block.contact_id).update(blocked_at=at)
        AuditEntry.objects.filter(block=block).update(at=at)
        spam_minutes = (60, int((self.now - at).total_seconds() // 60) - 30)
        for spam_at in sorted(self._later(at, spam_minutes) for _ in range(self.rng.randint(1, 4))):
            self._deliver(customer, self.rng.choice(SPAM), spam_at)

    def _wait_from_messages(self, tickets) -> None:
        """Who spoke last, our first reply, and since when an open ticket's customer waits, from the timelines."""
        said = Message.objects.filter(ticket=OuterRef("pk")).exclude(direction=Message.Direction.NOTE)
        replies = said.filter(direction=Message.Direction.OUT).order_by("sent_at").values("sent_at")
        unanswered = said.filter(direction=Message.Direction.IN).exclude(
            Exists(
                Message.objects.filter(
                    ticket=OuterRef("ticket"), direction=Message.Direction.OUT, sent_at__gt=OuterRef("sent_at")
                )
            )
        )
        tickets.update(
            last_speaker=Subquery(said.order_by("-sent_at", "-id").values("direction")[:1]),
            first_reply_at=Subquery(replies[:1]),
        )
        tickets.filter(status__in=OPEN_STATUSES).update(
            waiting_since=Subquery(unanswered.order_by("sent_at").values("sent_at")[:1])
        )
        tickets.exclude(status__in=OPEN_STATUSES).update(waiting_since=None)
        # The BOT answered last, then handed over: the customer waits for a person from the hand-over.
        tickets.filter(status=TicketStatus.UNASSIGNED, waiting_since__isnull=True).update(
            waiting_since=F("last_message_at")
        )

    def _date_from_messages(self, channels: list[Channel]) -> None:
        """Give tickets, contacts and identities the times their messages say, as live traffic would."""
        messages = Message.objects.filter(ticket=OuterRef("pk"))
        first = Subquery(messages.order_by("sent_at").values("sent_at")[:1])
        newest = Subquery(messages.order_by("-sent_at").values("sent_at")[:1])
        newest_to_or_from_customer = Subquery(
            messages.exclude(direction=Message.Direction.NOTE).order_by("-sent_at").values("sent_at")[:1]
        )
        tickets = Ticket.objects.filter(channel__in=channels)
        tickets.update(created_at=first, last_message_at=newest_to_or_from_customer)
        tickets.update(updated_at=Greatest(newest, Coalesce("closed_at", newest)))
        self._wait_from_messages(tickets)
        first_contact = Subquery(
            Message.objects.filter(ticket__contact=OuterRef("pk")).order_by("sent_at").values("sent_at")[:1]
        )
        contacts = Contact.objects.filter(identities__channel__in=channels)
        contacts.update(created_at=first_contact, updated_at=Coalesce("blocked_at", first_contact))
        ContactIdentity.objects.filter(channel__in=channels).update(
            created_at=Subquery(
                Message.objects.filter(ticket__contact=OuterRef("contact_id")).order_by("sent_at").values("sent_at")[:1]
            )
        )
        Channel.objects.filter(pk__in=[channel.pk for channel in channels]).update(
            created_at=self.now - timedelta(days=DAYS_OF_HISTORY + 1)
        )
