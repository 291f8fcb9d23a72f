from django.core.management.base import BaseCommand, CommandError

from blockdesk import errors
from contacts.channels import create_channel
from contacts.models import Channel


class Command(BaseCommand):
    help = "Create a channel and print its token once, alone on the last line (audited as the shell operator)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, help=f"One of: {', '.join(Channel.Kind.values)}.")
        parser.add_argument("--signing-secret", default="", help="Require HMAC-SHA256 signed inbound requests.")

    def handle(self, *args, name, kind, signing_secret, **options):
        try:
            channel, raw = create_channel(actor=None, name=name, kind=kind, signing_secret=signing_secret)
        except errors.DomainError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(f"Created channel {channel.name} ({channel.get_kind_display()}), id {channel.pk}.")
        self.stdout.write("Its token follows; it is shown only now, store it:")
        self.stdout.write(raw)
