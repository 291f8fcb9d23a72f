"""factory-boy factories for BlockDesk's models."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from contacts.models import Channel, Contact, ContactIdentity
from tickets.models import Message, Ticket, TicketStatus

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        _join(self, extracted)


def _join(user, group_name):
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    user.save()


class AgentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"agent{n}")

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        _join(self, extracted or roles.AGENTS)


class SupervisorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"supervisor{n}")

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        _join(self, extracted or roles.SUPERVISORS)


class AdministratorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        _join(self, extracted or roles.ADMINISTRATORS)


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"WhatsApp {n}")
    kind = Channel.Kind.WHATSAPP
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    token_prefix = "bdc_test"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+62812{n:07d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")


class ContactIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    channel = factory.SubFactory(ChannelFactory)
    external_id = factory.LazyAttribute(lambda i: i.contact.phone)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    contact = factory.SubFactory(ContactFactory)
    channel = factory.SubFactory(ChannelFactory)
    status = TicketStatus.UNASSIGNED
    last_message_at = factory.LazyFunction(timezone.now)
    message_count = 0


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    channel = factory.LazyAttribute(lambda m: m.ticket.channel)
    direction = Message.Direction.IN
    body = factory.Faker("sentence")
    external_id = factory.Sequence(lambda n: f"wamid.{n}")
    sent_at = factory.LazyFunction(timezone.now)
