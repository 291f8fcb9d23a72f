from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Each channel kind's sender, set-up and periodic jobs, registered at start."""

    name = "channels"

    def ready(self):
        from blockdesk.periodic import register_periodic_job
        from tickets.outbox import register_sender

        from .api_webhook import prepare_api_webhooks, send_api_webhook
        from .setup import KindSetup, register_kind_setup
        from .setup_api import API_SETUP
        from .setup_webchat import WEBCHAT_SETUP
        from .telegram import check_bot, send_telegram, webhook_path
        from .telegram_forms import TelegramChannelForm
        from .telegram_models import TelegramChannel
        from .telegram_updates import forget_old_updates
        from .webchat import deliver_to_widget

        register_sender("api", send_api_webhook, prepare=prepare_api_webhooks)
        register_sender("webchat", deliver_to_widget)
        register_kind_setup(API_SETUP)
        register_kind_setup(WEBCHAT_SETUP)
        register_sender("telegram", send_telegram)
        register_kind_setup(
            KindSetup(
                kind="telegram",
                settings_model=TelegramChannel,
                form=TelegramChannelForm,
                webhook_path=webhook_path,
                send_test=check_bot,
                generated_secrets=("secret_token",),
            )
        )
        register_periodic_job("forget old Telegram update ids", every_seconds=3600, run=forget_old_updates)
