from django.core.management.base import BaseCommand, CommandError

from contacts.models import Channel


class Command(BaseCommand):
    help = "Create a channel and print its token once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, help=f"One of: {', '.join(Channel.Kind.values)}.")
        parser.add_argument("--signing-secret", default="", help="Require HMAC-SHA256 signed inbound requests.")

    def handle(self, *args, name, kind, signing_secret, **options):
        if kind not in Channel.Kind.values:
            raise CommandError(f"Unknown kind {kind!r}; choose one of: {', '.join(Channel.Kind.values)}.")
        if Channel.objects.filter(name=name).exists():
            raise CommandError(f"A channel named {name!r} already exists.")
        channel = Channel(name=name, kind=kind, signing_secret=signing_secret)
        raw = channel.set_new_token()
        channel.save()
        self.stdout.write(f"Created channel {channel.name} ({channel.get_kind_display()}), id {channel.pk}.")
        self.stdout.write("Its token follows; it is shown only now, store it:")
        self.stdout.write(raw)
