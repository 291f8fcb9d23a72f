from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import issue_api_token
from blockdesk import errors


class Command(BaseCommand):
    help = (
        "Create a personal API token for a user and print it once, alone on the last line "
        "(audited as the shell operator)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, to tell tokens apart.")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; a token for it would not work.")
        try:
            token, raw = issue_api_token(actor=None, owner=user, name=name)
        except errors.DomainError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(f"Created API token {token.token_prefix}… for {username}; it acts with their permissions.")
        self.stdout.write("The token follows; it is shown only now, store it:")
        self.stdout.write(raw)
