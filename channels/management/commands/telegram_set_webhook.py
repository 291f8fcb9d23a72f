from django.core.management.base import BaseCommand, CommandError

from channels.telegram import BotApiError, set_webhook
from channels.telegram_models import TelegramChannel

NO_SUCH_BOT = "Channel {channel} has no Telegram bot: add its bot token first (console or Django admin)."


class Command(BaseCommand):
    help = (
        "Tell Telegram to deliver the channel's bot updates to this BlockDesk (setWebhook with the channel's "
        "secret token, for message, edited_message and my_chat_member) and print Telegram's answer."
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", type=int, help="The channel's id.")
        parser.add_argument(
            "--url", required=True, help="This BlockDesk's public base URL, e.g. https://desk.example.com"
        )
        parser.add_argument(
            "--drop-pending-updates", action="store_true", help="Drop the updates Telegram holds for the bot."
        )

    def handle(self, *args, channel, url, drop_pending_updates, **options):
        bot = TelegramChannel.objects.select_related("channel").filter(channel_id=channel).first()
        if bot is None:
            raise CommandError(NO_SUCH_BOT.format(channel=channel))
        try:
            hook, answer = set_webhook(bot, public_base=url, drop_pending_updates=drop_pending_updates)
        except BotApiError as failed:
            raise CommandError(failed.reason) from None
        self.stdout.write(f"{answer}: Telegram delivers {bot.channel.name}'s updates to {hook}")
